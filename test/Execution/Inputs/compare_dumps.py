#!/usr/bin/env python3
"""Compares the float32 results two runs dumped (the executable's --dump):

    compare_dumps.py PREFIX_A PREFIX_B COUNT [--tolerance T]

Prints the largest difference of result 0 .. COUNT-1, relative to the
largest magnitude of that result, and exits 1 when one exceeds T (default
1e-5) or a file is missing or of another size.
"""
import argparse
import array
import sys


def floats(path):
    values = array.array('f')
    with open(path, 'rb') as f:
        values.frombytes(f.read())
    return values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('a')
    parser.add_argument('b')
    parser.add_argument('count', type=int)
    parser.add_argument('--tolerance', type=float, default=1e-5)
    opts = parser.parse_args()
    worst = 0.0
    for i in range(opts.count):
        a = floats('%sresult%d.bin' % (opts.a, i))
        b = floats('%sresult%d.bin' % (opts.b, i))
        if len(a) != len(b):
            print('result %d: %d against %d values' % (i, len(a), len(b)))
            return 1
        scale = max(max(abs(v) for v in a), 1e-30)
        worst = max(worst, max(abs(x - y) for x, y in zip(a, b)) / scale)
    verdict = 'within' if worst <= opts.tolerance else 'NOT within'
    print('%d results %s %g (largest relative difference %.2g)' % (
        opts.count, verdict, opts.tolerance, worst))
    return 0 if worst <= opts.tolerance else 1


if __name__ == '__main__':
    sys.exit(main())
