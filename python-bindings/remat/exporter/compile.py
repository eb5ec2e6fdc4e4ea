"""remat's plan inside torch.compile: a partition function for AOTAutograd.

    from functorch.compile import make_boxed_func
    from torch._dynamo.backends.common import aot_autograd
    from remat.exporter.compile import partition, decompositions
    run = lambda gm, _: make_boxed_func(gm)
    backend = aot_autograd(fw_compiler=run, bw_compiler=run,
                           partition_fn=partition(budget=0.8), decompositions=decompositions())
    step = torch.compile(lambda x, y: loss_fn(model(x), y), backend=backend)

AOTAutograd traces the joint forward+backward graph; `partition(budget)` exports
it (remat.exporter.emit), plans it with `remat-opt --remat-checkpoint=budget=B`,
and saves for the backward exactly the forward values remat's plan keeps (plus
the primals); PyTorch's `_extract_fwd_bwd_modules` then builds the forward and
backward graphs, recomputing in the backward every other forward value it needs,
as PyTorch's own min-cut partitioner does with its choice. The compiled function
must return the loss (an f32 scalar) as its first output. `budget` is a fraction
of the step's unplanned peak as remat counts it (parameters and batch included),
not PyTorch's activation_memory_budget.
"""

import json
import operator
import os
import shutil
import subprocess
import tempfile

import torch

from .emit import ExportError, emit_step
from .trace import Step, decomposition_table


def decompositions():
    """The decompositions the exporter expects (pass them to aot_autograd)."""
    return decomposition_table()


def _remat_opt(path):
    if path:
        return path
    path = os.environ.get('REMAT_OPT') or shutil.which('remat-opt')
    if not path:
        raise ExportError('remat-opt not found: set REMAT_OPT or pass remat_opt=')
    return path


def _is_tangent(node):
    return node.op == 'placeholder' and node.name.startswith('tangents')


def kept_nodes(joint_module, num_fwd_outputs, budget, remat_opt=None, solver=None):
    """The joint graph's forward nodes whose values remat's plan keeps for the
    backward at `budget`; also returns the plan (remat-opt's plan-file entry)."""
    gm = torch.fx.GraphModule(joint_module, joint_module.graph.__deepcopy__())
    placeholders = [n for n in gm.graph.nodes if n.op == 'placeholder']
    out = [n for n in gm.graph.nodes if n.op == 'output'][0]
    flat = list(out.args[0])
    fwd, bwd = flat[:num_fwd_outputs], flat[num_fwd_outputs:]
    losses = [o for o in fwd if isinstance(o, torch.fx.Node) and
              tuple(o.meta['val'].shape) == () and o.meta['val'].dtype == torch.float32]
    if not losses:
        raise ExportError('the compiled function must return an f32 scalar loss')
    loss = losses[0]
    rest = [o for o in fwd + bwd if isinstance(o, torch.fx.Node) and o is not loss]
    out.args = ([loss] + rest,)
    gm.recompile()
    kinds = ['batch' if _is_tangent(n) else 'param' for n in placeholders]
    step = Step(gm, [n.name for n in placeholders], kinds, [])
    text, _ = emit_step(step, title='train_step')
    with tempfile.TemporaryDirectory() as d:
        src, plan = os.path.join(d, 'joint.mlir'), os.path.join(d, 'plan.json')
        with open(src, 'w') as f:
            f.write(text)
        # repr keeps a decimal point: remat-opt reads budget=1 as one byte.
        opts = 'budget=%r plan-file=%s' % (float(budget), plan)
        if solver:
            opts += ' solver=%s' % solver
        r = subprocess.run([_remat_opt(remat_opt), src, '--remat-checkpoint=%s' % opts,
                            '-o', os.devnull], capture_output=True, text=True)
        if r.returncode != 0:
            raise ExportError('remat-opt could not plan the joint graph: %s'
                              % r.stderr.split('\n')[0][:2000])
        with open(plan) as f:
            entry = json.load(f)[0]
    by_name = {n.name: n for n in joint_module.graph.nodes}
    kept = []
    for k in entry.get('kept', []):
        line = int(k['loc'].split(':')[-2])
        node = step.line_nodes.get(line)
        if node is not None and node.name in by_name and by_name[node.name] not in kept:
            kept.append(by_name[node.name])
    return kept, entry


def partition(budget=0.8, remat_opt=None, solver=None, on_plan=None):
    """A partition_fn for aot_autograd: saves the values remat's plan keeps at
    `budget` (see the module doc). on_plan(plan_entry, saved_nodes) is called
    with remat-opt's plan for each graph partitioned."""
    def partition_fn(joint_module, joint_inputs, *, num_fwd_outputs, **kwargs):
        from torch._functorch.partitioners import _extract_fwd_bwd_modules
        kept, entry = kept_nodes(joint_module, num_fwd_outputs, budget, remat_opt, solver)
        saved = [n for n in joint_module.graph.nodes
                 if n.op == 'placeholder' and not _is_tangent(n) and n.users
                 and isinstance(n.meta.get('val'), torch.Tensor)]
        forward = _forward_nodes(joint_module, num_fwd_outputs)
        for n in kept:
            # A multi-output node (var_mean, max_pool with indices) is saved
            # through its getitem users.
            parts = ([u for u in n.users if u.target is operator.getitem]
                     if not isinstance(n.meta.get('val'), torch.Tensor) else [n])
            for p in parts:
                if p in forward and p not in saved and isinstance(p.meta.get('val'), torch.Tensor):
                    saved.append(p)
        if on_plan:
            on_plan(entry, saved)
        return _extract_fwd_bwd_modules(joint_module, saved, [], num_fwd_outputs=num_fwd_outputs)
    return partition_fn


def _forward_nodes(joint_module, num_fwd_outputs):
    """Nodes the forward outputs depend on (not on any tangent)."""
    out = [n for n in joint_module.graph.nodes if n.op == 'output'][0]
    todo = [o for o in list(out.args[0])[:num_fwd_outputs] if isinstance(o, torch.fx.Node)]
    seen = set()
    while todo:
        n = todo.pop()
        if n in seen or _is_tangent(n):
            continue
        seen.add(n)
        todo.extend(n.all_input_nodes)
    return seen
