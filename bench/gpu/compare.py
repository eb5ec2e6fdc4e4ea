#!/usr/bin/env python3
"""How far two runs' float32 results are apart (the executables' --dump):

    compare.py REFERENCE_PREFIX PREFIX COUNT [--tolerance T]

Prints the largest difference over results 0 .. COUNT-1, each relative to
the larger of its own largest magnitude in the reference and `--floor` (1e-3)
times the largest magnitude of all results: a gradient that is zero up to
rounding (a bias before a batch norm) is compared at the scale of the step,
not of its noise (`--floor 0`: each result at its own scale only). Exits 1
when it exceeds T (default 1e-5) or a result is missing or of another size.
Used by test/Execution/cpu-cublas-reference.test, cpu-blas.test,
scripts/gpu-check and bench/gpu/run.py.
"""
import argparse
import array
import sys

def floats(path):
    values = array.array('f')
    with open(path, 'rb') as f:
        values.frombytes(f.read())
    return values


def largest_difference(reference, prefix, count, floor=1e-3):
    """The largest relative difference (inf when sizes differ)."""
    pairs = [(floats('%sresult%d.bin' % (reference, i)),
              floats('%sresult%d.bin' % (prefix, i))) for i in range(count)]
    if any(len(a) != len(b) for a, b in pairs):
        return float('inf')
    overall = max((abs(v) for a, _ in pairs for v in a), default=0.0)
    worst = 0.0
    for a, b in pairs:
        if not a:
            continue
        scale = max(max(abs(v) for v in a), floor * overall, 1e-30)
        worst = max(worst, max(abs(x - y) for x, y in zip(a, b)) / scale)
    return worst


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('reference')
    parser.add_argument('prefix')
    parser.add_argument('count', type=int)
    parser.add_argument('--tolerance', type=float, default=1e-5)
    parser.add_argument('--floor', type=float, default=1e-3)
    opts = parser.parse_args()
    try:
        worst = largest_difference(opts.reference, opts.prefix, opts.count,
                                   opts.floor)
    except OSError as e:
        print('missing result: %s' % e)
        return 1
    verdict = 'within' if worst <= opts.tolerance else 'NOT within'
    print('%d results %s %g (largest relative difference %.2g)' % (
        opts.count, verdict, opts.tolerance, worst))
    return 0 if worst <= opts.tolerance else 1


if __name__ == '__main__':
    sys.exit(main())
