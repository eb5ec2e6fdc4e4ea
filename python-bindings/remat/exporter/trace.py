"""Trace a PyTorch training step (forward + backward) into one core-ATen FX graph.

The graph is what `make_fx` records while running
`torch.func.functional_call(model, params+buffers, inputs)`, the loss and
`torch.autograd.grad(loss, params)` on fake tensors, with mutations (batch-norm
running statistics) functionalized away: its placeholders are the parameters,
then the buffers, then the batch; its outputs are the loss, then one gradient per
parameter, in `model.named_parameters()` order.
"""

import torch
from torch.fx.experimental.proxy_tensor import make_fx

aten = torch.ops.aten


def decomposition_table():
    """Core ATen decompositions, plus the composite ops the emitter would rather
    see decomposed, minus the ones it emits directly (gathers and scatters that a
    decomposition would turn into index_put / scatter)."""
    from torch._decomp import core_aten_decompositions, get_decompositions
    table = dict(core_aten_decompositions())
    table.update(get_decompositions([
        aten.native_layer_norm, aten._softmax, aten._log_softmax, aten.gelu,
        aten.native_batch_norm, aten._native_batch_norm_legit_functional,
        aten._native_batch_norm_legit, aten._native_batch_norm_legit_no_training,
        aten._adaptive_avg_pool2d, aten.silu, aten.hardswish,
        aten.hardsigmoid, aten.log_softmax, aten.softmax, aten.linear,
    ]))
    for op in (aten.nll_loss_forward.default, aten.nll_loss_backward.default,
               aten.embedding_dense_backward.default, aten.embedding.default,
               aten.max_pool2d_with_indices_backward.default, aten.addmm.default):
        table.pop(op, None)
    return table


class Step:
    """The traced training step: `graph` (an fx.GraphModule) and the names and
    kinds of its placeholders."""

    def __init__(self, gm, arg_names, arg_kinds, param_names):
        self.gm = gm
        self.arg_names = arg_names      # one per placeholder
        self.arg_kinds = arg_kinds      # 'param' | 'buffer' | 'batch'
        self.param_names = param_names


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def trace_training_step(model, loss_fn, example_inputs, num_model_inputs=1,
                        decompositions=None):
    """Trace `loss = loss_fn(model(*example_inputs[:k]), *example_inputs[k:])` and
    its parameter gradients (k = num_model_inputs)."""
    from torch.func import functional_call

    example_inputs = _as_tuple(example_inputs)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    buffers = [(n, b) for n, b in model.named_buffers()]
    np_, nb = len(params), len(buffers)
    names = [n for n, _ in params] + [n for n, _ in buffers]

    def step(*flat):
        state = dict(zip(names, flat[:np_ + nb]))
        batch = flat[np_ + nb:]
        ps = flat[:np_]
        with torch.enable_grad():
            out = functional_call(model, state, tuple(batch[:num_model_inputs]))
            loss = loss_fn(out, *batch[num_model_inputs:])
            grads = torch.autograd.grad(loss, ps)
        return (loss,) + tuple(grads)

    flat = ([p.detach().requires_grad_(True) for _, p in params]
            + [b.detach() for _, b in buffers] + list(example_inputs))
    table = decomposition_table() if decompositions is None else decompositions
    was_training = model.training
    model.train()
    try:
        gm = make_fx(step,
                     decomposition_table=table, tracing_mode='fake',
                     _allow_non_fake_inputs=True)(*flat)
    finally:
        model.train(was_training)
    _functionalize_inplace(gm)
    _drop_input_mutations(gm)
    arg_names = names + ['input%d' % i for i in range(len(example_inputs))]
    kinds = ['param'] * np_ + ['buffer'] * nb + ['batch'] * len(example_inputs)
    return Step(gm, arg_names, kinds, [n for n, _ in params])


def _is_inplace(node):
    if node.op != 'call_function' or not hasattr(node.target, '_schema'):
        return False
    return node.target._schema.name.split('::')[-1].endswith('_')


def _functional_variant(target):
    packet = target._schema.name.split('::')[-1][:-1]
    overload = target._overloadname
    try:
        return getattr(getattr(aten, packet), overload)
    except AttributeError:
        raise NotImplementedError('in-place op %s has no functional variant' % target)


def _functionalize_inplace(gm):
    """`x.relu_()`, `out += identity` on intermediates: use the functional op and
    let every later reader of x read its result instead (no views of x are taken
    before such updates in the models this exporter targets)."""
    g = gm.graph
    nodes = list(g.nodes)
    order = {n: i for i, n in enumerate(nodes)}
    for node in nodes:
        if not _is_inplace(node) or node.args[0].op == 'placeholder':
            continue
        target = node.args[0]
        node.target = _functional_variant(node.target)
        for user in list(target.users):
            if user is not node and order[user] > order[node]:
                user.replace_input_with(target, node)
    gm.recompile()


def _drop_input_mutations(gm):
    """Training-mode batch norm updates its running statistics and batch counter
    in place (`copy_`, `add_` into the buffer placeholders). They affect neither
    the loss nor the gradients of this step, so the exported step leaves them out
    (and with them the ops that only fed them)."""
    g = gm.graph
    for node in reversed(list(g.nodes)):
        if _is_inplace(node) and not node.users:
            if node.args[0].op != 'placeholder':
                raise NotImplementedError(
                    'in-place op %s on an intermediate value; the exporter handles '
                    'in-place updates of buffers only' % node.target)
            g.erase_node(node)
    g.eliminate_dead_code()
    gm.recompile()
