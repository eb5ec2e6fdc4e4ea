"""Checks of the PyTorch exporter (python-bindings/remat/exporter).

On tiny models, the exported training step, lowered with mlir-opt and run with
mlir-runner on CPU, gives PyTorch's loss and gradients to float32 tolerance; the
exported text parses in remat-opt and is reported on; unsupported ops are named.

Run: python3 -m pytest test/exporter-py
Skips (saying why) where torch or the LLVM tools are missing.
"""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'bench', 'torch'))

torch = pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); '
                            'the exporter tests need it')

import models  # noqa: E402
from exporter_import import import_exporter  # noqa: E402

_exporter = import_exporter()
ExportError = _exporter.ExportError
export_training_step = _exporter.export_training_step
trace_training_step = _exporter.trace_training_step

LLVM_BIN = os.environ.get('REMAT_LLVM_BIN', '/usr/lib/llvm-22/bin')
LLVM_LIB = os.environ.get('REMAT_LLVM_LIB', os.path.join(os.path.dirname(LLVM_BIN), 'lib'))
REMAT_OPT = os.environ.get('REMAT_OPT', os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
TINY = models.tiny_models()

LOWER_TO_LLVM = [
    '--one-shot-bufferize=bufferize-function-boundaries',
    '--convert-linalg-to-loops',
    '--expand-strided-metadata',
    '--lower-affine',
    '--convert-scf-to-cf',
    '--convert-math-to-llvm',
    '--convert-math-to-libm',
    '--convert-arith-to-llvm',
    '--convert-func-to-llvm',
    '--finalize-memref-to-llvm',
    '--convert-cf-to-llvm',
    '--convert-func-to-llvm',
    '--reconcile-unrealized-casts',
]


def tool(name):
    path = os.path.join(LLVM_BIN, name)
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if not found:
        pytest.skip('%s not found (looked in %s and PATH; set REMAT_LLVM_BIN)' % (name, LLVM_BIN))
    return found


def _dense(a, dt):
    def rows(x):
        if x.ndim == 0:
            if dt == 'i1':
                return 'true' if x else 'false'
            return '%d' % x if dt.startswith('i') else '%.9e' % x
        return '[' + ', '.join(rows(y) for y in x) + ']'
    shape = ''.join('%dx' % d for d in a.shape)
    return 'dense<%s> : tensor<%s%s>' % (rows(a), shape, dt)


_DT = {torch.float32: 'f32', torch.int64: 'i64', torch.bool: 'i1'}


def _flat_inputs(model, inputs):
    return ([p.detach() for _, p in model.named_parameters()]
            + [b for _, b in model.named_buffers()] + list(inputs))


def _type(t):
    return 'tensor<%s%s>' % (''.join('%dx' % d for d in t.shape), _DT[t.dtype])


def run_step(mlir, args, result_shapes, tmp_path):
    """Run @train_step on `args` with mlir-runner; the printed results, flattened."""
    opt, runner = tool('mlir-opt'), tool('mlir-runner')
    libs = [os.path.join(LLVM_LIB, lib) for lib in
            ('libmlir_runner_utils.so', 'libmlir_c_runner_utils.so')]
    for lib in libs:
        if not os.path.exists(lib):
            pytest.skip('%s not found (set REMAT_LLVM_LIB)' % lib)
    lines = ['module {', mlir, 'func.func private @printMemrefF32(tensor<*xf32>)',
             'func.func @main() {']
    for i, t in enumerate(args):
        lines.append('  %%in%d = arith.constant %s' % (i, _dense(t.numpy(), _DT[t.dtype])))
    res = ['%%r%d' % i for i in range(len(result_shapes))]
    rtypes = ['tensor<%sf32>' % ''.join('%dx' % d for d in s) for s in result_shapes]
    lines.append('  %s = call @train_step(%s) : (%s) -> (%s)' % (
        ', '.join(res), ', '.join('%%in%d' % i for i in range(len(args))),
        ', '.join(_type(t) for t in args), ', '.join(rtypes)))
    for r, ty in zip(res, rtypes):
        lines.append('  %s_u = tensor.cast %s : %s to tensor<*xf32>' % (r, r, ty))
        lines.append('  call @printMemrefF32(%s_u) : (tensor<*xf32>) -> ()' % r)
    lines += ['  return', '}', '}']
    src = tmp_path / 'wrapper.mlir'
    src.write_text('\n'.join(lines))
    llvm = subprocess.run([opt, str(src)] + LOWER_TO_LLVM, check=True,
                          capture_output=True, text=True).stdout
    run = subprocess.run([runner, '-e', 'main', '-entry-point-result=void',
                          '-shared-libs=' + ','.join(libs)], input=llvm, check=True,
                         capture_output=True, text=True)
    blocks = run.stdout.split('Unranked Memref')[1:]
    assert len(blocks) == len(result_shapes), run.stdout[:2000]
    out = []
    for blk in blocks:
        data = blk[blk.index('\n'):]
        nums = data.replace('[', ' ').replace(']', ' ').replace(',', ' ').split()
        out.append(np.array([float(x) for x in nums]))
    return out


def torch_loss_and_grads(model, inputs, loss_fn):
    model.train()
    model.zero_grad()
    loss = loss_fn(model(inputs[0]), *inputs[1:])
    params = [p for _, p in model.named_parameters()]
    grads = torch.autograd.grad(loss, params)
    return loss.detach(), [g.detach() for g in grads]


@pytest.mark.parametrize('name', sorted(TINY))
def test_execution_matches_pytorch(name, tmp_path):
    model, inputs, loss_fn = TINY[name]
    # Running statistics are updated by both runs; export from a copy.
    state = {k: v.clone() for k, v in model.state_dict().items()}
    mlir = export_training_step(model, loss_fn, inputs)
    model.load_state_dict(state)
    args = _flat_inputs(model, inputs)
    loss, grads = torch_loss_and_grads(model, inputs, loss_fn)
    want = [loss] + grads
    got = run_step(mlir, args, [tuple(w.shape) for w in want], tmp_path)
    names = ['loss'] + [n for n, _ in model.named_parameters()]
    for n, w, g in zip(names, want, got):
        w = w.double().numpy().ravel()
        # printMemrefF32 prints 6 significant digits.
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4 * np.abs(w).max() + 1e-6,
                                   err_msg=n)


@pytest.mark.parametrize('name', sorted(TINY))
def test_remat_opt_reports_and_plans(name, tmp_path):
    if not os.access(REMAT_OPT, os.X_OK):
        pytest.skip('remat-opt not built at %s (set REMAT_OPT)' % REMAT_OPT)
    model, inputs, loss_fn = TINY[name]
    path = tmp_path / 'step.mlir'
    path.write_text(export_training_step(model, loss_fn, inputs))
    report = tmp_path / 'report.json'
    subprocess.run([REMAT_OPT, str(path), '--remat-report=report-file=%s' % report,
                    '-o', os.devnull], check=True, capture_output=True)
    assert report.exists()
    subprocess.run([REMAT_OPT, str(path), '--remat-checkpoint=budget=1.0',
                    '-o', os.devnull], check=True, capture_output=True)


def test_signature_follows_conventions():
    model, inputs, loss_fn = TINY['convnet']
    mlir = export_training_step(model, loss_fn, inputs)
    head = mlir[mlir.index('func.func'):mlir.index('{\n')]
    # Parameters, then buffers (BN running stats), then the batch; never constants.
    for name in ('a_c1_weight', 'a_bn_running_mean', 'a_input0', 'a_input1'):
        assert '%' + name in head, name
    assert '{remat.loss}' in head
    assert 'arith.constant dense' not in mlir
    # Every tensor.empty is used by the top-level op right after it.
    ops, cur = [], []
    for ln in mlir.splitlines():
        if ln.startswith('  %') or ln.startswith('  return'):
            ops.append('\n'.join(cur))
            cur = []
        cur.append(ln)
    ops.append('\n'.join(cur))
    for i, op in enumerate(ops):
        if '= tensor.empty()' in op:
            name = op.split(' = ')[0].strip()
            assert re.search(re.escape(name) + r'\b', ops[i + 1]), (op, ops[i + 1])


def test_unsupported_op_is_named():
    class Sorts(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(4))

        def forward(self, x):
            return torch.sort(x * self.w).values

    with pytest.raises(ExportError, match=r'aten\.sort'):
        export_training_step(Sorts(), lambda o: o.sum(), (torch.randn(3, 4),))


def test_trace_keeps_parameters_as_placeholders():
    model, inputs, loss_fn = TINY['mlp']
    step = trace_training_step(model, loss_fn, inputs)
    assert step.arg_kinds == ['param'] * 4 + ['batch'] * 2
    outputs = [n for n in step.gm.graph.nodes if n.op == 'output'][0].args[0]
    assert len(outputs) == 5


@pytest.mark.parametrize('name', ['gpt_block', 'convnet'])
def test_pytorch_min_cut_plan_joined_executes(name, tmp_path):
    """bench/torch/torch_plan.py: PyTorch's min-cut partition (forced to recompute
    by a small activation budget), joined back into one step and exported, still
    computes PyTorch's loss and gradients: the benchmark measures a correct program."""
    pytest.importorskip('functorch', reason='functorch (part of torch) is not importable')
    import torch_plan
    model, inputs, loss_fn = TINY[name]
    mlir, saved = torch_plan.export_plan(model, inputs, loss_fn, 0.1)
    assert saved > 0
    plan_model = torch_plan._no_running_stats(__import__('copy').deepcopy(model))
    args = _flat_inputs(plan_model, inputs)
    loss, grads = torch_loss_and_grads(plan_model, inputs, loss_fn)
    want = [loss] + grads
    got = run_step(mlir, args, [tuple(w.shape) for w in want], tmp_path)
    for w, g in zip(want, got):
        w = w.double().numpy().ravel()
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4 * np.abs(w).max() + 1e-6)
