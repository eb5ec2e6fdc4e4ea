#!/usr/bin/env python3
"""Collects the MLIR fuzzer's seeds (fuzz/MlirFuzzer.cpp, docs/fuzzing.md).

    mlir-seeds.py ROOT OUT_DIR

writes one module a file to OUT_DIR: the examples (examples/, examples/loops/),
the small benchmark graphs, the inputs of the remat-opt lit tests, the
--split-input-file ones split at their `// -----` lines, and the inputs the
fuzzer once stopped on (fuzz/corpus/mlir). Full-line comments
are dropped (the RUN and CHECK lines are not IR: mutating them finds nothing).
The inputs of KNOWN_OPEN are left out.
"""
import glob
import os
import re
import sys

# Benchmark graphs larger than this would slow every fuzzing run down.
MAX_BYTES = 40000

# Inputs that break an invariant the fuzzer checks, left out until fixed (each
# has an XFAIL test): the fuzzer would stop on them before mutating anything.
KNOWN_OPEN = {}


def modules(path):
    with open(path) as f:
        text = f.read()
    for part in re.split(r'^// -----\s*$', text, flags=re.M):
        lines = [l for l in part.splitlines() if not l.lstrip().startswith('//')]
        module = '\n'.join(lines).strip()
        if module and len(module) <= MAX_BYTES:
            yield module + '\n'


def main():
    root, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    # fuzz/corpus/mlir: inputs the fuzzer once stopped on (each a regression:
    # every run executes its seeds first).
    patterns = ['examples/*.mlir', 'examples/loops/*.mlir', 'bench/graphs/*.mlir',
                'test/Transforms/*.mlir', 'test/Analysis/*.mlir',
                'test/Dialect/*/*.mlir', 'test/Pipelines/*.mlir', 'fuzz/corpus/mlir/*.mlir']
    count = 0
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            if os.path.relpath(path, root) in KNOWN_OPEN:
                continue
            stem = os.path.relpath(path, root).replace('/', '_')[:-len('.mlir')]
            for index, module in enumerate(modules(path)):
                with open(os.path.join(out, '%s.%d.mlir' % (stem, index)), 'w') as f:
                    f.write(module)
                count += 1
    print('%d seeds in %s' % (count, out))


if __name__ == '__main__':
    main()
