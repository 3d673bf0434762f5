#!/usr/bin/env python3
"""Counts words read from standard input: ls -l /usr/bin | python3 wordcount.py"""
import collections
import sys

counts = collections.Counter(word for line in sys.stdin for word in line.split())
for word, count in counts.most_common(10):
    print(f"{count:6d} {word}")
