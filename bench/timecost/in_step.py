#!/usr/bin/env python3
"""Time each top-level op of a step inside the step, and compare a plan's
step with the unplanned one op by op (a diagnostic for docs/cost-model.md,
"How well it predicts").

    python3 bench/timecost/in_step.py STEP.mlir [--budget B --cost measured
        --calibration FILE] [--repeat 100] [--top 8]

Runs the unplanned step, and with --budget the step planned by
remat-checkpoint (one planned module, as run.py plans it), through
`remat-run --op-times` at 1 thread: remat-opt --remat-instrument-ops puts a
clock call before each top-level op, and an op's time is its fastest over
`repeat` steps (a remat.recompute region counts as one op, with the
allocations and frees the lowering places between its ticks). It prints
per step the sum of the op times and the slowest ops; for a plan, the
recompute regions' time against the plan's predicted recompute time, and
the ops both steps have (matched by location and name), planned against
unplanned: what the plan changes in the rest of the step. The clock calls
add a little to each step, so compare instrumented steps with each other,
not with remat-run's plain step time.

--inline times the planned step with its recompute regions dissolved
(remat-opt --remat-inline-recompute, as the lowering does), so that each
recomputed op has a time of its own, and lists every recomputation against
the same op in the unplanned step and the calibration's time of its key.
"""

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as timecost  # noqa: E402  (the build's tools, run())


def op_times(step, workdir, tag, repeat):
    """The ops of remat-run --op-times on `step`, timed ones only."""
    out = os.path.join(workdir, tag + '.json')
    env = dict(os.environ, REMAT_NUM_THREADS='1')
    timecost.run([timecost.REMAT_RUN, step, '--repeat', str(repeat),
                  '--op-times', out], env=env)
    with open(out) as f:
        return [op for op in json.load(f)['ops'] if op['seconds'] is not None]


def describe(name, ops, top):
    total = sum(op['seconds'] for op in ops)
    regions = sum(op['seconds'] for op in ops if op['op'] == 'remat.recompute')
    print('%s: sum of %d op times %.1f us; remat.recompute regions %.1f us '
          '(%.1f%% of the rest)' % (name, len(ops), total * 1e6, regions * 1e6,
                                    100 * regions / (total - regions) if total > regions else 0))
    for op in sorted(ops, key=lambda op: -op['seconds'])[:top]:
        print('%10.2f us  %-24s %s' % (op['seconds'] * 1e6, op['op'], op['loc']))
    return total, regions


def compare(unplanned, planned, top):
    """The ops both steps have, planned against unplanned."""
    before = {}
    for op in unplanned:
        before.setdefault((op['loc'], op['op']), []).append(op['seconds'])
    pairs = []
    for op in planned:
        times = before.get((op['loc'], op['op']))
        if op['op'] != 'remat.recompute' and times:
            pairs.append((op['seconds'] - times.pop(0), op))
    delta = sum(d for d, _ in pairs)
    print('ops in both steps (%d): planned - unplanned %+.1f us' % (len(pairs),
                                                                  delta * 1e6))
    for d, op in sorted(pairs, key=lambda p: -abs(p[0]))[:top]:
        print('%+10.2f us  %-24s %s' % (d * 1e6, op['op'], op['loc']))
    return delta


def recomputations(unplanned, dissolved, calibration):
    """Each recomputed op of the dissolved planned step (an op whose
    location an earlier op of the step has) against its original in the
    unplanned step and its calibrated time."""
    with open(calibration) as f:
        calibrated = {k['key']: k['seconds'] for k in json.load(f)['kernels']}
    original = {(op['loc'], op['op']): op['seconds'] for op in unplanned}
    seen, rows = set(), []
    for op in dissolved:
        where = (op['loc'], op['op'])
        if where in seen and op['key']:
            rows.append((op, original.get(where), calibrated.get(op['key'])))
        seen.add(where)
    sums = [sum(r[i] or 0 for r in rows) for i in (1, 2)]
    print('%d recomputed ops: %.1f us in the planned step, %.1f us as the same '
          'ops in the unplanned step, %.1f us calibrated' % (
              len(rows), sum(r[0]['seconds'] for r in rows) * 1e6,
              sums[0] * 1e6, sums[1] * 1e6))
    for op, before, predicted in rows:
        print('%10.2f us  (unplanned %s, calibrated %s)  %-18s %s' % (
            op['seconds'] * 1e6,
            '%.2f' % (before * 1e6) if before is not None else '-',
            '%.2f' % (predicted * 1e6) if predicted is not None else '-',
            op['op'], op['loc']))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('step')
    parser.add_argument('--budget')
    parser.add_argument('--cost', default='measured')
    parser.add_argument('--calibration', default=timecost.CALIBRATION)
    parser.add_argument('--repeat', type=int, default=100)
    parser.add_argument('--top', type=int, default=8)
    parser.add_argument('--inline', action='store_true',
                        help='also time each recomputed op on its own')
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='remat-in-step-') as workdir:
        unplanned = op_times(opts.step, workdir, 'unplanned', opts.repeat)
        base, _ = describe('unplanned', unplanned, opts.top)
        if not opts.budget:
            return 0
        planned_ir = os.path.join(workdir, 'planned.mlir')
        plan_json = os.path.join(workdir, 'plan.json')
        cost = 'cost=%s' % opts.cost
        if opts.cost == 'measured':
            cost += ' calibration=' + opts.calibration
        timecost.run([timecost.REMAT_OPT, opts.step, '-o', planned_ir,
                      '--mlir-print-debuginfo',
                      '--remat-checkpoint=budget=%s %s plan-file=%s' % (
                          opts.budget, cost, plan_json)])
        with open(plan_json) as f:
            plan = json.load(f)[0]
        planned = op_times(planned_ir, workdir, 'planned', opts.repeat)
        total, regions = describe('planned at %s' % opts.budget, planned, opts.top)
        delta = compare(unplanned, planned, opts.top)
        predicted = plan.get('recompute_seconds')
        print('overhead in the instrumented steps: %.1f%% = regions %.1f us '
              '(predicted %s) %+.1f us in the other ops, over %.1f us' % (
                  100 * (total / base - 1), regions * 1e6,
                  '%.1f us' % (predicted * 1e6) if predicted is not None else '-',
                  delta * 1e6, base * 1e6))
        if opts.inline:
            dissolved_ir = os.path.join(workdir, 'dissolved.mlir')
            timecost.run([timecost.REMAT_OPT, planned_ir, '-o', dissolved_ir,
                          '--mlir-print-debuginfo', '--remat-inline-recompute'])
            recomputations(unplanned, op_times(dissolved_ir, workdir, 'dissolved',
                                               opts.repeat), opts.calibration)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
