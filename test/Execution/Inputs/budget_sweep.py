#!/usr/bin/env python3
"""Plans a training step at budgets evenly spread from its smallest feasible
budget to its unplanned peak, runs every plan, and checks the memory model's
promises (docs/memory-model.md):

- each plan fits its budget and its rewritten IR peaks at the planned peak;
- each lowered plan, run with the allocation-tracking runtime, measures the
  predicted peak to the byte (remat-run's --check-peak 0);
- its results are bitwise those of the unplanned step;
- the recompute cost never rises as the budget grows (monotone plans).

    budget_sweep.py REMAT_OPT REMAT_RUN STEP.mlir [--points N] [--workdir DIR]

Prints one line per budget; exits 1 at the first broken promise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def fail(message):
    print('FAIL: ' + message)
    sys.exit(1)


def smallest_and_peak(remat_opt, step):
    # A budget of one byte is infeasible: the error names the smallest one.
    _, out = run([remat_opt, step, '-o', os.devnull, '--remat-checkpoint=budget=1'])
    match = re.search(r'smallest feasible budget for this step, (\d+) bytes.*'
                      r'the unplanned peak is (\d+) bytes', out)
    if not match:
        fail('no smallest feasible budget in:\n' + out)
    return int(match.group(1)), int(match.group(2))


def execute(remat_run, step, workdir, name):
    code, out = run(['python3', remat_run, step, '--check-peak', '0',
                     '-o', os.path.join(workdir, name)])
    measured = re.search(r'^peak_bytes (\d+)$', out, re.M)
    predicted = re.search(r'^predicted_peak_bytes (\d+)$', out, re.M)
    if code != 0 or not measured or not predicted:
        fail('%s: remat-run failed (exit %d):\n%s' % (name, code, out))
    results = [line for line in out.splitlines() if line.startswith('result ')]
    return int(measured.group(1)), int(predicted.group(1)), results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('remat_opt')
    parser.add_argument('remat_run')
    parser.add_argument('step')
    parser.add_argument('--points', type=int, default=20)
    parser.add_argument('--workdir')
    opts = parser.parse_args()
    workdir = opts.workdir or tempfile.mkdtemp(prefix='remat-sweep-')
    os.makedirs(workdir, exist_ok=True)

    smallest, unplanned = smallest_and_peak(opts.remat_opt, opts.step)
    measured, predicted, reference = execute(opts.remat_run, opts.step, workdir,
                                             'unplanned')
    if predicted != unplanned:
        fail('unplanned: remat-report predicts %d bytes, remat-checkpoint %d'
             % (predicted, unplanned))
    print('unplanned peak %d bytes, smallest feasible %d bytes' % (unplanned, smallest))

    budgets = [smallest + (unplanned - smallest) * i // (opts.points - 1)
               for i in range(opts.points)]
    previous_cost = None
    runs = {}
    for index, budget in enumerate(budgets):
        planned_ir = os.path.join(workdir, 'planned%d.mlir' % index)
        plan_file = os.path.join(workdir, 'plan%d.json' % index)
        code, out = run([opts.remat_opt, opts.step, '-o', planned_ir,
                         '--remat-checkpoint=budget=%d plan-file=%s' % (budget, plan_file)])
        if code != 0:
            fail('budget %d: remat-checkpoint failed:\n%s' % (budget, out))
        with open(plan_file) as f:
            plan = json.load(f)[0]
        cost = plan['recompute_flops']
        if plan['planned_peak_bytes'] > budget:
            fail('budget %d: planned peak %d is over it' % (budget, plan['planned_peak_bytes']))
        if plan['rewritten_peak_bytes'] != plan['planned_peak_bytes']:
            fail('budget %d: rewritten peak %d, planned %d'
                 % (budget, plan['rewritten_peak_bytes'], plan['planned_peak_bytes']))
        if previous_cost is not None and cost > previous_cost:
            fail('budget %d: recompute %g FLOPs, more than %g at a smaller budget'
                 % (budget, cost, previous_cost))
        previous_cost = cost
        # Budgets the frontier answers with the same plan rewrite the step to
        # the same IR: it was compiled and run already.
        with open(planned_ir) as f:
            text = f.read()
        if text in runs:
            measured, predicted, results, first = runs[text]
            same = ' (the plan of budget %d)' % first
        else:
            measured, predicted, results = execute(opts.remat_run, planned_ir,
                                                   workdir, 'planned%d' % index)
            runs[text] = (measured, predicted, results, budget)
            same = ''
        if measured != predicted:
            fail('budget %d: measured %d, predicted %d' % (budget, measured, predicted))
        if predicted != plan['planned_peak_bytes']:
            fail('budget %d: predicted %d, planned %d'
                 % (budget, predicted, plan['planned_peak_bytes']))
        if results != reference:
            fail('budget %d: results differ from the unplanned step' % budget)
        print('budget %d: planned = measured = %d bytes, recompute %g FLOPs, results equal%s'
              % (budget, measured, cost, same))
    print('PASS: %d budgets, %d distinct plans run' % (len(budgets), len(runs)))


if __name__ == '__main__':
    main()
