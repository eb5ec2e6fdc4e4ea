"""torch.utils.checkpoint regions and selective-checkpoint policies in the export
(issue 16; docs/pytorch.md, "Checkpoints and policies"; the attributes are those
of docs/user-guide.md's remat.policy / remat.checkpoint).

The exported step of a checkpointed model is the plain model's step plus
`remat.checkpoint = N` on each forward op of the N-th checkpoint call and
`remat.policy` on the ops whose results a selective-checkpoint policy pins; the
manual plan (remat-checkpoint solver=manual) of it computes eager PyTorch's
loss and gradients, and remat-run runs it with the predicted peak.

Run: python3 -m pytest test/exporter-py/test_checkpoint.py
"""

import copy
import functools
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
for _p in (os.path.join(ROOT, 'bench', 'torch'), os.path.join(ROOT, 'test', 'pyutil'), HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

torch = pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); '
                            'the exporter tests need it')
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.checkpoint import (CheckpointPolicy, checkpoint,  # noqa: E402
                                    checkpoint_sequential, create_selective_checkpoint_contexts)

from exporter_import import import_exporter  # noqa: E402
from gradcheck import eager_loss_and_grads, _double  # noqa: E402
from mlir_runner import run_train_step  # noqa: E402

exporter = import_exporter()
REMAT_OPT = os.environ.get('REMAT_OPT', os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
REMAT_RUN = os.path.join(os.path.dirname(REMAT_OPT), 'remat-run')

aten = torch.ops.aten


def sac_policy(ctx, op, *args, **kwargs):
    """Save the linear layers' outputs and the gating product, recompute tanh
    always, the rest where PyTorch likes (recompute)."""
    if op == aten.addmm.default:
        return CheckpointPolicy.MUST_SAVE
    if op == aten.mul.Tensor:
        return CheckpointPolicy.PREFER_SAVE
    if op == aten.tanh.default:
        return CheckpointPolicy.MUST_RECOMPUTE
    return CheckpointPolicy.PREFER_RECOMPUTE


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.up, self.down = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)
        self.gate = nn.Parameter(torch.linspace(0.5, 1.5, 2 * d))

    def forward(self, x):
        return x + self.down(torch.tanh(self.up(x)) * self.gate)


class Net(nn.Module):
    """Four residual blocks; `mode` says how the user checkpoints them:
    'none', 'checkpoint' (blocks 1 and 3, plain), 'sac' (blocks 0 and 2 with
    sac_policy), 'sequential' (checkpoint_sequential, 2 segments)."""

    def __init__(self, mode, d=8, classes=5):
        super().__init__()
        self.mode = mode
        self.inp = nn.Linear(6, d)
        self.blocks = nn.Sequential(*[Block(d) for _ in range(4)])
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.inp(x)
        if self.mode == 'sequential':
            x = checkpoint_sequential(self.blocks, 2, x, use_reentrant=False)
        else:
            for i, block in enumerate(self.blocks):
                if self.mode == 'checkpoint' and i % 2 == 1:
                    x = checkpoint(block, x, use_reentrant=False)
                elif self.mode == 'sac' and i % 2 == 0:
                    x = checkpoint(block, x, use_reentrant=False, context_fn=functools.partial(
                        create_selective_checkpoint_contexts, sac_policy))
                else:
                    x = block(x)
        return self.head(x)


class ConvNet(nn.Module):
    """conv + batch norm + in-place ReLU blocks, each checkpointed (mode 'conv')."""

    def __init__(self, checkpointed, classes=5):
        super().__init__()
        self.checkpointed = checkpointed
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                          nn.ReLU(inplace=True)) for c in (2, 4, 4))
        self.head = nn.Linear(4, classes)

    def forward(self, x):
        for block in self.blocks:
            x = checkpoint(block, x, use_reentrant=False) if self.checkpointed else block(x)
        return self.head(x.mean((2, 3)))


def make(mode):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    if mode in ('conv', 'conv-none'):
        return ConvNet(mode == 'conv'), (torch.randn(2, 2, 6, 6, generator=g),
                                         torch.randint(0, 5, (2,), generator=g)), F.cross_entropy
    # A batch of 32: the activations, not the parameters, make the peak.
    return Net(mode), (torch.randn(32, 6, generator=g),
                       torch.randint(0, 5, (32,), generator=g)), F.cross_entropy


def export(mode):
    model, inputs, loss_fn = make(mode)
    return exporter.export_training_step(model, loss_fn, inputs)


_TOP = re.compile(r'^  (%[A-Za-z0-9_]+)(?::\d+)? = ([a-z_]+\.[a-z0-9_.]+)')


def top_level_ops(mlir):
    """[(line, ssa name, op name, checkpoint id or None, policy or None)]; the
    attributes of tensor.pad sit on its closing line, which counts as its own."""
    ops = []
    for line in mlir.splitlines():
        m = _TOP.match(line)
        if m or line.startswith('  } {'):
            cid = re.search(r'remat\.checkpoint = (\d+) : i64', line)
            pol = re.search(r'remat\.policy = "(\w+)"', line)
            ops.append((line, m.group(1) if m else None, m.group(2) if m else 'tensor.pad',
                        int(cid.group(1)) if cid else None, pol.group(1) if pol else None))
    return ops


def strip_annotations(mlir):
    mlir = re.sub(r' \{remat\.checkpoint = \d+ : i64(, remat\.policy = "\w+")?\}', '', mlir)
    return re.sub(r', remat\.checkpoint = \d+ : i64(, remat\.policy = "\w+")?', '', mlir)


def loss_index(ops, mlir):
    """Index in `ops` of the op defining the step's loss (the first returned value)."""
    loss = re.search(r'^  return (%[A-Za-z0-9_]+)', mlir, re.M).group(1)
    return next(i for i, op in enumerate(ops) if op[1] == loss)


def check_regions(mlir, ids):
    ops = top_level_ops(mlir)
    tagged = [i for i, op in enumerate(ops) if op[3] is not None]
    assert sorted({ops[i][3] for i in tagged}) == ids
    end = loss_index(ops, mlir)
    forward_text = mlir[:mlir.index(ops[end][0])]
    for cid in ids:
        idx = [i for i in tagged if ops[i][3] == cid]
        # One checkpoint call: one run of consecutive forward ops. Scalar constants
        # aside, an op in the run without the id is read by no forward op (batch
        # norm's statistics, which only the backward reads, are backward ops to remat).
        inside = [op for op in ops[idx[0]:idx[-1] + 1] if op[2] != 'arith.constant']
        stray = [op[0][:100] for op in inside if op[3] != cid and
                 re.search(re.escape(op[1]) + r'\b',
                           forward_text[forward_text.index(op[0]) + len(op[0]):])]
        assert not stray, stray
        assert idx[-1] < end, 'a checkpointed op after the loss (in the backward)'
        assert any(op[2].startswith('linalg.') for op in inside)
    return ops


def test_checkpoint_regions():
    plain, mlir = export('none'), export('checkpoint')
    assert 'remat.' not in strip_annotations(mlir).replace('remat.loss', '').replace(
        'remat.flops', '')
    # One forward: the checkpointed step is the plain one plus annotations (the
    # backward reads the forward's values; nothing of the region is traced twice).
    assert strip_annotations(mlir) == plain
    ops = check_regions(mlir, [0, 1])
    assert not any(op[4] for op in ops), 'a plain checkpoint pins no single op'
    # Each region is a whole block: the same number of ops as the block before it.
    sizes = [sum(1 for op in ops if op[3] == cid) for cid in (0, 1)]
    assert sizes[0] == sizes[1] > 0


def test_checkpoint_sequential_regions():
    mlir = export('sequential')
    assert strip_annotations(mlir) == export('none')
    # checkpoint_sequential(blocks, 2): the first segment is checkpointed, the last is not.
    check_regions(mlir, [0])


def test_inplace_ops_in_regions():
    """The region caches the batch norm's output before ReLU(inplace=True)
    updates it; the backward must read the updated value, as without the checkpoint
    (and batch norm's running-statistics updates inside the region are dropped)."""
    mlir = export('conv')
    assert strip_annotations(mlir) == export('conv-none')
    check_regions(mlir, [0, 1, 2])


def test_selective_policies():
    mlir = export('sac')
    assert strip_annotations(mlir) == export('none')
    ops = check_regions(mlir, [0, 1])
    for cid in (0, 1):
        pinned = [(op[2], op[4]) for op in ops if op[3] == cid and op[4]]
        # Per block: two addmm (MUST_SAVE) and one mul (PREFER_SAVE) saved, tanh
        # (MUST_RECOMPUTE) recomputed; PREFER_RECOMPUTE leaves the region's default.
        assert sorted(p for _, p in pinned) == ['recompute', 'save', 'save', 'save'], pinned
        assert all(name.startswith('linalg.') for name, _ in pinned), pinned
    saved = [op[0] for op in ops if op[4] == 'save']
    assert all('remat.checkpoint' in line for line in saved)
    assert sum('v_addmm' in line.split(' = ')[0] for line in saved) == 4, saved
    assert sum('v_tanh' in op[1] for op in ops if op[4] == 'recompute') == 2


def test_reentrant_checkpoint_is_refused():
    class Reentrant(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 3)

        def forward(self, x):
            return self.b(checkpoint(self.a, x, use_reentrant=True))

    with pytest.raises(exporter.ExportError, match=r'use_reentrant=False.*test_checkpoint\.py'):
        exporter.export_training_step(Reentrant(), F.cross_entropy,
                                      (torch.randn(2, 4), torch.tensor([0, 2])))


# ---- the manual plan: torch's own plan, run ----

def _remat_opt(*args):
    if not os.access(REMAT_OPT, os.X_OK):
        pytest.fail('remat-opt not built at %s (set REMAT_OPT)' % REMAT_OPT)
    r = subprocess.run([REMAT_OPT] + list(args), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


@pytest.mark.parametrize('mode', ['checkpoint', 'sac', 'sequential', 'conv'])
def test_manual_plan_matches_eager(mode, tmp_path):
    """solver=manual applies the exported regions and policies: it recomputes
    (regions are not free), pins what the policies say, and the planned step,
    run with mlir-runner, gives float64 eager PyTorch's loss and gradients
    (eager runs the same torch.utils.checkpoint calls)."""
    model, inputs, loss_fn = make(mode)
    ref = eager_loss_and_grads(copy.deepcopy(model).double(), [_double(t) for t in inputs],
                               loss_fn)
    step = tmp_path / 'step.mlir'
    step.write_text(exporter.export_training_step(model, loss_fn, inputs))
    plan, planned = tmp_path / 'plan.json', tmp_path / 'planned.mlir'
    _remat_opt(str(step), '--remat-checkpoint=solver=manual plan-file=%s' % plan,
               '--remat-inline-recompute', '--mlir-print-local-scope', '-o', str(planned))
    entry = json.loads(plan.read_text())[0]
    assert entry['solver'] == 'manual'
    assert entry['recompute_flops'] > 0
    if mode == 'sac':
        assert entry['pinned_save'] > 0 and entry['pinned_recompute'] > 0
    named = [p for _, p in model.named_parameters()]
    args = ([(p.detach().numpy(), 'f32') for p in named]
            + [(b.numpy(), {torch.float32: 'f32', torch.int64: 'i64'}[b.dtype])
               for _, b in model.named_buffers()]
            + [(inputs[0].numpy(), 'f32'), (inputs[1].numpy(), 'i64')])
    types = ['tensor<f32>'] + ['tensor<%sf32>' % ''.join('%dx' % d for d in p.shape)
                               for p in named]
    body = planned.read_text().strip()          # the function, out of its printed module
    body = body[body.index('{') + 1:body.rindex('}')]
    got = run_train_step(body, args, types, tmp_path)
    for name, g, w in zip(['loss'] + [n for n, _ in model.named_parameters()], got, ref):
        w = w.numpy().ravel()
        assert np.abs(g - w).max() <= 1e-3 * np.abs(w).max() + 1e-6, name


@pytest.mark.parametrize('mode', ['checkpoint', 'sac'])
def test_manual_plan_runs_with_remat_run(mode, tmp_path):
    """remat-run compiles the manual plan; its measured peak is the predicted
    one to the byte, below the unplanned step's, and every result is bitwise
    the unplanned step's."""
    if not os.access(REMAT_RUN, os.X_OK):
        pytest.fail('remat-run not built at %s' % REMAT_RUN)
    step = tmp_path / 'step.mlir'
    step.write_text(export(mode))

    def run(*extra):
        r = subprocess.run([sys.executable, REMAT_RUN, str(step), '--check-peak', '0'] +
                           list(extra), capture_output=True, text=True)
        assert r.returncode == 0, r.stdout[-1000:] + r.stderr[-2000:]
        hashes = re.findall(r'^result \d+ \S+ fnv1a64 (\w+)$', r.stdout, re.M)
        peak = int(re.search(r'^peak_bytes (\d+)$', r.stdout, re.M).group(1))
        return hashes, peak

    unplanned, unplanned_peak = run()
    manual, manual_peak = run('--budget', '1.0', '--solver', 'manual')
    assert manual == unplanned and len(manual) == 1 + 2 + 4 * 5 + 2
    # Saving the matmuls and the products, the SAC blocks stash as much as before.
    assert manual_peak < unplanned_peak if mode == 'checkpoint' else manual_peak <= unplanned_peak
