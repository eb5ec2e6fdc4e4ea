#!/usr/bin/env python3
"""Predicted against measured time overhead of remat's plans, under each cost
model (docs/cost-model.md).

For each step (the 6-layer residual MLP of issue 14, tiny_convnet,
tiny_gpt_block, transformer_block) it calibrates the step's ops
(remat-calibrate, into bench/timecost/calibration.json), plans the step at
0.9, 0.7, 0.5 of its unplanned peak and at the smallest feasible budget
under cost=flops, roofline and measured, builds every distinct plan with
remat-run and times it against the unplanned step. Timing is interleaved:
each round runs every executable once (min of `repeat` steps), and an executable's time is its min over the rounds, so load on the
shared machine hits all of them alike. The measured overhead of a plan is its
time over the unplanned step's, minus one; the predicted overhead is the
planning pass's predicted_overhead_percent (FLOPs under cost=flops).

Minor page faults per step (getrusage of a run of `repeat` steps minus a run
of one) are recorded beside each time: remat-run's executables keep freed
memory in the heap (StepMain.c's mallopt), so a step after the first should
fault nothing; before they did, glibc gave the freed top of its heap back to
the kernel and every step faulted its buffers in again, a cost of the step's
peak and allocation order that no per-op time holds (docs/cost-model.md).

Rows whose predicted overhead is below SMALL_PERCENT (2%) of the step are
judged by their absolute error: there, timing noise of a percent or two
dominates any relative error.

    python3 bench/timecost/run.py [--steps residual_mlp,...] [--rounds 10]
        [--repeat 10] [--threads N] [--calibrate-mode in-step|isolated]
        [--no-calibrate] [--json FILE] [--doc]

--calibrate-mode is remat-calibrate's --mode: each op timed inside the
unplanned step (in-step, the default) or alone (isolated).

--doc writes the table into docs/benchmarks.md (between the timecost markers)
and the plot into docs/img/timecost.png.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get('REMAT_BUILD_DIR', os.path.join(ROOT, 'build'))
BIN = os.path.join(BUILD, 'bin')
REMAT_OPT = os.path.join(BIN, 'remat-opt')
REMAT_RUN = os.path.join(BIN, 'remat-run')
REMAT_CALIBRATE = os.path.join(BIN, 'remat-calibrate')
CALIBRATION = os.path.join(HERE, 'calibration.json')

STEP_FILES = {
    # 6 layers h + tanh(h @ w[i] + b[i]), batch 512, width 64.
    'residual_mlp': os.path.join(ROOT, 'examples', 'residual_mlp_6x512x64',
                                 'loops', 'residual_mlp_unrolled.mlir'),
    'tiny_convnet': os.path.join(ROOT, 'bench', 'graphs', 'tiny_convnet.mlir'),
    'tiny_gpt_block': os.path.join(ROOT, 'bench', 'graphs', 'tiny_gpt_block.mlir'),
    'transformer_block': os.path.join(ROOT, 'examples', 'transformer_block.mlir'),
}
FRACTIONS = ['0.9', '0.7', '0.5']
COSTS = ['flops', 'roofline', 'measured']
DOC_BEGIN = '<!-- timecost: begin (bench/timecost/run.py --doc) -->'
DOC_END = '<!-- timecost: end -->'
# Predicted overheads below this (in percent of the step) are judged by
# absolute error.
SMALL_PERCENT = 2.0
WITHIN = 0.15


def run(cmd, env=None, check=True):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and proc.returncode:
        raise RuntimeError('%s failed:\n%s%s' % (' '.join(cmd), proc.stdout[-3000:],
                                                 proc.stderr[-3000:]))
    return proc


def cost_flags(cost):
    flags = 'cost=%s' % cost
    if cost == 'measured':
        flags += ' calibration=%s' % CALIBRATION
    return flags


def budgets(step):
    out = run([REMAT_OPT, step, '-o', os.devnull,
               '--remat-checkpoint=budget=1'], check=False).stderr
    match = re.search(r'smallest feasible budget for this step, (\d+) bytes.*'
                      r'the unplanned peak is (\d+) bytes', out)
    if not match:
        raise RuntimeError('no smallest feasible budget for %s:\n%s' % (step, out))
    smallest, unplanned = int(match.group(1)), int(match.group(2))
    labels = [(f, f) for f in FRACTIONS if float(f) * unplanned >= smallest]
    return labels + [('smallest', str(smallest))], smallest, unplanned


def plan(step, budget, cost, workdir, tag):
    """(planned IR path, plan JSON entry) of `step` at `budget` under `cost`."""
    planned = os.path.join(workdir, tag + '.mlir')
    plan_json = os.path.join(workdir, tag + '.json')
    run([REMAT_OPT, step, '-o', planned, '--remat-checkpoint=budget=%s %s plan-file=%s'
         % (budget, cost_flags(cost), plan_json)])
    with open(plan_json) as f:
        return planned, json.load(f)[0]


def compile_exe(ir, workdir, tag):
    exe = os.path.join(workdir, tag)
    run([REMAT_RUN, ir, '--compile-only', '-o', exe])
    return exe


def time_exe(exe, repeat, env):
    out = run([exe, '--repeat', str(repeat)], env=env).stdout
    return float(re.search(r'^step_ms_min (\S+)$', out, re.M).group(1))


def minor_faults(cmd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    run(cmd, env=env)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - before


def faults_per_step(exe, repeat, env):
    """Minor page faults of one step after the first (a run of `repeat`
    steps minus a run of one)."""
    many = minor_faults([exe, '--repeat', str(repeat)], env)
    one = minor_faults([exe, '--repeat', '1'], env)
    return (many - one) / max(repeat - 1, 1)


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def measure(steps, rounds, repeat, threads, calibrate, calibrate_mode):
    env = dict(os.environ)
    if threads:
        env['REMAT_NUM_THREADS'] = str(threads)
        env['OMP_NUM_THREADS'] = str(threads)
    data = {'date': datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec='seconds'),
            'host': '%s, %d CPUs' % (platform.machine(), os.cpu_count() or 0),
            'threads': threads, 'rounds': rounds, 'repeat': repeat,
            'commit': run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                          check=False).stdout.strip(),
            # Whether the sources built differ from the commit (a shared tree).
            'uncommitted_sources': bool(run(
                ['git', '-C', ROOT, 'status', '--porcelain', '--untracked-files=no',
                 'lib', 'include', 'tools'], check=False).stdout.strip()),
            'remat_opt_built': datetime.datetime.fromtimestamp(
                os.path.getmtime(REMAT_OPT), datetime.timezone.utc).isoformat(
                    timespec='seconds'),
            'load_before': load_average(), 'steps': {},
            'calibrate_mode': calibrate_mode if calibrate else 'reused'}
    if calibrate:
        if os.path.exists(CALIBRATION):
            os.remove(CALIBRATION)
        run([REMAT_CALIBRATE, '-o', CALIBRATION, '--mode', calibrate_mode] +
            [STEP_FILES[s] for s in steps], env=env)
    data['load_after_calibration'] = load_average()
    with tempfile.TemporaryDirectory(prefix='remat-timecost-') as workdir:
        exes = {}  # IR digest -> executable
        for name in steps:
            step = STEP_FILES[name]
            labels, smallest, unplanned = budgets(step)
            entry = {'unplanned_peak_bytes': unplanned,
                     'smallest_feasible_bytes': smallest, 'plans': []}
            with open(step, 'rb') as f:
                base_digest = hashlib.sha1(f.read()).hexdigest()
            exes.setdefault(base_digest, compile_exe(step, workdir, name))
            entry['unplanned_exe'] = base_digest
            for label, budget in labels:
                for cost in COSTS:
                    tag = '%s-%s-%s' % (name, label, cost)
                    planned, result = plan(step, budget, cost, workdir, tag)
                    with open(planned, 'rb') as f:
                        digest = hashlib.sha1(f.read()).hexdigest()
                    if digest not in exes:
                        exes[digest] = compile_exe(planned, workdir, tag)
                    entry['plans'].append({
                        'budget': label, 'cost': cost, 'exe': digest,
                        'planned_peak_bytes': result['planned_peak_bytes'],
                        'recompute_flops': result['recompute_flops'],
                        'flop_overhead_percent': result['overhead_percent'],
                        # cost=flops predicts its FLOP overhead.
                        'predicted_overhead_percent': result.get(
                            'predicted_overhead_percent', result['overhead_percent']),
                        'predicted_step_seconds': result.get('step_seconds'),
                        'recomputed': sorted(r['value'] for r in result['recomputed'])})
            data['steps'][name] = entry
        times = {digest: float('inf') for digest in exes}
        for _ in range(rounds):
            for digest, exe in exes.items():
                times[digest] = min(times[digest], time_exe(exe, repeat, env))
        faults = {digest: faults_per_step(exe, repeat, env)
                  for digest, exe in exes.items()}
        for entry in data['steps'].values():
            base = times[entry['unplanned_exe']]
            entry['unplanned_ms'] = base
            entry['unplanned_faults_per_step'] = faults[entry['unplanned_exe']]
            for p in entry['plans']:
                p['ms'] = times[p['exe']]
                p['faults_per_step'] = faults[p['exe']]
                p['measured_overhead_percent'] = 100 * (p['ms'] / base - 1)
    data['load_after'] = load_average()
    return data


def is_small(p):
    return p['predicted_overhead_percent'] < SMALL_PERCENT


def error(p):
    """(relative error, absolute error in points) of a plan."""
    predicted = p['predicted_overhead_percent']
    absolute = abs(p['measured_overhead_percent'] - predicted)
    return (absolute / predicted if predicted > 0 else None), absolute


def format_error(p):
    relative, absolute = error(p)
    if is_small(p):
        return '%.1f pt' % absolute
    return '%.0f%%' % (100 * relative)


def table(data):
    lines = ['| step | budget | cost model | recomputes | predicted overhead | '
             'measured overhead | error | page faults per step |',
             '|---|---|---|---|---|---|---|---|']
    for name, entry in data['steps'].items():
        for p in entry['plans']:
            lines.append('| %s | %s | %s | %d values, %.1f%% of FLOPs | %.1f%% | '
                         '%.1f%% | %s | %.0f |' % (
                             name, p['budget'], p['cost'], len(p['recomputed']),
                             p['flop_overhead_percent'],
                             p['predicted_overhead_percent'],
                             p['measured_overhead_percent'], format_error(p),
                             abs(p['faults_per_step'])))
    return '\n'.join(lines)


def summary(data):
    """Per cost model, among plans that recompute something: those predicted
    at SMALL_PERCENT or more whose measured overhead is within 15% of the
    prediction; the absolute error of the others."""
    lines = []
    for cost in COSTS:
        plans = [p for e in data['steps'].values() for p in e['plans']
                 if p['cost'] == cost and p['recomputed']]
        large = [p for p in plans if not is_small(p)]
        errors = sorted(error(p)[0] for p in large)
        absolute = sorted(error(p)[1] for p in plans if is_small(p))
        line = '- cost=%s: %d of %d plans predicted at %g%% or more within 15%%' % (
            cost, sum(e <= WITHIN for e in errors), len(large), SMALL_PERCENT)
        if errors:
            line += ' (median relative error %.0f%%)' % (100 * errors[len(errors) // 2])
        if absolute:
            line += '; %d predicted below %g%%: absolute error %s points' % (
                len(absolute), SMALL_PERCENT,
                ', '.join('%.1f' % a for a in absolute))
        lines.append(line)
    return '\n'.join(lines)


def plot(data, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(COSTS), figsize=(12, 4), sharey=True)
    plans = [p for e in data['steps'].values() for p in e['plans'] if p['recomputed']]
    top = max([p['measured_overhead_percent'] for p in plans] +
              [p['predicted_overhead_percent'] for p in plans] + [1]) * 1.05
    bottom = min([p['measured_overhead_percent'] for p in plans] + [0]) - 2
    for ax, cost in zip(axes, COSTS):
        for name, entry in data['steps'].items():
            mine = [p for p in entry['plans'] if p['cost'] == cost and p['recomputed']]
            ax.scatter([p['predicted_overhead_percent'] for p in mine],
                       [p['measured_overhead_percent'] for p in mine],
                       label=name, s=18)
        # Many points: the band's edges are straight only on linear axes.
        xs = [top * i / 400 for i in range(401)]
        ax.plot(xs, xs, 'k-', lw=0.8)
        ax.fill_between(xs, [(1 - WITHIN) * x for x in xs],
                        [(1 + WITHIN) * x for x in xs],
                        color='gray', alpha=0.3, label='within 15%')
        ax.set_xscale('symlog', linthresh=2)
        ax.set_yscale('symlog', linthresh=2)
        ax.set_ylim(bottom, top)
        ax.set_title('cost=%s' % cost)
        ax.set_xlabel('predicted overhead (%)')
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('measured step-time overhead (%)')
    axes[0].legend(fontsize=7)
    fig.suptitle('Predicted vs measured time overhead of plans (CPU, %s thread(s); '
                 'symlog axes, linear below 2%%)' % (data['threads'] or 'default'),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_doc(data, doc=os.path.join(ROOT, 'docs', 'benchmarks.md')):
    image = os.path.join(ROOT, 'docs', 'img', 'timecost.png')
    os.makedirs(os.path.dirname(image), exist_ok=True)
    plot(data, image)
    def predicted_step(entry, cost):
        seconds = [p['predicted_step_seconds'] for p in entry['plans']
                   if p['cost'] == cost and p['predicted_step_seconds']]
        return '%.3f ms' % (1e3 * seconds[0]) if seconds else '-'
    unplanned = '; '.join(
        '%s %.3f ms, %.0f page faults per step (predicted: measured %s, '
        'roofline %s)' % (
            n, e['unplanned_ms'], abs(e['unplanned_faults_per_step']),
            predicted_step(e, 'measured'), predicted_step(e, 'roofline'))
        for n, e in data['steps'].items())
    body = '\n'.join([
        DOC_BEGIN,
        '## Time overhead: predicted against measured',
        '',
        'The planner minimizes what the cost model predicts (docs/cost-model.md): '
        'recomputed FLOPs under `cost=flops`, predicted time under `cost=roofline` '
        '(`target=cpu` constants) and `cost=measured` (per-op times from '
        '`remat-calibrate --mode %s`, run just before on this machine into '
        '`bench/timecost/calibration.json`). Each step is planned at 0.9, 0.7, '
        '0.5 of its unplanned peak (where feasible) and at its smallest feasible '
        'budget under each model, and every plan is run by remat-run against the '
        'unplanned step. Predicted overhead: the model\'s recompute cost over the '
        'step\'s (FLOPs for `flops`); measured overhead: planned step time over '
        'unplanned step time, minus one; error: |measured - predicted| / predicted, '
        'or, where less than %g%% of the step is predicted, |measured - predicted| '
        'in percentage points ("pt": there a percent or two of timing noise would '
        'make any relative error large; these rows are counted apart). Page '
        'faults per step: minor faults of a step after the first (a step that '
        'faults pays about 1.7 us per 4 KiB page here, which no per-op time '
        'holds; docs/cost-model.md, "How well it predicts").' % (
            data.get('calibrate_mode', 'isolated'), SMALL_PERCENT),
        '',
        'Measured %s on %s (`python3 bench/timecost/run.py --doc`, not under `nice`, '
        'which would let the other jobs preempt the timed ones; commit %s%s), '
        '%s thread(s), min over %d interleaved rounds of %d steps each; load average '
        '(1, 5, 15 min) %s before, %s after calibrating, %s at the end (a shared '
        '2-core machine: timings are noisy). Unplanned steps: %s.' % (
            data['date'], data['host'], data['commit'],
            ' with uncommitted changes to the sources built'
            if data.get('uncommitted_sources') else '',
            data['threads'] or 'default',
            data['rounds'], data['repeat'],
            *('%.1f, %.1f, %.1f' % tuple(data[k]) for k in (
                'load_before', 'load_after_calibration', 'load_after')),
            unplanned),
        '',
        summary(data),
        '',
        'This is one run: docs/cost-model.md ("How well it predicts") gives '
        'the spread over several, the same bench calibrated op by op alone '
        '(`--calibrate-mode isolated`), and where the remaining error is '
        '(bench/timecost/in_step.py).',
        '',
        '![predicted vs measured overhead](img/timecost.png)',
        '',
        table(data),
        DOC_END])
    with open(doc) as f:
        text = f.read()
    if DOC_BEGIN in text:
        start, end = text.index(DOC_BEGIN), text.index(DOC_END) + len(DOC_END)
        text = text[:start] + body + text[end:]
    else:
        text = text.rstrip('\n') + '\n\n' + body + '\n'
    with open(doc, 'w') as f:
        f.write(text)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--steps', default=','.join(STEP_FILES))
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--threads', type=int, default=1,
                        help='REMAT_NUM_THREADS for calibration and runs (0: unset)')
    parser.add_argument('--calibrate-mode', choices=['in-step', 'isolated'],
                        default='in-step', help="remat-calibrate's --mode")
    parser.add_argument('--no-calibrate', action='store_true',
                        help='reuse bench/timecost/calibration.json')
    parser.add_argument('--json', default=os.path.join(HERE, 'results.json'))
    parser.add_argument('--doc', action='store_true')
    opts = parser.parse_args(argv)
    steps = opts.steps.split(',')
    data = measure(steps, opts.rounds, opts.repeat, opts.threads,
                   not opts.no_calibrate, opts.calibrate_mode)
    with open(opts.json, 'w') as f:
        json.dump(data, f, indent=1)
        f.write('\n')
    print(table(data))
    print(summary(data))
    if opts.doc:
        write_doc(data)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
