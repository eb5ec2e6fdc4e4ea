"""Random draws as arguments: dropout and stochastic depth in training mode, and
randn_like / rand_like noise.

The exported step takes each draw as an argument after the batch
(`step.random_inputs`, in trace order); run compiled by remat-run on draws
made with RandomInput.draw, its loss and gradients match float64 eager
PyTorch's with the same draws replayed, and planned at a budget that
recomputes, its results are bitwise the unplanned step's (a recompute reads
the mask the forward used).

Run: python3 -m pytest test/exporter-py/test_random_inputs.py
"""

import contextlib
import copy
import os
import re

import numpy as np
import pytest

torch = pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); '
                            'the exporter tests need it')
nn, F = torch.nn, torch.nn.functional

from gradcheck import ROOT, _compare, eager_loss_and_grads, exporter, run_remat_run  # noqa: E402


def _stochastic_depth(x, p):
    """torchvision.ops.stochastic_depth's row mode (no torchvision needed)."""
    survival = 1.0 - p
    noise = torch.empty([x.shape[0]] + [1] * (x.dim() - 1), dtype=x.dtype).bernoulli_(survival)
    return x * noise.div_(survival)


class NoisyResidualNet(nn.Module):
    """Residual blocks with dropout inside and stochastic depth on the branch,
    Gaussian noise on the input (a denoising objective's), uniform jitter on
    the head's input."""

    def __init__(self, width=16, depth=3):
        super().__init__()
        self.inp = nn.Linear(8, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.GELU(),
                                                  nn.Dropout(0.25), nn.Linear(width, width))
                                    for _ in range(depth))
        self.head = nn.Linear(width, 5)

    def forward(self, x):
        h = torch.tanh(self.inp(x + 0.1 * torch.randn_like(x)))
        for k, block in enumerate(self.blocks):
            h = h + _stochastic_depth(block(h), 0.2 + 0.1 * k)
        return self.head(h * (0.9 + 0.2 * torch.rand_like(h)))


@contextlib.contextmanager
def _replayed(draws):
    """Eager PyTorch drawing `draws` in order instead of sampling: F.dropout
    (PyTorch's own formula, x * mask / (1 - p)), Tensor.bernoulli_,
    randn_like and rand_like."""
    queue = list(draws)

    def take(like):
        value = queue.pop(0)
        assert tuple(value.shape) == tuple(like.shape), (value.shape, like.shape)
        return value.to(like.dtype)

    def dropout(x, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return x
        return x * take(x) / (1 - p)

    saved = (F.dropout, torch.Tensor.bernoulli_, torch.randn_like, torch.rand_like)
    F.dropout = dropout
    torch.Tensor.bernoulli_ = lambda self, p=0.5, generator=None: self.copy_(take(self))
    torch.randn_like = lambda x, **kw: take(x)
    torch.rand_like = lambda x, **kw: take(x)
    try:
        yield
    finally:
        F.dropout, torch.Tensor.bernoulli_, torch.randn_like, torch.rand_like = saved
    assert not queue, '%d draws left over' % len(queue)


def test_draws_become_arguments_and_match_eager(tmp_path):
    torch.manual_seed(0)
    model = NoisyResidualNet()
    x, y = torch.randn(64, 8), torch.randint(0, 5, (64,))
    step = exporter.trace_training_step(model, F.cross_entropy, (x, y))
    draws = step.random_inputs
    # The input noise, three dropout masks and three stochastic-depth masks
    # (one per row) in trace order, then the head's jitter.
    kinds = [(d.distribution, d.p, d.shape) for d in draws]
    want = [('normal', None, (64, 8))]
    for j in range(3):
        want += [('bernoulli', 0.75, (64, 16)), ('bernoulli', pytest.approx(0.8 - 0.1 * j), (64, 1))]
    assert kinds == want + [('uniform', None, (64, 16))], kinds
    assert step.arg_names[-len(draws):] == [d.name for d in draws]
    text, _ = exporter.emit_step(step)
    src = tmp_path / 'step.mlir'
    src.write_text(text)

    gen = torch.Generator().manual_seed(1)
    samples = [d.draw(gen) for d in draws]
    # Some of every mask is dropped and some kept (else it would prove little).
    for d, s in zip(draws, samples):
        if d.distribution == 'bernoulli' and s.numel() > 1:
            assert 0 < float(s.sum()) < s.numel(), d
    params = [p.detach() for _, p in model.named_parameters()]
    args = params + [x, y] + samples

    ref_model = copy.deepcopy(model).double()
    with _replayed([s.double() for s in samples]):
        ref = eager_loss_and_grads(ref_model, [x.double(), y], F.cross_entropy)
    names = ['loss'] + [n for n, _ in model.named_parameters()]

    results, peaks = {}, {}
    for budget in (None, '0.8'):
        prefix, report = run_remat_run(src, args, budget, tmp_path,
                                       'planned' if budget else 'plain')
        peaks[budget] = int(re.search(r'^predicted_peak_bytes (\d+)$', report, re.M).group(1))
        files = ['%sresult%d.bin' % (prefix, i) for i in range(len(names))]
        got = [np.fromfile(f, dtype=np.float32).astype(np.float64) for f in files]
        _compare(names, got, ref, 1e-4)
        results[budget] = [open(f, 'rb').read() for f in files]
    assert peaks['0.8'] < peaks[None], peaks
    assert results[None] == results['0.8'], 'the planned step gives other results'


def test_computed_probabilities_draw_uniforms_and_other_draws_are_named():
    """torch.bernoulli of probabilities the step computes decomposes into a
    uniform draw compared with them: the draw becomes the argument. A draw the
    exporter cannot make an argument (multinomial) stops the export, named."""
    class Gate(nn.Module):
        def __init__(self, sample):
            super().__init__()
            self.l = nn.Linear(4, 4)
            self.sample = sample

        def forward(self, x):
            return self.l(x) * self.sample(torch.sigmoid(self.l(x))).detach()

    x = torch.randn(3, 4)
    step = exporter.trace_training_step(Gate(torch.bernoulli), lambda out: out.sum(), (x,))
    assert [(d.distribution, d.shape) for d in step.random_inputs] == [('uniform', (3, 4))]
    with pytest.raises(exporter.ExportError, match=r'multinomial.*random: the exporter'):
        exporter.export_training_step(
            Gate(lambda p: torch.multinomial(p, 4, replacement=True).float()),
            lambda out: out.sum(), (x,))


def test_compile_route_saves_the_draws():
    """torch.compile with remat's partition on the same model: the draws are
    saved for the backward whatever the plan (a recompute that drew again
    would give other gradients), so under one seed the loss and gradients
    equal those of PyTorch's default partition (everything saved)."""
    remat_opt = os.environ.get('REMAT_OPT', os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
    if not os.access(remat_opt, os.X_OK):
        pytest.skip('remat-opt not built at %s (set REMAT_OPT)' % remat_opt)
    from functorch.compile import make_boxed_func
    from torch._dynamo.backends.common import aot_autograd
    from torch._functorch.partitioners import default_partition
    from remat.exporter.compile import decompositions, partition
    torch.manual_seed(0)
    model = NoisyResidualNet()
    x, y = torch.randn(64, 8), torch.randint(0, 5, (64,))
    run = lambda gm, _: make_boxed_func(gm)  # noqa: E731
    plans, outcomes = [], []
    for partition_fn in (partition(budget=0.2, remat_opt=remat_opt,
                                   on_plan=lambda entry, saved: plans.append(entry)),
                         default_partition):
        torch._dynamo.reset()
        mine = copy.deepcopy(model)
        step = torch.compile(lambda x, y: F.cross_entropy(mine(x), y), backend=aot_autograd(
            fw_compiler=run, bw_compiler=run, partition_fn=partition_fn,
            decompositions=decompositions()))
        torch.manual_seed(5)
        loss = step(x, y)
        loss.backward()
        outcomes.append([loss.detach()] + [p.grad for p in mine.parameters()])
    assert plans and plans[0]['recompute_flops'] > 0, plans
    for got, want in zip(*outcomes):
        assert torch.allclose(got, want, rtol=1e-6, atol=1e-7), (got - want).abs().max()
