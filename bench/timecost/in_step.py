#!/usr/bin/env python3
"""Time each top-level op of a step inside the step (a diagnostic for
docs/cost-model.md, "How well it predicts").

    python3 bench/timecost/in_step.py STEP.mlir [--budget B --cost measured
        --calibration FILE] [--repeat 100]

Prints remat-opt's form of the step (planned when --budget is given) with a
call to remat_tick(i) (in_step_tick.c) before each top-level op of each
function body and before its return, builds it with remat-run and runs it
`repeat` times at 1 thread. Op i's time is the minimum over the steps of the
time from tick i to tick i+1: a remat.recompute region counts as one op,
with the allocations and frees the lowering places between its ticks. It
prints the sum of the op minima, the recompute regions' share and the slowest
ops. The ticks add about 0.1 us each to the step, so compare instrumented
steps with each other, not with remat-run's plain step time. A prototype:
text-level instrumentation of printed IR, not a pass.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as timecost  # noqa: E402  (the build's tools, run())


def instrument(text):
    """(instrumented IR, [first line of top-level op i])."""
    out, ops, inside = [], [], False
    for line in text.split('\n'):
        if line.startswith('module'):
            out.append(line)
            out.append('  func.func private @remat_tick(i64)')
            continue
        if re.match(r'  func\.func @', line):
            inside = True
        elif inside and re.match(r'    [^ }^]', line):
            index = len(ops)
            out.append('    %%remat_tick_%d = arith.constant %d : i64' % (index, index))
            out.append('    func.call @remat_tick(%%remat_tick_%d) : (i64) -> ()' % index)
            ops.append(line.strip())
            inside = not line.startswith('    return')
        out.append(line)
    return '\n'.join(out), ops


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('step')
    parser.add_argument('--budget')
    parser.add_argument('--cost', default='measured')
    parser.add_argument('--calibration', default=timecost.CALIBRATION)
    parser.add_argument('--repeat', type=int, default=100)
    parser.add_argument('--top', type=int, default=8)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='remat-in-step-') as workdir:
        printed = os.path.join(workdir, 'step.mlir')
        cmd = [timecost.REMAT_OPT, opts.step, '-o', printed]
        if opts.budget:
            cmd.append('--remat-checkpoint=budget=%s cost=%s%s' % (
                opts.budget, opts.cost,
                ' calibration=' + opts.calibration if opts.cost == 'measured' else ''))
        timecost.run(cmd)
        with open(printed) as f:
            text, ops = instrument(f.read())
        if not ops:
            sys.exit('in_step.py: no top-level ops found in %s' % printed)
        instrumented = os.path.join(workdir, 'instrumented.mlir')
        with open(instrumented, 'w') as f:
            f.write(text)
        exe = os.path.join(workdir, 'step')
        timecost.run([timecost.REMAT_RUN, instrumented, '--compile-only', '-o', exe,
                      '--link', os.path.join(HERE, 'in_step_tick.c')])
        ticks = os.path.join(workdir, 'ticks')
        env = dict(os.environ, REMAT_TICKS=ticks, REMAT_NUM_THREADS='1')
        out = timecost.run([exe, '--repeat', str(opts.repeat)], env=env).stdout
        with open(ticks) as f:
            times = [float(line.split()[1]) for line in f]
    step_ms = re.search(r'^step_ms_min (\S+)$', out, re.M).group(1)
    total = sum(times)
    recompute = sum(t for t, op in zip(times, ops) if 'remat.recompute' in op)
    print('instrumented step min %s ms; sum of %d op minima %.1f us; '
          'remat.recompute regions %.1f us (%.1f%% of the sum)' % (
              step_ms, len(ops), total / 1e3, recompute / 1e3,
              100 * recompute / total if total else 0))
    for t, op in sorted(zip(times, ops), reverse=True)[:opts.top]:
        print('%10.2f us  %s' % (t / 1e3, op[:100]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
