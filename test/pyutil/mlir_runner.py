"""Running a training step with upstream mlir-opt and mlir-runner, for tests
that compare its results with a reference (numpy, PyTorch).

Tools come from REMAT_LLVM_BIN (default /usr/lib/llvm-22/bin), the runner
libraries from REMAT_LLVM_LIB; a test skips, saying which, where one is missing.
"""
import os
import shutil
import subprocess

import numpy as np
import pytest

LLVM_BIN = os.environ.get('REMAT_LLVM_BIN', '/usr/lib/llvm-22/bin')
LLVM_LIB = os.environ.get('REMAT_LLVM_LIB', os.path.join(os.path.dirname(LLVM_BIN), 'lib'))

LOWER_TO_LLVM = [
    # Loops may carry a value computed afresh each iteration (examples/loops).
    '--one-shot-bufferize=bufferize-function-boundaries allow-return-allocs-from-loops',
    '--convert-linalg-to-loops',
    '--expand-strided-metadata',
    '--lower-affine',
    '--convert-scf-to-cf',
    '--convert-math-to-llvm',
    '--convert-math-to-libm',
    '--convert-arith-to-llvm',
    '--convert-func-to-llvm',
    '--finalize-memref-to-llvm',
    '--convert-cf-to-llvm',
    '--convert-func-to-llvm',
    '--reconcile-unrealized-casts',
]


def tool(name):
    path = os.path.join(LLVM_BIN, name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if not found:
        pytest.skip('%s not found (looked in %s and PATH; set REMAT_LLVM_BIN)' % (name, LLVM_BIN))
    return found


def dense(a, element_type='f32'):
    """An array as an MLIR dense attribute of tensor type."""
    def rows(x):
        if x.ndim == 0:
            if element_type == 'i1':
                return 'true' if x else 'false'
            return '%d' % x if element_type.startswith('i') else '%.9e' % x
        return '[' + ', '.join(rows(y) for y in x) + ']'
    shape = ''.join('%dx' % d for d in a.shape)
    return 'dense<%s> : tensor<%s%s>' % (rows(a), shape, element_type)


def run_train_step(mlir, args, result_types, tmp_path):
    """Runs @train_step of `mlir` on `args` (pairs of an array and its element
    type) and returns each f32 result, printed by printMemrefF32 (6 significant
    digits) and flattened."""
    opt, runner = tool('mlir-opt'), tool('mlir-runner')
    libs = [os.path.join(LLVM_LIB, lib) for lib in
            ('libmlir_runner_utils.so', 'libmlir_c_runner_utils.so')]
    for lib in libs:
        if not os.path.exists(lib):
            pytest.skip('%s not found (set REMAT_LLVM_LIB)' % lib)
    lines = ['module {', mlir, 'func.func private @printMemrefF32(tensor<*xf32>)',
             'func.func @main() {']
    arg_types = []
    for i, (array, element_type) in enumerate(args):
        attr = dense(array, element_type)
        lines.append('  %%in%d = arith.constant %s' % (i, attr))
        arg_types.append(attr.split(' : ')[-1])
    res = ['%%r%d' % i for i in range(len(result_types))]
    lines.append('  %s = call @train_step(%s) : (%s) -> (%s)' % (
        ', '.join(res), ', '.join('%%in%d' % i for i in range(len(args))),
        ', '.join(arg_types), ', '.join(result_types)))
    for r, ty in zip(res, result_types):
        lines.append('  %s_u = tensor.cast %s : %s to tensor<*xf32>' % (r, r, ty))
        lines.append('  call @printMemrefF32(%s_u) : (tensor<*xf32>) -> ()' % r)
    lines += ['  return', '}', '}']
    src = tmp_path / 'wrapper.mlir'
    src.write_text('\n'.join(lines))
    llvm = subprocess.run([opt, str(src)] + LOWER_TO_LLVM, check=True,
                          capture_output=True, text=True).stdout
    run = subprocess.run([runner, '-e', 'main', '-entry-point-result=void',
                          '-shared-libs=' + ','.join(libs)], input=llvm, check=True,
                         capture_output=True, text=True)
    blocks = run.stdout.split('Unranked Memref')[1:]
    assert len(blocks) == len(result_types), run.stdout[:2000]
    out = []
    for block in blocks:
        data = block[block.index('\n'):]
        numbers = data.replace('[', ' ').replace(']', ' ').replace(',', ' ').split()
        out.append(np.array([float(x) for x in numbers]))
    return out
