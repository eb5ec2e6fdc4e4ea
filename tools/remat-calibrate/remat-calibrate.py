#!/usr/bin/env python3
"""remat-calibrate: measure the time of each distinct op of training steps,
for the planning passes' cost=measured (docs/cost-model.md).

    remat-calibrate -o CALIBRATION.json [--mode in-step|isolated] [--repeat N]
        step.mlir [more.mlir ...]

An op's calibration key is a hash of its kernel (remat-opt
--remat-extract-kernels: the op alone in a function, its operands arguments,
empty tensors and constants cloned in); ops that compute the same thing on
the same shapes share one.

--mode in-step (the default): each step is run whole by remat-run
--op-times, instrumented with a clock call before each top-level op
(remat-opt --remat-instrument-ops), --repeat steps (default 100) in each of
--runs processes (default 5); an op's time is its fastest over all steps,
in the context the step gives it (the caches its producers leave, the
allocations and frees between its ticks). Several processes, because a whole
process can be slower than the next.
A key that occurs at several places takes the mean of their times: a
plan's predicted cost is a sum over recomputed ops, whose contexts are
those of the step's ops, and the mean keeps the sum over the whole step
equal to the measured one. Ops of a step that remat-run cannot run, or of a
function other than the one it runs, are timed alone as in isolated mode.
Then (unless --no-hot) each step runs again, planned with every activation
recomputed: the ops that read a recomputed result there are matched to
themselves in the unplanned step, and what they save (their time there
less here, shared among the recomputed values they read) is taken off the
time of the op that was recomputed: a key's `recompute_seconds`, its mean
time less the mean saving over its recomputed places, which the planner
charges a recomputation (its `seconds` stay the step's time).

--mode isolated: each kernel is compiled and run by remat-run exactly as a
step is (the same pipeline, compiler flags and runtime), --repeat times
(default 50), and its fastest run is its time.

The times are merged into CALIBRATION.json (kernels already there and not
measured again are kept), which the planning passes read with
`cost=measured calibration=CALIBRATION.json`. Rerun it when the lowering
changes: the times are the lowering's.
"""

import argparse
import datetime
import importlib.machinery
import importlib.util
import json
import os
import platform
import re
import shlex
import subprocess
import sys

# Filled in by CMake (tools/remat-calibrate/CMakeLists.txt).
REMAT_OPT = '@REMAT_OPT@'
REMAT_RUN = '@REMAT_RUN@'

FORMAT = 'remat-calibration'


def load_remat_run():
    """remat-run's script as a module: its errors, tool runner, scratch
    directories and report reader serve both drivers."""
    loader = importlib.machinery.SourceFileLoader('remat_run', REMAT_RUN)
    module = importlib.util.module_from_spec(
        importlib.util.spec_from_loader('remat_run', loader))
    loader.exec_module(module)
    return module


remat_run = load_remat_run()
Error = remat_run.Error


def split_kernels(text):
    """[(key, op, module text)] of the kernels module remat-opt printed: each
    kernel alone in a module, with the attribute aliases (#map = ...) the
    printer hoisted to the top."""
    lines = text.splitlines()
    aliases = [line for line in lines if line.startswith('#')]
    kernels, current = [], None
    for line in lines:
        header = re.match(r'  func\.func @k_([0-9a-f]+)\(', line)
        if header:
            op = re.search(r'remat\.kernel_op = "([^"]+)"', line)
            current = [header.group(1), op.group(1) if op else '?', [line]]
            continue
        if current is None:
            continue
        current[2].append(line)
        if line == '  }':
            body = '\n'.join(aliases + ['module {'] + current[2] + ['}', ''])
            kernels.append((current[0], current[1], body))
            current = None
    return kernels


def time_kernel(path, opts):
    """The fastest of --repeat runs of the kernel in `path`, in seconds."""
    cmd = [REMAT_RUN, path, '--repeat', str(opts.repeat or 50)] + \
        shlex.split(opts.remat_run_args or '')
    proc = subprocess.run(cmd, capture_output=True, text=True)
    # A kernel whose results differ between repeats (bits of a fresh buffer
    # its op leaves unwritten) still has a time.
    ms = remat_run.report_values(proc.stdout).get('step_ms_min')
    if ms is None:
        raise Error('remat-run failed (%s):\n%s%s' % (
            ' '.join(cmd), proc.stdout[-2000:], proc.stderr.strip()[-4000:]))
    return float(ms) / 1e3


def op_times(step, workdir, tag, opts):
    """The ops of `remat-run --op-times` on `step` (remat-instrument-ops'
    map with each op's fastest time), or None (with the reason printed)
    when remat-run cannot run it."""
    times = os.path.join(workdir, 'op-times-%s.json' % tag)
    cmd = [REMAT_RUN, step, '--repeat', str(opts.repeat or 100),
           '--runs', str(opts.runs), '--op-times', times] + shlex.split(opts.remat_run_args or '')
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not os.path.exists(times):
        print('%s: remat-run cannot run it in-step:\n%s'
              % (step, (proc.stderr.strip() or proc.stdout.strip())[-2000:]))
        return None
    with open(times) as f:
        return json.load(f)['ops']


def times_by_key(ops):
    """{key: (op, [seconds of each occurrence])} of timed ops."""
    found = {}
    for op in ops:
        if op['key'] is not None and op['seconds'] is not None:
            found.setdefault(op['key'], (op['op'], []))[1].append(op['seconds'])
    return found


def place(op):
    return (op['loc'], op['op'])


def recomputed_source(operand, by_index):
    """The original op (a `yields` entry) whose recomputation `operand`
    ([index, result] in an op-times map) reads, through tensor views (a
    collapse_shape of a recomputed value reads it); None for another
    value."""
    while operand:
        producer = by_index.get(operand[0])
        if producer is None:
            return None
        if producer['op'] == 'remat.recompute':
            return producer['yields'][operand[1]]
        # A view has no kernel (no key) and reads its source, operand 0.
        if producer['key'] is not None or not producer['op'].startswith('tensor.') \
                or not producer['operands']:
            return None
        operand = producer['operands'][0]
    return None


def hot_savings(step, unplanned, workdir, index, opts):
    """{key: [saving of each place recomputed]}: what the ops that read an
    op's result save, in seconds, when the result was just recomputed
    rather than kept since the forward pass.

    The step planned with every activation recomputed (solver=recompute-all,
    locations kept) is timed as the unplanned one was; each top-level op
    that reads a recomputation's result is matched to itself in the
    unplanned step (by location and name), and its time there less its time
    here is shared equally among the original ops whose recomputations it
    reads (directly or through tensor views). A place recomputed whose
    result no top-level op reads saves 0."""
    planned = os.path.join(workdir, 'recompute-all%d.mlir' % index)
    proc = subprocess.run([REMAT_OPT, step, '-o', planned, '--mlir-print-debuginfo',
                           '--remat-checkpoint=budget=1.0 solver=recompute-all'],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print('%s: no recompute-all plan, no hot run:\n%s' % (step, proc.stderr[-2000:]))
        return {}
    hot = op_times(planned, workdir, 'hot%d' % index, opts)
    if hot is None:
        return {}
    places = {}
    for op in unplanned:
        places.setdefault(place(op), []).append(op)
    by_index = {op['index']: op for op in hot}
    saved = {}
    for op in hot:
        if op['op'] == 'remat.recompute':
            saved.update((place(y), 0.0) for y in op['yields'] if y)
    for op in hot:
        original = places.get(place(op), [])
        if op['seconds'] is None or len(original) != 1 or \
                original[0]['seconds'] is None:
            continue
        read = set()
        for operand in op.get('operands', []):
            source = recomputed_source(operand, by_index)
            if source and place(source) in saved:
                read.add(place(source))
        for source in read:
            saved[source] += (original[0]['seconds'] - op['seconds']) / len(read)
    savings = {}
    for op in unplanned:
        if op['key'] is not None and len(places[place(op)]) == 1 and place(op) in saved:
            savings.setdefault(op['key'], []).append(saved[place(op)])
    return savings


def extract(step, workdir, index):
    """[(key, op, kernel module text)] of `step`'s ops that can run alone."""
    extracted = os.path.join(workdir, 'kernels%d.mlir' % index)
    remat_run.run_tool([REMAT_OPT, step, '--remat-extract-kernels', '-o', extracted],
                       'remat-opt (kernels)')
    with open(extracted) as f:
        return split_kernels(f.read())


def load(path, target):
    """The kernels of an existing calibration file to merge with."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        old = json.load(f)
    if old.get('format') != FORMAT:
        raise Error('%s exists and is not a calibration file' % path)
    if old.get('target') != target:
        raise Error('%s is a calibration for target %s, not %s' % (
            path, old.get('target'), target))
    return {k['key']: k for k in old.get('kernels', [])}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('inputs', nargs='+', help='.mlir files holding steps')
    parser.add_argument('-o', '--output', required=True,
                        help='the calibration file to write (merged when it exists)')
    parser.add_argument('--mode', choices=['in-step', 'isolated'], default='in-step',
                        help="in-step: time each op inside its step (default); "
                        "isolated: time each distinct op alone")
    parser.add_argument('--repeat', type=int,
                        help='steps run (in-step, default 100) or runs per kernel '
                        '(isolated, default 50); a time is the fastest')
    parser.add_argument('--runs', type=int, default=5,
                        help='in-step: processes, each of --repeat steps (default 5)')
    parser.add_argument('--no-hot', dest='hot', action='store_false',
                        help='in-step: no recompute_seconds (skips the run of '
                        'each step with every activation recomputed)')
    parser.add_argument('--remat-run-args', metavar='ARGS',
                        help="more remat-run flags for every kernel, e.g. '--cpu generic'")
    parser.add_argument('--keep', metavar='DIR', help='keep the kernels in DIR')
    return parser.parse_args(argv)


def measure(opts, workdir):
    """Times the ops of opts.inputs into the kernels of opts.output."""
    target = 'cpu'
    kernels = load(opts.output, target)
    # In-step: every occurrence of a key in every step, then their mean.
    occurrences, savings = {}, {}
    for index, step in enumerate(opts.inputs):
        ops = op_times(step, workdir, str(index), opts) \
            if opts.mode == 'in-step' else None
        if ops is None:
            continue
        for key, (op, seconds) in times_by_key(ops).items():
            occurrences.setdefault(key, (op, []))[1].extend(seconds)
        if opts.hot:
            for key, saved in hot_savings(step, ops, workdir, index, opts).items():
                savings.setdefault(key, []).extend(saved)
    measured = set()
    for key, (op, seconds) in sorted(occurrences.items()):
        mean = sum(seconds) / len(seconds)
        kernels[key] = {'key': key, 'op': op, 'seconds': mean, 'mode': 'in-step',
                        'occurrences': len(seconds),
                        'min_seconds': min(seconds), 'max_seconds': max(seconds)}
        hot = ''
        if key in savings:
            saving = sum(savings[key]) / len(savings[key])
            kernels[key].update(hot_saving_seconds=saving,
                                hot_places=len(savings[key]),
                                recompute_seconds=max(mean - saving, 0.0))
            hot = ', recomputed %.3f us' % (kernels[key]['recompute_seconds'] * 1e6)
        measured.add(key)
        print('%s %-24s %12.3f us in-step (%d)%s' % (key, op, mean * 1e6,
                                                     len(seconds), hot))
    for index, step in enumerate(opts.inputs):
        for key, op, body in extract(step, workdir, index):
            if key in measured:
                continue
            path = os.path.join(workdir, 'k_%s.mlir' % key)
            with open(path, 'w') as f:
                f.write(body)
            seconds = time_kernel(path, opts)
            kernels[key] = {'key': key, 'op': op, 'seconds': seconds,
                            'mode': 'isolated'}
            measured.add(key)
            print('%s %-24s %12.3f us' % (key, op, seconds * 1e6))
        sys.stdout.flush()
    result = {
        'format': FORMAT,
        'target': target,
        'written_by': 'remat-calibrate --mode %s%s%s%s' % (
            opts.mode, ' --repeat %d' % opts.repeat if opts.repeat else '',
            ' --runs %d' % opts.runs if opts.mode == 'in-step' else '',
            ' --no-hot' if opts.mode == 'in-step' and not opts.hot else ''),
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        'host': '%s, %d CPUs' % (platform.machine(), os.cpu_count() or 0),
        'load_average': os.getloadavg()[0],
        'kernels': sorted(kernels.values(), key=lambda k: k['key']),
    }
    with open(opts.output, 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')
    print('%d kernels measured, %d in %s' % (len(measured), len(kernels),
                                             opts.output))


def main(argv):
    opts = parse_args(argv)
    try:
        with remat_run.scratch_dir(opts.keep, 'remat-calibrate-') as workdir:
            measure(opts, workdir)
        return 0
    except (Error, OSError) as e:
        print('remat-calibrate: error: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
