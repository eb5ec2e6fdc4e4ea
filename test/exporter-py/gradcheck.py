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
    return [loss.detach()] + [g.detach() for g in torch.autograd.grad(loss, params)]


def run_exported(model, inputs, loss_fn, tmp_path, num_model_inputs=1):
    """(names, results of the exported step run by mlir-runner, the MLIR text)."""
    state = copy.deepcopy(model.state_dict())
    mlir = exporter.export_training_step(model, loss_fn, inputs, num_model_inputs)
    model.load_state_dict(state)   # batch norm's running statistics moved
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    args = ([p.detach() for _, p in named] + [b for _, b in model.named_buffers()]
            + list(inputs))
    result_types = ['tensor<f32>'] + ['tensor<%sf32>' % ''.join('%dx' % d for d in p.shape)
                                      for _, p in named]
    got = run_train_step(mlir, [(a.numpy(), _DT[a.dtype]) for a in args], result_types,
                         tmp_path)
    return ['loss'] + [n for n, _ in named], got, mlir


def check_against_eager(model, inputs, loss_fn, tmp_path, rtol=1e-3, num_model_inputs=1):
    """Asserts that the exported step's loss and every gradient g match float64
    eager PyTorch's w: max|g - w| <= rtol * max|w| (+1e-6 for all-zero w).
    Returns the relative errors by name."""
    ref_model = copy.deepcopy(model).double()
    ref = eager_loss_and_grads(ref_model, [_double(t) for t in inputs], loss_fn,
                               num_model_inputs)
    names, got, _ = run_exported(model, inputs, loss_fn, tmp_path, num_model_inputs)
    assert len(got) == len(ref)
    errors, bad = {}, []
    for name, g, w in zip(names, got, ref):
        w = w.numpy().ravel()
        assert g.shape == w.shape, (name, g.shape, w.shape)
        scale = np.abs(w).max()
        errors[name] = float(np.abs(g - w).max() / scale) if scale > 0 else float(np.abs(g).max())
        if np.abs(g - w).max() > rtol * scale + 1e-6:
            bad.append('%s: %.3g' % (name, errors[name]))
    assert not bad, '%d of %d results off by more than %g of their magnitude: %s' % (
        len(bad), len(names), rtol, ', '.join(bad[:20]))
    return errors
