#!/usr/bin/perl
use strict;
use warnings;

my @languages = qw(C C++ Python Perl Lua shell);
printf "Hello from Perl %vd; also try: %s\n", $^V, join(', ', @languages);
