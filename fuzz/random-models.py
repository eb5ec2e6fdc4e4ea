#!/usr/bin/env python3
"""Random small PyTorch models through remat's two PyTorch routes, each
result checked (docs/fuzzing.md, "Random PyTorch models").

    random-models.py REMAT_OPT REMAT_RUN [--count N] [--seconds S] [--seed K]
                     [--route export|compile|both] [--points P] [--workdir DIR]

Each model is drawn from a seed: a convolutional network (Conv2d 1x1/3x3,
stride 1 or 2, batch or group norm or none, pooling, residual blocks, a
global-pool or flattened head), a transformer (linear embedding, pre-norm
attention blocks through F.scaled_dot_product_attention, causal or not, MLP
blocks), a recurrent model (an embedding of token ids, GRU or LSTM, a head
on the last step), an MLP (LayerNorm or BatchNorm1d between layers), a small
U-Net (pooling down, a transposed convolution or nearest/bilinear
interpolation up, the skip concatenated) or a text CNN (embedding, Conv1d,
batch norm or none, mean or max over time), with
one of ten activations and one of four losses (cross entropy with a target
built inside the step, MSE, smooth L1, a log-softmax pick). A third of the
convolutional, transformer and MLP models also train with dropout after their
activations (a stream of draws of its own, so the other choices of a seed
stay what they were). Then

- export (remat.exporter.export_training_step): the step is planned at P
  budgets from its smallest feasible one to its unplanned peak and every plan
  run (test/Execution/Inputs/budget_sweep.py: planned = rewritten = measured
  peak to the byte, results bitwise the unplanned step's, cost monotone);
- compile: torch.compile with remat.exporter.compile.partition at activation
  budgets 0, 0.4 and 1, two SGD steps each beside a copy compiled with
  PyTorch's default partition of the same graph: the losses, every gradient
  and every floating buffer (batch-norm statistics) within 1e-6 of its
  magnitude (recomputation changes no value; both copies draw their dropout
  masks after one seed), and the losses and gradients within 1e-3 of float64
  eager's (the decompositions), not for models with dropout (eager draws its
  masks another way).

It stops after N models or S seconds (at least one model; the same models on
every run: seeds K, K+1, ...), prints a line per check and a summary, and
exits 1 at the first broken promise (an export error counts: every op the
models draw is one the exporter covers).
"""
import argparse
import copy
import os
import random
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, os.path.join(ROOT, 'python-bindings'))
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ACTIVATIONS = [nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.Hardswish,
               lambda: nn.LeakyReLU(0.1), nn.ELU, nn.Softplus, nn.Mish]


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class Attention(nn.Module):
    def __init__(self, d, heads, causal):
        super().__init__()
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.heads, self.causal = heads, causal

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for z in self.qkv(x).chunk(3, -1))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.o(y.transpose(1, 2).reshape(b, t, d))


class Recurrent(nn.Module):
    def __init__(self, cell, vocab, d, hidden, layers):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.rnn = cell(d, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 5)

    def forward(self, ids):
        out, _ = self.rnn(self.embed(ids))
        return self.head(out[:, -1])


def dropout_after(d):
    """A function that appends dropout to a list of layers where the seed's
    dropout stream `d` (None: no dropout) says so."""
    p = d.choice([0.1, 0.25, 0.5]) if d else 0

    def add(layers):
        if p and d.random() < 0.6:
            layers.append(nn.Dropout(p))
    return add


def conv_model(r, d=None):
    dropout = dropout_after(d)
    c, h, layers = r.choice([3, 4]), 8, []
    x = torch.randn(2, c, h, h)
    for _ in range(r.randint(1, 4)):
        co, k = r.choice([4, 6, 8]), r.choice([1, 3])
        stride = r.choice([1, 1, 2]) if h >= 4 else 1
        block = [nn.Conv2d(c, co, k, stride=stride, padding=k // 2, bias=r.random() < 0.5)]
        norm = r.choice(['batch', 'group', 'none'])
        if norm == 'batch':
            block.append(nn.BatchNorm2d(co))
        elif norm == 'group':
            block.append(nn.GroupNorm(2, co))
        block.append(r.choice(ACTIVATIONS)())
        dropout(block)
        residual = co == c and stride == 1 and r.random() < 0.5
        layers.append(Residual(nn.Sequential(*block)) if residual else nn.Sequential(*block))
        c, h = co, (h + 2 * (k // 2) - k) // stride + 1
        if h >= 4 and r.random() < 0.3:
            layers.append(r.choice([nn.MaxPool2d(2), nn.AvgPool2d(2)]))
            h //= 2
    pooled = r.random() < 0.5
    layers += [nn.AdaptiveAvgPool2d(1) if pooled else nn.Identity(), nn.Flatten(),
               nn.Linear(c * (1 if pooled else h * h), 5)]
    return nn.Sequential(*layers), x


def transformer_model(r, drops=None):
    dropout = dropout_after(drops)
    d, t, heads = r.choice([8, 16]), r.choice([4, 6]), r.choice([1, 2])
    layers = [nn.Linear(5, d)]
    for _ in range(r.randint(1, 3)):
        layers.append(Residual(nn.Sequential(nn.LayerNorm(d),
                                             Attention(d, heads, r.random() < 0.5))))
        hidden = r.choice([d, 2 * d])
        mlp = [nn.LayerNorm(d), nn.Linear(d, hidden), r.choice(ACTIVATIONS)()]
        dropout(mlp)
        layers.append(Residual(nn.Sequential(*mlp, nn.Linear(hidden, d))))
    layers += [nn.LayerNorm(d), nn.Flatten(), nn.Linear(d * t, 5)]
    return nn.Sequential(*layers), torch.randn(2, t, 5)


def recurrent_model(r):
    vocab, t = 11, r.choice([3, 5])
    model = Recurrent(r.choice([nn.GRU, nn.LSTM]), vocab, r.choice([4, 8]), r.choice([4, 8]),
                      r.choice([1, 2]))
    return model, torch.randint(0, vocab, (2, t))


def mlp_model(r, d=None):
    dropout = dropout_after(d)
    width, layers = 5, []
    for _ in range(r.randint(1, 5)):
        out = r.choice([4, 8, 12, 16])
        layers += [nn.Linear(width, out, bias=r.random() < 0.7), r.choice(ACTIVATIONS)()]
        dropout(layers)
        if r.random() < 0.3:
            layers.append(r.choice([nn.LayerNorm(out), nn.BatchNorm1d(out)]))
        width = out
    layers.append(nn.Linear(width, 5))
    return nn.Sequential(*layers), torch.randn(3, 5)



class UNetLike(nn.Module):
    def __init__(self, r):
        super().__init__()
        c = r.choice([4, 6])
        self.down = nn.Sequential(nn.Conv2d(3, c, 3, padding=1), r.choice(ACTIVATIONS)())
        self.pool = r.choice([nn.MaxPool2d(2), nn.AvgPool2d(2)])
        self.mid = nn.Sequential(nn.Conv2d(c, 2 * c, 3, padding=1), r.choice(ACTIVATIONS)())
        self.transposed = r.random() < 0.5
        self.up = (nn.ConvTranspose2d(2 * c, c, 2, stride=2) if self.transposed
                   else nn.Conv2d(2 * c, c, 1))
        self.mode = r.choice(['nearest', 'bilinear'])
        self.out = nn.Conv2d(2 * c, 5, 1)

    def forward(self, x):
        a = self.down(x)
        b = self.mid(self.pool(a))
        u = self.up(b) if self.transposed else self.up(F.interpolate(b, scale_factor=2, mode=self.mode))
        return self.out(torch.cat([a, u], 1)).mean((2, 3))


class TextConv(nn.Module):
    def __init__(self, r):
        super().__init__()
        d = r.choice([4, 8])
        self.embed = nn.Embedding(13, d)
        self.conv = nn.Conv1d(d, 8, r.choice([2, 3]), padding=1)
        self.act = r.choice(ACTIVATIONS)()
        self.norm = r.choice([nn.BatchNorm1d(8), nn.Identity()])
        self.head = nn.Linear(8, 5)

    def forward(self, ids):
        h = self.act(self.norm(self.conv(self.embed(ids).transpose(1, 2))))
        return self.head(h.amax(-1) if isinstance(self.norm, nn.Identity) else h.mean(-1))


def unet_model(r):
    return UNetLike(r), torch.randn(2, 3, 8, 8)


def textconv_model(r):
    return TextConv(r), torch.randint(0, 13, (2, 7))


KINDS = {'conv': conv_model, 'transformer': transformer_model, 'recurrent': recurrent_model,
         'mlp': mlp_model, 'unet': unet_model, 'textconv': textconv_model}


def loss_of(r):
    kind = r.choice(['cross_entropy', 'mse', 'smooth_l1', 'log_softmax'])
    if kind == 'cross_entropy':   # the target a tensor built inside the step
        return kind, lambda o: F.cross_entropy(o, torch.tensor([1, 3, 0][:o.shape[0]]))
    if kind == 'mse':
        return kind, lambda o: F.mse_loss(o, torch.full_like(o, 0.5))
    if kind == 'smooth_l1':
        return kind, lambda o: F.smooth_l1_loss(o, torch.zeros_like(o))
    return kind, lambda o: -F.log_softmax(o, -1)[:, 2].mean()


WITH_DROPOUT = {'conv', 'transformer', 'mlp'}


def has_dropout(model):
    return any(isinstance(m, nn.Dropout) and m.p > 0 for m in model.modules())


def draw(seed):
    """(description, model, input, loss function) of one seed."""
    r = random.Random(seed)
    torch.manual_seed(seed)
    kind = r.choice(sorted(KINDS))
    # Dropout's choices come from a stream of their own: without them the
    # seed draws the model it drew before they were added.
    drops = random.Random('dropout %d' % seed)
    if kind in WITH_DROPOUT and drops.random() < 1 / 3:
        model, x = KINDS[kind](r, drops)
    else:
        model, x = KINDS[kind](r)
    if has_dropout(model):
        kind += '+dropout'
    loss_name, loss = loss_of(r)
    return '%s/%s' % (kind, loss_name), model, x, loss



class Broken(Exception):
    pass


def check_export(remat_opt, remat_run, model, x, loss, points, workdir):
    from remat import exporter
    step = os.path.join(workdir, 'step.mlir')
    with open(step, 'w') as f:
        f.write(exporter.export_training_step(model, loss, (x,)))
    sweep = os.path.join(ROOT, 'test', 'Execution', 'Inputs', 'budget_sweep.py')
    proc = subprocess.run([sys.executable, sweep,
                           remat_opt, remat_run, step, '--points', str(points),
                           '--workdir', workdir], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode:
        raise Broken('budget sweep of %s:\n%s%s' % (step, proc.stdout[-3000:], proc.stderr[-2000:]))
    return lines[-1] if lines else ''


def _close(a, b, rtol=1e-6):
    return float((a - b).abs().max()) <= rtol * float(b.abs().max()) + 1e-7


def check_compile(remat_opt, model, x, loss, budget):
    """Two SGD steps of the model compiled with remat's partition beside a copy
    compiled with PyTorch's default partition (everything saved) of the same
    decomposed graph: recomputation changes no value, so losses, gradients
    and floating buffers agree to 1e-6 of their magnitude; and both within
    1e-3 of float64 eager (the decompositions; float32 eager is no reference
    there: a bias gradient before batch norm over 3 samples differs from the
    decomposed graph's by 3e-4 of its largest element, model 128)."""
    from functorch.compile import make_boxed_func
    from torch._dynamo.backends.common import aot_autograd
    from torch._functorch.partitioners import default_partition
    from remat.exporter.compile import decompositions, partition
    torch._dynamo.reset()
    # One graph for the whole step: dynamo breaks at RNN modules otherwise
    # (the partition's error says so).
    torch._dynamo.config.allow_rnn = True
    mine, ref, plans = copy.deepcopy(model), copy.deepcopy(model), []
    exact = copy.deepcopy(model).double()
    x64 = x.double() if x.is_floating_point() else x
    run = lambda gm, _: make_boxed_func(gm)  # noqa: E731

    def compiled(module, partition_fn):
        return torch.compile(lambda x: loss(module(x)), backend=aot_autograd(
            fw_compiler=run, bw_compiler=run, decompositions=decompositions(),
            partition_fn=partition_fn))
    step = compiled(mine, partition(budget=budget, remat_opt=remat_opt,
                                    on_plan=lambda e, s: plans.append(e)))
    reference = compiled(ref, default_partition)
    # Eager draws dropout's masks another way than the decomposed graph:
    # float64 eager is no reference for those models.
    eager = not has_dropout(model)
    for i in range(2):
        mine.zero_grad()
        ref.zero_grad()
        # The same masks in both: the graph is the same, and so its draws.
        torch.manual_seed(1000 + i)
        got = step(x)
        got.backward()
        torch.manual_seed(1000 + i)
        want = reference(x)
        want.backward()
        exact.zero_grad()
        want64 = loss(exact(x64))
        want64.backward()
        off = [] if _close(got.detach(), want.detach()) else ['loss']
        if eager:
            off += [] if _close(got.detach().double(), want64.detach(), 1e-3) \
                else ['loss (float64)']
            off += ['%s (float64)' % n for (n, p), q in zip(mine.named_parameters(),
                                                              exact.parameters())
                    if p.grad is None or not _close(p.grad.double(), q.grad, 1e-3)]
        off += [n for (n, p), q in zip(mine.named_parameters(), ref.parameters())
                if p.grad is None or not _close(p.grad, q.grad)]
        off += [n for (n, a), b in zip(mine.named_buffers(), ref.buffers())
                if a.dtype.is_floating_point and not _close(a, b)]
        if off:
            raise Broken('step %d at activation budget %s: off from the default partition '
                         '(or from float64 eager, marked): %s' % (i, budget, ', '.join(off[:10])))
        with torch.no_grad():
            for p, q, e in zip(mine.parameters(), ref.parameters(), exact.parameters()):
                p -= 0.05 * p.grad
                q -= 0.05 * q.grad
                e -= 0.05 * e.grad
    if len(plans) != 1:
        raise Broken('%d plans at activation budget %s (one graph, planned once)'
                     % (len(plans), budget))
    return plans[0]['planned_peak_bytes']


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('remat_opt')
    parser.add_argument('remat_run')
    parser.add_argument('--count', type=int, default=20)
    parser.add_argument('--seconds', type=float, default=600)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--route', choices=['export', 'compile', 'both'], default='both')
    parser.add_argument('--points', type=int, default=8)
    parser.add_argument('--workdir')
    args = parser.parse_args()
    workdir = args.workdir or os.path.join('/tmp', 'remat-random-models')
    begin, models, checks = time.time(), 0, 0
    for seed in range(args.seed, args.seed + args.count):
        if models and time.time() - begin > args.seconds:
            break
        what, model, x, loss = draw(seed)
        here = os.path.join(workdir, 'model%d' % seed)
        os.makedirs(here, exist_ok=True)
        try:
            if args.route in ('export', 'both'):
                print('model %d (%s) export: %s' % (seed, what, check_export(
                    args.remat_opt, args.remat_run, model, x, loss, args.points, here)),
                    flush=True)
                checks += 1
            if args.route in ('compile', 'both'):
                peaks = [check_compile(args.remat_opt, model, x, loss, b) for b in (0.0, 0.4, 1.0)]
                print('model %d (%s) compile: planned peaks %s bytes at 0 / 0.4 / 1, losses and '
                      'gradients as the default partition\'s' % (seed, what,
                                                                 ' / '.join(map(str, peaks))),
                      flush=True)
                checks += 1
        except Exception as e:   # Broken, an export error, a crash of the partition
            print('FAIL: model %d (%s): %s: %s' % (seed, what, type(e).__name__, e))
            sys.exit(1)
        models += 1
    print('PASS: %d models, %d checks in %.0f s' % (models, checks, time.time() - begin))


if __name__ == '__main__':
    main()
