#!/usr/bin/env python3
"""Random training steps, planned at random budgets by random solvers, each
plan checked (docs/fuzzing.md, "The random-step stress driver").

    random-steps.py REMAT_OPT REMAT_RUN [--count N] [--seconds S] [--seed K]
                    [--plans P] [--workdir DIR] [--no-unused-ops]

Each step is a small random MLP built with examples/gen_examples.py's Builder
(the generator of the bundled examples): 1 to 6 layers of random widths, with
or without biases, tanh, exp, square or no activation, residual connections
where the widths allow, a squared-error or a sum-of-squares loss, and the
backward pass by reverse mode, and now and then a forward op nothing reads
(the lowering deletes those, and the memory model must not count them:
test/Execution/cpu-unused-op.mlir; --no-unused-ops leaves them out), views
that narrow a layer's output for the next (VIEWS: a slice of columns, a
strided slice, a collapse_shape bufferization copies), and now and then
results copied or cloned at the return (a strided slice of a gradient, the
input as it is). The driver

- executes the unplanned step with remat-run (CPU): the measured peak must be
  the predicted one (--check-peak 0); its results are the reference;
- plans it P times at a random budget (from the smallest feasible budget to
  the unplanned peak; one in seven from 90% of the smallest feasible budget to
  just under it) with a random solver (fast, exact with a
  2-second limit, keep-all, recompute-all, sqrtn, knapsack), and for each:
  remat-opt ends with a plan or with an error that is not an internal one
  (never a crash); an infeasible budget is refused only when it is below the
  smallest feasible budget or the solver is a baseline; a plan peaks at or
  under its budget, its rewritten IR peaks at the planned peak, the IR
  verifies (remat-opt reads it back), and, executed, it measures the planned
  peak to the byte and computes bitwise the unplanned step's results.

It stops after N steps or S seconds, whichever comes first (at least one
step), prints one line per plan and a summary, and exits 1 at the first broken
promise, leaving the step and the command that broke it in the work directory.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'examples'))
import gen_examples as g  # noqa: E402
import numpy as np  # noqa: E402

SOLVERS = ['fast', 'fast', 'exact', 'keep-all', 'recompute-all', 'sqrtn',
           'knapsack']
BASELINES = {'keep-all', 'recompute-all', 'sqrtn', 'knapsack'}


class Broken(Exception):
    pass


# ---- random steps -------------------------------------------------------------

ACTIVATIONS = {
    # name: (forward of u, what the backward reads, backward of (upstream, it))
    'tanh': (g.tanh, 'output', lambda d, t: d * (1.0 - t * t)),
    'exp': (g.exp, 'output', lambda d, t: d * t),
    'square': (lambda u: u * u, 'input', lambda d, u: d * (2.0 * u)),
    'none': (None, None, None),
}


def extract(b, src, offsets, sizes, strides, name):
    """A slice of `src` (any rank), a view."""
    index = tuple(slice(o, o + n * t, t) for o, n, t in zip(offsets, sizes, strides))
    r = b._new(name, tuple(sizes), np.array(src.data[index], order='C'),
               kind='view', root=src.root)
    b._emit('tensor.extract_slice',
            '%%%s = tensor.extract_slice %%%s[%s] [%s] [%s] : %s to %s'
            % (r.name, src.name, ', '.join(map(str, offsets)),
               ', '.join(map(str, sizes)), ', '.join(map(str, strides)),
               src.type, r.type), [src])
    return r


def insert(b, v, dest, offsets, strides, name):
    """`dest` with the slice at `offsets` (step `strides`) replaced by `v`."""
    index = tuple(slice(o, o + n * t, t) for o, n, t in zip(offsets, v.shape, strides))
    data = np.array(dest.data)
    data[index] = v.data
    r = b._new(name, dest.shape, data)
    b._emit('tensor.insert_slice',
            '%%%s = tensor.insert_slice %%%s into %%%s[%s] [%s] [%s] : %s into %s'
            % (r.name, v.name, dest.name, ', '.join(map(str, offsets)),
               ', '.join(map(str, v.shape)), ', '.join(map(str, strides)),
               v.type, dest.type), [v, dest])
    return r


# Views between layers (a layer's output, narrowed, is the next one's input),
# each halving the width: the first columns (`cols`), every other column
# (`strided`), and every other column through expand_shape, a 3-D slice and a
# collapse_shape that bufferization must copy (`collapse`: the merged dims
# are not contiguous). The backward reads the view (the next layer's weight
# gradient) and scatters its gradient back into zeros.
VIEWS = ['cols', 'strided', 'collapse']


def view_forward(b, h, kind, name):
    batch, width = h.shape
    half = width // 2
    if kind == 'cols':
        return extract(b, h, [0, 0], [batch, half], [1, 1], name)
    if kind == 'strided':
        return extract(b, h, [0, 0], [batch, half], [1, 2], name)
    e = b.expand(h, [[0], [1, 2]], (batch, half, 2), name + '_e')
    s = extract(b, e, [0, 0, 0], [batch, half, 1], [1, 1, 1], name + '_s')
    return b.collapse(s, [[0], [1, 2]], name)


def view_backward(b, d, kind, shape, name):
    """The gradient of the view's source from the view's gradient `d`."""
    batch, width = shape
    if kind in ('cols', 'strided'):
        zeros = b.zeros(name + '_z', shape)
        return insert(b, d, zeros, [0, 0], [1, 1 if kind == 'cols' else 2], name)
    zeros = b.zeros(name + '_z', (batch, width // 2, 2))
    d3 = b.expand(d, [[0], [1, 2]], (batch, width // 2, 1), name + '_e')
    full = insert(b, d3, zeros, [0, 0, 0], [1, 1, 1], name + '_i')
    return b.collapse(full, [[0], [1, 2]], name)


def random_step(rng, unused_ops):
    """(MLIR text, description) of a random training step."""
    batch = rng.choice([8, 16, 32, 64])
    layers = rng.randint(1, 6)
    widths = [rng.choice([4, 8, 16, 32]) for _ in range(layers + 1)]
    # views[i]: the view between layer i and layer i + 1 (none after the
    # last); inputs[i]: the input width of layer i + 1.
    views = [rng.choice(VIEWS) if i + 1 < layers and widths[i + 1] >= 8 and
             rng.random() < 0.3 else None for i in range(layers)]
    inputs = [widths[0]] + [widths[i + 1] // 2 if views[i] else widths[i + 1]
                            for i in range(layers)]
    bias = rng.random() < 0.6
    loss_kind = rng.choice(['mse', 'squares'])
    shapes = []
    for i in range(layers):
        shapes.append(('w%d' % (i + 1), (inputs[i], widths[i + 1])))
        if bias:
            shapes.append(('b%d' % (i + 1), (widths[i + 1],)))
    shapes.append(('x', (batch, widths[0])))
    if loss_kind == 'mse':
        shapes.append(('y', (batch, widths[-1])))
    data_rng = np.random.default_rng(rng.randrange(1 << 30))
    args = [(name, (0.5 * data_rng.standard_normal(shape)).astype(np.float32))
            for name, shape in shapes]
    b = g.Builder(args)
    by_name = {v.name: v for v in b.args}
    plan = []  # per layer: (activation, residual, unused)
    for i in range(layers):
        activation = rng.choice(list(ACTIVATIONS))
        residual = inputs[i] == widths[i + 1] and rng.random() < 0.5
        unused = rng.random() < 0.15 and unused_ops
        plan.append((activation, residual, unused))

    hidden = [by_name['x']]
    tape = []
    with b.phase('forward'):
        for i, (activation, residual, unused) in enumerate(plan, start=1):
            w = by_name['w%d' % i]
            pre = b.matmul(hidden[-1], w, 'mm%d' % i)
            ins = [pre] + ([(by_name['b%d' % i], (1,))] if bias else [])
            forward = ACTIVATIONS[activation][0]
            if bias or forward:
                act = b.elementwise(
                    'a%d' % i, ins,
                    lambda z, *c, f=forward: (f or (lambda u: u))(z + c[0] if c else z))
            else:
                act = pre
            if unused:
                b.elementwise('unused%d' % i, [pre], g.tanh)
            out = b.elementwise('h%d' % i, [hidden[-1], act],
                                lambda p, q: p + q) if residual else act
            tape.append((i, activation, residual, pre, act))
            if views[i - 1]:
                tape[-1] += (views[i - 1], out.shape)
                out = view_forward(b, out, views[i - 1], 'v%d' % i)
            hidden.append(out)
        last = hidden[-1]
        n = float(np.prod(last.shape))
        if loss_kind == 'mse':
            diff = b.elementwise('diff', [last, by_name['y']], lambda p, q: p - q)
        else:
            diff = last
        loss = b.generic('loss', [(diff, (0, 1))], lambda d: d * d * (1.0 / n),
                         diff.shape, out_dims=(), reduce='sum')

    grads = {}
    with b.phase('backward'):
        upstream = b.elementwise('dout', [diff], lambda d: d * (2.0 / n))
        for i, activation, residual, pre, act, *view in reversed(tape):
            if view:
                # `upstream` is the gradient of the view (the next layer's
                # input): scatter it back to this layer's output.
                upstream = view_backward(b, upstream, view[0], view[1],
                                         'dv%d' % i)
            _, reads, backward = ACTIVATIONS[activation]
            if backward is None:
                dpre = upstream
            elif reads == 'output':
                dpre = b.elementwise('dpre%d' % i, [upstream, act], backward)
            else:
                # f'(u) at the pre-activation u = z (+ c), from z (and c).
                ins = [upstream, pre] + ([(by_name['b%d' % i], (1,))] if bias else [])
                dpre = b.elementwise(
                    'dpre%d' % i, ins,
                    lambda d, z, *c, bw=backward: bw(d, z + c[0] if c else z))
            if bias:
                grads['b%d' % i] = b.sum_cols('db%d' % i, dpre)
            inputT = b.transpose(hidden[i - 1], [1, 0], 'h%dT' % (i - 1))
            grads['w%d' % i] = b.matmul(inputT, dpre, 'dw%d' % i)
            if i == 1:
                break
            wT = b.transpose(by_name['w%d' % i], [1, 0], 'w%dT' % i)
            dh = b.matmul(dpre, wT, 'dh%d' % (i - 1))
            if residual:
                dh = b.elementwise('dsum%d' % (i - 1), [dh, upstream],
                                   lambda p, q: p + q)
            upstream = dh
    params = [name for name, _ in shapes if name[0] in 'wb']
    results = [grads[name] for name in params]
    # Now and then results bufferization copies or clones at the return
    # (docs/memory-model.md): a strided slice of the first weight gradient
    # (returned as well as it), the input returned as it is.
    extras = []
    if rng.random() < 0.25 and grads['w1'].shape[1] >= 2:
        rows, cols = grads['w1'].shape
        results.append(extract(b, grads['w1'], [0, 0], [rows, cols // 2],
                               [1, 2], 'dw1_half'))
        extras.append('dw1[:, ::2]')
    if rng.random() < 0.1:
        results.append(by_name['x'])
        extras.append('x')
    b.finish(loss, results)
    description = 'batch %d, widths %s, %s, %s loss, layers %s%s' % (
        batch, widths, 'biases' if bias else 'no biases', loss_kind,
        ' '.join('%s%s%s%s' % (a, '+res' if r else '', '+unused' if u else '',
                               '+' + v if v else '')
                 for (a, r, u), v in zip(plan, views)),
        ', also returns ' + ' and '.join(extras) if extras else '')
    return b.mlir(), description


# ---- checks -------------------------------------------------------------------

def run(cmd, timeout=300):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def check_no_crash(code, out, what):
    if code < 0 or code > 1 or 'Stack dump' in out or 'internal error' in out \
            or 'Sanitizer' in out:
        raise Broken('%s crashed or broke an invariant (exit %d):\n%s'
                     % (what, code, out[-4000:]))


def execute(remat_run, step, exe):
    code, out = run([sys.executable, remat_run, step, '--check-peak', '0',
                     '-o', exe])
    measured = re.search(r'^peak_bytes (\d+)$', out, re.M)
    predicted = re.search(r'^predicted_peak_bytes (\d+)$', out, re.M)
    if code != 0 or not measured or not predicted:
        raise Broken('remat-run %s failed (exit %d):\n%s' % (step, code, out[-4000:]))
    results = [line for line in out.splitlines() if line.startswith('result ')]
    return int(measured.group(1)), int(predicted.group(1)), results


def smallest_and_peak(remat_opt, step):
    code, out = run([remat_opt, step, '-o', os.devnull,
                     '--remat-checkpoint=budget=1'])
    check_no_crash(code, out, 'remat-checkpoint budget=1')
    match = re.search(r'smallest feasible budget for this step, (\d+) bytes.*'
                      r'the unplanned peak is (\d+) bytes', out)
    if not match:
        raise Broken('no smallest feasible budget in:\n' + out)
    return int(match.group(1)), int(match.group(2))


def check_plan(opts, rng, step, workdir, index, smallest, unplanned, reference):
    """Plans `step` once at a random budget and solver; returns a summary."""
    if rng.randrange(7) == 0:  # below the smallest feasible budget
        budget = rng.randint(max(1, int(smallest * 0.9)), max(1, smallest - 1))
    else:
        budget = rng.randint(smallest, unplanned)
    solver = rng.choice(SOLVERS)
    planned = os.path.join(workdir, 'planned%d.mlir' % index)
    plan_file = os.path.join(workdir, 'plan%d.json' % index)
    option = 'budget=%d solver=%s plan-file=%s' % (budget, solver, plan_file)
    if solver == 'exact':
        option += ' time-limit=2'
    code, out = run([opts.remat_opt, step, '-o', planned,
                     '--remat-checkpoint=' + option])
    check_no_crash(code, out, 'remat-checkpoint ' + option)
    if code != 0:
        # Refusals: a budget below the smallest feasible one, or a baseline (or
        # exact out of time) that cannot reach a budget fast reaches.
        if budget >= smallest and solver not in BASELINES and solver != 'exact':
            raise Broken('%s refused a budget at or above the smallest feasible '
                         '(%d):\n%s' % (option, smallest, out))
        if 'error:' not in out:
            raise Broken('%s failed without an error:\n%s' % (option, out))
        return 'budget %d %s: refused' % (budget, solver), False
    if budget < smallest and solver == 'fast':
        raise Broken('%s planned below the smallest feasible budget %d'
                     % (option, smallest))
    with open(plan_file) as f:
        plan = json.load(f)[0]
    if plan['planned_peak_bytes'] > budget:
        raise Broken('%s: planned peak %d over the budget'
                     % (option, plan['planned_peak_bytes']))
    if plan['rewritten_peak_bytes'] != plan['planned_peak_bytes']:
        raise Broken('%s: rewritten peak %d, planned %d' % (
            option, plan['rewritten_peak_bytes'], plan['planned_peak_bytes']))
    # The planned IR reads back and verifies.
    code, out = run([opts.remat_opt, planned, '-o', os.devnull])
    if code != 0:
        raise Broken('%s: the planned IR does not verify:\n%s' % (option, out))
    measured, predicted, results = execute(
        opts.remat_run, planned, os.path.join(workdir, 'planned%d' % index))
    if predicted != plan['planned_peak_bytes'] or measured != predicted:
        raise Broken('%s: planned %d, predicted %d, measured %d' % (
            option, plan['planned_peak_bytes'], predicted, measured))
    if results != reference:
        raise Broken('%s: results differ from the unplanned step' % option)
    return ('budget %d %s: planned = measured = %d bytes, recompute %g FLOPs, '
            'results equal' % (budget, solver, measured,
                               plan['recompute_flops'])), True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('remat_opt')
    parser.add_argument('remat_run')
    parser.add_argument('--count', type=int, default=20)
    parser.add_argument('--seconds', type=float, default=120)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--plans', type=int, default=3)
    parser.add_argument('--workdir')
    parser.add_argument('--no-unused-ops', dest='unused_ops',
                        action='store_false')
    opts = parser.parse_args()
    workdir = opts.workdir or tempfile.mkdtemp(prefix='remat-random-steps-')
    os.makedirs(workdir, exist_ok=True)
    start = time.monotonic()
    steps = plans = executed = 0
    for seed in range(opts.seed, opts.seed + opts.count):
        if steps and time.monotonic() - start > opts.seconds:
            break
        rng = random.Random(seed)
        with np.errstate(all='ignore'):  # the Builder's numpy values overflow
            text, description = random_step(rng, opts.unused_ops)
        stepdir = os.path.join(workdir, 'step%d' % seed)
        os.makedirs(stepdir, exist_ok=True)
        step = os.path.join(stepdir, 'step.mlir')
        with open(step, 'w') as f:
            f.write(text)
        try:
            smallest, unplanned = smallest_and_peak(opts.remat_opt, step)
            measured, predicted, reference = execute(
                opts.remat_run, step, os.path.join(stepdir, 'unplanned'))
            if measured != unplanned or predicted != unplanned:
                raise Broken('unplanned: measured %d, predicted %d, planned '
                             'unplanned peak %d' % (measured, predicted, unplanned))
            print('step %d (%s): unplanned peak %d, smallest feasible %d'
                  % (seed, description, unplanned, smallest))
            for index in range(opts.plans):
                line, ran = check_plan(opts, rng, step, stepdir, index, smallest,
                                       unplanned, reference)
                plans += 1
                executed += ran
                print('  ' + line)
        except (Broken, subprocess.TimeoutExpired) as error:
            print('FAIL: step %d (%s), %s: %s' % (seed, description, step, error))
            return 1
        steps += 1
        sys.stdout.flush()
    print('PASS: %d steps, %d plans, %d executed and equal, %.0f s'
          % (steps, plans, executed, time.monotonic() - start))
    return 0


if __name__ == '__main__':
    sys.exit(main())
