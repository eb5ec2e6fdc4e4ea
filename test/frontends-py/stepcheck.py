"""Plans, lowers and runs an imported step with remat-run, and reads back what
it measured and computed."""
import re
import subprocess

import numpy as np

_DTYPES = {'f32': np.float32, 'f64': np.float64, 'i64': np.int64,
           'i32': np.int32, 'i1': np.bool_}


def run(cmd, **kwargs):
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise AssertionError('%s failed (%d):\n%s%s' % (
            ' '.join(map(str, cmd)), done.returncode, done.stdout, done.stderr))
    return done.stdout


def plan_error(remat_opt, mlir, budget):
    """remat-checkpoint's error at `budget` (it must refuse)."""
    done = subprocess.run(
        [remat_opt, str(mlir), '--remat-checkpoint=budget=%s' % budget,
         '-o', '/dev/null'], capture_output=True, text=True)
    assert done.returncode != 0, 'remat-checkpoint planned at %s' % budget
    return done.stderr


def smallest_feasible(error):
    match = re.search(r'smallest feasible budget for this step, (\d+) bytes.*'
                      r'the unplanned peak is (\d+) bytes', error)
    assert match, error
    return int(match.group(1)), int(match.group(2))


def _tensor_type(text):
    dims, elem = re.fullmatch(r'tensor<((?:\d+x)*)(\w+)>', text).groups()
    return tuple(int(d) for d in dims.split('x') if d), _DTYPES[elem]


def run_step(remat_run, mlir, workdir, arg_types, budget=None):
    """Compiles the step (planned at `budget`, else unplanned), runs it with
    --check-peak 0 (the measured peak must be the predicted one to the byte)
    and returns (report dict, arguments, results), the arrays as numpy
    arrays; `arg_types` are the arguments' (shape, numpy dtype)."""
    exe = workdir / ('step-%s.exe' % (budget or 'unplanned'))
    cmd = [remat_run, str(mlir), '--compile-only', '-o', str(exe)]
    if budget is not None:
        cmd[1:1] = ['--budget', str(budget)]
    run(cmd)
    prefix = workdir / ('dump-%s-' % (budget or 'unplanned'))
    out = run([str(exe), '--check-peak', '0', '--dump', str(prefix)])
    report = {}
    types = {'arg': list(arg_types), 'result': []}
    for line in out.splitlines():
        fields = line.split()
        if fields[0] == 'result':
            types['result'].append(_tensor_type(fields[2]))
            report.setdefault('hashes', []).append(fields[4])
        elif len(fields) == 2 and fields[0].endswith('_bytes'):
            report[fields[0]] = int(fields[1])
    assert report['peak_bytes'] == report['predicted_peak_bytes'], out
    assert len(report['hashes']) == len(types['result']), out
    arrays = {}
    for kind in ('arg', 'result'):
        arrays[kind] = [
            np.fromfile('%s%s%d.bin' % (prefix, kind, i), dtype=dtype).reshape(shape)
            for i, (shape, dtype) in enumerate(types[kind])]
    return report, arrays['arg'], arrays['result']
