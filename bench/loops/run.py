#!/usr/bin/env python3
"""remat-loop-checkpoint's binomial schedule: re-runs, peaks, compile time.

For the looped residual MLP (examples/loops, and generated sizes), at each
checkpoint count c, prints markdown tables (docs/planner.md, "Loops"):

- re-run forward iterations: Griewank's closed form t(L, c), the count the
  pass reports, and the count measured on the CPU (remat-run: each untaped
  forward iteration allocates the forward body's buffers, so
  allocations_per_step - a * t(L, c) must be the same for every c), with
  their FLOPs (the cost model's FLOPs of one forward iteration) as a share of
  the step's; measured and predicted peaks;
- the two-level schedule at its segment counts;
- remat-checkpoint (solver fast) on the unrolled twin at the binomial peak
  of each c: its recompute FLOPs, in forward iterations;
- compile time of the pass at 1 000 and 100 000 iterations (--mlir-timing,
  min of --repeat runs) and the size of the IR it writes.

Usage: bench/loops/run.py [--build build] [--repeat 5]
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, 'examples', 'gen_examples.py')


def beta(s, r):
    return math.comb(s + r, s) if s >= 0 and r >= 0 else 0


def reps(l, s):
    r = 0
    while beta(s, r) < l:
        r += 1
    return r


def binomial_t(l, s):
    """Griewank's least number of untaped forward steps, l steps, s slots."""
    if l <= 1:
        return 0
    r = reps(l, s)
    return r * l - beta(s + 1, r - 1)


class Tools:
    def __init__(self, build):
        self.opt = os.path.join(build, 'bin', 'remat-opt')
        self.run = os.path.join(build, 'bin', 'remat-run')

    def remat_opt(self, args, check=True):
        proc = subprocess.run([self.opt] + args, capture_output=True, text=True)
        if check and proc.returncode != 0:
            sys.exit('remat-opt %s failed:\n%s' % (' '.join(args), proc.stderr))
        return proc

    def report(self, step):
        with tempfile.NamedTemporaryFile(suffix='.json') as out:
            self.remat_opt([step, '--remat-localize-inits',
                            '--remat-report=report-file=' + out.name, '-o', os.devnull])
            return json.load(open(out.name))[0]

    def execute(self, step):
        proc = subprocess.run([self.run, step, '--check-peak', '0'],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit('remat-run %s failed:\n%s%s' % (step, proc.stdout, proc.stderr))
        fields = {}
        results = []
        for line in proc.stdout.splitlines():
            if line.startswith('result '):
                results.append(line)
            elif ' ' in line:
                key, value = line.split(' ', 1)
                fields[key] = value
        return results, int(fields['allocations_per_step']), int(fields['peak_bytes']), \
            int(fields['predicted_peak_bytes'])


def generate(layers, batch, dim, workdir):
    out = os.path.join(workdir, 'l%d_%d_%d' % (layers, batch, dim))
    subprocess.run([sys.executable, GEN, '--residual-mlp', '%d,%d,%d' % (layers, batch, dim),
                    '--out-dir', out], check=True, capture_output=True)
    return os.path.join(out, 'loops', 'residual_mlp_loop.mlir'), \
        os.path.join(out, 'loops', 'residual_mlp_unrolled.mlir')


def forward_allocations(loop_file):
    """Buffers one forward iteration allocates: its tensor.empty ops."""
    text = open(loop_file).read()
    body = text[text.index('%fw:'):text.index('scf.yield')]
    return body.count('tensor.empty')


def overhead_table(tools, layers, batch, dim, counts, workdir):
    loop, unrolled = generate(layers, batch, dim, workdir)
    # One forward iteration's FLOPs: the cost model's, as the difference of
    # the forward FLOPs at layers + 1 and layers.
    loop_more, _ = generate(layers + 1, batch, dim, workdir)
    report = tools.report(loop)
    iteration_flops = tools.report(loop_more)['forward_flops'] - report['forward_flops']
    step_flops = report['forward_flops'] + report['backward_flops']
    per_iteration = forward_allocations(loop)
    reference, _, unrolled_peak, _ = tools.execute(unrolled)
    loop_results, _, loop_peak, _ = tools.execute(loop)
    assert loop_results == reference
    print('\n### Residual MLP, %d layers, batch %d, width %d\n' % (layers, batch, dim))
    print('Unplanned: the loop peaks at %d bytes, the unrolled twin at %d; a step '
          'is %d FLOPs, one forward iteration %d (%.1f%%). Allocations: each '
          'untaped forward iteration allocates %d buffers.\n'
          % (loop_peak, unrolled_peak, step_flops, iteration_flops,
             100.0 * iteration_flops / step_flops, per_iteration))
    print('| c | t(L, c) closed form | pass reports | allocations (measured) | '
          'allocations - %d t | re-run FLOPs (%% of step) | peak measured | peak predicted | '
          'unrolled remat-checkpoint at that peak: recompute FLOPs (= iterations) |'
          % per_iteration)
    print('|---|---|---|---|---|---|---|---|---|')
    rows = []
    for c in counts:
        planned = os.path.join(workdir, 'l%d_c%d.mlir' % (layers, c))
        proc = tools.remat_opt([loop, '--remat-loop-checkpoint=checkpoints=%d' % c,
                                '-o', planned])
        reported = int(re.search(r'(\d+) forward iterations re-run', proc.stderr).group(1))
        results, allocations, peak, predicted = tools.execute(planned)
        assert results == reference, 'c = %d: results differ from the unrolled step' % c
        t = binomial_t(layers, c)
        plan_file = os.path.join(workdir, 'plan.json')
        proc = tools.remat_opt([unrolled, '--remat-checkpoint=budget=%d plan-file=%s'
                                % (peak, plan_file), '-o', os.devnull], check=False)
        if proc.returncode == 0:
            plan = json.load(open(plan_file))[0]
            unrolled_cell = '%d (%.2f), peak %d' % (
                plan['recompute_flops'], plan['recompute_flops'] / iteration_flops,
                plan['planned_peak_bytes'])
        else:
            unrolled_cell = 'no plan'
        rows.append((c, t, peak))
        print('| %d | %d | %d | %d | %d | %d (%.1f%%) | %d | %d | %s |' % (
            c, t, reported, allocations, allocations - per_iteration * t,
            t * iteration_flops, 100.0 * t * iteration_flops / step_flops,
            peak, predicted, unrolled_cell))
    print('\nTwo-level schedule (re-runs L = %d iterations at every c):\n' % layers)
    print('| segments | peak predicted |')
    print('|---|---|')
    for c in range(2, layers // 2 + 1):
        if layers % c:
            continue
        planned = os.path.join(workdir, 'l%d_two%d.mlir' % (layers, c))
        tools.remat_opt([loop, '--remat-loop-checkpoint=schedule=two-level checkpoints=%d' % c,
                         '-o', planned])
        print('| %d | %d |' % (c, tools.report(planned)['peak_bytes']))
    return rows


def pass_seconds(tools, args):
    proc = tools.remat_opt(args + ['--mlir-timing', '-o', os.devnull])
    match = re.search(r'([0-9.]+) \([ 0-9.]+%\)\s+RematLoopCheckpoint', proc.stderr)
    return float(match.group(1))


def compile_table(tools, workdir, repeat):
    print('\n### Compile time\n')
    print('remat-opt --remat-loop-checkpoint on the generated loop (batch 4, width 8): '
          'the pass\'s wall time from --mlir-timing, min of %d runs, and the lines of '
          'the IR it writes.\n' % repeat)
    print('| L | options | c | re-runs | pass time | IR lines |')
    print('|---|---|---|---|---|---|')
    for layers in (1000, 100000):
        loop, _ = generate(layers, 4, 8, workdir)
        for options in ('checkpoints=2', 'checkpoints=10', 'checkpoints=100', '',
                        'budget=0.8', 'schedule=two-level'):
            args = [loop, '--remat-loop-checkpoint' + ('=' + options if options else '')]
            seconds = min(pass_seconds(tools, args) for _ in range(repeat))
            proc = tools.remat_opt(args + ['-o', '-'])
            lines = proc.stdout.count('\n')
            match = re.search(r'(\d+) checkpoints? for \d+ iterations: (\d+) forward', proc.stderr)
            if match:
                c, t = match.group(1), match.group(2)
                assert int(t) == binomial_t(layers, int(c))
            else:
                c = re.search(r'(\d+) checkpoints, segments', proc.stderr).group(1)
                t = str(layers)
            print('| %d | %s | %s | %s | %.4f s | %d |' % (layers, options or '(default)', c, t,
                                                           seconds, lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--build', default=os.path.join(ROOT, 'build'))
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()
    tools = Tools(args.build)
    load = open('/proc/loadavg').read().split()[:3]
    print('Load average at start: %s' % ' '.join(load))
    with tempfile.TemporaryDirectory() as workdir:
        overhead_table(tools, 8, 128, 64, range(1, 8), workdir)
        overhead_table(tools, 32, 16, 32, (1, 2, 3, 4, 6, 8, 16, 31), workdir)
        compile_table(tools, workdir, args.repeat)
    load = open('/proc/loadavg').read().split()[:3]
    print('\nLoad average at end: %s' % ' '.join(load))


if __name__ == '__main__':
    main()
