#!/usr/bin/env python3
"""GPU step time of remat's lowered training steps next to PyTorch eager on CUDA.

Two modes, because remat builds where LLVM/MLIR 22 is (here) and the GPU is
elsewhere (scripts/device-check.sh carries the prepared folder there):

    python3 bench/gpu/run.py --prepare DIR [--steps a,b] [--chip sm_90]
        Here: for each step, the remat-run executables (GPU: cuBLAS GEMMs,
        the same with cublas=false, i.e. loops only, and planned at the
        smallest feasible budget, whose results must be bitwise the
        unplanned ones), the CPU executable's results for the
        same seeded inputs (--dump: the numeric reference), and manifest.json.
    python3 bench/gpu/run.py DIR [--repeat 50] [--json FILE]
        There (python3 with torch and a CUDA device): runs every executable,
        checks that the measured device peak is the predicted one and that the
        GPU results match the CPU ones (bench/gpu/compare.py, 1e-3: float32
        sums in another order), and times the same
        models in PyTorch eager on the GPU (loss and torch.autograd.grad of
        every parameter; TF32 off, as remat's cuBLAS calls). Prints a markdown
        table and exits 1 on a failed check.

The steps are the exported fixtures of bench/graphs whose PyTorch models are
in bench/torch/models.py. GPT-2 small (124M parameters, batch 4, seq 256) is
timed only: no CPU reference (its gradients are 500 MB), no planned variant,
at most 10 repeats (the loops-only build is slow). Timings: step_ms_min of `--repeat` steps for remat
(StepMain: each step synchronous, arguments resident), min over as many
synchronized eager steps for PyTorch, after warm-up.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import compare  # noqa: E402
MANIFEST = 'manifest.json'
STEPS = ['tiny_mlp', 'tiny_convnet', 'tiny_gpt_block', 'gpt2_mini', 'gpt2_small']
LARGE = {'gpt2_small'}
# What each step is built as for the GPU: cuBLAS, loops only, and cuBLAS
# planned at the smallest feasible budget (the most recomputation).
VARIANTS = ['cublas', 'loops', 'smallest']


# ---- prepare (build machine) -------------------------------------------------

def _run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def smallest_budget(remat_opt, source):
    """The smallest feasible budget in bytes, as remat-checkpoint names it."""
    _, out = _run([remat_opt, source, '-o', os.devnull, '--remat-checkpoint=budget=1'])
    match = re.search(r'smallest feasible budget for this step, (\d+) bytes', out)
    if not match:
        raise SystemExit('bench/gpu: no smallest feasible budget for %s:\n%s' % (source, out))
    return match.group(1)


def variant_options(label, remat_opt, source):
    if label == 'loops':
        return ['--pipeline-options', 'cublas=false']
    if label == 'smallest':
        return ['--budget', smallest_budget(remat_opt, source)]
    return []


def prepare(opts):
    remat_run = os.path.join(opts.build, 'bin', 'remat-run')
    remat_opt = os.path.join(opts.build, 'bin', 'remat-opt')
    os.makedirs(opts.dir, exist_ok=True)
    entries = []
    for step in opts.steps.split(','):
        source = os.path.join(ROOT, 'bench', 'graphs', step + '.mlir')
        entry = {'step': step, 'variants': {}}
        for label in VARIANTS:
            if step in LARGE and label == 'smallest':
                continue
            exe = '%s.%s' % (step, label)
            start = time.time()
            code, out = _run([remat_run, '--target', 'nvvm', '--chip', opts.chip,
                              '--compile-only', '-o', os.path.join(opts.dir, exe), source]
                             + variant_options(label, remat_opt, source))
            if code:
                raise SystemExit('bench/gpu: building %s failed:\n%s' % (exe, out))
            entry['variants'][label] = exe
            print('%-32s built (%.0f s)' % (exe, time.time() - start), flush=True)
        entries.append(entry)
        if step in LARGE:
            continue
        # The CPU's results for the same seeded arguments: the numeric reference.
        cpu = os.path.join(opts.dir, step + '.cpu')
        code, out = _run([remat_run, source, '--compile-only', '-o', cpu])
        if code:
            raise SystemExit('bench/gpu: building %s failed:\n%s' % (cpu, out))
        code, out = _run([cpu, '--dump', os.path.join(opts.dir, step + '.ref.')])
        os.remove(cpu)
        if code:
            raise SystemExit('bench/gpu: %s failed:\n%s' % (cpu, out))
        entry['results'] = len(re.findall(r'^result ', out, re.M))
    with open(os.path.join(opts.dir, MANIFEST), 'w') as f:
        json.dump({'chip': opts.chip, 'entries': entries}, f, indent=1)


# ---- run (device machine) ----------------------------------------------------

def run_remat(dir, exe, repeat, prefix):
    """One executable's figures; its results dumped to `prefix` if given."""
    proc = subprocess.run([os.path.join(dir, exe), '--repeat', str(repeat),
                           '--check-peak', '0'] + (['--dump', prefix] if prefix else []),
                          capture_output=True, text=True, timeout=300)
    values = dict(re.findall(r'^(\w+) (\S+)$', proc.stdout, re.M))
    return {'ok': proc.returncode == 0,
            'ms': float(values.get('step_ms_min', 'nan')),
            'peak_bytes': int(values.get('peak_bytes', -1)),
            'predicted_peak_bytes': int(values.get('predicted_peak_bytes', -1)),
            'workspace_bytes': int(values.get('workspace_bytes', 0)),
            'results': re.findall(r'^result .*$', proc.stdout, re.M),
            'output': (proc.stdout + proc.stderr)[-400:]}


def torch_eager_ms(step, repeat):
    """Min step time of the PyTorch model on CUDA, synchronized per step."""
    import torch
    sys.path.insert(0, os.path.join(ROOT, 'bench', 'torch'))
    import models
    make = dict(models.MODELS, **models.SMALL_MODELS)[step]
    model, data, loss_fn, _ = make()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model = model.cuda().train()
    data = [d.cuda() for d in data]
    params = [p for p in model.parameters() if p.requires_grad]

    def once():
        loss = loss_fn(model(*data[:1]), *data[1:])
        torch.autograd.grad(loss, params)
        torch.cuda.synchronize()
    for _ in range(5):
        once()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def run(opts):
    import tempfile
    try:
        import torch
        missing = None if torch.cuda.is_available() else 'torch sees no CUDA device'
    except ImportError:
        missing = 'no torch'
    if missing:
        print('bench/gpu: skipped: %s' % missing)
        return 0
    with open(os.path.join(opts.dir, MANIFEST)) as f:
        manifest = json.load(f)
    tmp = tempfile.mkdtemp(prefix='remat-gpu-bench-')
    rows, figures, failed = [], {}, False
    for entry in manifest['entries']:
        step = entry['step']
        fig = figures[step] = {}
        repeat = min(opts.repeat, 10) if step in LARGE else opts.repeat
        for label, exe in entry['variants'].items():
            prefix = os.path.join(tmp, exe + '.') if 'results' in entry else None
            out = run_remat(opts.dir, exe, repeat, prefix)
            if prefix:
                out['difference'] = compare.largest_difference(
                    os.path.join(opts.dir, step + '.ref.'), prefix, entry['results'])
                out['ok'] = out['ok'] and out['difference'] <= opts.tolerance
            fig[label] = out
        # Planned must compute the unplanned step's bits.
        if 'smallest' in fig:
            same = fig['smallest']['results'] == fig['cublas']['results']
            fig['smallest']['ok'] = fig['smallest']['ok'] and same
        failed |= not all(fig[label]['ok'] for label in entry['variants'])
        try:
            fig['eager_ms'] = torch_eager_ms(step, repeat)
        except Exception as e:  # noqa: BLE001 - reported in the table
            fig['eager_ms'] = None
            fig['eager_note'] = str(e).splitlines()[0][:120]
        rows.append(table_row(step, fig))
    header = ('| step | remat cuBLAS ms | remat loops ms | remat cuBLAS, smallest '
              'budget ms | eager ms | cuBLAS / eager | loops / cuBLAS | '
              'peak = predicted | GPU vs CPU (rel.) |')
    print(header)
    print('|' + '---|' * (header.count('|') - 1))
    for row in rows:
        print(row)
    if opts.json:
        with open(opts.json, 'w') as f:
            json.dump({'device': device_name(), 'repeat': opts.repeat,
                       'steps': figures}, f, indent=1)
    return 1 if failed else 0


def table_row(step, fig):
    def ms(label):
        return '%.3f' % fig[label]['ms'] if label in fig else ''
    variants = [l for l in VARIANTS if l in fig]
    peak_ok = all(0 <= fig[l]['peak_bytes'] == fig[l]['predicted_peak_bytes']
                  for l in variants)
    worst = max((fig[l]['difference'] for l in variants if 'difference' in fig[l]),
                default=None)
    eager = fig.get('eager_ms')
    ratio = lambda a, b: '%.2f' % (a / b) if a and b else ''  # noqa: E731
    return '| %s | %s | %s | %s | %s | %s | %s | %s | %s%s |' % (
        step, ms('cublas'), ms('loops'), ms('smallest'),
        '%.3f' % eager if eager else fig.get('eager_note', ''),
        ratio(fig['cublas']['ms'], eager), ratio(fig['loops']['ms'], fig['cublas']['ms']),
        'yes' if peak_ok else 'NO', 'not checked' if worst is None else '%.1e' % worst,
        '' if all(fig[l]['ok'] for l in variants) else ' FAIL')


def device_name():
    try:
        import torch
        return torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001
        return 'CUDA device'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dir', nargs='?')
    parser.add_argument('--prepare', metavar='DIR')
    parser.add_argument('--build', default=os.path.join(ROOT, 'build'))
    parser.add_argument('--chip', default='sm_90')
    parser.add_argument('--steps', default=','.join(STEPS))
    parser.add_argument('--repeat', type=int, default=50)
    parser.add_argument('--tolerance', type=float, default=1e-3)
    parser.add_argument('--json', help='write the figures here')
    opts = parser.parse_args(argv)
    if opts.prepare:
        opts.dir = opts.prepare
        prepare(opts)
        return 0
    if not opts.dir:
        parser.error('give DIR (run) or --prepare DIR')
    return run(opts)


if __name__ == '__main__':
    sys.exit(main())
