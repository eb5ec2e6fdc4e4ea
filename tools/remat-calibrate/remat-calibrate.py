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


def time_in_step(step, workdir, index, opts):
    """{key: (op, [seconds of each occurrence])} of `step`'s ops timed inside
    the step, or None (with the reason printed) when remat-run cannot run
    it."""
    times = os.path.join(workdir, 'op-times%d.json' % index)
    cmd = [REMAT_RUN, step, '--repeat', str(opts.repeat or 100),
           '--runs', str(opts.runs), '--op-times', times] + shlex.split(opts.remat_run_args or '')
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not os.path.exists(times):
        print('%s: remat-run cannot run it in-step, its ops are timed alone:\n%s'
              % (step, (proc.stderr.strip() or proc.stdout.strip())[-2000:]))
        return None
    with open(times) as f:
        ops = json.load(f)['ops']
    found = {}
    for op in ops:
        if op['key'] is not None and op['seconds'] is not None:
            found.setdefault(op['key'], (op['op'], []))[1].append(op['seconds'])
    return found


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
    parser.add_argument('--remat-run-args', metavar='ARGS',
                        help="more remat-run flags for every kernel, e.g. '--cpu generic'")
    parser.add_argument('--keep', metavar='DIR', help='keep the kernels in DIR')
    return parser.parse_args(argv)


def measure(opts, workdir):
    """Times the ops of opts.inputs into the kernels of opts.output."""
    target = 'cpu'
    kernels = load(opts.output, target)
    # In-step: every occurrence of a key in every step, then their mean.
    occurrences = {}
    for index, step in enumerate(opts.inputs):
        found = time_in_step(step, workdir, index, opts) \
            if opts.mode == 'in-step' else None
        for key, (op, seconds) in (found or {}).items():
            occurrences.setdefault(key, (op, []))[1].extend(seconds)
    measured = set()
    for key, (op, seconds) in sorted(occurrences.items()):
        mean = sum(seconds) / len(seconds)
        kernels[key] = {'key': key, 'op': op, 'seconds': mean, 'mode': 'in-step',
                        'occurrences': len(seconds),
                        'min_seconds': min(seconds), 'max_seconds': max(seconds)}
        measured.add(key)
        print('%s %-24s %12.3f us in-step (%d)' % (key, op, mean * 1e6,
                                                   len(seconds)))
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
        'written_by': 'remat-calibrate --mode %s%s%s' % (
            opts.mode, ' --repeat %d' % opts.repeat if opts.repeat else '',
            ' --runs %d' % opts.runs if opts.mode == 'in-step' else ''),
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
