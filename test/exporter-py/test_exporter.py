"""Checks of the PyTorch exporter (python-bindings/remat/exporter).

On tiny models, the exported training step, lowered with mlir-opt and run with
mlir-runner on CPU, gives PyTorch's loss and gradients to float32 tolerance; the
exported text parses in remat-opt and is reported on; unsupported ops are named.

Run: python3 -m pytest test/exporter-py
Skips (saying why) where torch or the LLVM tools are missing.
"""

import itertools
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'bench', 'torch'))
sys.path.insert(0, os.path.join(ROOT, 'test', 'pyutil'))

torch = pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); '
                            'the exporter tests need it')

import models  # noqa: E402
from mlir_runner import run_train_step  # noqa: E402
from exporter_import import import_exporter  # noqa: E402

_exporter = import_exporter()
ExportError = _exporter.ExportError
export_training_step = _exporter.export_training_step
trace_training_step = _exporter.trace_training_step

REMAT_OPT = os.environ.get('REMAT_OPT', os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
TINY = models.tiny_models()

_DT = {torch.float32: 'f32', torch.int64: 'i64', torch.bool: 'i1'}


def _flat_inputs(model, inputs):
    return ([p.detach() for _, p in model.named_parameters()]
            + [b for _, b in model.named_buffers()] + list(inputs))


def run_step(mlir, args, result_shapes, tmp_path):
    """Run @train_step on `args`; the printed results, flattened."""
    return run_train_step(
        mlir, [(t.numpy(), _DT[t.dtype]) for t in args],
        ['tensor<%sf32>' % ''.join('%dx' % d for d in s) for s in result_shapes], tmp_path)


def torch_loss_and_grads(model, inputs, loss_fn):
    model.train()
    model.zero_grad()
    loss = loss_fn(model(inputs[0]), *inputs[1:])
    params = [p for _, p in model.named_parameters()]
    grads = torch.autograd.grad(loss, params)
    return loss.detach(), [g.detach() for g in grads]


@pytest.mark.parametrize('name', sorted(TINY))
def test_execution_matches_pytorch(name, tmp_path):
    model, inputs, loss_fn = TINY[name]
    # Running statistics are updated by both runs; export from a copy.
    state = {k: v.clone() for k, v in model.state_dict().items()}
    mlir = export_training_step(model, loss_fn, inputs)
    model.load_state_dict(state)
    args = _flat_inputs(model, inputs)
    loss, grads = torch_loss_and_grads(model, inputs, loss_fn)
    want = [loss] + grads
    got = run_step(mlir, args, [tuple(w.shape) for w in want], tmp_path)
    names = ['loss'] + [n for n, _ in model.named_parameters()]
    for n, w, g in zip(names, want, got):
        w = w.double().numpy().ravel()
        # printMemrefF32 prints 6 significant digits.
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4 * np.abs(w).max() + 1e-6,
                                   err_msg=n)


@pytest.mark.parametrize('name', sorted(TINY))
def test_remat_opt_reports_and_plans(name, tmp_path):
    if not os.access(REMAT_OPT, os.X_OK):
        pytest.skip('remat-opt not built at %s (set REMAT_OPT)' % REMAT_OPT)
    model, inputs, loss_fn = TINY[name]
    path = tmp_path / 'step.mlir'
    path.write_text(export_training_step(model, loss_fn, inputs))
    report = tmp_path / 'report.json'
    subprocess.run([REMAT_OPT, str(path), '--remat-report=report-file=%s' % report,
                    '-o', os.devnull], check=True, capture_output=True)
    assert report.exists()
    subprocess.run([REMAT_OPT, str(path), '--remat-checkpoint=budget=1.0',
                    '-o', os.devnull], check=True, capture_output=True)


def test_signature_follows_conventions():
    model, inputs, loss_fn = TINY['convnet']
    mlir = export_training_step(model, loss_fn, inputs)
    head = mlir[mlir.index('func.func'):mlir.index('{\n')]
    # Parameters, then buffers (BN running stats), then the batch; never constants.
    for name in ('a_c1_weight', 'a_bn_running_mean', 'a_input0', 'a_input1'):
        assert '%' + name in head, name
    assert '{remat.loss}' in head
    assert 'arith.constant dense' not in mlir
    # Every tensor.empty is used by the top-level op right after it.
    ops, cur = [], []
    for ln in mlir.splitlines():
        if ln.startswith('  %') or ln.startswith('  return'):
            ops.append('\n'.join(cur))
            cur = []
        cur.append(ln)
    ops.append('\n'.join(cur))
    for i, op in enumerate(ops):
        if '= tensor.empty()' in op:
            name = op.split(' = ')[0].strip()
            assert re.search(re.escape(name) + r'\b', ops[i + 1]), (op, ops[i + 1])


def test_unsupported_op_is_named():
    class Inverse(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.eye(3))

        def forward(self, x):
            return torch.linalg.inv(x @ self.w)

    with pytest.raises(ExportError, match=r'aten\.linalg_inv_ex'):
        export_training_step(Inverse(), lambda o: o.sum(), (torch.randn(2, 3, 3),))


def test_sort_median_kthvalue_decompositions_match_eager():
    """The exporter's rank-based sort, median and kthvalue (trace.py) give
    eager PyTorch's values and indices, NaN and infinities included (NaN
    sorts largest; a row's median is NaN at its first NaN, its nanmedian
    that of the other values; stable sorts keep ties in index order)."""
    from remat.exporter import trace
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        x = torch.randn(3, 5, 4, generator=gen)
        x[torch.rand(x.shape, generator=gen) < 0.2] = float('nan')
        x[torch.rand(x.shape, generator=gen) < 0.1] = float('inf')
        x[torch.rand(x.shape, generator=gen) < 0.1] = 0.5      # ties
        for d in (0, 1, 2, -1):
            for descending in (False, True):
                got = trace._sort(x, d, descending)
                want = torch.sort(x, dim=d, descending=descending, stable=True)
                assert torch.equal(got[0], want[0]) or torch.allclose(
                    got[0], want[0], equal_nan=True, rtol=0, atol=0)
                assert torch.equal(got[1], want[1])
            got, want = trace._median_dim(x, d), torch.median(x, d)
            assert torch.allclose(got[0], want[0], equal_nan=True, rtol=0, atol=0)
            assert torch.equal(got[1], want[1])
            got, want = trace._kthvalue(x, 2, d), torch.kthvalue(x, 2, d)
            assert torch.allclose(got[0], want[0], equal_nan=True, rtol=0, atol=0)
            # nanmedian: the index of a row of NaNs is PyTorch's own choice
            # (its kernel's nth_element); every other index is the same.
            got, want = trace._nanmedian_dim(x, d), torch.nanmedian(x, d)
            assert torch.allclose(got[0], want[0], equal_nan=True, rtol=0, atol=0)
            all_nan = x.isnan().all(d)
            assert torch.equal(got[1][~all_nan], want[1][~all_nan])
        ints = torch.randint(0, 4, (6, 5), generator=gen)
        got, want = trace._sort(ints, 1, True), torch.sort(ints, dim=1, descending=True, stable=True)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_ctc_loss_decompositions_match_aten():
    """The exporter's CTC forward and backward (trace.py) give ATen's loss and
    gradient in float64: lengths as tensors and as lists, padded and
    concatenated (1-D) targets, empty targets, repeated labels, sequences no
    alignment fits (infinite loss; zeroed gradient with zero_infinity), a
    blank that is not 0. The backward's exp(log_probs) term (PyTorch's)
    vanishes through log_softmax, so only this comparison sees it."""
    from remat.exporter import trace
    aten = torch.ops.aten
    gen = torch.Generator().manual_seed(0)
    infinite = 0
    for trial in range(40):
        steps, batch, classes, width = 7, 3, 5, 3
        blank = 0 if trial % 2 else classes - 1
        log_probs = torch.randn(steps, batch, classes, generator=gen,
                                dtype=torch.float64).log_softmax(-1)
        targets = torch.randint(0, classes - 1, (batch, width), generator=gen)
        targets = targets + (targets >= blank).to(targets.dtype)      # never the blank
        if trial % 3 == 0:
            targets[:, 1] = targets[:, 0]
        input_lengths = torch.randint(3, steps + 1, (batch,), generator=gen)
        target_lengths = torch.randint(0, width + 1, (batch,), generator=gen)
        if trial % 5 == 1:
            targets = torch.cat([targets[b, :target_lengths[b]] for b in range(batch)])
        lists = trial % 4 == 0
        if lists:
            input_lengths, target_lengths = input_lengths.tolist(), target_lengths.tolist()
        forward = aten._ctc_loss.default if lists else aten._ctc_loss.Tensor
        backward = aten._ctc_loss_backward.default if lists else aten._ctc_loss_backward.Tensor
        for zero_infinity in (False, True):
            got = trace._ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                                  zero_infinity)
            want = forward(log_probs, targets, input_lengths, target_lengths, blank,
                           zero_infinity)
            torch.testing.assert_close(got[0], want[0])
            infinite += int(torch.isinf(want[0]).sum())
            grad = torch.randn(batch, generator=gen, dtype=torch.float64)
            mine = trace._ctc_loss_backward(grad, log_probs, targets, input_lengths,
                                            target_lengths, got[0], got[1], blank, zero_infinity)
            theirs = backward(grad, log_probs, targets, input_lengths, target_lengths, want[0],
                              want[1], blank, zero_infinity)
            torch.testing.assert_close(mine, theirs, equal_nan=True)
    assert infinite > 0


def test_searchsorted_bucketize_decompositions_match_eager():
    """The exporter's searchsorted and bucketize (counts of the entries
    below each value, trace.py) give eager PyTorch's indices: ties with the
    boundaries either side (right / side='right'), batched sequences, a
    sorter, int32 results."""
    from remat.exporter import trace
    gen = torch.Generator().manual_seed(0)
    for _ in range(30):
        edges = torch.sort(torch.randint(-3, 4, (6,), generator=gen).float())[0]
        x = torch.randint(-4, 5, (3, 5), generator=gen).float()   # ties with the edges
        for right in (False, True):
            assert torch.equal(trace._bucketize(x, edges, right=right),
                               torch.bucketize(x, edges, right=right))
            assert torch.equal(trace._searchsorted(edges, x, right=right),
                               torch.searchsorted(edges, x, right=right))
        rows = torch.sort(torch.randn(3, 6, generator=gen), -1)[0]
        values = torch.randn(3, 4, generator=gen)
        assert torch.equal(trace._searchsorted(rows, values, side='right'),
                           torch.searchsorted(rows, values, side='right'))
        order = torch.argsort(torch.randn(3, 6, generator=gen), -1)
        shuffled = torch.gather(rows, -1, torch.argsort(order, -1))
        assert torch.equal(trace._searchsorted(shuffled, values, sorter=order),
                           torch.searchsorted(shuffled, values, sorter=order))
        got = trace._searchsorted(rows, values, out_int32=True)
        assert got.dtype == torch.int32
        assert torch.equal(got, torch.searchsorted(rows, values, out_int32=True))


@pytest.mark.parametrize('k', [2, 3])
def test_grid_sampler_decompositions_match_eager(k):
    """The exporter's F.grid_sample forward and backward, 2-D and 3-D
    (trace.py; the 2-D forward is exported only with reflection padding),
    give ATen's results in float64, for bilinear, nearest and (2-D) bicubic,
    zeros, border and reflection padding, either align_corners, on grids that
    reach a little past the input (most samples inside) and past it by more
    than one reflection; also on a size-1 axis (reflection with
    align_corners reads its one pixel)."""
    from remat.exporter import trace
    aten = torch.ops.aten
    gen = torch.Generator().manual_seed(k)
    cases = [((2, 3, 4, 5), (2, 3, 4)), ((2, 3, 1, 5), (2, 3, 4))] if k == 2 else \
        [((2, 3, 3, 4, 5), (2, 2, 3, 4)), ((2, 3, 3, 1, 5), (2, 2, 3, 4))]
    forward = aten.grid_sampler_2d if k == 2 else aten.grid_sampler_3d
    backward = aten.grid_sampler_2d_backward if k == 2 else aten.grid_sampler_3d_backward
    for (shape, out), reach in itertools.product(cases, (1.3, 3.5)):
        for mode in (0, 1, 2) if k == 2 else (0, 1):
            for padding, align in itertools.product((0, 1, 2), (False, True)):
                x = torch.randn(*shape, generator=gen, dtype=torch.float64)
                grid = (torch.rand(*out, k, generator=gen, dtype=torch.float64) * 2 - 1) * reach
                grad = torch.randn(shape[:2] + out[1:], generator=gen, dtype=torch.float64)
                torch.testing.assert_close(trace._grid_sampler(x, grid, mode, padding, align),
                                           forward(x, grid, mode, padding, align))
                got = trace._grid_sampler_backward(grad, x, grid, mode, padding, align,
                                                   [True, True])
                want = backward(grad, x, grid, mode, padding, align, [True, True])
                torch.testing.assert_close(got[0], want[0])
                torch.testing.assert_close(got[1], want[1])


def test_scale_grad_by_freq_matches_eager():
    """nn.Embedding's and sum/mean nn.EmbeddingBag's backwards with
    scale_grad_by_freq (trace.py) give eager's weight gradients, with and
    without a padding index, on indices that repeat (one four times)."""
    from remat.exporter import trace
    gen = torch.Generator().manual_seed(5)
    idx = torch.tensor([1, 2, 2, 5, 2, 1, 0, 2, 6])
    offsets = torch.tensor([0, 3, 3, 6])
    for pad in (None, 2):
        p = -1 if pad is None else pad      # the ATen ops' spelling of None
        table = torch.nn.Embedding(7, 3, scale_grad_by_freq=True, padding_idx=pad).double()
        ids = idx.view(3, 3)
        out = table(ids)
        grad = torch.randn(out.shape, generator=gen, dtype=torch.float64)
        out.backward(grad)
        torch.testing.assert_close(trace._embedding_dense_backward(grad, ids, 7, p, True),
                                   table.weight.grad)
        for mode in (0, 1):
            bag = torch.nn.EmbeddingBag(7, 3, mode=('sum', 'mean')[mode],
                                        scale_grad_by_freq=True, padding_idx=pad).double()
            out = bag(idx, offsets)
            grad = torch.randn(out.shape, generator=gen, dtype=torch.float64)
            out.backward(grad)
            _, offset2bag, bag_size, most = trace._embedding_bag(
                bag.weight.detach(), idx, offsets, True, mode, False, None, False, p)
            torch.testing.assert_close(
                trace._embedding_bag_dense_backward(grad, idx, offset2bag, bag_size, most, 7,
                                                    True, mode, None, p),
                bag.weight.grad)


def test_trace_keeps_parameters_as_placeholders():
    model, inputs, loss_fn = TINY['mlp']
    step = trace_training_step(model, loss_fn, inputs)
    assert step.arg_kinds == ['param'] * 4 + ['batch'] * 2
    outputs = [n for n in step.gm.graph.nodes if n.op == 'output'][0].args[0]
    assert len(outputs) == 5


@pytest.mark.parametrize('name', ['gpt_block', 'convnet'])
def test_pytorch_min_cut_plan_joined_executes(name, tmp_path):
    """bench/torch/torch_plan.py: PyTorch's min-cut partition (forced to recompute
    by a small activation budget), joined back into one step and exported, still
    computes PyTorch's loss and gradients: the benchmark measures a correct program."""
    pytest.importorskip('functorch', reason='functorch (part of torch) is not importable')
    import torch_plan
    model, inputs, loss_fn = TINY[name]
    recomputed = []
    mlir, saved = torch_plan.export_plan(model, inputs, loss_fn, 0.1, recomputed_lines=recomputed)
    assert saved > 0
    # The lines of what the backward computes again (at 0.1 PyTorch recomputes):
    # inside the function's body, past its signature, and defining ops.
    lines = mlir.splitlines()
    body = next(i for i, line in enumerate(lines, 1) if line.startswith('    -> ('))
    assert recomputed and all(body < i < len(lines) for i in recomputed)
    assert any(' = linalg.' in lines[i - 1] for i in recomputed)
    # The joined step takes the arguments remat's own step takes, the model's
    # buffers (batch norm's running statistics) included, and leaves their
    # updates out (its results are the loss and the gradients).
    def signature(text):
        head = text[text.index('func.func @train_step('):]
        return re.findall(r': (tensor<[^>]*>)', head[:head.index(') ->')])
    assert signature(mlir) == signature(export_training_step(model, loss_fn, inputs))
    plan_model = __import__('copy').deepcopy(model)
    args = _flat_inputs(plan_model, inputs)
    loss, grads = torch_loss_and_grads(plan_model, inputs, loss_fn)
    want = [loss] + grads
    got = run_step(mlir, args, [tuple(w.shape) for w in want], tmp_path)
    for w, g in zip(want, got):
        w = w.double().numpy().ravel()
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4 * np.abs(w).max() + 1e-6)
