#!/usr/bin/env python3
"""CPU step time of remat's lowered training steps next to PyTorch's.

For each step (the 6-layer residual MLP, tiny_convnet, tiny_gpt_block,
transformer_block) it builds remat-run executables unplanned and planned at
0.9, 0.7, 0.5 of the unplanned peak and at the smallest feasible budget, and
times them against the same model in PyTorch eager (loss and
torch.autograd.grad of every parameter) and, where it works, torch.compile,
all at the same thread count. The measurements are interleaved: each round
times every configuration once (min of `repeat` steps), and a configuration's
figure is its min over the rounds, so load on a shared machine hits all of
them alike.

    python3 bench/speed/run.py [--threads 2] [--rounds 5] [--repeat 30]
        [--steps residual_mlp,...] [--no-compile] [--json FILE] [--doc]

--json writes the figures (default bench/speed/results.json); --doc writes
the table and the plot into docs/benchmarks.md and docs/img/speed.png.
Other scripts call measure(), which returns the same dictionary.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get('REMAT_BUILD_DIR', os.path.join(ROOT, 'build'))
REMAT_RUN = os.path.join(BUILD, 'bin', 'remat-run')
REMAT_OPT = os.path.join(BUILD, 'bin', 'remat-opt')

# The held-out residual MLP of issue 14: 6 layers h + tanh(h @ w[i] + b[i]),
# batch 512, width 64 (examples/gen_examples.py --residual-mlp 6,512,64).
RESIDUAL_MLP = os.path.join(ROOT, 'examples', 'residual_mlp_6x512x64', 'loops',
                            'residual_mlp_unrolled.mlir')
STEP_FILES = {
    'residual_mlp': RESIDUAL_MLP,
    'tiny_convnet': os.path.join(ROOT, 'bench', 'graphs', 'tiny_convnet.mlir'),
    'tiny_gpt_block': os.path.join(ROOT, 'bench', 'graphs', 'tiny_gpt_block.mlir'),
    'transformer_block': os.path.join(ROOT, 'examples', 'transformer_block.mlir'),
}
FRACTIONS = ['0.9', '0.7', '0.5']
DOC_BEGIN = '<!-- speed: begin (bench/speed/run.py --doc) -->'
DOC_END = '<!-- speed: end -->'


# ---- remat ---------------------------------------------------------------------

def _run(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def _budgets(step):
    """(label, budget text or None) per configuration; infeasible fractions
    are left out, with their reason, by the caller's table."""
    _, out = _run([REMAT_OPT, step, '-o', os.devnull, '--remat-checkpoint=budget=1'])
    match = re.search(r'smallest feasible budget for this step, (\d+) bytes.*'
                      r'the unplanned peak is (\d+) bytes', out)
    if not match:
        raise RuntimeError('no smallest feasible budget for %s:\n%s' % (step, out))
    smallest, unplanned = int(match.group(1)), int(match.group(2))
    configs = [('unplanned', None)]
    for fraction in FRACTIONS:
        if float(fraction) * unplanned >= smallest:
            configs.append((fraction, fraction))
    configs.append(('smallest', str(smallest)))
    return configs, smallest, unplanned


def _parse(out):
    values = dict(re.findall(r'^(\w+) (\S+)$', out, re.M))
    results = [line for line in out.splitlines() if line.startswith('result ')]
    return values, results


def build_remat(step, workdir, lowering=None):
    """Executables of `step`, unplanned and at each budget: {label: path}, and
    the budgets' bytes."""
    configs, smallest, unplanned = _budgets(step)
    exes = {}
    for label, budget in configs:
        exe = os.path.join(workdir, label)
        cmd = [REMAT_RUN, step, '--compile-only', '-o', exe]
        if budget:
            cmd += ['--budget', budget]
        if lowering:
            cmd += ['--lowering', lowering]
        code, out = _run(cmd)
        if code:
            raise RuntimeError('%s at %s: %s' % (step, label, out))
        exes[label] = exe
    return exes, {'smallest_bytes': smallest, 'unplanned_bytes': unplanned}


def time_remat(exe, repeat, threads):
    # The thread count through the environment (StepMain's default), which
    # executables built before --threads existed ignore.
    code, out = _run([exe, '--repeat', str(repeat), '--check-peak', '0'],
                     env=dict(os.environ, REMAT_NUM_THREADS=str(threads)))
    values, results = _parse(out)
    return {'ms': float(values['step_ms_min']), 'peak_ok': code == 0,
            'peak_bytes': int(values['peak_bytes']), 'results': results}


# ---- PyTorch -------------------------------------------------------------------

def _torch_steps():
    """name -> () -> (loss function of the parameters, the parameters): the
    same models and sizes as the MLIR steps, random values."""
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.join(ROOT, 'bench', 'torch'))
    import models

    def residual_mlp(layers=6, batch=512, width=64):
        g = torch.Generator().manual_seed(0)
        w = (torch.randn(layers, width, width, generator=g) / 8).requires_grad_()
        b = torch.randn(layers, width, generator=g).requires_grad_()
        x, y = torch.randn(batch, width, generator=g), torch.randn(batch, width, generator=g)

        def loss(w, b):
            h = x
            for i in range(layers):
                h = h + torch.tanh(h @ w[i] + b[i])
            return ((h - y) ** 2).mean()
        return loss, [w, b]

    def transformer_block(batch=2, seq=32, d=64, heads=4, ffn=256):
        g = torch.Generator().manual_seed(0)

        def rand(*shape):
            return (torch.randn(*shape, generator=g) * 0.1).requires_grad_()
        p = [rand(d), rand(d), rand(d, d), rand(d, d), rand(d, d), rand(d, d), rand(d), rand(d),
             rand(d, ffn), rand(ffn), rand(ffn, d), rand(d)]
        x = torch.randn(batch * seq, d, generator=g)
        dh = d // heads

        def split(t):
            return t.view(batch, seq, heads, dh).transpose(1, 2)

        def loss(ln1_g, ln1_b, wq, wk, wv, wo, ln2_g, ln2_b, w1, b1, w2, b2):
            a1 = F.layer_norm(x, (d,), ln1_g, ln1_b, 1e-5)
            q, k, v = split(a1 @ wq), split(a1 @ wk), split(a1 @ wv)
            probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
            ctx = (probs @ v).transpose(1, 2).reshape(batch * seq, d)
            r1 = x + ctx @ wo
            a2 = F.layer_norm(r1, (d,), ln2_g, ln2_b, 1e-5)
            out = r1 + F.gelu(a2 @ w1 + b1, approximate='tanh') @ w2 + b2
            return (out ** 2).mean()
        return (lambda params: loss(*params)), p

    def fixture(name):
        def make():
            model, data, loss_fn = models.tiny_models()[name]
            params = list(model.parameters())
            names = [n for n, _ in model.named_parameters()]

            def loss(params):
                return loss_fn(torch.func.functional_call(
                    model, dict(zip(names, params)), data[:-1]), data[-1])
            return loss, params
        return make

    def unpack(make):
        def wrapped():
            loss, params = make()
            return (lambda ps: loss(*ps)), params
        return wrapped
    return {'residual_mlp': unpack(residual_mlp), 'transformer_block': transformer_block,
            'tiny_convnet': fixture('convnet'), 'tiny_gpt_block': fixture('gpt_block')}


def _torch_step(loss, params):
    import torch

    def step():
        value = loss(params)
        return value, torch.autograd.grad(value, params)
    return step


def time_torch(step, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def build_torch(name, use_compile):
    """{'eager': step, 'compile': step or the reason it is missing}."""
    import torch
    loss, params = _torch_steps()[name]()
    steps = {'eager': _torch_step(loss, params)}
    if use_compile:
        try:
            compiled = _torch_step(torch.compile(loss), params)
            for _ in range(3):   # compile and warm up
                compiled()
            steps['compile'] = compiled
        except Exception as e:   # noqa: BLE001 - reported in the table
            steps['compile'] = 'torch.compile failed: %s' % str(e).splitlines()[0][:120]
    for _ in range(3):
        steps['eager']()
    return steps


# ---- measuring -----------------------------------------------------------------

def conditions(threads):
    with open('/proc/loadavg') as f:
        load = f.read().split()[:3]
    model = ''
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    info = {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'load_average': load, 'cpus': os.cpu_count(), 'cpu': model,
            'threads': threads, 'python': platform.python_version()}
    try:
        import torch
        info['torch'] = torch.__version__
    except ImportError:
        pass
    return info


def measure(steps=None, threads=2, rounds=5, repeat=30, use_compile=True,
            workdir=None, lowering=None, log=print):
    """Step times in ms (min over rounds of the min of `repeat` steps):
    {'conditions': ..., 'steps': {name: {'remat': {label: ms}, 'eager': ms,
    'compile': ms or None, ...}}}. Labels: unplanned, 0.9, 0.7, 0.5 (where
    feasible), smallest."""
    import torch
    torch.set_num_threads(threads)
    steps = steps or list(STEP_FILES)
    workdir = workdir or tempfile.mkdtemp(prefix='remat-speed-')
    before = conditions(threads)
    built = {}
    for name in steps:
        log('building %s' % name)
        os.makedirs(os.path.join(workdir, name), exist_ok=True)
        exes, budget = build_remat(STEP_FILES[name], os.path.join(workdir, name), lowering)
        built[name] = (exes, budget, build_torch(name, use_compile))
    figures = {name: {'remat': {}, 'budgets': built[name][1], 'peak_ok': True,
                      'bitwise_as_unplanned': True} for name in steps}
    for r in range(rounds):
        log('round %d of %d' % (r + 1, rounds))
        for name in steps:
            exes, _, torch_steps = built[name]
            fig = figures[name]
            reference = None
            for label, exe in exes.items():
                run = time_remat(exe, repeat, threads)
                fig['remat'][label] = min(fig['remat'].get(label, math.inf), run['ms'])
                fig['peak_ok'] &= run['peak_ok']
                reference = reference or run['results']
                fig['bitwise_as_unplanned'] &= run['results'] == reference
            for kind, step in torch_steps.items():
                if isinstance(step, str):
                    fig[kind] = None
                    fig[kind + '_note'] = step
                else:
                    fig[kind] = min(fig.get(kind) or math.inf, time_torch(step, repeat))
    return {'conditions': {'before': before, 'after': conditions(threads),
                           'rounds': rounds, 'repeat': repeat},
            'steps': figures}


# ---- the document ---------------------------------------------------------------

def table(data):
    labels = ['unplanned'] + FRACTIONS + ['smallest']
    lines = ['| step | remat ' + ' | remat '.join(labels) +
             ' | eager | torch.compile | unplanned / eager |',
             '|---' * (len(labels) + 4) + '|']
    for name, fig in data['steps'].items():
        cells = [('%.3f' % fig['remat'][l]) if l in fig['remat'] else 'infeasible'
                 for l in labels]
        compiled = '%.3f' % fig['compile'] if fig.get('compile') else 'n/a'
        lines.append('| %s | %s | %.3f | %s | %.2fx |' % (
            name, ' | '.join(cells), fig['eager'], compiled,
            fig['remat']['unplanned'] / fig['eager']))
    return '\n'.join(lines)


def plot(data, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    labels = ['unplanned'] + FRACTIONS + ['smallest']
    names = list(data['steps'])
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.4))
    for ax, name in zip(axes if len(names) > 1 else [axes], names):
        f = data['steps'][name]
        bars = [(('remat ' + l), f['remat'][l]) for l in labels if l in f['remat']]
        bars += [('eager', f['eager'])]
        if f.get('compile'):
            bars += [('compile', f['compile'])]
        colors = ['tab:blue'] * (len(bars) - 1 - bool(f.get('compile'))) + \
            ['tab:orange'] + (['tab:green'] if f.get('compile') else [])
        ax.bar(range(len(bars)), [b[1] for b in bars], color=colors)
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels([b[0] for b in bars], rotation=60, ha='right', fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel('step ms (min)', fontsize=8)
    fig.suptitle('CPU step time, %d threads' % data['conditions']['before']['threads'],
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_doc(data, doc=os.path.join(ROOT, 'docs', 'benchmarks.md'),
              image=os.path.join(ROOT, 'docs', 'img', 'speed.png')):
    plot(data, image)
    c = data['conditions']
    text = '\n'.join([
        DOC_BEGIN, '',
        'Step time in ms, min over %d interleaved rounds of the min of %d steps '
        '(`python3 bench/speed/run.py --threads %d --doc`), %s, %d threads for '
        'remat (`--threads`, OpenBLAS) and PyTorch (`torch.set_num_threads`); '
        '%s, %d cores, torch %s; load average %s before and %s after (a shared '
        'machine: read ratios, not absolute times). Every remat run measured its '
        'predicted peak to the byte: %s; planned results bitwise the unplanned '
        'ones: %s.' % (
            c['rounds'], c['repeat'], c['before']['threads'], c['before']['date'],
            c['before']['threads'], c['before']['cpu'], c['before']['cpus'],
            c['before'].get('torch', '?'), ' '.join(c['before']['load_average']),
            ' '.join(c['after']['load_average']),
            'yes' if all(f['peak_ok'] for f in data['steps'].values()) else 'NO',
            'yes' if all(f['bitwise_as_unplanned'] for f in data['steps'].values())
            else 'NO'),
        '', table(data), '', '![CPU step time](img/speed.png)', '', DOC_END])
    with open(doc) as f:
        current = f.read()
    if DOC_BEGIN in current:
        start = current.index(DOC_BEGIN)
        end = current.index(DOC_END) + len(DOC_END)
        current = current[:start] + text + current[end:]
    else:
        current = current.rstrip('\n') + '\n\n## CPU step time against PyTorch\n\n' + \
            text + '\n'
    with open(doc, 'w') as f:
        f.write(current)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=30)
    parser.add_argument('--steps', help='comma-separated subset of %s' % ', '.join(STEP_FILES))
    parser.add_argument('--no-compile', action='store_true', help='leave torch.compile out')
    parser.add_argument('--lowering', help="remat-run's --lowering (e.g. another pipeline)")
    parser.add_argument('--json', default=os.path.join(HERE, 'results.json'))
    parser.add_argument('--doc', action='store_true',
                        help='write the table and plot into docs/benchmarks.md')
    args = parser.parse_args(argv)
    data = measure(args.steps.split(',') if args.steps else None, args.threads,
                   args.rounds, args.repeat, not args.no_compile, lowering=args.lowering,
                   log=lambda m: print(m, file=sys.stderr))
    for fig in data['steps'].values():
        fig.pop('results', None)
    with open(args.json, 'w') as f:
        json.dump(data, f, indent=1)
    print(table(data))
    if args.doc:
        write_doc(data)


if __name__ == '__main__':
    main()
