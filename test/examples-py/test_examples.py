"""Checks of the bundled examples (examples/gen_examples.py and its outputs).

Run: python3 -m pytest test/examples-py
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
EXAMPLES_DIR = os.path.join(ROOT, 'examples')
sys.path.insert(0, EXAMPLES_DIR)
sys.path.insert(0, os.path.join(ROOT, 'test', 'pyutil'))

import gen_examples  # noqa: E402
import finite_differences  # noqa: E402
from mlir_runner import run_train_step, tool  # noqa: E402

NAMES = [e.name for e in gen_examples.EXAMPLES]


# ---- (a) gradients of the numpy evaluation vs central finite differences ----

def _loss(example, inputs):
    return example.loss_and_grads(inputs)[0]


@pytest.mark.parametrize('name', NAMES)
def test_gradients_match_finite_differences(name):
    example = gen_examples.BY_NAME[name]
    inputs = example.random_inputs(seed=1, dtype=np.float64)
    _, grads = example.loss_and_grads(inputs)
    rng = np.random.default_rng(2)
    eps = 1e-6

    # Per parameter: a directional derivative over the whole tensor and a few
    # single entries.
    for pname in example.param_names:
        g = grads[pname]
        assert g.shape == inputs[pname].shape, pname
        for d in finite_differences.directions(rng, g):
            plus = dict(inputs, **{pname: inputs[pname] + eps * d})
            minus = dict(inputs, **{pname: inputs[pname] - eps * d})
            fd = (_loss(example, plus) - _loss(example, minus)) / (2 * eps)
            analytic = float(np.sum(g * d))
            assert abs(fd - analytic) <= finite_differences.tolerance(g, d), (pname, fd, analytic)


@pytest.mark.parametrize('name', NAMES)
def test_float32_evaluation_close_to_float64(name):
    example = gen_examples.BY_NAME[name]
    l64, g64 = example.loss_and_grads(example.random_inputs(seed=3, dtype=np.float64))
    l32, g32 = example.loss_and_grads(example.random_inputs(seed=3, dtype=np.float32))
    assert abs(l32 - l64) <= 1e-5 * max(1.0, abs(l64))
    for pname in example.param_names:
        assert g32[pname].dtype == np.float32
        np.testing.assert_allclose(g32[pname], g64[pname], rtol=0,
                                   atol=1e-4 * np.abs(g64[pname]).max() + 1e-8)


# ---- (b) the checked-in files are what the generator writes ----

def test_checked_in_files_match_generator(tmp_path):
    gen_examples.main(['--out-dir', str(tmp_path), '--quiet'])
    for fname in [e.file for e in gen_examples.EXAMPLES] + ['README.md']:
        with open(os.path.join(EXAMPLES_DIR, fname)) as f:
            checked_in = f.read()
        with open(os.path.join(tmp_path, fname)) as f:
            fresh = f.read()
        assert checked_in == fresh, (
            'examples/%s is stale; regenerate with: python3 examples/gen_examples.py' % fname)


# ---- (c) mlir-opt parses, verifies and bufferizes each file ----

@pytest.mark.parametrize('name', NAMES)
def test_mlir_opt_parses_and_verifies(name):
    path = os.path.join(EXAMPLES_DIR, gen_examples.BY_NAME[name].file)
    subprocess.run([tool('mlir-opt'), path], check=True, stdout=subprocess.DEVNULL)


@pytest.mark.parametrize('name', NAMES)
def test_mlir_opt_bufferizes_and_lowers_to_loops(name):
    path = os.path.join(EXAMPLES_DIR, gen_examples.BY_NAME[name].file)
    subprocess.run([tool('mlir-opt'), path,
                    '--one-shot-bufferize=bufferize-function-boundaries '
                    'allow-return-allocs-from-loops',
                    '--convert-linalg-to-loops'],
                   check=True, stdout=subprocess.DEVNULL)


def test_examples_follow_conventions():
    for example in gen_examples.EXAMPLES:
        b = example.run()
        loss = b.results[0]
        assert loss.shape == () and loss.phase == 'forward'
        assert len(b.results) == 1 + example.num_params
        for arg, grad in zip(b.args, b.results[1:]):
            assert arg.shape == grad.shape
        # Every destination is a fresh init right before its user, used once.
        for v in b.values:
            if v.kind == 'init':
                assert v.use_indices == [v.def_index + 1], v


# ---- (d) execution: lower to LLVM, run with mlir-runner, compare to numpy ----

@pytest.mark.parametrize('name', NAMES)
def test_execution_matches_numpy(name, tmp_path):
    example = gen_examples.BY_NAME[name]
    inputs = example.random_inputs(seed=4, dtype=np.float32)
    b = example.run(inputs)
    with open(os.path.join(EXAMPLES_DIR, example.file)) as f:
        step = f.read()
    printed = run_train_step(step, [(inputs[a.name], 'f32') for a in b.args],
                             [v.type for v in b.results], tmp_path)
    for v, got in zip(b.results, printed):
        want = v.data.astype(np.float64).ravel()
        # printMemrefF32 prints 6 significant digits.
        np.testing.assert_allclose(got, want, rtol=1e-4,
                                   atol=1e-4 * np.abs(want).max() + 1e-7, err_msg=v.name)
