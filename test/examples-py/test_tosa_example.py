"""Checks of the TOSA example (examples/gen_tosa_example.py and
examples/tosa_convnet.mlir): its gradients are the loss's, the checked-in file
is the generator's, and the step lowered by remat-lower-tosa computes them.

Run: python3 -m pytest test/examples-py
"""

import os
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
EXAMPLES_DIR = os.path.join(ROOT, 'examples')
sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(ROOT, 'test', 'pyutil'))

import finite_differences  # noqa: E402
import gen_tosa_example as gen  # noqa: E402
from mlir_runner import run_train_step  # noqa: E402

REMAT_OPT = os.environ.get('REMAT_OPT', os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
FILE = os.path.join(EXAMPLES_DIR, 'tosa_convnet.mlir')
# The parameters: the arguments before the batch (x, onehot).
PARAMS = 5


def test_gradients_match_finite_differences():
    args = gen.inputs(seed=1, dtype=np.float64)
    _, grads = gen.reference(args)
    rng = np.random.default_rng(2)
    eps = 1e-6
    for p in range(PARAMS):
        g = grads[p]
        assert g.shape == args[p].shape, p
        for d in finite_differences.directions(rng, g):
            plus, minus = list(args), list(args)
            plus[p] = args[p] + eps * d
            minus[p] = args[p] - eps * d
            fd = (gen.reference(plus)[0] - gen.reference(minus)[0]).item() / (2 * eps)
            analytic = float(np.sum(g * d))
            assert abs(fd - analytic) <= finite_differences.tolerance(g, d), (p, fd, analytic)


def test_checked_in_file_matches_generator(tmp_path):
    out = tmp_path / 'tosa_convnet.mlir'
    gen.main(['--out', str(out)])
    with open(FILE) as f:
        assert f.read() == out.read_text(), (
            'examples/tosa_convnet.mlir is stale; regenerate with: '
            'python3 examples/gen_tosa_example.py')


def test_lowered_step_computes_the_reference(tmp_path):
    """The TOSA step lowered to linalg (remat-lower-tosa, what the pipelines
    plan and run) executed by mlir-runner gives numpy's loss and gradients."""
    lowered = subprocess.run([REMAT_OPT, FILE, '--remat-lower-tosa',
                              '--mlir-print-local-scope'], check=True,
                             capture_output=True, text=True).stdout
    assert 'tosa.conv2d' not in lowered and 'linalg.conv_2d_nhwc_fhwc' in lowered
    # The function without its module (run_train_step wraps it in one) and
    # the shape constants the lowering leaves unused, which upstream's
    # bufferization of the runner's pipeline does not take.
    lines = lowered.strip().splitlines()
    assert lines[0] == 'module {' and lines[-1] == '}', lines[0]
    body = '\n'.join(line for line in lines[1:-1] if 'tosa.const_shape' not in line)
    args = gen.inputs(seed=4)
    loss, grads = gen.reference(args)
    result_types = ['tensor<1x1x1xf32>'] + ['tensor<%sxf32>' % 'x'.join(
        str(d) for d in g.shape) for g in grads]
    got = run_train_step(body, [(a, 'f32') for a in args], result_types, tmp_path)
    np.testing.assert_allclose(got[0], loss.ravel(), rtol=1e-5)
    for g, expected in zip(got[1:], grads):
        np.testing.assert_allclose(g, expected.ravel(), rtol=0,
                                   atol=1e-5 * np.abs(expected).max() + 1e-7)
