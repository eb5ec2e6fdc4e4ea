"""remat vs PyTorch's planner on the exported models (bench/graphs/*.mlir).

    python3 bench/torch/run.py                      # every fixture, writes results.json
    python3 bench/torch/run.py --models gpt2_small --exact-time-limit 30
    python3 bench/torch/run.py --doc                # also docs/benchmarks-torch.md + docs/img/
    python3 bench/torch/run.py --torch-only --models bert_base   # PyTorch's rows again

For each fixture and budget (fractions 1.0 0.8 0.6 0.4 0.3 of the unplanned
peak, and the smallest feasible budget):

- remat's solvers through `remat-opt --remat-checkpoint=... plan-file=`: fast,
  exact (time-limited; says whether it proved optimality), and the baselines
  keep-all, recompute-all, sqrtn, knapsack;
- PyTorch's min-cut partitioner (torch._functorch.partitioners.
  min_cut_rematerialization_partition) with activation_memory_budget set to the
  same fraction, on the same model: its partitioned graphs are joined into one
  step, exported, and measured with remat-report (same memory and cost model):
  its saved activation bytes, peak and recompute FLOPs (the step's FLOPs
  minus default_partition's, and the FLOPs of the forward ops its backward
  computes again, recomputed_op_flops); then remat fast at
  PyTorch's peak (equal memory), for the recompute ratio;
- Rockmate, where it imports (else a note).
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

GRAPHS = os.path.join(ROOT, 'bench', 'graphs')
FRACTIONS = [1.0, 0.8, 0.6, 0.4, 0.3]
SOLVERS = ['fast', 'exact', 'keep-all', 'recompute-all', 'sqrtn', 'knapsack']
MEMORY_LIMIT = 8 << 30   # for the exact solver's MILP


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


class RematOpt:
    def __init__(self, path, exact_time_limit):
        self.path = path
        self.exact_time_limit = exact_time_limit

    def report(self, mlir):
        for attempt in range(2):   # one retry: a crash is reported, not fatal
            with tempfile.NamedTemporaryFile('r', suffix='.json') as f:
                r = subprocess.run([self.path, mlir, '--remat-report=report-file=%s' % f.name,
                                    '-o', os.devnull], capture_output=True, text=True)
                if r.returncode == 0:
                    return json.load(open(f.name))[0]
        raise RuntimeError('remat-report failed on %s (exit %d): %s' % (
            mlir, r.returncode, _first_error(r.stderr)))

    def plan(self, mlir, budget, solver):
        """The plan-file JSON, or {'error': message}."""
        opts = 'budget=%s solver=%s' % (budget, solver)
        timeout = 600
        if solver == 'exact':
            opts += ' time-limit=%g' % self.exact_time_limit
            timeout = 3 * self.exact_time_limit + 30
        with tempfile.NamedTemporaryFile('r', suffix='.json') as f:
            t0 = time.time()
            try:
                r = subprocess.run([self.path, mlir, '--remat-checkpoint=%s plan-file=%s' % (
                    opts, f.name), '-o', os.devnull], capture_output=True, text=True,
                    timeout=timeout, preexec_fn=_limit_memory)
            except subprocess.TimeoutExpired:
                return {'error': 'timed out after %d s' % timeout, 'wall_seconds': timeout}
            wall = time.time() - t0
            if r.returncode:
                msg = _first_error(r.stderr)
                out = {'error': msg, 'wall_seconds': wall}
                m = re.search(r'smallest feasible budget (?:for this step, |is )(\d+) bytes', msg)
                if m:
                    out['smallest_feasible_bytes'] = int(m.group(1))
                return out
            data = json.load(open(f.name))[0]
        for k in ('kept', 'recomputed', 'timeline_before', 'timeline_after'):
            data.pop(k, None)
        data['wall_seconds'] = wall
        return data


def _first_error(stderr):
    errs = [ln for ln in stderr.splitlines() if 'error:' in ln]
    if errs:
        return errs[0].split('error: ', 1)[1]
    frames = [ln.strip() for ln in stderr.splitlines() if 'remat::' in ln]
    if 'Stack dump' in stderr:
        return 'remat-opt crashed' + (' in %s' % frames[0].split(' ', 2)[-1][:120] if frames else '')
    return stderr[-300:].strip()


def remat_results(ro, mlir, report):
    probe = ro.plan(mlir, '1.0', 'fast')
    smallest = probe.get('smallest_feasible_bytes')
    budgets = [('%.1f' % f, f) for f in FRACTIONS] + [('min', smallest)]
    rows = []
    for label, b in budgets:
        arg = '%.2f' % b if label != 'min' else '%d' % b
        row = {'budget': label, 'budget_bytes': int(b * report['peak_bytes']) if label != 'min' else b}
        for solver in SOLVERS:
            if label != 'min' and b * report['peak_bytes'] < smallest and solver != 'keep-all':
                row[solver] = {'error': 'below the smallest feasible budget'}
                continue
            row[solver] = ro.plan(mlir, arg, solver)
            print('  %-4s %-13s %s' % (label, solver, _brief(row[solver])), flush=True)
        rows.append(row)
    return smallest, rows


def _brief(r):
    if 'error' in r:
        return 'error: ' + r['error'][:100]
    s = 'peak %.1f MiB, +%.2f%% FLOPs, %.3f s' % (r['planned_peak_bytes'] / 2**20,
                                                 r['overhead_percent'], r['solve_seconds'])
    if r.get('solver') == 'exact':
        s += ', proven optimal' if r.get('proven_optimal') else ', not proven optimal'
    return s


def torch_results(ro, name, report, fractions, tmpdir, mlir=None):
    """PyTorch's rows of one model; remat fast is planned at each of its peaks on
    `mlir` (default the model's fixture in bench/graphs)."""
    import torch_plan
    model, data, loss_fn, _ = models_by_name()[name]()
    rows = []
    base = None
    for b in ['default'] + fractions:
        t0 = time.time()
        recomputed_lines = []
        try:
            text, saved = torch_plan.export_plan(
                model, data, loss_fn, 1.0 if b == 'default' else b,
                partitioner='default' if b == 'default' else 'min_cut',
                recomputed_lines=recomputed_lines)
        except Exception as e:   # say why, keep going
            rows.append({'budget': b, 'error': '%s: %s' % (type(e).__name__, str(e)[:300])})
            print('  torch %s: %s' % (b, rows[-1]['error']), flush=True)
            continue
        path = os.path.join(tmpdir, '%s_torch_%s.mlir' % (name, b))
        with open(path, 'w') as f:
            f.write(text)
        try:
            rep = ro.report(path)
        except RuntimeError as e:
            rows.append({'budget': b, 'error': str(e)[:300]})
            print('  torch %s: %s' % (b, rows[-1]['error']), flush=True)
            continue
        flops = rep['forward_flops'] + rep['backward_flops']
        # What PyTorch re-runs, counted as remat counts its own recompute: the
        # FLOPs of the backward's copies of forward ops (recompute_flops, the
        # step's FLOPs minus default_partition's, also moves with what else
        # the two partitions change: -138 M on BERT-base at budget 1.0).
        by_line = rep.get('flops_by_line', {})
        row = {'budget': b, 'saved_activation_bytes': saved, 'peak_bytes': rep['peak_bytes'],
               'step_flops': flops, 'partition_seconds': time.time() - t0,
               'recomputed_op_flops': sum(by_line.get(str(line), 0)
                                          for line in recomputed_lines)}
        if b == 'default':
            base = row
        else:
            row['recompute_flops'] = flops - base['step_flops'] if base else None
            row['overhead_percent'] = (100.0 * row['recompute_flops'] / base['step_flops']
                                       if base else None)
            eq = ro.plan(mlir or os.path.join(GRAPHS, name + '.mlir'), '%d' % rep['peak_bytes'],
                         'fast')
            row['remat_fast_at_torch_peak'] = eq
        rows.append(row)
        print('  torch %-7s saved %.1f MiB, peak %.1f MiB, +%s FLOPs; remat fast at that peak: %s'
              % (b, saved / 2**20, rep['peak_bytes'] / 2**20,
                 '%.2f%%' % row['overhead_percent'] if row.get('overhead_percent') is not None
                 else '-', _brief(row.get('remat_fast_at_torch_peak', {'error': 'n/a'}))),
              flush=True)
    return rows


def models_by_name():
    import models
    return dict(models.MODELS, **models.SMALL_MODELS, **models.RECURRENT_MODELS,
                **models.FAMILY_MODELS, **models.UNBUNDLED_MODELS)


def group_of(name):
    """The headline a model counts in: 'full' (the six full-size fixtures),
    'recurrent' (LSTM steps) or 'small'."""
    import models
    if name in models.MODELS:
        return 'full'
    if name in models.RECURRENT_MODELS:
        return 'recurrent'
    return 'small'


def rockmate_status():
    try:
        import rockmate  # noqa: F401  (only whether it imports)
        return 'imports (not run by this harness yet)'
    except Exception as e:
        return 'not run: `import rockmate` fails (%s: %s)' % (type(e).__name__, e)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models', nargs='*')
    ap.add_argument('--remat-opt', default=os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
    ap.add_argument('--exact-time-limit', type=float, default=30)
    ap.add_argument('--no-torch', action='store_true', help='skip the PyTorch planner')
    ap.add_argument('--torch-only', action='store_true',
                    help="measure PyTorch's plans again, keeping the remat rows in --out")
    ap.add_argument('--out', default=os.path.join(HERE, 'results.json'))
    ap.add_argument('--doc', action='store_true', help='write docs/benchmarks-torch.md and plots '
                    'from --out (after running, or alone with --models none)')
    args = ap.parse_args(argv)
    fixtures = json.load(open(os.path.join(GRAPHS, 'fixtures.json')))
    names = args.models if args.models is not None else [f['name'] for f in fixtures]
    results = json.load(open(args.out)) if os.path.exists(args.out) else {}
    ro = RematOpt(args.remat_opt, args.exact_time_limit)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if name == 'none':
                continue
            mlir = os.path.join(GRAPHS, name + '.mlir')
            print('%s:' % name, flush=True)
            report = ro.report(mlir)
            if args.torch_only and name in results:
                results[name]['torch'] = torch_results(ro, name, report, FRACTIONS, tmp)
                with open(args.out, 'w') as f:
                    json.dump(results, f, indent=1)
                continue
            smallest, rows = remat_results(ro, mlir, report)
            entry = {'report': {k: report[k] for k in ('peak_bytes', 'argument_bytes',
                                                       'forward_flops', 'backward_flops')
                                if k in report},
                     'ops': next(f['top_level_ops'] for f in fixtures if f['name'] == name),
                     'smallest_feasible_bytes': smallest, 'remat': rows}
            if not args.no_torch:
                entry['torch'] = torch_results(ro, name, report, FRACTIONS, tmp)
            entry['rockmate'] = rockmate_status()
            entry['small'] = group_of(name) == 'small'
            entry['group'] = group_of(name)
            results[name] = entry
            with open(args.out, 'w') as f:
                json.dump(results, f, indent=1)
    import report_doc
    report_doc.print_table(results)
    if args.doc:
        report_doc.write_doc(results)


if __name__ == '__main__':
    main()
