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


class ExportError(NotImplementedError):
    """An ATen op (or a use of one) that the exporter does not translate."""


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
        # RNNs through their cells (not mkldnn_rnn_layer), SDPA in its math form.
        aten.lstm, aten.gru, aten.rnn_tanh, aten.rnn_relu,
        aten._scaled_dot_product_flash_attention_for_cpu,
        aten.index_select, aten.fmod, aten.roll,
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
        # SDPA in its math form, RNNs through their cells: the fused kernels
        # (flash attention for CPU, mkldnn_rnn_layer) have backward ops that
        # autograd records whole.
        import warnings
        from torch.nn.attention import SDPBackend, sdpa_kernel
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)   # mkldnn.flags on TF32
            with sdpa_kernel([SDPBackend.MATH]), torch.backends.mkldnn.flags(enabled=False):
                gm = _make_fx(step, table, flat)
    finally:
        model.train(was_training)
    _functionalize_inplace(gm)
    _drop_input_mutations(gm)
    arg_names = names + ['input%d' % i for i in range(len(example_inputs))]
    kinds = ['param'] * np_ + ['buffer'] * nb + ['batch'] * len(example_inputs)
    return Step(gm, arg_names, kinds, [n for n, _ in params])


def _make_fx(step, table, flat):
    return make_fx(step,
                   decomposition_table=table, tracing_mode='fake',
                   _allow_non_fake_inputs=True, record_stack_traces=True)(*flat)


def _is_inplace(node):
    if node.op != 'call_function' or not hasattr(node.target, '_schema'):
        return False
    return node.target._schema.name.split('::')[-1].endswith('_')


def _functional_variant(target):
    """The out-of-place overload of an in-place op with the same arguments
    (`transpose_` -> `transpose.int`, `add_.Tensor` -> `add.Tensor`)."""
    packet = getattr(aten, target._schema.name.split('::')[-1][:-1], None)
    if packet is not None:
        names = [target._overloadname] + [o for o in packet.overloads()
                                          if o != target._overloadname]
        want = [a.name for a in target._schema.arguments]
        for name in names:
            overload = getattr(packet, name, None)
            if overload is not None and [a.name for a in overload._schema.arguments] == want:
                return overload
    raise ExportError('in-place op %s has no functional variant%s'
                              % (target, _random_hint(target)))


def _random_hint(target):
    if 'bernoulli' in str(target) or 'uniform' in str(target) or 'normal' in str(target):
        return (' (random: dropout or stochastic depth in training mode; export with '
                'their probabilities at 0)')
    return ''


def user_frame(node):
    """The innermost frame of the model's own code that produced `node`, as
    'file:line: code', or None (from the stack trace make_fx records)."""
    trace = node.meta.get('stack_trace') if hasattr(node, 'meta') else None
    if not trace:
        return None
    frames = []
    lines = trace.strip().splitlines()
    for i, line in enumerate(lines):
        line = line.strip()
        if line.startswith('File "'):
            path = line.split('"')[1]
            lineno = line.split(', line ')[1].split(',')[0] if ', line ' in line else '?'
            code = lines[i + 1].strip() if i + 1 < len(lines) else ''
            frames.append((path, lineno, code))
    skip = ('/torch/', '/remat/exporter/', '/functorch/')
    for path, lineno, code in reversed(frames):
        if not any(s in path for s in skip):
            return '%s:%s: %s' % (path, lineno, code)
    return None


_VIEWS = ('aten.as_strided.default', 'aten.view.default', 'aten._unsafe_view.default',
          'aten.reshape.default')


def _functionalize_inplace(gm):
    """`x.relu_()`, `out += identity` on intermediates: use the functional op and
    let every later reader of x read its result instead. An update through a
    view v of a base b that covers all of b in order (`as_strided(b, b's
    shape-like, row-major strides)` or a reshape of b, as decompositions write
    `zeros.as_strided(...).copy_(grad)`) updates b too: later readers of b read
    the result reshaped to b's shape (`aten.view`). Other views taken before an
    in-place update are not tracked: such an update is an error."""
    g = gm.graph
    nodes = list(g.nodes)
    order = {n: i for i, n in enumerate(nodes)}
    for node in nodes:
        if not _is_inplace(node) or node.args[0].op == 'placeholder':
            continue
        target = node.args[0]
        try:
            node.target = _functional_variant(node.target)
        except ExportError as e:
            where = user_frame(node)
            raise ExportError('%s%s' % (e, ', at ' + where if where else '')) from None
        _redirect(target, node, order)
        if target.op == 'call_function' and str(target.target) in _VIEWS:
            base = target.args[0]
            if not _covers_in_order(target, base):
                where = user_frame(node)
                raise ExportError('in-place op %s writes through a partial view (%s) of '
                                  'another tensor; not supported%s' % (
                                      node.target, target.target, ', at ' + where if where else ''))
            later = [u for u in base.users if u is not target and order[u] > order[node]]
            if later:
                with g.inserting_after(node):
                    back = g.call_function(aten.view.default,
                                           (node, list(base.meta['val'].shape)))
                back.meta['val'] = base.meta['val']
                order[back] = order[node]
                for user in later:
                    user.replace_input_with(base, back)
        elif any(str(u.target) in _VIEWS and order[u] < order[node] and
                 any(order[w] > order[node] for w in u.users) for u in target.users
                 if u.op == 'call_function'):
            where = user_frame(node)
            raise ExportError('in-place op %s updates a tensor whose view is read after it; '
                              'not supported%s' % (node.target, ', at ' + where if where else ''))
    gm.recompile()


def _redirect(old, new, order):
    for user in list(old.users):
        if user is not new and order[user] > order[new]:
            user.replace_input_with(old, new)


def _covers_in_order(view, base):
    """Whether `view` reads every element of `base` once, in row-major order."""
    bval, vval = base.meta.get('val'), view.meta.get('val')
    if bval is None or vval is None or bval.numel() != vval.numel():
        return False
    if str(view.target) != 'aten.as_strided.default':
        return True
    if not bval.is_contiguous():
        return False
    size, stride = list(view.args[1]), list(view.args[2])
    offset = view.args[3] if len(view.args) > 3 and view.args[3] is not None else 0
    acc = 1
    for d, s in reversed(list(zip(size, stride))):
        if d != 1 and s != acc:
            return False
        acc *= d
    return offset == 0


def _drop_input_mutations(gm):
    """Training-mode batch norm updates its running statistics and batch counter
    in place (`copy_`, `add_` into the buffer placeholders). They affect neither
    the loss nor the gradients of this step, so the exported step leaves them out
    (and with them the ops that only fed them)."""
    g = gm.graph
    for node in reversed(list(g.nodes)):
        if _is_inplace(node) and not node.users:
            if node.args[0].op != 'placeholder':
                where = user_frame(node)
                raise ExportError(
                    'in-place op %s on an intermediate value; the exporter handles '
                    'in-place updates of buffers only%s' % (node.target, ', at ' + where if where else ''))
            g.erase_node(node)
    g.eliminate_dead_code()
    gm.recompile()
