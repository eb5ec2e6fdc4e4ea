"""PyTorch's own planner on the same model: aot_autograd's min-cut
rematerialization partitioner under `activation_memory_budget`.

The partitioned forward and backward graphs are joined back into one training
step (the forward, then the backward reading the forward's saved tensors) and
exported with remat.exporter, so remat-report measures PyTorch's plan with the
same memory and cost model as remat's own plans: its peak, and its recompute
FLOPs (its step FLOPs minus those of the unpartitioned step).

The model is partitioned as it trains, batch norm's running statistics
included: aot_autograd threads their in-place updates through the forward
graph as extra outputs, which the joined step leaves out as remat.exporter
leaves them out of remat's own step (they change neither the loss nor the
gradients). The statistics stay arguments of both programs, so the two steps
take the same arguments and their peaks count the same model state. (Until
2026-12-03 the running statistics were removed before partitioning: PyTorch's
program then took fewer arguments and peaked exactly their bytes below remat's
unplanned step, the "offset" of docs/benchmarks-torch.md.)
"""

import copy
import functools

import torch
import torch.nn as nn
from torch._subclasses.fake_tensor import FakeTensorMode

from exporter_import import import_exporter

exporter = import_exporter()


def partition(model, data, loss_fn, budget, partitioner='min_cut'):
    """(fw GraphModule, bw GraphModule, param names, n batch inputs) of PyTorch's
    plan at activation_memory_budget = budget."""
    from functorch.compile import (aot_function, default_partition, make_boxed_func,
                                   min_cut_rematerialization_partition)
    import torch._functorch.config as fconfig

    model = copy.deepcopy(model)   # its running statistics are updated by the fake step
    names = [n for n, _ in model.named_parameters()]
    bnames = [n for n, _ in model.named_buffers()]
    buffers = [b for _, b in model.named_buffers()]
    params = [p.detach().requires_grad_(True) for p in model.parameters()]

    def step(*flat):
        batch = flat[len(names) + len(bnames):]
        state = dict(zip(names + bnames, flat[:len(names) + len(bnames)]))
        out = torch.func.functional_call(model, state, (batch[0],))
        return loss_fn(out, *batch[1:])

    graphs = {}

    def keep(kind):
        def compiler(gm, example_inputs):
            graphs[kind] = gm
            return make_boxed_func(gm)
        return compiler

    part = (default_partition if partitioner == 'default'
            else functools.partial(min_cut_rematerialization_partition, compiler='inductor'))
    old = fconfig.activation_memory_budget
    fconfig.activation_memory_budget = budget
    try:
        fn = aot_function(step, fw_compiler=keep('fw'), bw_compiler=keep('bw'),
                          partition_fn=part, decompositions=exporter.trace.decomposition_table())
        # Fake tensors: the partitioner needs shapes only, not a real step.
        with FakeTensorMode(allow_non_fake_inputs=True) as mode:
            fake = [mode.from_tensor(t) for t in params + [b.clone() for b in buffers] + list(data)]
            for f, t in zip(fake, params):
                f.requires_grad_(t.requires_grad)
            loss = fn(*fake)
            loss.backward()
    finally:
        fconfig.activation_memory_budget = old
    return graphs['fw'], graphs['bw'], names, bnames, len(data)


def saved_activation_bytes(fw):
    """Bytes of the forward's saved tensors that are not graph inputs."""
    out = [n for n in fw.graph.nodes if n.op == 'output'][0].args[0]
    total = 0
    for node in out[1:]:
        if isinstance(node, torch.fx.Node) and node.op != 'placeholder':
            val = node.meta.get('val')
            if isinstance(val, torch.Tensor):
                total += val.numel() * val.element_size()
    return total


def join(fw, bw, param_names, buffer_names, n_batch):
    """One fx graph: the forward, then the backward on the forward's saved values
    with a unit loss tangent; outputs (loss, grads of the parameters). A node of
    the backward that the forward computes too (the partitioner copies both
    from the joint graph under one name) is what PyTorch recomputes: its copy
    is marked meta['remat_recomputed']."""
    forward_ops = {n.name for n in fw.graph.nodes if n.op == 'call_function'}
    g = torch.fx.Graph()
    env = {}
    fw_out = None
    for node in fw.graph.nodes:
        if node.op == 'output':
            fw_out = [env[a] if isinstance(a, torch.fx.Node) else a for a in node.args[0]]
            continue
        env[node] = g.node_copy(node, lambda n: env[n])
    bw_ph = [n for n in bw.graph.nodes if n.op == 'placeholder']
    n_saved = sum(1 for n in bw_ph if not n.name.startswith('tangents'))
    n_updates = len(fw_out) - 1 - n_saved   # aot_autograd: updated inputs, outputs, saved
    assert n_updates >= 0 and len(bw_ph) == n_saved + 1, (len(fw_out), len(bw_ph))
    loss, saved = fw_out[n_updates], fw_out[n_updates + 1:]
    benv = {}
    for i, node in enumerate(bw_ph):
        if i < len(saved):
            benv[node] = saved[i]
        else:   # the tangent of the loss
            one = g.call_function(torch.ops.aten.full.default, ([], 1.0),
                                  {'dtype': torch.float32})
            one.meta['val'] = torch.ones(())
            benv[node] = one
    grads = None
    for node in bw.graph.nodes:
        if node.op == 'placeholder':
            continue
        if node.op == 'output':
            grads = [benv[a] for a in node.args[0][:len(param_names)]]
            continue
        benv[node] = g.node_copy(node, lambda n: benv[n])
        if node.op == 'call_function' and node.name in forward_ops:
            benv[node].meta['remat_recomputed'] = True
    g.output(tuple([loss] + grads))
    g.eliminate_dead_code()   # the running-statistics updates; placeholders stay
    gm = torch.fx.GraphModule(torch.nn.Module(), g)
    kinds = ['param'] * len(param_names) + ['buffer'] * len(buffer_names) + ['batch'] * n_batch
    arg_names = param_names + buffer_names + ['input%d' % i for i in range(n_batch)]
    return exporter.trace.Step(gm, arg_names, kinds, param_names)


def export_plan(model, data, loss_fn, budget, partitioner='min_cut', recomputed_lines=None):
    """(MLIR text of PyTorch's plan as one step, saved activation bytes). With a
    list `recomputed_lines`, the text's 1-based lines written for the ops
    PyTorch recomputes are appended to it (remat-report's flops_by_line sums
    their FLOPs)."""
    fw, bw, names, bnames, nb = partition(model, data, loss_fn, budget, partitioner)
    step = join(fw, bw, names, bnames, nb)
    text, _ = exporter.emit_step(step)
    if recomputed_lines is not None:
        recomputed_lines += sorted(line for line, node in step.line_nodes.items()
                                   if node.meta.get('remat_recomputed'))
    return text, saved_activation_bytes(fw)
