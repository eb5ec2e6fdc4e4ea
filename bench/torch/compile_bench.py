"""remat's partition inside torch.compile against PyTorch's min-cut, measured.

    nice -n 19 python3 bench/torch/compile_bench.py            # both models, all budgets
    nice -n 19 python3 bench/torch/compile_bench.py --models gpt --budgets 0.8
    python3 bench/torch/compile_bench.py --doc                  # table from compile_results.json

Each configuration (model; eager, or torch.compile with remat.exporter.compile.
partition or min_cut_rematerialization_partition at a budget) runs in a fresh
Python process (peaks measured in one process drift upward from run to run):

- the step is compiled with aot_autograd, fw/bw compilers that run the
  partitioned FX graphs as they are (no inductor: the partition's choice is what
  is measured; FX code frees each value after its last use), PyTorch's min-cut
  with compiler='inductor' (what torch.compile's default backend uses) and
  activation_memory_budget = the budget; remat with partition(budget=...);
- one warm-up step, then one step (forward, backward, gradients into .grad
  set to None before) under torch.profiler with profile_memory=True: the real
  peak is the largest "Total Allocated" of its [memory] events, the bytes
  c10's CPU allocator holds for tensors allocated during the step (parameters,
  batch and what was allocated before the step excluded; the step's gradients
  included);
- step time: over --steps further steps (one intra-op thread), the median
  and the minimum of the wall-clock time and the minimum of the process's CPU
  time (time.process_time: the time this process ran, which other jobs on the
  machine do not add to, unlike wall clock; the doc's table shows it);
- saved bytes: the tensors the forward graph returns for the backward, without
  graph inputs;
- gradients against eager float32 on a copy of the model: max over the loss and
  every gradient of max|g - e| / max|e|.
Results go to bench/torch/compile_results.json; --doc writes the table into
docs/benchmarks-torch.md (between the markers of its torch.compile section).
"""

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

RESULTS = os.path.join(HERE, 'compile_results.json')
TIMES = os.path.join(HERE, 'compile_times.json')
DOC = os.path.join(ROOT, 'docs', 'benchmarks-torch.md')
BEGIN, END = '<!-- compile_bench: begin -->', '<!-- compile_bench: end -->'
BUDGETS = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.1, 0.0]
MiB = float(1 << 20)


def make(name):
    """(model, (x, y), loss_fn, title)."""
    import torch
    import models
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    if name == 'resnet':
        import torchvision
        import torch.nn.functional as F
        model = torchvision.models.resnet18(num_classes=10)
        data = (torch.randn(32, 3, 64, 64, generator=g),
                torch.randint(0, 10, (32,), generator=g))
        return model, data, F.cross_entropy, 'ResNet-18 (torchvision, 10 classes), batch 32, 64x64'
    if name == 'gpt':
        model = models.GPT2(vocab=512, ctx=128, d=128, layers=4, heads=4)
        data = (torch.randint(0, 512, (8, 128), generator=g),
                torch.randint(0, 512, (8, 128), generator=g))
        return model, data, models.cross_entropy, \
            'GPT-2 architecture (4 layers, d 128, 4 heads, vocab 512), batch 8, seq 128'
    raise ValueError(name)


def _saved_bytes(gm):
    import torch
    out = [n for n in gm.graph.nodes if n.op == 'output'][0].args[0]
    return sum(n.meta['val'].numel() * n.meta['val'].element_size() for n in out[1:]
               if isinstance(n, torch.fx.Node) and n.op != 'placeholder'
               and isinstance(n.meta.get('val'), torch.Tensor))


def _peak(fn, tmp):
    import torch
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    path = os.path.join(tmp, 'trace.json')
    prof.export_chrome_trace(path)
    with open(path) as f:
        events = json.load(f)['traceEvents']
    return max([e['args']['Total Allocated'] for e in events if e.get('name') == '[memory]'],
               default=0)


def one(model_name, kind, budget, steps, remat_opt):
    """Runs one configuration here; returns its result dict."""
    import torch
    from functools import partial
    import torch._functorch.config as fconfig
    from functorch.compile import make_boxed_func, min_cut_rematerialization_partition
    from torch._dynamo.backends.common import aot_autograd
    from exporter_import import import_exporter
    import_exporter()
    from remat.exporter.compile import decompositions, partition

    torch.set_num_threads(1)
    model, (x, y), loss_fn, title = make(model_name)
    ref = copy.deepcopy(model)
    info = {}

    def fw(gm, _):
        info['saved_bytes'] = _saved_bytes(gm)
        return make_boxed_func(gm)

    if kind == 'eager':
        step = lambda x, y: loss_fn(model(x), y)  # noqa: E731
    else:
        if kind == 'min-cut':
            fconfig.activation_memory_budget = budget
            pfn = partial(min_cut_rematerialization_partition, compiler='inductor')
        else:
            pfn = partition(budget=budget, remat_opt=remat_opt,
                            on_plan=lambda entry, saved: info.update(plan=entry))
        backend = aot_autograd(fw_compiler=fw, bw_compiler=lambda gm, _: make_boxed_func(gm),
                               partition_fn=pfn, decompositions=decompositions())
        step = torch.compile(lambda x, y: loss_fn(model(x), y), backend=backend)

    def run():
        for p in model.parameters():
            p.grad = None
        loss = step(x, y)
        loss.backward()
        return loss.detach()

    t0 = time.time()
    loss = run()   # compiles
    compile_s = time.time() - t0
    # Gradients of the first step against eager float32 (same weights, same batch).
    want = loss_fn(ref(x), y)
    want.backward()
    err = float((loss - want.detach()).abs() / want.detach().abs())
    for p, q in zip(model.parameters(), ref.parameters()):
        err = max(err, float((p.grad - q.grad).abs().max() / q.grad.abs().max()))
    with tempfile.TemporaryDirectory() as tmp:
        peak = _peak(run, tmp)
    times, cpu = [], []
    for _ in range(steps):
        t, c = time.perf_counter(), time.process_time()
        run()
        cpu.append(time.process_time() - c)
        times.append(time.perf_counter() - t)
    r = {'model': model_name, 'title': title, 'kind': kind, 'budget': budget,
         'peak_bytes': peak, 'step_seconds': statistics.median(times),
         'step_wall_min_seconds': min(times), 'step_cpu_min_seconds': min(cpu),
         'compile_seconds': round(compile_s, 1), 'grad_rel_error': err,
         'saved_bytes': info.get('saved_bytes')}
    if 'plan' in info:
        e = info['plan']
        r['plan'] = {k: e.get(k) for k in ('planned_peak_bytes', 'unplanned_peak_bytes',
                                           'smallest_feasible_bytes', 'budget_bytes',
                                           'recompute_flops', 'overhead_percent', 'solve_seconds')}
        r['plan']['recomputed'] = len(e.get('recomputed', []))
        r['plan']['kept'] = len(e.get('kept', []))
    return r


def timed_pairs(model_name, budget, rounds, remat_opt):
    """Step times of eager, AOTAutograd's default_partition (saves everything
    the backward needs, recomputes nothing), min-cut and remat at one budget,
    measured in one process with their steps interleaved, so
    that whatever else runs on the machine slows all three alike; returns the
    median over rounds of each one's time relative to eager's in the same round,
    and each one's minimum time."""
    import torch
    from functools import partial
    import torch._functorch.config as fconfig
    from functorch.compile import (default_partition, make_boxed_func,
                                   min_cut_rematerialization_partition)
    from torch._dynamo.backends.common import aot_autograd
    from exporter_import import import_exporter
    import_exporter()
    from remat.exporter.compile import decompositions, partition

    torch.set_num_threads(1)
    model, (x, y), loss_fn, _ = make(model_name)
    boxed = lambda gm, _: make_boxed_func(gm)  # noqa: E731
    fconfig.activation_memory_budget = budget
    mincut = aot_autograd(fw_compiler=boxed, bw_compiler=boxed,
                          partition_fn=partial(min_cut_rematerialization_partition,
                                               compiler='inductor'),
                          decompositions=decompositions())
    remat = aot_autograd(fw_compiler=boxed, bw_compiler=boxed,
                         partition_fn=partition(budget=budget, remat_opt=remat_opt),
                         decompositions=decompositions())
    keep = aot_autograd(fw_compiler=boxed, bw_compiler=boxed, partition_fn=default_partition,
                        decompositions=decompositions())
    steps = {'eager': lambda x, y: loss_fn(model(x), y),
             'no-recompute': torch.compile(lambda x, y: loss_fn(model(x), y), backend=keep),
             'min-cut': torch.compile(lambda x, y: loss_fn(model(x), y), backend=mincut),
             'remat': torch.compile(lambda x, y: loss_fn(model(x), y), backend=remat)}

    def run(step):
        for p in model.parameters():
            p.grad = None
        t = time.perf_counter()
        step(x, y).backward()
        return time.perf_counter() - t

    for step in steps.values():   # compile and warm up
        run(step)
        run(step)
    times = {k: [] for k in steps}
    for _ in range(rounds):
        for k, step in steps.items():
            times[k].append(run(step))
    rel = {k: statistics.median(t / e for t, e in zip(times[k], times['eager']))
           for k in steps}
    return {'model': model_name, 'budget': budget, 'rounds': rounds,
            'relative_to_eager': rel, 'min_seconds': {k: min(v) for k, v in times.items()}}


def configs(names, budgets):
    for name in names:
        yield name, 'eager', None
        for kind in ('min-cut', 'remat'):
            for b in budgets:
                yield name, kind, b


def _replace_block(begin, end, block):
    """Puts `block` (which starts with `begin` and ends with `end`) into the
    doc in place of the text between those markers, or at its end."""
    with open(DOC) as f:
        text = f.read()
    if begin in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip('\n') + '\n\n' + block + '\n'
    with open(DOC, 'w') as f:
        f.write(text)


def write_doc(results):
    by = {}
    for r in results:
        by.setdefault(r['model'], []).append(r)
    parts = [BEGIN, '']
    for name, rows in by.items():
        eager = [r for r in rows if r['kind'] == 'eager']
        title = next((r['title'] for r in rows if 'title' in r), name)
        parts.append('**%s**%s' % (title, (
            ': eager PyTorch (no torch.compile) peaks at %.1f MiB, %.0f ms of CPU a step.'
            % (eager[0]['peak_bytes'] / MiB, 1e3 * eager[0]['step_cpu_min_seconds']))
            if eager and 'step_cpu_min_seconds' in eager[0] and
            'error' not in eager[0] else ''))
        parts.append('')
        parts.append('| budget | min-cut: peak MiB | saved MiB | step ms | remat: peak MiB | '
                     'saved MiB | step ms | remat plan: peak MiB (range) | recomputed values | '
                     'grad error (min-cut / remat) | compile s (min-cut / remat) |')
        parts.append('|---|---|---|---|---|---|---|---|---|---|---|')
        budgets = sorted({r['budget'] for r in rows if r['budget'] is not None}, reverse=True)
        for b in budgets:
            mc = next((r for r in rows if r['kind'] == 'min-cut' and r['budget'] == b), None)
            rm = next((r for r in rows if r['kind'] == 'remat' and r['budget'] == b), None)

            def cells(r):
                if r is None:
                    return ['-'] * 3
                if 'error' in r:
                    return ['error: %s' % r['error'][:60], '', '']
                return ['%.1f' % (r['peak_bytes'] / MiB), '%.1f' % (r['saved_bytes'] / MiB),
                        '%.0f' % (1e3 * r['step_cpu_min_seconds'])
                        if 'step_cpu_min_seconds' in r else '-']
            plan = rm.get('plan') if rm and 'error' not in rm else None
            parts.append('| %s | %s | %s | %s | %s | %s | %s |' % (
                b, ' | '.join(cells(mc)), ' | '.join(cells(rm)),
                ('%.1f (%.1f-%.1f)' % (plan['planned_peak_bytes'] / MiB,
                                       plan['smallest_feasible_bytes'] / MiB,
                                       plan['unplanned_peak_bytes'] / MiB)) if plan else '-',
                plan['recomputed'] if plan else '-',
                ' / '.join('%.1e' % r['grad_rel_error'] if r and 'error' not in r else '-'
                           for r in (mc, rm)),
                ' / '.join('%.0f' % r['compile_seconds'] if r and 'error' not in r else '-'
                           for r in (mc, rm))))
        parts.append('')
    parts.append(END)
    _replace_block(BEGIN, END, '\n'.join(parts))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models', nargs='*', default=['resnet', 'gpt'])
    ap.add_argument('--budgets', nargs='*', type=float, default=BUDGETS)
    ap.add_argument('--steps', type=int, default=15)
    ap.add_argument('--timeout', type=int, default=600, help='seconds per configuration')
    ap.add_argument('--remat-opt', default=os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
    ap.add_argument('--doc', action='store_true', help='only write the table from the results')
    ap.add_argument('--times', action='store_true',
                    help='measure step times (interleaved, relative to eager) into '
                         'compile_times.json instead of peaks')
    ap.add_argument('--rounds', type=int, default=30, help='interleaved rounds for --times')
    ap.add_argument('--one', nargs=3, metavar=('MODEL', 'KIND', 'BUDGET'), help=argparse.SUPPRESS)
    ap.add_argument('--pair', nargs=2, metavar=('MODEL', 'BUDGET'), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.pair:
        print(json.dumps(timed_pairs(args.pair[0], float(args.pair[1]), args.rounds,
                                     args.remat_opt)))
        return 0
    if args.times:
        if args.doc:
            with open(TIMES) as f:
                write_times_doc(json.load(f))
            return 0
        return measure_times(args)
    if args.one:
        m, k, b = args.one
        print(json.dumps(one(m, k, None if b == 'none' else float(b), args.steps,
                             args.remat_opt)))
        return 0
    results = []
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            results = json.load(f)
    if not args.doc:
        for m, k, b in configs(args.models, args.budgets):
            cmd = [sys.executable, os.path.abspath(__file__), '--steps', str(args.steps),
                   '--remat-opt', args.remat_opt, '--one', m, k, 'none' if b is None else str(b)]
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                lines = [ln for ln in p.stdout.splitlines() if ln.startswith('{')]
                r = json.loads(lines[-1]) if p.returncode == 0 and lines else {
                    'model': m, 'kind': k, 'budget': b,
                    'error': (p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]}
            except subprocess.TimeoutExpired:
                r = {'model': m, 'kind': k, 'budget': b, 'error': 'timed out'}
            print(json.dumps(r), flush=True)
            results = [q for q in results
                       if (q['model'], q['kind'], q['budget']) != (m, k, b)] + [r]
            with open(RESULTS, 'w') as f:
                json.dump(results, f, indent=1)
    order = {'eager': 0, 'min-cut': 1, 'remat': 2}
    results.sort(key=lambda r: (r['model'], order[r['kind']], -(r['budget'] or 2)))
    write_doc(results)
    return 0


TBEGIN, TEND = '<!-- compile_times: begin -->', '<!-- compile_times: end -->'


def write_times_doc(times):
    parts = [TBEGIN, '']
    for m in sorted({r['model'] for r in times}):
        rows = sorted((r for r in times if r['model'] == m), key=lambda r: -r['budget'])
        ok = [r for r in rows if 'error' not in r]
        parts.append('**%s** (%d interleaved rounds per budget; load average %s while measured)'
                     % (m, ok[0]['rounds'] if ok else 0,
                        ', '.join('%.1f' % r['load'] for r in rows)))
        parts.append('')
        parts.append('| budget | eager ms (min) | no recompute / eager | min-cut / eager | '
                     'remat / eager | min-cut / no recompute | remat / no recompute |')
        parts.append('|---|---|---|---|---|---|---|')
        for r in rows:
            if 'error' in r:
                parts.append('| %s | error: %s |||||| ' % (r['budget'], r['error'][:80]))
                continue
            rel = r['relative_to_eager']
            parts.append('| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f |' % (
                r['budget'], 1e3 * r['min_seconds']['eager'], rel['no-recompute'],
                rel['min-cut'], rel['remat'], rel['min-cut'] / rel['no-recompute'],
                rel['remat'] / rel['no-recompute']))
        parts.append('')
    parts.append(TEND)
    _replace_block(TBEGIN, TEND, '\n'.join(parts))


def measure_times(args):
    times = []
    if os.path.exists(TIMES):
        with open(TIMES) as f:
            times = json.load(f)
    for m in args.models:
        for b in args.budgets:
            cmd = [sys.executable, os.path.abspath(__file__), '--rounds', str(args.rounds),
                   '--remat-opt', args.remat_opt, '--pair', m, str(b)]
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                lines = [ln for ln in p.stdout.splitlines() if ln.startswith('{')]
                r = json.loads(lines[-1]) if p.returncode == 0 and lines else {
                    'model': m, 'budget': b,
                    'error': (p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]}
            except subprocess.TimeoutExpired:
                r = {'model': m, 'budget': b, 'error': 'timed out'}
            r['load'] = os.getloadavg()[0]
            print(json.dumps(r), flush=True)
            times = [q for q in times if (q['model'], q['budget']) != (m, b)] + [r]
            with open(TIMES, 'w') as f:
                json.dump(times, f, indent=1)
    write_times_doc(times)
    return 0


if __name__ == '__main__':
    sys.exit(main())
