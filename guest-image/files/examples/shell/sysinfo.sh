#!/bin/sh
# Shows what the guest believes about its machine.
echo "kernel:   $(uname -srm)"
echo "hostname: $(hostname)"
echo "user:     $(id)"
echo "disk:"
df -h /
