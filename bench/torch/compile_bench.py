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
- step time: the median of --steps further steps (wall clock, one intra-op
  thread, under nice on 2 cores shared with other jobs: noisy, see the doc);
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
DOC = os.path.join(ROOT, 'docs', 'benchmarks-torch.md')
BEGIN, END = '<!-- compile_bench: begin -->', '<!-- compile_bench: end -->'
BUDGETS = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
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
    times = []
    for _ in range(steps):
        t = time.time()
        run()
        times.append(time.time() - t)
    r = {'model': model_name, 'title': title, 'kind': kind, 'budget': budget,
         'peak_bytes': peak, 'step_seconds': statistics.median(times),
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


def configs(names, budgets):
    for name in names:
        yield name, 'eager', None
        for kind in ('min-cut', 'remat'):
            for b in budgets:
                yield name, kind, b


def write_doc(results):
    by = {}
    for r in results:
        by.setdefault(r['model'], []).append(r)
    parts = [BEGIN, '']
    for name, rows in by.items():
        eager = [r for r in rows if r['kind'] == 'eager']
        title = next((r['title'] for r in rows if 'title' in r), name)
        parts.append('**%s**%s' % (title, (
            ': eager PyTorch (no torch.compile) peaks at %.1f MiB, %.3f s a step.'
            % (eager[0]['peak_bytes'] / MiB, eager[0]['step_seconds'])) if eager and
            'error' not in eager[0] else ''))
        parts.append('')
        parts.append('| budget | min-cut: peak MiB | saved MiB | step s | remat: peak MiB | '
                     'saved MiB | step s | remat plan: peak MiB (range) | recomputed values | '
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
                        '%.3f' % r['step_seconds']]
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
    with open(DOC) as f:
        text = f.read()
    block = '\n'.join(parts)
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip('\n') + '\n\n' + block + '\n'
    with open(DOC, 'w') as f:
        f.write(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models', nargs='*', default=['resnet', 'gpt'])
    ap.add_argument('--budgets', nargs='*', type=float, default=BUDGETS)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--timeout', type=int, default=600, help='seconds per configuration')
    ap.add_argument('--remat-opt', default=os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
    ap.add_argument('--doc', action='store_true', help='only write the table from the results')
    ap.add_argument('--one', nargs=3, metavar=('MODEL', 'KIND', 'BUDGET'), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
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


if __name__ == '__main__':
    sys.exit(main())
