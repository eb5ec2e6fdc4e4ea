"""Export a training step, run it with mlir-runner, and compare its loss and every
gradient with PyTorch's, in float64 (eager), relative to each one's magnitude.

The reference is float64 because a float32 step is not a reference at every size:
where ReLU inputs sit within float32 rounding of zero and batch norm averages
over few elements, two float32 programs that sum in different orders (PyTorch
eager against PyTorch's own decomposed graph, or against the exported one) give
gradients several percent apart (docs/pytorch.md, "How the exporter is checked").
"""

import copy
import os
import sys

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
for _p in (os.path.join(ROOT, 'bench', 'torch'), os.path.join(ROOT, 'test', 'pyutil')):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from exporter_import import import_exporter  # noqa: E402
from mlir_runner import run_train_step  # noqa: E402

exporter = import_exporter()

_DT = {torch.float32: 'f32', torch.int64: 'i64', torch.bool: 'i1'}


def _double(t):
    return t.double() if t.is_floating_point() else t


def eager_loss_and_grads(model, inputs, loss_fn, num_model_inputs=1):
    model.train()
    params = [p for _, p in model.named_parameters() if p.requires_grad]
    loss = loss_fn(model(*inputs[:num_model_inputs]), *inputs[num_model_inputs:])
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return [loss.detach()] + [torch.zeros_like(p) if g is None else g.detach()
                              for g, p in zip(grads, params)]


def _export(model, loss_fn, inputs, num_model_inputs):
    """(the exported step's MLIR text, the trained parameters by name, the
    step's arguments: parameters, buffers, inputs); the model's state is left
    as it was (batch norm's running statistics move while tracing)."""
    state = copy.deepcopy(model.state_dict())
    mlir = exporter.export_training_step(model, loss_fn, inputs, num_model_inputs)
    model.load_state_dict(state)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    args = ([p.detach() for _, p in named] + [b for _, b in model.named_buffers()]
            + list(inputs))
    return mlir, named, args


def run_exported(model, inputs, loss_fn, tmp_path, num_model_inputs=1):
    """(names, results of the exported step run by mlir-runner, the MLIR text)."""
    mlir, named, args = _export(model, loss_fn, inputs, num_model_inputs)
    result_types = ['tensor<f32>'] + ['tensor<%sf32>' % ''.join('%dx' % d for d in p.shape)
                                      for _, p in named]
    got = run_train_step(mlir, [(a.numpy(), _DT[a.dtype]) for a in args], result_types,
                         tmp_path)
    return ['loss'] + [n for n, _ in named], got, mlir


def _compare(names, got, ref, rtol):
    """Each result g against its reference w: max|g - w| <= rtol * max|w|
    (+1e-6 for all-zero w). Returns the relative errors by name."""
    assert len(got) == len(ref)
    errors, bad = {}, []
    for name, g, w in zip(names, got, ref):
        w = w.numpy().ravel()
        assert g.shape == w.shape, (name, g.shape, w.shape)
        scale = np.abs(w).max()
        errors[name] = float(np.abs(g - w).max() / scale) if scale > 0 else float(np.abs(g).max())
        # Not finite fails too (a NaN compares false with any bound).
        if not np.isfinite(g).all() or np.abs(g - w).max() > rtol * scale + 1e-6:
            bad.append('%s: %.3g' % (name, errors[name]))
    assert not bad, '%d of %d results off by more than %g of their magnitude: %s' % (
        len(bad), len(names), rtol, ', '.join(bad[:20]))
    return errors


def check_against_eager(model, inputs, loss_fn, tmp_path, rtol=1e-3, num_model_inputs=1):
    """Asserts that the exported step's loss and every gradient g match float64
    eager PyTorch's w: max|g - w| <= rtol * max|w| (+1e-6 for all-zero w).
    Returns the relative errors by name."""
    ref_model = copy.deepcopy(model).double()
    ref = eager_loss_and_grads(ref_model, [_double(t) for t in inputs], loss_fn,
                               num_model_inputs)
    names, got, _ = run_exported(model, inputs, loss_fn, tmp_path, num_model_inputs)
    return _compare(names, got, ref, rtol)


REMAT_RUN = os.environ.get('REMAT_RUN', os.path.join(ROOT, 'build', 'bin', 'remat-run'))
_NP = {torch.float32: np.float32, torch.int64: np.int64, torch.bool: np.bool_}


def run_remat_run(src, args, budget, tmp_path, tag='step'):
    """Compiles the step in `src` with remat-run (planned at `budget` if given)
    and runs it on `args` (tensors, raw bytes through --load), holding the
    measured peak to the prediction to the byte. Returns (the prefix of its
    result files, `<prefix>result<i>.bin`, and its report)."""
    import subprocess
    import pytest
    if not os.access(REMAT_RUN, os.X_OK):
        pytest.skip('remat-run not built at %s (set REMAT_RUN)' % REMAT_RUN)
    exe, prefix = tmp_path / ('%s.exe' % tag), str(tmp_path / ('%s-' % tag))
    for i, a in enumerate(args):
        a.contiguous().numpy().astype(_NP[a.dtype]).tofile('%sarg%d.bin' % (prefix, i))
    cmd = [REMAT_RUN, str(src), '--compile-only', '-o', str(exe)]
    if budget is not None:
        cmd += ['--budget', str(budget)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = subprocess.run([str(exe), '--load', prefix, '--dump', prefix, '--check-peak', '0'],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return prefix, out.stdout


def run_compiled(model, inputs, loss_fn, tmp_path, num_model_inputs=1, budget=None):
    """Exports the step, compiles it with remat-run (remat-opt's CPU pipeline,
    planned at `budget` if given) and runs it on the model's own weights and the
    batch (raw bytes through the executable's --load; results through --dump),
    holding the measured peak to the prediction to the byte. Returns (names,
    results as flat float arrays, the executable's report lines). Arrays pass
    as binary files: no size limit from MLIR text (run_exported embeds its
    arguments as dense constants and reads printed results: tiny models only)."""
    mlir, named, args = _export(model, loss_fn, inputs, num_model_inputs)
    src = tmp_path / 'step.mlir'
    src.write_text(mlir)
    prefix, report = run_remat_run(src, args, budget, tmp_path, 'io')
    got = [np.fromfile('%sresult%d.bin' % (prefix, i), dtype=np.float32).astype(np.float64)
           for i in range(1 + len(named))]
    return ['loss'] + [n for n, _ in named], got, report.splitlines()


def check_compiled_against_eager(model, inputs, loss_fn, tmp_path, rtol=1e-3,
                                 num_model_inputs=1, budget=None):
    """run_compiled's loss and every gradient g against float64 eager PyTorch's w:
    max|g - w| <= rtol * max|w| (+1e-6 for all-zero w). Returns the relative
    errors by name."""
    ref_model = copy.deepcopy(model).double()
    ref = eager_loss_and_grads(ref_model, [_double(t) for t in inputs], loss_fn,
                               num_model_inputs)
    names, got, _ = run_compiled(model, inputs, loss_fn, tmp_path, num_model_inputs, budget)
    return _compare(names, got, ref, rtol)
