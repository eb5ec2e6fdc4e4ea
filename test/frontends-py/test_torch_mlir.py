"""The torch-mlir route (docs/frontends.md): a PyTorch training step traced
with make_fx, imported by torch-mlir's FX importer to linalg on tensors,
planned by remat at 0.7 of its unplanned peak, lowered and run by remat-run.
The run's measured peak must be the predicted one to the byte, its results
bitwise the unplanned step's, and its loss and gradients PyTorch's (float64,
on the very arguments the run used).

Skips, saying why, where torch or torch-mlir is not installed (scripts/setup
installs both unless REMAT_WITHOUT_TORCH=1).
"""
import numpy as np
import pytest

torch = pytest.importorskip('torch', reason='torch is not installed')
pytest.importorskip('torch_mlir', reason='torch-mlir is not installed '
                    '(pip install torch-mlir; scripts/setup does)')

import stepcheck  # noqa: E402
import torch_steps  # noqa: E402

TOLERANCE = 1e-4


def _import(tmp_path, name, model):
    torch.manual_seed(0)
    loss, params, batch = model
    path = tmp_path / (name + '.mlir')
    path.write_text(torch_steps.import_step(loss, params, batch))
    return path, loss, params, batch


def _arg_types(params, batch):
    return [(tuple(t.shape), np.dtype(str(t.dtype).replace('torch.', '')))
            for t in list(params) + list(batch)]


def _reference(loss, params, args):
    """Loss and gradients in float64 on the run's own arguments."""
    n = len(params)
    p = [torch.from_numpy(a).double() for a in args[:n]]
    batch = [torch.from_numpy(a) if a.dtype.kind in 'iub'
             else torch.from_numpy(a).double() for a in args[n:]]
    step = torch_steps.step_of(loss, n)
    return [r.detach().numpy() for r in step(*p, *batch)]


# A GPT-style block (exact GELU) and an MLP deep enough that 0.7 of its
# unplanned peak is above the lower bound of every plan (the 3-layer MLP's is
# not: test_mlp3_below_its_lower_bound_at_0_7).
MODELS = {
    'mlp6': lambda: torch_steps.mlp(layers=6),
    'gpt_block': lambda: torch_steps.gpt(blocks=1, tokens=16),
}


@pytest.mark.parametrize('name', sorted(MODELS))
def test_plans_at_0_7_and_runs(tmp_path, remat_run, name):
    mlir, loss, params, batch = _import(tmp_path, name, MODELS[name]())
    types = _arg_types(params, batch)
    unplanned, _, base = stepcheck.run_step(remat_run, mlir, tmp_path, types)
    planned, args, results = stepcheck.run_step(remat_run, mlir, tmp_path, types,
                                                budget=0.7)
    assert planned['peak_bytes'] <= 0.7 * unplanned['peak_bytes'], (planned, unplanned)
    assert planned['hashes'] == unplanned['hashes']
    want = _reference(loss, params, args)
    assert len(want) == len(results)
    for i, (got, ref) in enumerate(zip(results, want)):
        scale = max(1.0, float(np.abs(ref).max()))
        error = float(np.abs(got.astype(np.float64) - ref).max()) / scale
        assert error < TOLERANCE, 'result %d of %s: relative error %g' % (i, name, error)


def test_mlp3_below_its_lower_bound_at_0_7(tmp_path, remat_opt):
    """The issue's 3-layer MLP (batch 512, width 128): at 0.7 remat refuses.
    Its smallest feasible budget is the lower bound of docs/frontends.md: at
    the backward product dL/dh1 * (1 - h1^2) three 256 KiB tensors are live
    besides the arguments and the gradients already computed."""
    mlir, *_ = _import(tmp_path, 'mlp3', torch_steps.mlp(layers=3))
    smallest, peak = stepcheck.smallest_feasible(
        stepcheck.plan_error(remat_opt, mlir, 0.7))
    arguments = 4 * (64 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10 + 512 * 64 + 512 * 10)
    done_before = 4 * (1 + 128 * 10 + 10 + 128 * 128 + 128)  # loss, dW3, db3, dW2, db2
    assert smallest == arguments + 3 * 512 * 128 * 4 + done_before
    assert smallest > 0.7 * peak
