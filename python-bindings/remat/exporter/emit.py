"""Translate a traced core-ATen training step into one MLIR `func.func` in upstream
linalg, tensor, arith and math (MLIR 22), following the conventions of
examples/README.md: parameters, buffers, then the batch are the arguments; the
first result is the loss (`tensor<f32> {remat.loss}`), then one gradient per
parameter; every `outs` tensor.empty sits right before its user; the traced
program order is kept.

Views that PyTorch makes without copying (permute, expand, unsqueeze of a
broadcast) stay lazy: they are folded into the indexing maps of the linalg ops
that read them, so they cost no buffer, as in PyTorch. A view that a consumer
needs as a real tensor is materialized (a copy) right before that consumer.
Reshapes become tensor.expand_shape / collapse_shape (aliases).
"""

import math
import operator
import re
import struct

import torch

from .ops import HANDLERS


from .trace import ExportError  # noqa: E402,F401  (raised by both)


DTYPES = {torch.float32: 'f32', torch.int64: 'i64', torch.bool: 'i1', torch.int32: 'i32'}


def mlir_dtype(dtype, what):
    if dtype not in DTYPES:
        raise ExportError('%s: dtype %s is not supported (f32, i64, i32, bool are)' % (what, dtype))
    return DTYPES[dtype]


def tensor_type(shape, dt):
    return 'tensor<%s%s>' % (''.join('%dx' % d for d in shape), dt)


def fconst(value):
    """An f32 literal: exact hex for non-finite values, 9 significant digits otherwise."""
    value = float(value)
    if math.isfinite(value):
        return '%.9e' % struct.unpack('f', struct.pack('f', value))[0]
    return '0x%08X' % struct.unpack('I', struct.pack('f', value))[0]


class Val:
    """A tensor of the program. `name` is the SSA value holding it, or, for a lazy
    view, `base` (a materialized Val) and `exprs`: for each dim of the base, the
    logical dim (int) that indexes it, or None for a broadcast (index 0)."""

    def __init__(self, name, shape, dt, base=None, exprs=None):
        self.name, self.shape, self.dt = name, tuple(int(d) for d in shape), dt
        self.base, self.exprs = base, exprs

    @property
    def type(self):
        return tensor_type(self.shape, self.dt)

    @property
    def lazy(self):
        return self.base is not None

    def numel(self):
        return math.prod(self.shape)


def lazy_view(src, shape, exprs_of_src):
    """A lazy view of `src` with logical `shape`; exprs_of_src[k] is the new
    logical dim indexing src's dim k (None: index 0)."""
    if src.lazy:
        exprs = [None if e is None else exprs_of_src[e] for e in src.exprs]
        return Val(None, shape, src.dt, src.base, exprs)
    return Val(None, shape, src.dt, src, list(exprs_of_src))


def broadcast_exprs(val_shape, out_rank, out_shape):
    """Map a value of `val_shape` onto an iteration of rank out_rank (NumPy rules)."""
    off = out_rank - len(val_shape)
    return [None if (d == 1 and out_shape[i + off] != 1) else i + off
            for i, d in enumerate(val_shape)]


def affine(rank, exprs):
    dims = ', '.join('d%d' % i for i in range(rank))
    res = ', '.join('0' if e is None else (e if isinstance(e, str) else 'd%d' % e) for e in exprs)
    return 'affine_map<(%s) -> (%s)>' % (dims, res)


class Body:
    """The scalar payload of a linalg.generic."""

    def __init__(self, nins, nouts):
        self.lines = []
        self.n = 0
        self.ins = ['%%in%d' % i for i in range(nins)]
        self.outs = ['%%out%d' % i for i in range(nouts)]

    def op(self, text, ty=None):
        r = '%%s%d' % self.n
        self.n += 1
        self.lines.append('%s = %s%s' % (r, text, '' if ty is None else ' : ' + ty))
        return r

    def const(self, value, dt):
        if dt == 'f32':
            return self.op('arith.constant %s' % fconst(value), 'f32')
        if dt == 'i1':
            return self.op('arith.constant %s' % ('true' if value else 'false'))
        if dt == 'index':
            return self.op('arith.constant %d' % int(value), 'index')
        return self.op('arith.constant %d' % int(value), dt)

    def cast(self, x, src, dst):
        if src == dst:
            return x
        if dst == 'f32':
            return self.op('arith.%s %s' % ('uitofp' if src == 'i1' else 'sitofp', x),
                           '%s to f32' % src)
        if dst == 'i1':
            zero = self.const(0, src)
            pred = 'cmpf une' if src == 'f32' else 'cmpi ne'
            return self.op('arith.%s, %s, %s' % (pred, x, zero), src)
        if src == 'f32':
            return self.op('arith.fptosi %s' % x, 'f32 to %s' % dst)
        if src == 'i1':
            return self.op('arith.extui %s' % x, 'i1 to %s' % dst)
        widths = {'i32': 32, 'i64': 64}
        kind = 'extsi' if widths[dst] > widths[src] else 'trunci'
        return self.op('arith.%s %s' % (kind, x), '%s to %s' % (src, dst))

    def index(self, d):
        return self.op('linalg.index %d' % d, 'index')


class Emitter:
    def __init__(self):
        self.lines = []
        self.used = set()

    # ---- names and plain ops ----

    def fresh(self, hint):
        base = 'v_' + re.sub(r'[^A-Za-z0-9_]', '_', hint)
        name, k = base, 1
        while name in self.used:
            name = '%s_%d' % (base, k)
            k += 1
        self.used.add(name)
        return '%' + name

    def emit(self, line):
        self.lines.append('  ' + line)

    def empty(self, shape, dt, hint):
        name = self.fresh(hint + '_init')
        self.emit('%s = tensor.empty() : %s' % (name, tensor_type(shape, dt)))
        return name

    def scalar_const(self, value, dt):
        """A top-level scalar constant, emitted once (before its first use)."""
        lit = fconst(value) if dt == 'f32' else (
            ('true' if value else 'false') if dt == 'i1' else str(int(value)))
        name = 'c_%s_%s' % (dt, re.sub(r'[^A-Za-z0-9]', '_', lit))
        if name not in self.used:
            self.used.add(name)
            self.emit('%%%s = arith.constant %s%s' % (name, lit, '' if dt == 'i1' else ' : ' + dt))
        return '%' + name

    def filled(self, value, shape, dt, hint):
        c = self.scalar_const(value, dt)
        e = self.empty(shape, dt, hint)
        name = self.fresh(hint + '_fill')
        self.emit('%s = linalg.fill ins(%s : %s) outs(%s : %s) -> %s' % (
            name, c, dt, e, tensor_type(shape, dt),
            tensor_type(shape, dt)))
        return Val(name, shape, dt)

    # ---- linalg.generic ----

    def generic(self, hint, rank, iters, ins, outs, body_fn, attrs=None):
        """ins: [(Val, exprs)] with exprs over the iteration dims (lazy Vals are
        folded in); outs: [(shape, dt, exprs, init)] with init a Val or None
        (a fresh tensor.empty). body_fn(Body) returns the yielded scalars."""
        in_ops = []
        for v, exprs in ins:
            if v.lazy:
                exprs = [None if e is None else exprs[e] for e in v.exprs]
                v = v.base
            in_ops.append((v, exprs))
        out_inits = []
        for shape, dt, exprs, init in outs:
            out_inits.append(init.name if init is not None else self.empty(shape, dt, hint))
        body = Body(len(in_ops), len(outs))
        results = body_fn(body)
        name = self.fresh(hint)
        if len(outs) == 1:
            names, binding = [name], name
        else:
            names = ['%s#%d' % (name, i) for i in range(len(outs))]
            binding = '%s:%d' % (name, len(outs))
        maps = [affine(rank, e) for _, e in in_ops] + [affine(rank, o[2]) for o in outs]
        out_types = [tensor_type(o[0], o[1]) for o in outs]
        self.emit('%s = linalg.generic {indexing_maps = [%s], iterator_types = [%s]%s}' % (
            binding, ', '.join(maps), ', '.join('"%s"' % t for t in iters),
            ', ' + attrs if attrs else ''))
        if in_ops:
            self.emit('    ins(%s : %s)' % (', '.join(v.name for v, _ in in_ops),
                                           ', '.join(v.type for v, _ in in_ops)))
        self.emit('    outs(%s : %s) {' % (', '.join(out_inits), ', '.join(out_types)))
        args = ['%s: %s' % (n, v.dt) for n, (v, _) in zip(body.ins, in_ops)]
        args += ['%s: %s' % (n, o[1]) for n, o in zip(body.outs, outs)]
        self.lines.append('  ^bb0(%s):' % ', '.join(args))
        for line in body.lines:
            self.emit('  ' + line)
        self.emit('  linalg.yield %s : %s' % (', '.join(results), ', '.join(o[1] for o in outs)))
        self.emit('} -> %s' % (out_types[0] if len(out_types) == 1 else '(%s)' % ', '.join(out_types)))
        return [Val(n, o[0], o[1]) for n, o in zip(names, outs)]

    def materialize(self, v, hint='copy'):
        if not v.lazy:
            return v
        rank = len(v.shape)
        ident = list(range(rank))
        return self.generic(hint, rank, ['parallel'] * rank, [(v, ident)],
                            [(v.shape, v.dt, ident, None)], lambda b: [b.ins[0]])[0]

    # ---- reshapes (aliases) ----

    def reshape(self, v, shape, hint):
        shape = tuple(int(d) for d in shape)
        if tuple(v.shape) == shape:
            return v
        v = self.materialize(v, hint + '_contig')
        src, dst = v.shape, shape
        if not src or not dst:
            if not src:
                name = self.fresh(hint)
                self.emit('%s = tensor.expand_shape %s [] output_shape [%s] : %s into %s' % (
                    name, v.name, ', '.join(map(str, dst)), v.type, tensor_type(dst, v.dt)))
            else:
                name = self.fresh(hint)
                self.emit('%s = tensor.collapse_shape %s [] : %s into %s' % (
                    name, v.name, v.type, tensor_type(dst, v.dt)))
            return Val(name, dst, v.dt)
        groups = reassociation(src, dst)
        mid = tuple(math.prod(src[i] for i in gs) for gs, _ in groups)
        cur = v
        if mid != src:
            name = self.fresh(hint + '_c' if mid != dst else hint)
            self.emit('%s = tensor.collapse_shape %s [%s] : %s into %s' % (
                name, cur.name, ', '.join('[%s]' % ', '.join(map(str, gs)) for gs, _ in groups),
                cur.type, tensor_type(mid, v.dt)))
            cur = Val(name, mid, v.dt)
        if mid != dst:
            name = self.fresh(hint)
            k = 0
            reassoc = []
            for i, (_, gd) in enumerate(groups):
                reassoc.append('[%s]' % ', '.join(str(k + j) for j in range(len(gd))))
                k += len(gd)
            self.emit('%s = tensor.expand_shape %s [%s] output_shape [%s] : %s into %s' % (
                name, cur.name, ', '.join(reassoc), ', '.join(map(str, dst)), cur.type,
                tensor_type(dst, v.dt)))
            cur = Val(name, dst, v.dt)
        return cur


def reassociation(src, dst):
    """Groups (src dims, dst dims) with equal products, covering both shapes in order."""
    groups = []
    i = j = 0
    while i < len(src) or j < len(dst):
        if i == len(src) or j == len(dst):
            # Only size-1 dims remain on one side: attach them to the last group.
            if not groups:
                raise ExportError('cannot reshape %s to %s' % (src, dst))
            while i < len(src):
                groups[-1][0].append(i)
                i += 1
            while j < len(dst):
                groups[-1][1].append(j)
                j += 1
            break
        gs, gd = [i], [j]
        ps, pd = src[i], dst[j]
        i += 1
        j += 1
        while ps != pd:
            if ps < pd:
                if i == len(src):
                    raise ExportError('cannot reshape %s to %s' % (src, dst))
                gs.append(i)
                ps *= src[i]
                i += 1
            else:
                if j == len(dst):
                    raise ExportError('cannot reshape %s to %s' % (src, dst))
                gd.append(j)
                pd *= dst[j]
                j += 1
        while i < len(src) and src[i] == 1 and (j == len(dst) or dst[j] != 1):
            gs.append(i)
            i += 1
        while j < len(dst) and dst[j] == 1 and (i == len(src) or src[i] != 1):
            gd.append(j)
            j += 1
        groups.append((gs, gd))
    return groups


def _where(node):
    from .trace import user_frame
    frame = user_frame(node)
    return ', at ' + frame if frame else ''


def _sanitize(name):
    return re.sub(r'[^A-Za-z0-9_]', '_', name)


# A tensor made in the forward or the loss from Python values
# (`torch.tensor([2, 0, 1])` as an index, class weights) is an attribute of the
# traced module; small ones become dense constants of the step.
_MAX_CONSTANT_ELEMENTS = 1 << 16


def _fetch_attr(gm, target):
    obj = gm
    for part in target.split('.'):
        obj = getattr(obj, part)
    return obj


def _dense_literal(values, dt):
    if isinstance(values, list):
        return '[%s]' % ', '.join(_dense_literal(v, dt) for v in values)
    if dt == 'f32':
        return fconst(values)
    if dt == 'i1':
        return 'true' if values else 'false'
    return str(int(values))


def dense_constant(em, values, shape, dt, hint):
    """A constant tensor of `shape` holding `values` (nested lists)."""
    name = em.fresh(hint)
    em.emit('%s = arith.constant dense<%s> : %s' % (
        name, _dense_literal(values, dt), tensor_type(shape, dt)))
    return Val(name, shape, dt)


def _tensor_constant(em, node, tensor):
    import torch
    if not isinstance(tensor, torch.Tensor):
        raise ExportError('module attribute %s is not a tensor%s' % (node.target, _where(node)))
    dt = mlir_dtype(tensor.dtype, 'constant %s' % node.target)
    if tensor.numel() > _MAX_CONSTANT_ELEMENTS:
        raise ExportError('tensor constant %s has %d elements; the exporter writes constants '
                          'of at most %d into the step: pass it as an input or register it '
                          'as a buffer%s' % (node.target, tensor.numel(),
                                             _MAX_CONSTANT_ELEMENTS, _where(node)))
    # Inside torch.compile the partition runs under AOTAutograd's fake mode,
    # where reading a real constant (a target built in the compiled function)
    # would dispatch to fake tensors: its values are read outside that mode.
    from torch._subclasses.fake_tensor import FakeTensor, unset_fake_temporarily
    if isinstance(tensor, FakeTensor):
        raise ExportError('tensor constant %s has no values to write (a fake tensor)%s'
                          % (node.target, _where(node)))
    with unset_fake_temporarily():
        values = tensor.detach().cpu().tolist()
    return dense_constant(em, values, tuple(tensor.shape), dt, node.name)


# Writes into a tensor made from constants alone: what builds Swin's shifted-
# window attention mask, a chain of slice_scatters into a zero tensor (dozens
# of in-place writes into one buffer, each read by the next, which remat
# cannot plan; and slices of empty windows at small inputs).
_FOLDED_WRITES = frozenset([
    'aten.slice_scatter.default', 'aten.select_scatter.default',
    'aten.index_put.default', 'aten.scatter.src', 'aten.scatter.value',
    'aten.masked_fill.Scalar', 'aten.copy.default'])


def _constant_writes(gm):
    """The writes of _FOLDED_WRITES whose every input is computed from constants
    alone (no argument of the step), with their values, computed here with
    PyTorch; and the nodes only they read, which need no code of their own.
    Such a write becomes one dense constant where a computed op reads it (up to
    _MAX_CONSTANT_ELEMENTS), so the step holds no chain of writes into a
    constant buffer."""
    import torch
    import torch.fx
    from .trace import _random_hint
    values = {}
    for node in gm.graph.nodes:
        if node.op == 'get_attr':
            values[node] = _fetch_attr(gm, node.target)
            continue
        target = str(node.target)
        if (node.op != 'call_function' or _random_hint(target) or 'rand' in target
                or 'empty' in target):
            continue
        # Only small values (a mask, an index), not the step's big constants
        # (a loss seed the size of the logits).
        val = node.meta.get('val')
        if isinstance(val, torch.Tensor) and val.numel() > _MAX_CONSTANT_ELEMENTS:
            continue
        if not all(i in values for i in node.all_input_nodes):
            continue
        args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda n: values[n])
        try:
            values[node] = node.target(*args, **kwargs)
        except Exception:    # left to its handler, as any other op
            continue
    folded = {n for n, v in values.items()
              if str(n.target) in _FOLDED_WRITES and isinstance(v, torch.Tensor)
              and v.numel() <= _MAX_CONSTANT_ELEMENTS}
    # A constant node none of whose users needs its code (every user is
    # skipped, or a folded write that becomes a constant) is skipped.
    skipped = set()
    for node in reversed(list(gm.graph.nodes)):
        if node in values and node.users and all(
                u in skipped or u in folded for u in node.users):
            skipped.add(node)
    if not folded - skipped:
        return {}, set()
    return {n: values[n] for n in folded - skipped}, skipped


def emit_step(step, title='train_step', comment=None):
    """MLIR text of `step` (a trace.Step)."""
    em = Emitter()
    env = {}
    gm = step.gm
    constant_writes, skipped = _constant_writes(gm)
    placeholders = [n for n in gm.graph.nodes if n.op == 'placeholder']
    args = []
    for node, name, kind in zip(placeholders, step.arg_names, step.arg_kinds):
        meta = node.meta['val']
        ssa = '%a_' + _sanitize(name)
        em.used.add(ssa[1:])
        v = Val(ssa, meta.shape, mlir_dtype(meta.dtype, 'argument %s' % name))
        env[node] = v
        args.append('%s: %s' % (ssa, v.type))
    counts = {}
    line_nodes = {}   # index into em.lines -> the fx node whose translation wrote it
    output = None
    for node in gm.graph.nodes:
        if node.op == 'placeholder':
            continue
        if node.op == 'output':
            output = node
            break
        if node in skipped:
            continue
        if node in constant_writes:
            env[node] = _tensor_constant(em, node, constant_writes[node])
            continue
        if node.target is operator.getitem:
            env[node] = env[node.args[0]][node.args[1]]
            continue
        if node.op == 'get_attr':
            env[node] = _tensor_constant(em, node, _fetch_attr(gm, node.target))
            continue
        key = str(node.target)
        handler = HANDLERS.get(key)
        if handler is None:
            from .trace import _random_hint
            raise ExportError('ATen op %s (node %s) is not supported by the remat exporter%s%s'
                              % (key, node.name, _random_hint(key), _where(node)))
        counts[key] = counts.get(key, 0) + 1
        first_line = len(em.lines)
        try:
            env[node] = handler(em, node, _Args(env, node))
        except ExportError as e:
            raise ExportError('%s (node %s)%s' % (e, node.name, _where(node))) from None
        for i in range(first_line, len(em.lines)):
            line_nodes[i] = node
        annotate_checkpoint(em.lines, first_line, node, env[node])
    outs = [em.materialize(env[o], 'result') for o in output.args[0]]
    loss = outs[0]
    unannotate_off_loss(em.lines, loss.name)
    if loss.shape != () or loss.dt != 'f32':
        raise ExportError('the loss must be an f32 scalar, got %s' % loss.type)
    em.emit('return %s : %s' % (', '.join(o.name for o in outs), ', '.join(o.type for o in outs)))
    res_types = ['%s {remat.loss}' % loss.type] + [o.type for o in outs[1:]]
    header = []
    if comment:
        header += ['// ' + line if line else '//' for line in comment.splitlines()]
    header.append('func.func @%s(%s)' % (title, ', '.join(args)))
    header.append('    -> (%s) {' % ', '.join(res_types))
    # 1-based line numbers of the text (locations in remat's plan) -> fx nodes.
    step.line_nodes = {len(header) + i + 1: n for i, n in line_nodes.items()}
    return '\n'.join(header + em.lines + ['}', '']), counts


# ---- torch.utils.checkpoint regions and policies (trace.checkpoint_regions) ----
#
# Every op a checkpointed node translates to gets `remat.checkpoint = N : i64`
# (N: the checkpoint call); the ops that define the node's results also get
# `remat.policy`: "save" for CheckpointPolicy.MUST_SAVE and PREFER_SAVE (eager
# PyTorch saves both), "recompute" for MUST_RECOMPUTE. PREFER_RECOMPUTE adds
# nothing: inside a region, recomputing is the default (docs/pytorch.md).

_OP_LINE = re.compile(r'^(  )(%[A-Za-z0-9_]+)(:\d+)? = ([a-z_]+\.[a-z0-9_.]+)(.*)$')


def _policy_name(policy):
    from torch.utils.checkpoint import CheckpointPolicy
    if policy in (CheckpointPolicy.MUST_SAVE, CheckpointPolicy.PREFER_SAVE):
        return 'save'
    if policy == CheckpointPolicy.MUST_RECOMPUTE:
        return 'recompute'
    return None


def add_attributes(line, attrs):
    """`line`, the first line of an op the exporter writes, with `attrs`
    ('name = value' strings) in its attribute dictionary."""
    m = _OP_LINE.match(line)
    if not m:
        return line
    text = ', '.join(attrs)
    head, rest = line[:m.start(5)], m.group(5)
    opname = m.group(4)
    if opname == 'linalg.generic':
        # The whole dictionary ({indexing_maps = ..., iterator_types = ...}) is on this line.
        i = rest.rindex('}')
        return head + rest[:i] + ', ' + text + rest[i:]
    if opname.startswith('linalg.'):
        if rest.startswith(' {'):                 # named op with attributes (convolutions)
            i = rest.index('}')
            return head + rest[:i] + ', ' + text + rest[i:]
        return head + ' {' + text + '}' + rest
    i = rest.rfind(' : ')
    if i < 0:
        return line
    return head + rest[:i] + ' {' + text + '}' + rest[i:]


def annotate_checkpoint(lines, first, node, value):
    from .trace import REMAT_CHECKPOINT, REMAT_POLICY
    if REMAT_CHECKPOINT not in node.meta:
        return
    policy = _policy_name(node.meta.get(REMAT_POLICY))
    defs = {}
    for i in range(first, len(lines)):
        m = _OP_LINE.match(lines[i])
        if m:
            defs[m.group(2)] = i
    results = set()
    if policy is not None:
        vals = value if isinstance(value, (list, tuple)) else [value]
        todo = [v for v in vals if isinstance(v, Val)]
        while todo:
            v = todo.pop()
            v = v.base if v.lazy else v
            name = v.name.split('#')[0]
            if name in defs and defs[name] not in results:
                results.add(defs[name])
                m = _OP_LINE.match(lines[defs[name]])
                if m.group(4) in ('tensor.expand_shape', 'tensor.collapse_shape'):
                    src = m.group(5).split()[0]
                    todo.append(Val(src, (), 'f32'))
    for name, i in defs.items():
        opname = _OP_LINE.match(lines[i]).group(4)
        if opname == 'arith.constant':          # scalars, shared by every later op
            continue
        attrs = ['remat.checkpoint = %d : i64' % node.meta[REMAT_CHECKPOINT]]
        if i in results:
            attrs.append('remat.policy = "%s"' % policy)
        if opname == 'tensor.pad':              # the dictionary follows the region
            j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith('  } : '))
            lines[j] = '  } {' + ', '.join(attrs) + '}' + lines[j][3:]
        else:
            lines[i] = add_attributes(lines[i], attrs)


_ANNOTATION = re.compile(r' \{remat\.checkpoint = \d+ : i64(, remat\.policy = "\w+")?\}'
                         r'|, remat\.checkpoint = \d+ : i64(, remat\.policy = "\w+")?')


def unannotate_off_loss(lines, loss):
    """Drops the annotations of ops the loss does not depend on. A region's
    forward can compute values only the backward reads (batch norm's batch
    statistics); to remat they are backward ops, which take no policy."""
    ops = []                      # [first line, end line, defined names, used names]
    for i, line in enumerate(lines):
        m = _OP_LINE.match(line)
        if m or line.startswith('  return '):
            if ops:
                ops[-1][1] = i
            ops.append([i, len(lines), {m.group(2)} if m else set(), set()])
    for op in ops:
        for line in lines[op[0]:op[1]]:
            op[3].update(re.findall(r'%[A-Za-z0-9_]+', line.split(' = ', 1)[-1]))
    defining = {name: k for k, op in enumerate(ops) for name in op[2]}
    need, todo = set(), [loss.split('#')[0]]
    while todo:
        k = defining.get(todo.pop())
        if k is not None and k not in need:
            need.add(k)
            todo.extend(ops[k][3])
    for k, op in enumerate(ops):
        if k not in need:
            for i in range(op[0], op[1]):
                if 'remat.checkpoint' in lines[i]:
                    lines[i] = _ANNOTATION.sub('', lines[i])


class _Args:
    """Resolves a node's arguments: fx nodes to Vals, the rest unchanged."""

    def __init__(self, env, node):
        self.env, self.node = env, node

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self.node.args)))]
        return self.resolve(self.node.args[i]) if i < len(self.node.args) else None

    def get(self, i, name, default=None):
        if i < len(self.node.args):
            return self.resolve(self.node.args[i])
        return self.resolve(self.node.kwargs.get(name, default))

    def resolve(self, a):
        if isinstance(a, torch.fx.Node):
            return self.env[a]
        if isinstance(a, (list, tuple)):
            return type(a)(self.resolve(x) for x in a)
        return a

    def __len__(self):
        return len(self.node.args)
