"""remat fast at PyTorch min-cut's own peaks, on the dumped planning problems.

    python3 bench/torch/fast_at_torch_peaks.py [--before OLD_REMAT_PLAN] [--models ...]

run.py measures PyTorch's min-cut plans (peak and recompute FLOPs under
remat's models) and stores them in results.json; recurrent_torch.json holds
the same rows for the LSTM steps (measured like run.py's torch_results,
without its remat columns). This script dumps each step's planning Problem
(remat-opt with REMAT_PLANNER_DUMP, solver keep-all) and plans it with
`remat-plan --solver fast` (a plain solve, not remat-checkpoint's monotone
frontier) at every PyTorch peak; with --before, also with another
remat-plan build, for a before/after table. Ratio: remat recompute / PyTorch
recompute, where PyTorch recomputes at least 0.01% of the step.

The two programs are not the same step: PyTorch's joined forward/backward,
exported with no recompute at all (default_partition, the "default" row),
peaks `offset` bytes below remat's unplanned step (GPT-2 small: 11.0 MB;
its own decomposition and backward order), so at PyTorch's peak remat must
free `offset` more bytes than PyTorch did. The last two
columns plan at PyTorch's peak + offset: the same reduction from each
program's own unplanned peak (docs/benchmarks-torch.md, "fast at min-cut's
peak").

PyTorch's recompute is measured two ways: the step's FLOPs minus
default_partition's (`overhead_percent`, the table's "PyTorch recompute"),
which also moves with whatever else the two partitions change (-138 M FLOPs
on BERT-base at budget 1.0, where PyTorch recomputes 84 ops), and, where
results.json has it (run.py since 2026-12-02), the FLOPs of the forward ops
its backward computes again (`recomputed_op_flops`: what remat's recompute
cost counts of its own plans); the last three columns are that measure and
remat's ratios to it.
"""

import argparse
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.join(ROOT, 'build', 'bin')


def torch_rows():
    rows = {n: e['torch'] for n, e in json.load(open(os.path.join(HERE, 'results.json'))).items()
            if e.get('torch')}
    rows.update(json.load(open(os.path.join(HERE, 'recurrent_torch.json'))))
    return rows


def dump(name, path):
    env = dict(os.environ, REMAT_PLANNER_DUMP=path)
    subprocess.run([os.path.join(BIN, 'remat-opt'), os.path.join(ROOT, 'bench', 'graphs', name + '.mlir'),
                    '--remat-checkpoint=budget=1.0 solver=keep-all', '-o', os.devnull],
                   env=env, capture_output=True, check=True)


def plan(tool, problem, budget):
    r = subprocess.run([tool, problem, '--budget', str(budget)], capture_output=True, text=True)
    return json.loads(r.stdout)


def fast(tool, problem, budget, step_flops):
    out = plan(tool, problem, budget)
    return 100.0 * out['recompute_cost'] / step_flops if out['feasible'] else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--remat-plan', default=os.path.join(BIN, 'remat-plan'))
    ap.add_argument('--before', help='another remat-plan build, for a before column')
    ap.add_argument('--models', nargs='*')
    args = ap.parse_args()
    fmt = lambda x: '-' if x is None else '%.2f' % x
    print('| model | budget | PyTorch peak MiB | PyTorch recompute | %sremat fast | ratio '
          '| offset bytes | remat fast at peak + offset | ratio | PyTorch recomputed ops '
          '| ratio | ratio at peak + offset |' % (
              'before | ratio before | ' if args.before else ''))
    print('|---|---|---|---|---|---|---|---|---|---|---|---|' + ('---|---|' if args.before else ''))
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in torch_rows().items():
            if args.models and name not in args.models:
                continue
            problem = os.path.join(tmp, name + '.json')
            dump(name, problem)
            default = next(t for t in rows if t['budget'] == 'default')
            base = default['step_flops']
            unplanned = plan(args.remat_plan, problem, 2**62)['unplanned_peak_bytes']
            offset = max(0, unplanned - default['peak_bytes'])
            for t in rows:
                if t['budget'] == 'default' or 'error' in t:
                    continue
                pt = t['overhead_percent']
                cells = []
                for tool in ([args.before] if args.before else []) + [args.remat_plan]:
                    p = fast(tool, problem, t['peak_bytes'], base)
                    ratio = p / pt if p is not None and pt >= 0.01 else None
                    cells += [('%.2f%%' % p) if p is not None else 'no plan',
                              fmt(ratio) if pt >= 0.01 else 'n/a']
                at_peak = p
                p = fast(args.remat_plan, problem, t['peak_bytes'] + offset, base)
                ratio = p / pt if p is not None and pt >= 0.01 else None
                cells += [str(offset), ('%.2f%%' % p) if p is not None else 'no plan',
                          fmt(ratio) if pt >= 0.01 else 'n/a']
                ops = t.get('recomputed_op_flops')
                if ops is None:
                    cells += ['-', '-', '-']
                else:
                    po = 100.0 * ops / base
                    cells += ['%.2f%%' % po] + [
                        fmt(x / po) if x is not None and po >= 0.01 else 'n/a'
                        for x in (at_peak, p)]
                print('| %s | %s | %.1f | %.2f%% | %s |' % (name, t['budget'], t['peak_bytes'] / 2**20,
                                                          pt, ' | '.join(cells)), flush=True)


if __name__ == '__main__':
    main()
