#!/usr/bin/env python3
"""Prints the first Fibonacci numbers: python3 examples/python3/fibonacci.py [COUNT]"""
import sys


def fibonacci(count):
    a, b = 0, 1
    for _ in range(count):
        yield a
        a, b = b, a + b


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for index, value in enumerate(fibonacci(count)):
        print(f"fib({index}) = {value}")
