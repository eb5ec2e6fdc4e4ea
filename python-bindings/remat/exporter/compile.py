"""remat's plan inside torch.compile: a partition function for AOTAutograd.

    from functorch.compile import make_boxed_func
    from torch._dynamo.backends.common import aot_autograd
    from remat.exporter.compile import partition, decompositions
    run = lambda gm, _: make_boxed_func(gm)
    backend = aot_autograd(fw_compiler=run, bw_compiler=run,
                           partition_fn=partition(budget=0.8), decompositions=decompositions())
    step = torch.compile(lambda x, y: loss_fn(model(x), y), backend=backend)

AOTAutograd traces the joint forward+backward graph; `partition(budget)` exports
it (remat.exporter.emit), plans it with remat-opt's `remat-checkpoint`, and
saves for the backward exactly the forward values remat's plan keeps (plus the
primals). PyTorch's `_extract_fwd_bwd_modules` builds the forward and backward
graphs, and the backward recomputes every other forward value it needs, each
just before its first backward use (`reordering_to_mimic_autograd_engine`, as
PyTorch's min-cut partitioner orders its own recomputations), as remat's
`remat.recompute` regions sit right before the backward ops that need them.
The compiled function must return the loss (an f32 scalar) as its first output.
Random draws (dropout's masks in training mode, rand_like noise) are arguments
of the step remat plans and are always saved for the backward: a recompute
must read the mask the forward drew (docs/pytorch.md, "Random draws").

`budget` means what PyTorch's `activation_memory_budget` means, a fraction of
the activation memory between recompute-all (0) and save-all (1), measured at
the step's peak: the plan's peak (remat's memory model of the whole step) is
at most  smallest + budget * (unplanned - smallest),  where `unplanned` is the
peak when every stashed activation is kept and `smallest` the least peak remat's
planner reaches. (PyTorch interpolates the bytes the forward saves between
its own two ends instead.) `peak_budget=` takes remat-opt's budget as is: bytes
with a unit ('512MiB') or a fraction of the unplanned peak.
"""

import json
import operator
import os
import shutil
import subprocess
import tempfile

import torch

from .emit import ExportError, emit_step
from .trace import Step, _random_arguments, decomposition_table


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


def _run_remat_opt(remat_opt, src, pass_arg):
    r = subprocess.run([_remat_opt(remat_opt), src, pass_arg, '-o', os.devnull],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise ExportError('remat-opt could not plan the joint graph: %s'
                          % r.stderr.split('\n')[0][:2000])


def _ends(remat_opt, src, d, solver):
    """(unplanned peak, smallest feasible peak) of the step in src, in bytes."""
    report = os.path.join(d, 'ends.json')
    opts = 'points=1 report-file=%s' % report
    if solver:
        opts += ' solver=%s' % solver
    _run_remat_opt(remat_opt, src, '--remat-frontier=%s' % opts)
    with open(report) as f:
        entry = json.load(f)[0]
    return entry['unplanned_peak_bytes'], entry['smallest_feasible_bytes']


def _check_budget(budget, peak_budget):
    if (budget is None) == (peak_budget is None):
        raise ValueError('give one of budget= (activation fraction) or peak_budget=')
    if budget is not None and not 0 <= float(budget) <= 1:
        raise ValueError('budget is a fraction of the activation memory in [0, 1], not %r'
                         % (budget,))


def kept_nodes(joint_module, num_fwd_outputs, budget=None, remat_opt=None, solver=None,
               peak_budget=None):
    """The joint graph's forward nodes whose values remat's plan keeps for the
    backward; also returns the plan (remat-opt's plan-file entry, with the
    activation budget and both ends of its range added). `budget` is a fraction
    of the activation memory (see the module doc); `peak_budget`, if given,
    is passed to remat-opt as is."""
    _check_budget(budget, peak_budget)
    gm = torch.fx.GraphModule(joint_module, joint_module.graph.__deepcopy__())
    placeholders = [n for n in gm.graph.nodes if n.op == 'placeholder']
    out = [n for n in gm.graph.nodes if n.op == 'output'][0]
    flat = list(out.args[0])
    fwd, bwd = flat[:num_fwd_outputs], flat[num_fwd_outputs:]
    losses = [o for o in fwd if isinstance(o, torch.fx.Node) and
              tuple(o.meta['val'].shape) == () and o.meta['val'].dtype == torch.float32]
    if not losses:
        shapes = ', '.join(str(tuple(o.meta['val'].shape)) for o in fwd
                           if isinstance(o, torch.fx.Node) and 'val' in o.meta)
        # Most often a graph break: dynamo splits the step, and this graph
        # ends inside the model (dynamo breaks at every RNN module unless
        # allow_rnn is on, the most common case, so the message names it).
        raise ExportError(
            'the compiled function must return an f32 scalar loss; this graph returns '
            'tensors of shapes %s. If the function does return its loss, torch.compile '
            'split it (a graph break): torch._dynamo.explain(fn)(*args) names the breaks, '
            'and it breaks at every nn.LSTM, nn.GRU and nn.RNN unless '
            'torch._dynamo.config.allow_rnn = True' % (shapes or 'none'))
    loss = losses[0]
    rest = [o for o in fwd + bwd if isinstance(o, torch.fx.Node) and o is not loss]
    out.args = ([loss] + rest,)
    gm.recompile()
    # Random draws (dropout's masks) are arguments of the planned step, and
    # saved for the backward whatever the plan: a recompute must read the
    # mask the forward drew, not draw another. In the dtype the compiled
    # program saves them (bernoulli's is its input's), so the plan counts
    # their bytes.
    draws = _random_arguments(gm, bool_masks=False)
    kinds = (['batch' if _is_tangent(n) else 'param' for n in placeholders]
             + ['random'] * len(draws))
    step = Step(gm, [n.name for n in placeholders] + [d.name for d in draws], kinds, [])
    text, _ = emit_step(step, title='train_step')
    extra = {}
    with tempfile.TemporaryDirectory() as d:
        src, plan = os.path.join(d, 'joint.mlir'), os.path.join(d, 'plan.json')
        with open(src, 'w') as f:
            f.write(text)
        if peak_budget is None:
            unplanned, smallest = _ends(remat_opt, src, d, solver)
            # Whole bytes, rounded down: remat-opt reads a plain integer as bytes.
            budget_arg = '%d' % (smallest + float(budget) * (unplanned - smallest))
            extra = {'activation_budget': float(budget), 'unplanned_peak_bytes': unplanned,
                     'smallest_feasible_bytes': smallest}
        elif isinstance(peak_budget, float):
            # repr keeps a decimal point: remat-opt reads budget=1 as one byte.
            budget_arg = repr(peak_budget)
        else:
            budget_arg = str(peak_budget)
        opts = 'budget=%s plan-file=%s' % (budget_arg, plan)
        if solver:
            opts += ' solver=%s' % solver
        _run_remat_opt(remat_opt, src, '--remat-checkpoint=%s' % opts)
        with open(plan) as f:
            entry = json.load(f)[0]
    entry.update(extra)
    by_name = {n.name: n for n in joint_module.graph.nodes}
    kept = [by_name[d.source] for d in draws]
    for k in entry.get('kept', []):
        line = int(k['loc'].split(':')[-2])
        node = step.line_nodes.get(line)
        if node is not None and node.name in by_name and by_name[node.name] not in kept:
            kept.append(by_name[node.name])
    return kept, entry


def partition(budget=None, peak_budget=None, remat_opt=None, solver=None, on_plan=None):
    """A partition_fn for aot_autograd: saves the values remat's plan keeps
    (see the module doc for `budget`, a fraction of the activation memory, 0.8
    when neither is given, and `peak_budget`) and recomputes the rest in the
    backward, each just before its first use. on_plan(plan_entry, saved_nodes)
    is called with remat-opt's plan for each graph partitioned."""
    if budget is None and peak_budget is None:
        budget = 0.8
    _check_budget(budget, peak_budget)

    def partition_fn(joint_module, joint_inputs, *, num_fwd_outputs, **kwargs):
        from torch._functorch.partitioners import (_extract_fwd_bwd_modules,
                                                   reordering_to_mimic_autograd_engine)
        kept, entry = kept_nodes(joint_module, num_fwd_outputs, budget, remat_opt, solver,
                                 peak_budget)
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
        fw, bw = _extract_fwd_bwd_modules(joint_module, saved, [], num_fwd_outputs=num_fwd_outputs)
        # The backward graph starts with every recomputed forward node (joint
        # order); move each to just before its first backward use.
        return fw, reordering_to_mimic_autograd_engine(bw)
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
