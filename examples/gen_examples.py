#!/usr/bin/env python3
"""Generate the bundled remat example training steps.

Each example is written once, by hand, against a tiny tensor-program builder
whose ops both emit upstream MLIR (linalg on tensors) and evaluate with numpy.
The same Python function therefore gives the checked-in .mlir file and a numpy
reference of its loss and gradients (test/examples-py checks the gradients
against finite differences and the files against this generator).

Usage:
    python3 examples/gen_examples.py [--out-dir DIR]

writes DIR/{tiny_chain,mlp,deep_mlp,transformer_block}.mlir, the looped steps
and their unrolled twins DIR/loops/{residual_mlp,transformer_stack,rnn}_{loop,
unrolled}.mlir and DIR/README.md (DIR defaults to the directory of this script)
and prints the memory summary. --residual-mlp, --transformer-stack and --rnn
write one looped step and its twin at another size (tests, benchmarks).

Conventions of the emitted IR (see docs and DESIGN.md, "memory model"):
  * one func.func @train_step per file; parameters then batch as arguments;
  * results: loss (0-d tensor<f32>, marked {remat.loss}) then the gradient of
    every parameter, in parameter order;
  * every `outs` operand is a fresh tensor.empty (zero-filled with linalg.fill
    where the op accumulates) emitted immediately before its user;
  * the backward pass (manual reverse mode) follows the forward in reverse order.
"""

import argparse
import contextlib
import math
import os
import sys

import numpy as np

F32_BYTES = 4


# --------------------------------------------------------------------------
# Scalar expressions: the bodies of linalg.generic.
# --------------------------------------------------------------------------

class Expr:
    """A scalar f32 expression; evaluates elementwise on numpy arrays."""

    def __init__(self, op, args=(), value=None):
        self.op = op          # 'in', 'const', or an arith/math op name
        self.args = tuple(args)
        self.value = value    # input index for 'in', float for 'const'

    def __add__(self, o): return Expr('arith.addf', (self, lift(o)))
    def __radd__(self, o): return Expr('arith.addf', (lift(o), self))
    def __sub__(self, o): return Expr('arith.subf', (self, lift(o)))
    def __rsub__(self, o): return Expr('arith.subf', (lift(o), self))
    def __mul__(self, o): return Expr('arith.mulf', (self, lift(o)))
    def __rmul__(self, o): return Expr('arith.mulf', (lift(o), self))
    def __truediv__(self, o): return Expr('arith.divf', (self, lift(o)))
    def __rtruediv__(self, o): return Expr('arith.divf', (lift(o), self))
    def __neg__(self): return Expr('arith.negf', (self,))


def lift(x):
    return x if isinstance(x, Expr) else Expr('const', value=float(x))


def exp(x): return Expr('math.exp', (x,))
def tanh(x): return Expr('math.tanh', (x,))
def rsqrt(x): return Expr('math.rsqrt', (x,))


_NUMPY_FN = {
    'arith.addf': lambda a, b: a + b,
    'arith.subf': lambda a, b: a - b,
    'arith.mulf': lambda a, b: a * b,
    'arith.divf': lambda a, b: a / b,
    'arith.negf': lambda a: -a,
    'math.exp': np.exp,
    'math.tanh': np.tanh,
    'math.rsqrt': lambda a: 1.0 / np.sqrt(a),
}


def eval_expr(e, inputs, dtype):
    memo = {}

    def go(x):
        if id(x) in memo:
            return memo[id(x)]
        if x.op == 'in':
            r = inputs[x.value]
        elif x.op == 'const':
            r = dtype.type(x.value)
        else:
            r = _NUMPY_FN[x.op](*[go(a) for a in x.args])
        memo[id(x)] = r
        return r

    return go(e)


def f32_literal(v):
    if v == -math.inf:
        return '0xFF800000'
    return '%.9e' % v


def emit_expr(e, arg_names, lines):
    """Appends the SSA lines of `e` to `lines`; returns the name of its value."""
    memo = {}
    counter = [0]

    def go(x):
        if x.op == 'in':
            return arg_names[x.value]
        if id(x) in memo:
            return memo[id(x)]
        operands = [go(a) for a in x.args]
        name = '%%s%d' % counter[0]
        if x.op == 'const':
            lines.append('%s = arith.constant %s : f32' % (name, f32_literal(x.value)))
        else:
            lines.append('%s = %s %s : f32' % (name, x.op, ', '.join(operands)))
        counter[0] += 1
        memo[id(x)] = name
        return name

    return go(e)


# --------------------------------------------------------------------------
# Tensor values and the builder.
# --------------------------------------------------------------------------

def tensor_type(shape):
    return 'tensor<%sf32>' % ''.join('%dx' % d for d in shape)


def affine_map(rank, dims):
    ds = ', '.join('d%d' % i for i in range(rank))
    return 'affine_map<(%s) -> (%s)>' % (ds, ', '.join('d%d' % d for d in dims))


class Value:
    def __init__(self, name, shape, data, kind, phase, index, root=None):
        self.name = name            # SSA name without '%'
        self.shape = tuple(shape)
        self.data = data            # numpy array (None for inits)
        self.kind = kind            # 'arg', 'op', 'view', 'init'
        self.phase = phase          # 'forward' / 'backward' / None for args
        self.def_index = index      # index of the defining op (-1 for args)
        self.root = root or self    # the value whose buffer this one aliases
        self.use_indices = []
        self.use_phases = set()

    @property
    def bytes(self):
        return int(np.prod(self.shape, dtype=np.int64)) * F32_BYTES

    @property
    def type(self):
        return tensor_type(self.shape)

    def __repr__(self):
        return '%%%s: %s' % (self.name, self.type)


class Index:
    """An index value: its SSA name (with '%') and, in numpy, the iteration's value."""

    def __init__(self, ssa, value):
        self.ssa = ssa if ssa.startswith('%') else '%' + ssa
        self.value = value

    def __int__(self):
        return self.value


# SSA names used inside linalg.generic bodies; top-level names must not shadow them.
def _is_body_name(n):
    return n in ('out',) or (n[:1] in ('s',) and n[1:].isdigit()) or \
        (n.startswith('in') and n[2:].isdigit())


class Builder:
    def __init__(self, args):
        """args: list of (name, numpy array); all arguments of @train_step."""
        self.lines = []          # top-level op lines (each may span several lines)
        self.op_names = []       # op name of each top-level op
        self.names = set()
        self.constants = {}      # literal -> name, emitted at the top
        self.index_constants = {}  # int -> name of an index constant, at the top
        self.loops = []          # (for_loop records) for the summary of looped steps
        self._muted = False      # re-evaluating a loop body: numpy only, no IR
        self._body_uses = []     # per open loop body: the operands its ops use
        self.evaluate_loops = True  # False: IR only (numpy runs one iteration)
        self.phase_name = 'forward'
        self.dtype = None
        self.values = []
        self.args = []
        for name, data in args:
            data = np.asarray(data)
            self.dtype = self.dtype or data.dtype
            v = Value(self._fresh(name), data.shape, data, 'arg', None, -1)
            self.args.append(v)
            self.values.append(v)
        self.results = None

    # ---- bookkeeping --------------------------------------------------
    def _fresh(self, hint):
        base = hint
        assert not _is_body_name(base), base
        name, n = base, 0
        while name in self.names:
            n += 1
            name = '%s_%d' % (base, n)
        self.names.add(name)
        return name

    @contextlib.contextmanager
    def phase(self, name):
        old, self.phase_name = self.phase_name, name
        try:
            yield
        finally:
            self.phase_name = old

    def _emit(self, op_name, text, operands):
        index = len(self.lines)
        if self._muted:  # a loop body's later iterations: numpy only
            return index
        self.lines.append(text)
        self.op_names.append(op_name)
        if self._body_uses:
            self._body_uses[-1].extend(operands)
        for v in operands:
            v.use_indices.append(index)
            v.use_phases.add(self.phase_name)
        return index

    def _new(self, hint, shape, data, kind='op', root=None):
        name = hint if '#' in hint else self._fresh(hint)
        v = Value(name, shape, data, kind, self.phase_name, len(self.lines), root)
        if not self._muted:
            self.values.append(v)
        return v

    def _constant(self, value):
        lit = f32_literal(value)
        if lit not in self.constants:
            name = self._fresh({0.0: 'zero', -math.inf: 'neg_inf'}[value])
            self.constants[lit] = name
        return self.constants[lit]

    def _init(self, hint, shape, fill=None, name=None):
        """tensor.empty (+ linalg.fill, named `name` or hint_acc) right before
        its user."""
        init = self._new(hint + '_init', shape, None, kind='init')
        self._emit('tensor.empty', '%%%s = tensor.empty() : %s' % (init.name, init.type), [])
        if fill is None:
            return init
        c = self._constant(fill)
        filled = self._new(name or hint + '_acc', shape, None, kind='init')
        self._emit('linalg.fill',
                   '%%%s = linalg.fill ins(%%%s : f32) outs(%%%s : %s) -> %s'
                   % (filled.name, c, init.name, init.type, init.type), [init])
        return filled

    def zeros(self, name, shape):
        """A zero-filled tensor of its own (a loop's initial accumulator)."""
        r = self._init(name, shape, fill=0.0, name=name)
        r.kind, r.data = 'op', np.zeros(shape, dtype=self.dtype)
        return r

    # ---- tensor ops -----------------------------------------------------
    def matmul(self, a, b, name):
        (m, k), (k2, n) = a.shape, b.shape
        assert k == k2, (a, b)
        return self._contraction('linalg.matmul', a, b, name, (m, n), a.data @ b.data)

    def batch_matmul(self, a, b, name):
        (bs, m, k), (bs2, k2, n) = a.shape, b.shape
        assert bs == bs2 and k == k2, (a, b)
        return self._contraction('linalg.batch_matmul', a, b, name, (bs, m, n),
                                 np.matmul(a.data, b.data))

    def _contraction(self, op, a, b, name, shape, data):
        acc = self._init(name, shape, fill=0.0)
        r = self._new(name, shape, data)
        self._emit(op, '%%%s = %s ins(%%%s, %%%s : %s, %s) outs(%%%s : %s) -> %s'
                   % (r.name, op, a.name, b.name, a.type, b.type, acc.name,
                      r.type, r.type), [a, b, acc])
        return r

    def transpose(self, a, perm, name):
        shape = tuple(a.shape[p] for p in perm)
        init = self._init(name, shape)
        r = self._new(name, shape, np.ascontiguousarray(np.transpose(a.data, perm)))
        self._emit('linalg.transpose',
                   '%%%s = linalg.transpose ins(%%%s : %s) outs(%%%s : %s) permutation = [%s]'
                   % (r.name, a.name, a.type, init.name, r.type,
                      ', '.join(str(p) for p in perm)), [a, init])
        return r

    def expand(self, a, reassoc, shape, name):
        r = self._new(name, shape, a.data.reshape(shape), kind='view', root=a.root)
        self._emit('tensor.expand_shape',
                   '%%%s = tensor.expand_shape %%%s %s output_shape [%s] : %s into %s'
                   % (r.name, a.name, _reassoc(reassoc), ', '.join(map(str, shape)),
                      a.type, r.type), [a])
        return r

    def collapse(self, a, reassoc, name):
        shape = tuple(int(np.prod([a.shape[i] for i in group])) for group in reassoc)
        r = self._new(name, shape, a.data.reshape(shape), kind='view', root=a.root)
        self._emit('tensor.collapse_shape',
                   '%%%s = tensor.collapse_shape %%%s %s : %s into %s'
                   % (r.name, a.name, _reassoc(reassoc), a.type, r.type), [a])
        return r

    # ---- stacked tensors and loops ----------------------------------------
    def index(self, value):
        """The name of an index constant (emitted at the top)."""
        if value not in self.index_constants:
            self.index_constants[value] = self._fresh('c%d' % value)
        return self.index_constants[value]

    def empty(self, name, shape):
        """A tensor.empty that slices are inserted into (zeros in numpy: every
        slice is written before it is read)."""
        r = self._new(name, shape, np.zeros(shape, dtype=self.dtype))
        self._emit('tensor.empty', '%%%s = tensor.empty() : %s' % (r.name, r.type), [])
        return r

    @staticmethod
    def _slice_text(position, inner):
        """Offsets, sizes and strides of slice `position` of a stacked tensor
        whose slices have shape `inner`; `position` is an int or an Index."""
        first = position.ssa if isinstance(position, Index) else str(position)
        rank = len(inner) + 1
        return '[%s]' % ', '.join([first] + ['0'] * len(inner)), \
            '[%s]' % ', '.join(['1'] + [str(d) for d in inner]), \
            '[%s]' % ', '.join(['1'] * rank)

    def extract_slice(self, src, position, name):
        """Slice `position` of the stacked tensor `src` (rank-reducing)."""
        inner = src.shape[1:]
        offsets, sizes, strides = self._slice_text(position, inner)
        r = self._new(name, inner, np.array(src.data[int(position)], order='C'),
                      kind='view', root=src.root)
        self._emit('tensor.extract_slice',
                   '%%%s = tensor.extract_slice %%%s%s %s %s : %s to %s'
                   % (r.name, src.name, offsets, sizes, strides, src.type, r.type),
                   [src])
        return r

    def insert_slice(self, v, dest, position, name):
        """`dest` with slice `position` replaced by `v`."""
        assert dest.shape[1:] == v.shape, (v, dest)
        offsets, sizes, strides = self._slice_text(position, v.shape)
        data = np.array(dest.data)
        data[int(position)] = v.data
        r = self._new(name, dest.shape, data)
        self._emit('tensor.insert_slice',
                   '%%%s = tensor.insert_slice %%%s into %%%s%s %s %s : %s into %s'
                   % (r.name, v.name, dest.name, offsets, sizes, strides, v.type,
                      dest.type), [v, dest])
        if self.phase_name == 'forward' and self.loops and self.loops[-1].get('open'):
            self.loops[-1]['stash_bytes'] += v.bytes
        return r

    def for_loop(self, name, count, inits, body, reverse=False):
        """scf.for over `count` iterations carrying `inits`; body(i, *carried)
        returns the values to carry on (same shapes). The body is emitted once
        and evaluated by numpy at every iteration; `reverse` runs i from
        count - 1 down to 0 (a forward induction variable j, i = count - 1 - j).
        Returns the loop's results."""
        base = self._fresh(name)
        c0, c1, cn = self.index(0), self.index(1), self.index(count)
        cl = self.index(count - 1) if reverse else None
        outer_lines, outer_ops = self.lines, self.op_names
        self.lines, self.op_names = [], []
        first_value = len(self.values)
        self._body_uses.append([])
        record = dict(name=base, count=count, phase=self.phase_name, open=True,
                      carried=[v.shape for v in inits], stash_bytes=0)
        self.loops.append(record)
        j = self._fresh('j' if reverse else 'i')
        iv = Index(self._fresh('i') if reverse else j, count - 1 if reverse else 0)
        if reverse:
            self._emit('arith.subi', '%%%s = arith.subi %%%s, %%%s : index'
                       % (iv.ssa[1:], cl, j), [])
        carried = [self._new(v.name.split('#')[0] + '_it', v.shape, v.data, kind='iter')
                   for v in inits]
        yielded = body(iv, *carried)
        assert [v.shape for v in yielded] == [v.shape for v in inits], name
        body_lines = self.lines + [
            'scf.yield %s : %s' % (', '.join('%' + v.name for v in yielded),
                                   ', '.join(v.type for v in yielded))]
        for v in yielded:
            v.use_indices.append(len(self.lines))
        record['body_ops'] = len(self.op_names)
        record['open'] = False
        # Values from outside the body that it uses are used by the loop op.
        inside = set(map(id, self.values[first_value:]))
        captured = []
        for v in self._body_uses.pop() + list(yielded):
            if id(v) not in inside and all(v is not c for c in captured):
                captured.append(v)
        self.lines, self.op_names = outer_lines, outer_ops
        # Numpy: the remaining iterations, without IR (names are not kept).
        names, self._muted = set(self.names), True
        for step in range(1, count if self.evaluate_loops else 1):
            iv = Index(iv.ssa, count - 1 - step if reverse else step)
            values = list(yielded)
            for c, v in zip(carried, values):
                c.data = v.data
            yielded = body(iv, *carried)
            self.names = set(names)
        self._muted = False
        results = [self._new('%s#%d' % (base, k), v.shape, v.data)
                   for k, v in enumerate(yielded)]
        for r in results:
            self.names.discard(r.name)
        text = ['%%%s:%d = scf.for %%%s = %%%s to %%%s step %%%s iter_args(%s) -> (%s) {'
                % (base, len(inits), j, c0, cn, c1,
                   ', '.join('%%%s = %%%s' % (c.name, v.name)
                             for c, v in zip(carried, inits)),
                   ', '.join(v.type for v in inits))]
        text += ['  ' + l for t in body_lines for l in t.split('\n')]
        text.append('}')
        self._emit('scf.for', '\n'.join(text), list(inits) + captured)
        return results

    def generic(self, name, ins, fn, space, out_dims=None, reduce=None):
        """linalg.generic over the iteration space `space` (a shape).

        ins: list of (Value, dims) where dims lists the loop dimensions that
             index the value (a projected permutation: broadcasts allowed).
        fn:  Python function of one Expr per input, returning an Expr.
        out_dims: loop dims of the result (default: all, i.e. elementwise).
        reduce: None, 'sum' or 'max' over the loop dims not in out_dims.
        """
        rank = len(space)
        out_dims = tuple(range(rank)) if out_dims is None else tuple(out_dims)
        reduced = [d for d in range(rank) if d not in out_dims]
        assert bool(reduced) == bool(reduce), (name, reduced, reduce)
        out_shape = tuple(space[d] for d in out_dims)
        for v, dims in ins:
            assert tuple(space[d] for d in dims) == v.shape, (name, v, dims)

        # numpy: broadcast every input to the iteration space, apply fn, reduce.
        expr = fn(*[Expr('in', value=i) for i in range(len(ins))])
        full = np.broadcast_to(
            eval_expr(expr, [_to_space(v.data, dims, rank) for v, dims in ins],
                      self.dtype), space)
        if reduce == 'sum':
            full = full.sum(axis=tuple(reduced), keepdims=True)
        elif reduce == 'max':
            full = full.max(axis=tuple(reduced), keepdims=True)
        data = full.reshape(tuple(space[d] for d in sorted(out_dims)))
        if len(out_dims) > 1:
            data = np.transpose(data, tuple(int(i) for i in np.argsort(np.argsort(out_dims))))
        data = np.array(data, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)

        init = self._init(name, out_shape,
                          fill={None: None, 'sum': 0.0, 'max': -math.inf}[reduce])
        r = self._new(name, out_shape, data)
        arg_names = ['%%in%d' % i for i in range(len(ins))]
        body = []
        value = emit_expr(expr, arg_names, body)
        if reduce:
            combine = {'sum': 'arith.addf', 'max': 'arith.maximumf'}[reduce]
            body.append('%%s%d = %s %s, %%out : f32' % (len(body), combine, value))
            value = '%%s%d' % (len(body) - 1)
        maps = [affine_map(rank, dims) for _, dims in ins] + [affine_map(rank, out_dims)]
        iters = ', '.join('"reduction"' if d in reduced else '"parallel"' for d in range(rank))
        text = ['%%%s = linalg.generic {indexing_maps = [%s], iterator_types = [%s]}'
                % (r.name, ', '.join(maps), iters)]
        text.append('    ins(%s : %s)' % (', '.join('%' + v.name for v, _ in ins),
                                          ', '.join(v.type for v, _ in ins)))
        text.append('    outs(%%%s : %s) {' % (init.name, init.type))
        text.append('^bb0(%s):' % ', '.join('%s: f32' % a for a in arg_names + ['%out']))
        text.extend('  ' + line for line in body)
        text.append('  linalg.yield %s : f32' % value)
        text.append('} -> %s' % r.type)
        self._emit('linalg.generic', '\n'.join(text), [v for v, _ in ins] + [init])
        return r

    def accumulate(self, name, acc, v):
        """acc + v, written into acc (a linalg.generic whose `outs` is acc: in
        place, as a loop's gradient accumulators are)."""
        assert acc.shape == v.shape, (acc, v)
        r = self._new(name, acc.shape, acc.data + v.data)
        m = affine_map(len(v.shape), range(len(v.shape)))
        text = ['%%%s = linalg.generic {indexing_maps = [%s, %s], iterator_types = [%s]}'
                % (r.name, m, m, ', '.join(['"parallel"'] * len(v.shape))),
                '    ins(%%%s : %s)' % (v.name, v.type),
                '    outs(%%%s : %s) {' % (acc.name, acc.type),
                '^bb0(%in0: f32, %out: f32):',
                '  %s0 = arith.addf %out, %in0 : f32',
                '  linalg.yield %s0 : f32',
                '} -> %s' % r.type]
        self._emit('linalg.generic', '\n'.join(text), [v, acc])
        return r

    # ---- conveniences built on generic ----------------------------------
    def elementwise(self, name, ins, fn):
        """All inputs share the result shape except broadcast ones given as
        (Value, dims); plain Values use all dims."""
        space = next(v.shape for v in ins if isinstance(v, Value))
        full = tuple(range(len(space)))
        pairs = [(v, full) if isinstance(v, Value) else v for v in ins]
        return self.generic(name, pairs, fn, space)

    def sum_rows(self, name, v, scale=1.0):
        """[N, M] -> [N]: scale * sum over the last dim."""
        return self.generic(name, [(v, (0, 1))], lambda a: a * scale if scale != 1.0 else a,
                            v.shape, out_dims=(0,), reduce='sum')

    def sum_cols(self, name, v):
        """[N, M] -> [M]: sum over the first dim (bias gradients)."""
        return self.generic(name, [(v, (0, 1))], lambda a: a, v.shape,
                            out_dims=(1,), reduce='sum')

    # ---- output ------------------------------------------------------------
    def finish(self, loss, grads):
        assert loss.shape == ()
        self.results = [loss] + list(grads)
        for v in self.results:
            v.use_indices.append(len(self.lines))
            v.use_phases.add('return')

    def mlir(self, header_comment=''):
        params = ', '.join('%%%s: %s' % (a.name, a.type) for a in self.args)
        rtypes = ['%s {remat.loss}' % self.results[0].type] + \
            [v.type for v in self.results[1:]]
        out = []
        out += ['// ' + l if l else '//' for l in header_comment.splitlines()]
        out.append('func.func @train_step(%s)' % params)
        out.append('    -> (%s) {' % ', '.join(rtypes))
        for lit, name in self.constants.items():
            out.append('  %%%s = arith.constant %s : f32' % (name, lit))
        for value, name in self.index_constants.items():
            out.append('  %%%s = arith.constant %d : index' % (name, value))
        for text in self.lines:
            out.extend('  ' + l for l in text.split('\n'))
        out.append('  return %s' % ', '.join('%' + v.name for v in self.results))
        out.append('    : %s' % ', '.join(v.type for v in self.results))
        out.append('}')
        return '\n'.join(out) + '\n'

    # ---- memory summary ----------------------------------------------------
    def stashed(self):
        """Forward values (op results or views of them) that a backward op uses."""
        return [v for v in self.values
                if v.phase == 'forward' and v.kind in ('op', 'view')
                and 'backward' in v.use_phases]

    def summary(self):
        stash = self.stashed()
        roots = {}
        for v in stash:
            if v.root.kind != 'arg':
                roots[v.root.name] = v.root
        stash_bytes = sum(r.bytes for r in roots.values())
        arg_bytes = sum(a.bytes for a in self.args)
        result_bytes = sum(v.bytes for v in self.results)
        n_constants = len(self.constants) + len(self.index_constants)
        counts = {'arith.constant': n_constants} if n_constants else {}
        for op in self.op_names:
            counts[op] = counts.get(op, 0) + 1
        # Op indices are positions among the body's top-level ops, whose first
        # ops are the scalar constants that mlir() hoists to the top.
        first = len(self.constants) + len(self.index_constants)
        stash = [(v, first + v.def_index, first + max(v.use_indices)) for v in stash]
        return dict(stash=stash, stash_bytes=stash_bytes, arg_bytes=arg_bytes,
                    result_bytes=result_bytes, op_count=sum(counts.values()),
                    op_counts=counts,
                    compute_ops=sum(n for op, n in counts.items()
                                    if op not in ('arith.constant', 'tensor.empty',
                                                  'linalg.fill',
                                                  'tensor.expand_shape',
                                                  'tensor.collapse_shape')))


def _reassoc(groups):
    return '[%s]' % ', '.join('[%s]' % ', '.join(map(str, g)) for g in groups)


def _to_space(data, dims, rank):
    """View `data` (axes indexed by loop dims `dims`) broadcastable to `rank` dims."""
    order = np.argsort(dims)
    t = np.transpose(data, order) if len(dims) > 1 else data
    shape = [1] * rank
    for d in sorted(dims):
        shape[d] = data.shape[list(dims).index(d)]
    return t.reshape(shape)


# --------------------------------------------------------------------------
# The examples. Each returns (loss, [gradients in parameter order]).
# --------------------------------------------------------------------------

def tiny_chain(b, w1, w2, x):
    """h = tanh(x @ w1); o = h @ w2; loss = mean(o^2)."""
    n = float(np.prod(x.shape[:1] + w2.shape[1:]))
    with b.phase('forward'):
        z = b.matmul(x, w1, 'z')
        h = b.elementwise('h', [z], tanh)
        o = b.matmul(h, w2, 'o')
        loss = b.generic('loss', [(o, (0, 1))], lambda a: a * a * (1.0 / n),
                         o.shape, out_dims=(), reduce='sum')
    with b.phase('backward'):
        do = b.elementwise('d_o', [o], lambda a: a * (2.0 / n))
        hT = b.transpose(h, [1, 0], 'hT')
        dw2 = b.matmul(hT, do, 'dw2')
        w2T = b.transpose(w2, [1, 0], 'w2T')
        dh = b.matmul(do, w2T, 'dh')
        dz = b.elementwise('dz', [dh, h], lambda g, t: g * (1.0 - t * t))
        xT = b.transpose(x, [1, 0], 'xT')
        dw1 = b.matmul(xT, dz, 'dw1')
    return loss, [dw1, dw2]


def mlp(b, w1, b1, w2, b2, w3, b3, x, y):
    """3-layer tanh MLP, loss = mean((h2 @ w3 + b3 - y)^2)."""
    n = float(np.prod(y.shape))
    with b.phase('forward'):
        mm1 = b.matmul(x, w1, 'mm1')
        h1 = b.elementwise('h1', [mm1, (b1, (1,))], lambda z, c: tanh(z + c))
        mm2 = b.matmul(h1, w2, 'mm2')
        h2 = b.elementwise('h2', [mm2, (b2, (1,))], lambda z, c: tanh(z + c))
        mm3 = b.matmul(h2, w3, 'mm3')
        diff = b.elementwise('diff', [mm3, (b3, (1,)), y], lambda z, c, t: z + c - t)
        loss = b.generic('loss', [(diff, (0, 1))], lambda d: d * d * (1.0 / n),
                         diff.shape, out_dims=(), reduce='sum')
    with b.phase('backward'):
        dout = b.elementwise('dout', [diff], lambda d: d * (2.0 / n))
        db3 = b.sum_cols('db3', dout)
        h2T = b.transpose(h2, [1, 0], 'h2T')
        dw3 = b.matmul(h2T, dout, 'dw3')
        w3T = b.transpose(w3, [1, 0], 'w3T')
        dh2 = b.matmul(dout, w3T, 'dh2')
        dz2 = b.elementwise('dz2', [dh2, h2], lambda g, t: g * (1.0 - t * t))
        db2 = b.sum_cols('db2', dz2)
        h1T = b.transpose(h1, [1, 0], 'h1T')
        dw2 = b.matmul(h1T, dz2, 'dw2')
        w2T = b.transpose(w2, [1, 0], 'w2T')
        dh1 = b.matmul(dz2, w2T, 'dh1')
        dz1 = b.elementwise('dz1', [dh1, h1], lambda g, t: g * (1.0 - t * t))
        db1 = b.sum_cols('db1', dz1)
        xT = b.transpose(x, [1, 0], 'xT')
        dw1 = b.matmul(xT, dz1, 'dw1')
    return loss, [dw1, db1, dw2, db2, dw3, db3]


def deep_mlp(b, *args):
    """A deep tanh MLP: hidden layers h_i = tanh(h_{i-1} @ w_i + b_i), then a
    linear output layer; loss = mean((out - y)^2). The arguments are the
    weights and biases of every layer, then x and y."""
    *params, x, y = args
    layers = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]
    n = float(np.prod(y.shape))
    hidden = [x]
    with b.phase('forward'):
        for i, (w, bias) in enumerate(layers[:-1], start=1):
            mm = b.matmul(hidden[-1], w, 'mm%d' % i)
            hidden.append(b.elementwise('h%d' % i, [mm, (bias, (1,))],
                                        lambda z, c: tanh(z + c)))
        w_out, b_out = layers[-1]
        out = b.matmul(hidden[-1], w_out, 'mm_out')
        diff = b.elementwise('diff', [out, (b_out, (1,)), y],
                             lambda z, c, t: z + c - t)
        loss = b.generic('loss', [(diff, (0, 1))], lambda d: d * d * (1.0 / n),
                         diff.shape, out_dims=(), reduce='sum')
    grads = []
    with b.phase('backward'):
        dz = b.elementwise('dout', [diff], lambda d: d * (2.0 / n))
        for i in range(len(layers), 0, -1):
            w, _ = layers[i - 1]
            grads.append(b.sum_cols('db%d' % i, dz))
            hT = b.transpose(hidden[i - 1], [1, 0], 'h%dT' % (i - 1))
            grads.append(b.matmul(hT, dz, 'dw%d' % i))
            if i == 1:
                break
            wT = b.transpose(w, [1, 0], 'w%dT' % i)
            dh = b.matmul(dz, wT, 'dh%d' % (i - 1))
            dz = b.elementwise('dz%d' % (i - 1), [dh, hidden[i - 1]],
                               lambda g, t: g * (1.0 - t * t))
    # Gradients in parameter order: w1, b1, w2, b2, ...
    ordered = []
    for i in range(len(grads) // 2 - 1, -1, -1):
        ordered += [grads[2 * i + 1], grads[2 * i]]
    return loss, ordered


def deep_mlp_shapes(dims, batch):
    shapes = []
    for i, (d_in, d_out) in enumerate(zip(dims, dims[1:]), start=1):
        shapes += [('w%d' % i, (d_in, d_out)), ('b%d' % i, (d_out,))]
    return shapes + [('x', (batch, dims[0])), ('y', (batch, dims[-1]))]


DEEP_MLP_DIMS = [64] + [128] * 8 + [10]
DEEP_MLP_BATCH = 256


def residual_layer(b, w, bias, i, h):
    """Layer i of the residual MLP: t = tanh(h @ w[i] + b[i]); h + t.
    Returns (h_next, t)."""
    wi = b.extract_slice(w, i, 'w_i')
    bi = b.extract_slice(bias, i, 'b_i')
    mm = b.matmul(h, wi, 'mm')
    t = b.elementwise('t', [mm, (bi, (1,))], lambda z, c: tanh(z + c))
    return b.elementwise('h_next', [h, t], lambda a, c: a + c), t


def residual_layer_backward(b, w, i, dh, h, t, need_dh=True):
    """Gradients of layer i given its input h and tanh output t:
    (dh of the input or None, dw_i, db_i)."""
    dz = b.elementwise('dz', [dh, t], lambda g, a: g * (1.0 - a * a))
    db = b.sum_cols('db', dz)
    hT = b.transpose(h, [1, 0], 'hT')
    dw = b.matmul(hT, dz, 'dw')
    if not need_dh:
        return None, dw, db
    wi = b.extract_slice(w, i, 'w_i')
    wT = b.transpose(wi, [1, 0], 'wT')
    dhz = b.matmul(dz, wT, 'dhz')
    return b.elementwise('dh', [dh, dhz], lambda g, a: g + a), dw, db


def residual_mlp(b, w, bias, x, y, looped):
    """L residual tanh layers h_{i+1} = h_i + tanh(h_i @ w[i] + b[i]) with
    stacked weights (w: LxDxD, b: LxD), loss = mean((h_L - y)^2).

    looped: the forward is an scf.for over the layers that stashes each
    layer's input h_i and tanh output t_i into stacked tensors (iter_args,
    tensor.insert_slice); the backward is a reverse scf.for that extracts them
    and inserts each layer's weight gradients into stacked gradients.
    Otherwise the same ops, unrolled."""
    layers = w.shape[0]
    n = float(np.prod(y.shape))
    with b.phase('forward'):
        if looped:
            stash_h = b.empty('stash_h', (layers,) + x.shape)
            stash_t = b.empty('stash_t', (layers,) + x.shape)

            def forward(i, h, sh, st):
                h_next, t = residual_layer(b, w, bias, i, h)
                return [h_next, b.insert_slice(h, sh, i, 'sh'),
                        b.insert_slice(t, st, i, 'st')]
            out, stash_h, stash_t = b.for_loop('fw', layers, [x, stash_h, stash_t],
                                               forward)
        else:
            hs, ts = [x], []
            for i in range(layers):
                h_next, t = residual_layer(b, w, bias, i, hs[-1])
                hs.append(h_next)
                ts.append(t)
            out = hs.pop()
        diff = b.elementwise('diff', [out, y], lambda o, t: o - t)
        loss = b.generic('loss', [(diff, (0, 1))], lambda d: d * d * (1.0 / n),
                         diff.shape, out_dims=(), reduce='sum')
    with b.phase('backward'):
        dout = b.elementwise('dout', [diff], lambda d: d * (2.0 / n))
        if looped:
            gw = b.empty('gw', w.shape)
            gb = b.empty('gb', bias.shape)

            def backward(i, dh, gw, gb):
                h = b.extract_slice(stash_h, i, 'h_i')
                t = b.extract_slice(stash_t, i, 't_i')
                dh, dw, db = residual_layer_backward(b, w, i, dh, h, t)
                return [dh, b.insert_slice(dw, gw, i, 'gw'),
                        b.insert_slice(db, gb, i, 'gb')]
            _, gw, gb = b.for_loop('bw', layers, [dout, gw, gb], backward,
                                   reverse=True)
        else:
            dh, gw, gb = dout, None, None
            for i in range(layers - 1, -1, -1):
                dh, dw, db = residual_layer_backward(b, w, i, dh, hs[i], ts[i],
                                                     need_dh=i > 0)
                gw = gw or b.empty('gw', w.shape)
                gw = b.insert_slice(dw, gw, i, 'gw')
                gb = gb or b.empty('gb', bias.shape)
                gb = b.insert_slice(db, gb, i, 'gb')
    return loss, [gw, gb]


RESIDUAL_MLP_LAYERS = 8
RESIDUAL_MLP_BATCH = 128
RESIDUAL_MLP_DIM = 64


def residual_mlp_shapes(layers=RESIDUAL_MLP_LAYERS, batch=RESIDUAL_MLP_BATCH,
                        dim=RESIDUAL_MLP_DIM):
    return [('w', (layers, dim, dim)), ('b', (layers, dim)), ('x', (batch, dim)),
            ('y', (batch, dim))]


LN_EPS = 1e-5
GELU_C = math.sqrt(2.0 / math.pi)
GELU_A = 0.044715


def layer_norm(b, x, g, beta, tag):
    """Returns (y, xhat, rstd) for y = (x - mean) * rstd * g + beta over the last dim."""
    t, d = x.shape
    mean = b.sum_rows(tag + '_mean', x, scale=1.0 / d)
    xc = b.elementwise(tag + '_xc', [x, (mean, (0,))], lambda a, m: a - m)
    var = b.generic(tag + '_var', [(xc, (0, 1))], lambda a: a * a * (1.0 / d),
                    xc.shape, out_dims=(0,), reduce='sum')
    rstd = b.elementwise(tag + '_rstd', [var], lambda v: rsqrt(v + LN_EPS))
    xhat = b.elementwise(tag + '_xhat', [xc, (rstd, (0,))], lambda a, r: a * r)
    y = b.elementwise(tag, [xhat, (g, (1,)), (beta, (1,))], lambda a, s, c: a * s + c)
    return y, xhat, rstd


def layer_norm_backward(b, dy, xhat, rstd, g, tag, residual=None):
    """Gradients of layer_norm: (dx or None, dg, dbeta).

    dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) [+ residual];
    rstd None means dx is not needed (only the parameter gradients).
    """
    t, d = dy.shape
    dg = b.generic('d' + tag + '_g', [(dy, (0, 1)), (xhat, (0, 1))], lambda a, h: a * h,
                   dy.shape, out_dims=(1,), reduce='sum')
    dbeta = b.sum_cols('d' + tag + '_b', dy)
    if rstd is None:
        return None, dg, dbeta
    dxhat = b.elementwise('d' + tag + '_xhat', [dy, (g, (1,))], lambda a, s: a * s)
    m1 = b.sum_rows('d' + tag + '_m1', dxhat, scale=1.0 / d)
    m2 = b.generic('d' + tag + '_m2', [(dxhat, (0, 1)), (xhat, (0, 1))],
                   lambda a, h: a * h * (1.0 / d), dy.shape, out_dims=(0,), reduce='sum')
    ins = [dxhat, xhat, (rstd, (0,)), (m1, (0,)), (m2, (0,))]
    if residual is None:
        fn = lambda a, h, r, u, v: r * (a - u - h * v)
    else:
        ins.append(residual)
        fn = lambda a, h, r, u, v, res: res + r * (a - u - h * v)
    dx = b.elementwise('d' + tag + '_in', ins, fn)
    return dx, dg, dbeta


def gelu(u):
    return 0.5 * u * (1.0 + tanh(GELU_C * (u + GELU_A * u * u * u)))


def gelu_grad(u):
    t = tanh(GELU_C * (u + GELU_A * u * u * u))
    return 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * u * u)


BLOCK_PARAMS = ['ln1_g', 'ln1_b', 'wq', 'wk', 'wv', 'wo', 'ln2_g', 'ln2_b',
                'w1', 'b1', 'w2', 'b2']
# What the backward of one block reads from its forward (block_forward).
BLOCK_SAVED = ['xhat1', 'rstd1', 'a1', 'qh', 'kh', 'vh', 'p', 'ctx', 'xhat2', 'rstd2',
               'a2', 'u', 'gelu']


def to_heads(b, v, dims, name):
    """[T, D] -> [B*H, S, Dh]; dims = (batch, seq, heads, head dim)."""
    v4 = b.expand(v, [[0, 1], [2, 3]], dims, name + '4')
    vt = b.transpose(v4, [0, 2, 1, 3], name + 't')
    return b.collapse(vt, [[0, 1], [2], [3]], name)


def from_heads(b, v, dims, name):
    """[B*H, S, Dh] -> [T, D]; dims = (batch, seq, heads, head dim)."""
    bsz, seq, heads, dh = dims
    v4 = b.expand(v, [[0, 1], [2], [3]], (bsz, heads, seq, dh), name + '4')
    vt = b.transpose(v4, [0, 2, 1, 3], name + 't')
    return b.collapse(vt, [[0, 1], [2, 3]], name)


def block_forward(b, p, x2, dims):
    """Pre-LN block on tokens x2 [B*S, D]: r = x + MHA(LN1(x));
    out = r + W2 gelu(W1 LN2(r) + b1) + b2. p: the parameters by name
    (BLOCK_PARAMS); dims = (batch, seq, heads, head dim). Returns (out, the
    values its backward reads, by name: BLOCK_SAVED)."""
    scale = 1.0 / math.sqrt(dims[3])
    a1, xhat1, rstd1 = layer_norm(b, x2, p['ln1_g'], p['ln1_b'], 'ln1')
    q = b.matmul(a1, p['wq'], 'q')
    qh = to_heads(b, q, dims, 'qh')
    k = b.matmul(a1, p['wk'], 'k')
    kh = to_heads(b, k, dims, 'kh')
    v = b.matmul(a1, p['wv'], 'v')
    vh = to_heads(b, v, dims, 'vh')
    khT = b.transpose(kh, [0, 2, 1], 'khT')
    scores = b.batch_matmul(qh, khT, 'scores')
    smax = b.generic('smax', [(scores, (0, 1, 2))], lambda s: s * scale,
                     scores.shape, out_dims=(0, 1), reduce='max')
    sexp = b.elementwise('sexp', [scores, (smax, (0, 1))],
                         lambda s, m: exp(s * scale - m))
    ssum = b.generic('ssum', [(sexp, (0, 1, 2))], lambda e: e, sexp.shape,
                     out_dims=(0, 1), reduce='sum')
    probs = b.elementwise('p', [sexp, (ssum, (0, 1))], lambda e, z: e / z)
    ctxh = b.batch_matmul(probs, vh, 'ctxh')
    ctx = from_heads(b, ctxh, dims, 'ctx')
    attn = b.matmul(ctx, p['wo'], 'attn')
    r1 = b.elementwise('r1', [x2, attn], lambda a, c: a + c)
    a2, xhat2, rstd2 = layer_norm(b, r1, p['ln2_g'], p['ln2_b'], 'ln2')
    f1 = b.matmul(a2, p['w1'], 'f1')
    u = b.elementwise('u', [f1, (p['b1'], (1,))], lambda z, c: z + c)
    g = b.elementwise('gelu', [u], gelu)
    f2 = b.matmul(g, p['w2'], 'f2')
    out = b.elementwise('block_out', [r1, f2, (p['b2'], (1,))],
                        lambda r, z, c: r + z + c)
    saved = dict(xhat1=xhat1, rstd1=rstd1, a1=a1, qh=qh, kh=kh, vh=vh, p=probs,
                 ctx=ctx, xhat2=xhat2, rstd2=rstd2, a2=a2, u=u, gelu=g)
    return out, saved


def block_backward(b, p, s, dout, dims, need_dx):
    """Gradients of block_forward given dout and its saved values `s`:
    (dx or None, the gradients of BLOCK_PARAMS in order)."""
    scale = 1.0 / math.sqrt(dims[3])
    db2 = b.sum_cols('db2', dout)
    gT = b.transpose(s['gelu'], [1, 0], 'gT')
    dw2 = b.matmul(gT, dout, 'dw2')
    w2T = b.transpose(p['w2'], [1, 0], 'w2T')
    dg = b.matmul(dout, w2T, 'dgelu')
    du = b.elementwise('du', [dg, s['u']], lambda a, z: a * gelu_grad(z))
    db1 = b.sum_cols('db1', du)
    a2T = b.transpose(s['a2'], [1, 0], 'a2T')
    dw1 = b.matmul(a2T, du, 'dw1')
    w1T = b.transpose(p['w1'], [1, 0], 'w1T')
    da2 = b.matmul(du, w1T, 'da2')
    dr1, dln2_g, dln2_b = layer_norm_backward(b, da2, s['xhat2'], s['rstd2'],
                                              p['ln2_g'], 'ln2', residual=dout)
    ctxT = b.transpose(s['ctx'], [1, 0], 'ctxT')
    dwo = b.matmul(ctxT, dr1, 'dwo')
    woT = b.transpose(p['wo'], [1, 0], 'woT')
    dctx = b.matmul(dr1, woT, 'dctx')
    dctxh = to_heads(b, dctx, dims, 'dctxh')
    pT = b.transpose(s['p'], [0, 2, 1], 'pT')
    dvh = b.batch_matmul(pT, dctxh, 'dvh')
    vhT = b.transpose(s['vh'], [0, 2, 1], 'vhT')
    dp = b.batch_matmul(dctxh, vhT, 'dp')
    rowdot = b.generic('rowdot', [(dp, (0, 1, 2)), (s['p'], (0, 1, 2))],
                       lambda a, q: a * q, dp.shape, out_dims=(0, 1), reduce='sum')
    dscores = b.elementwise('dscores', [dp, s['p'], (rowdot, (0, 1))],
                            lambda a, q, r: q * (a - r) * scale)
    dscoresT = b.transpose(dscores, [0, 2, 1], 'dscoresT')
    dkh = b.batch_matmul(dscoresT, s['qh'], 'dkh')
    dqh = b.batch_matmul(dscores, s['kh'], 'dqh')
    dv = from_heads(b, dvh, dims, 'dv')
    dk = from_heads(b, dkh, dims, 'dk')
    dq = from_heads(b, dqh, dims, 'dq')
    a1T = b.transpose(s['a1'], [1, 0], 'a1T')
    dwv = b.matmul(a1T, dv, 'dwv')
    dwk = b.matmul(a1T, dk, 'dwk')
    dwq = b.matmul(a1T, dq, 'dwq')
    wvT = b.transpose(p['wv'], [1, 0], 'wvT')
    da1_v = b.matmul(dv, wvT, 'da1_v')
    wkT = b.transpose(p['wk'], [1, 0], 'wkT')
    da1_k = b.matmul(dk, wkT, 'da1_k')
    wqT = b.transpose(p['wq'], [1, 0], 'wqT')
    da1_q = b.matmul(dq, wqT, 'da1_q')
    da1 = b.elementwise('da1', [da1_q, da1_k, da1_v], lambda a, c, e: a + c + e)
    if need_dx:
        dx, dln1_g, dln1_b = layer_norm_backward(b, da1, s['xhat1'], s['rstd1'],
                                                 p['ln1_g'], 'ln1', residual=dr1)
    else:
        dx = None
        _, dln1_g, dln1_b = layer_norm_backward(b, da1, s['xhat1'], None,
                                                p['ln1_g'], 'ln1')
    return dx, [dln1_g, dln1_b, dwq, dwk, dwv, dwo, dln2_g, dln2_b, dw1, db1, dw2, db2]


def transformer_block(b, *args, heads):
    """Pre-LN block (block_forward) on x, loss = mean(out^2). Returns
    gradients of all parameters (not of x)."""
    *params, x = args
    p = dict(zip(BLOCK_PARAMS, params))
    bsz, seq, d = x.shape
    dims = (bsz, seq, heads, d // heads)
    n = float(bsz * seq * d)
    with b.phase('forward'):
        x2 = b.collapse(x, [[0, 1], [2]], 'x2')
        out, saved = block_forward(b, p, x2, dims)
        loss = b.generic('loss', [(out, (0, 1))], lambda o: o * o * (1.0 / n),
                         out.shape, out_dims=(), reduce='sum')
    with b.phase('backward'):
        dout = b.elementwise('dout', [out], lambda o: o * (2.0 / n))
        # Only parameter gradients are returned, so LN1 needs no input gradient.
        _, grads = block_backward(b, p, saved, dout, dims, need_dx=False)
    return loss, grads


# What block_backward reads of the parameters.
BLOCK_BACKWARD_PARAMS = ['ln1_g', 'wq', 'wk', 'wv', 'wo', 'ln2_g', 'w1', 'w2']


def block_saved_shapes(dims, ffn):
    """The shapes of block_forward's saved values, by name."""
    bsz, seq, heads, dh = dims
    tokens, d, heads_seq = bsz * seq, heads * dh, (bsz * heads, seq)
    shapes = dict(rstd1=(tokens,), rstd2=(tokens,), qh=heads_seq + (dh,),
                  kh=heads_seq + (dh,), vh=heads_seq + (dh,), p=heads_seq + (seq,),
                  u=(tokens, ffn), gelu=(tokens, ffn))
    return {k: shapes.get(k, (tokens, d)) for k in BLOCK_SAVED}


def _layer_params(b, stacked, i, names):
    """Layer i's slices of the stacked parameters `names`."""
    return {k: b.extract_slice(stacked[k], i, k + '_i') for k in names}


def _insert_all(b, values, stacks, i, prefix):
    """Inserts each of `values` into its stack at slice i."""
    return [b.insert_slice(v, st, i, prefix + k) for (k, v), st in zip(values, stacks)]


def transformer_stack(b, *args, heads, looped):
    """L pre-LN blocks (block_forward) with stacked weights (the first
    dimension of every parameter is the layer) on x, loss = mean(h_L^2).

    looped: the forward is an scf.for over the layers that stashes the
    values each block's backward reads (BLOCK_SAVED) into stacked tensors it
    carries; the backward is a reverse scf.for that reads them back, computes
    the input gradient of every layer and inserts the weight gradients into
    stacked gradients. Otherwise the same ops, unrolled."""
    *params, x = args
    stacked = dict(zip(BLOCK_PARAMS, params))
    layers = params[0].shape[0]
    bsz, seq, d = x.shape
    dims = (bsz, seq, heads, d // heads)
    n = float(bsz * seq * d)
    with b.phase('forward'):
        x2 = b.collapse(x, [[0, 1], [2]], 'x2')
        if looped:
            shapes = block_saved_shapes(dims, stacked['w1'].shape[-1])
            stashes = [b.empty('stash_' + k, (layers,) + shapes[k]) for k in BLOCK_SAVED]

            def forward(i, h, *stash):
                out, saved = block_forward(
                    b, _layer_params(b, stacked, i, BLOCK_PARAMS), h, dims)
                return [out] + _insert_all(b, [(k, saved[k]) for k in BLOCK_SAVED],
                                           stash, i, 's_')
            out, *stashes = b.for_loop('fw', layers, [x2] + stashes, forward)
        else:
            h, saved = x2, []
            for i in range(layers):
                h, s = block_forward(b, _layer_params(b, stacked, i, BLOCK_PARAMS),
                                     h, dims)
                saved.append(s)
            out = h
        loss = b.generic('loss', [(out, (0, 1))], lambda o: o * o * (1.0 / n),
                         out.shape, out_dims=(), reduce='sum')
    with b.phase('backward'):
        dout = b.elementwise('dout', [out], lambda o: o * (2.0 / n))
        if looped:
            grads = [b.empty('g_' + k, stacked[k].shape) for k in BLOCK_PARAMS]

            def backward(i, dh, *grads):
                s = {k: b.extract_slice(st, i, k + '_i')
                     for k, st in zip(BLOCK_SAVED, stashes)}
                dx, g = block_backward(
                    b, _layer_params(b, stacked, i, BLOCK_BACKWARD_PARAMS), s, dh,
                    dims, need_dx=True)
                return [dx] + _insert_all(b, list(zip(BLOCK_PARAMS, g)), grads, i, 'g_')
            _, *grads = b.for_loop('bw', layers, [dout] + grads, backward, reverse=True)
        else:
            dh, grads = dout, [None] * len(BLOCK_PARAMS)
            for i in range(layers - 1, -1, -1):
                dh, g = block_backward(
                    b, _layer_params(b, stacked, i, BLOCK_BACKWARD_PARAMS), saved[i],
                    dh, dims, need_dx=i > 0)
                for k, name in enumerate(BLOCK_PARAMS):
                    grads[k] = grads[k] or b.empty('g_' + name, stacked[name].shape)
                    grads[k] = b.insert_slice(g[k], grads[k], i, 'g_' + name)
    return loss, grads


TRANSFORMER_STACK_SIZE = (6, 2, 16, 32, 2, 64)  # layers, batch, seq, d_model, heads, ffn


def transformer_stack_shapes(layers, batch, seq, d, heads, ffn):
    per_layer = [('ln1_g', (d,)), ('ln1_b', (d,)), ('wq', (d, d)), ('wk', (d, d)),
                 ('wv', (d, d)), ('wo', (d, d)), ('ln2_g', (d,)), ('ln2_b', (d,)),
                 ('w1', (d, ffn)), ('b1', (ffn,)), ('w2', (ffn, d)), ('b2', (d,))]
    return [(k, (layers,) + shape) for k, shape in per_layer] + [('x', (batch, seq, d))]


def rnn_step(b, wx, wh, bh, wy, by, x, y, t, h, sq_sum):
    """Time step t of the Elman RNN: h' = tanh(x[t] @ wx + h @ wh + bh),
    diff = h' @ wy + by - y[t], sq_sum += sum(diff^2). Returns (h', sq_sum,
    diff)."""
    xt = b.extract_slice(x, t, 'x_t')
    yt = b.extract_slice(y, t, 'y_t')
    mx = b.matmul(xt, wx, 'mx')
    mh = b.matmul(h, wh, 'mh')
    h_next = b.elementwise('h_t', [mx, mh, (bh, (1,))], lambda a, c, e: tanh(a + c + e))
    o = b.matmul(h_next, wy, 'o')
    diff = b.elementwise('diff', [o, (by, (1,)), yt], lambda z, c, u: z + c - u)
    sq = b.generic('sq_t', [(diff, (0, 1))], lambda e: e * e, diff.shape, out_dims=(),
                   reduce='sum')
    return h_next, b.accumulate('sq_sum', sq_sum, sq), diff


def rnn_step_backward(b, whT, wyT, x, t, dh, grads, h_prev, h, diff, n):
    """Backward of rnn_step at time t: dh is the gradient of h' from the later
    steps; grads the gradients of (wx, wh, bh, wy, by) summed over the later
    steps. Returns (the gradient of h, grads summed over this step too)."""
    gwx, gwh, gbh, gwy, gby = grads
    add = b.accumulate
    do = b.elementwise('do', [diff], lambda e: e * (2.0 / n))
    gby = add('g_by', gby, b.sum_cols('dby', do))
    hT = b.transpose(h, [1, 0], 'hT')
    gwy = add('g_wy', gwy, b.matmul(hT, do, 'dwy'))
    dho = b.matmul(do, wyT, 'dho')
    dz = b.elementwise('dz', [dh, dho, h], lambda g, e, a: (g + e) * (1.0 - a * a))
    gbh = add('g_bh', gbh, b.sum_cols('dbh', dz))
    xT = b.transpose(b.extract_slice(x, t, 'x_t'), [1, 0], 'xT')
    gwx = add('g_wx', gwx, b.matmul(xT, dz, 'dwx'))
    hpT = b.transpose(h_prev, [1, 0], 'hpT')
    gwh = add('g_wh', gwh, b.matmul(hpT, dz, 'dwh'))
    return b.matmul(dz, whT, 'dh_prev'), [gwx, gwh, gbh, gwy, gby]


def rnn(b, wx, wh, bh, wy, by, h0, x, y, looped):
    """Elman RNN over the time steps of x (rnn_step) with shared weights and
    a loss at every step, loss = mean over (time, batch, output) of
    (h_t @ wy + by - y_t)^2.

    looped: the forward is an scf.for over time that carries h and the
    running sum of squared errors (the loss is that sum / n, after the loop)
    and stashes each step's input state, new state and output
    error into stacked tensors; the backward is a reverse scf.for that reads
    them back, carries dh and sums the weight gradients over the steps.
    Otherwise the same ops, unrolled."""
    steps = x.shape[0]
    n = float(np.prod(y.shape))
    with b.phase('forward'):
        sq0 = b.zeros('sq0', ())
        if looped:
            stashes = [b.empty('stash_h_prev', (steps,) + h0.shape),
                       b.empty('stash_h', (steps,) + h0.shape),
                       b.empty('stash_diff', (steps,) + y.shape[1:])]

            def forward(t, h, sq, *stash):
                h_next, sq, diff = rnn_step(b, wx, wh, bh, wy, by, x, y, t, h, sq)
                return [h_next, sq] + _insert_all(
                    b, [('h_prev', h), ('h', h_next), ('diff', diff)], stash, t, 's_')
            _, sq, *stashes = b.for_loop('fw', steps, [h0, sq0] + stashes, forward)
        else:
            hs, diffs, sq = [h0], [], sq0
            for t in range(steps):
                h, sq, diff = rnn_step(b, wx, wh, bh, wy, by, x, y, t, hs[-1], sq)
                hs.append(h)
                diffs.append(diff)
        loss = b.elementwise('loss', [sq], lambda a: a * (1.0 / n))
    with b.phase('backward'):
        whT = b.transpose(wh, [1, 0], 'whT')
        wyT = b.transpose(wy, [1, 0], 'wyT')
        dh = b.zeros('dh_last', h0.shape)
        grads = [b.zeros('g_%s0' % a.name, a.shape) for a in (wx, wh, bh, wy, by)]
        if looped:
            def backward(t, dh, *grads):
                h_prev, h, diff = [b.extract_slice(st, t, k + '_t') for k, st in
                                   zip(('h_prev', 'h', 'diff'), stashes)]
                dh, grads = rnn_step_backward(b, whT, wyT, x, t, dh, grads, h_prev, h,
                                              diff, n)
                return [dh] + grads
            _, *grads = b.for_loop('bw', steps, [dh] + grads, backward, reverse=True)
        else:
            for t in range(steps - 1, -1, -1):
                dh, grads = rnn_step_backward(b, whT, wyT, x, t, dh, grads, hs[t],
                                              hs[t + 1], diffs[t], n)
    return loss, grads


RNN_SIZE = (16, 16, 32, 64, 16)  # steps, batch, input, hidden, output


def rnn_shapes(steps, batch, inputs, hidden, outputs):
    return [('wx', (inputs, hidden)), ('wh', (hidden, hidden)), ('bh', (hidden,)),
            ('wy', (hidden, outputs)), ('by', (outputs,)), ('h0', (batch, hidden)),
            ('x', (steps, batch, inputs)), ('y', (steps, batch, outputs))]


# --------------------------------------------------------------------------
# Example registry.
# --------------------------------------------------------------------------

class Example:
    def __init__(self, name, title, build, arg_shapes, num_params, notes,
                 subdir='', **kwargs):
        self.name = name
        self.subdir = subdir              # looped steps live in loops/
        self.title = title
        self.build = build
        self.arg_shapes = arg_shapes      # list of (name, shape); params first
        self.num_params = num_params      # the remaining arguments are batch
        self.notes = notes
        self.kwargs = kwargs

    @property
    def file(self):
        """The .mlir file, relative to examples/."""
        return os.path.join(self.subdir, self.name + '.mlir')

    @property
    def param_names(self):
        return [n for n, _ in self.arg_shapes[:self.num_params]]

    def random_inputs(self, seed=0, dtype=np.float64):
        rng = np.random.default_rng(seed)
        out = {}
        for name, shape in self.arg_shapes:
            if name.startswith('ln') and name.endswith('_g'):
                a = 1.0 + 0.1 * rng.standard_normal(shape)
            elif len(shape) == 2 and name.startswith('w'):
                a = rng.standard_normal(shape) / math.sqrt(shape[0])
            elif len(shape) == 3 and name.startswith('w'):  # stacked layers
                a = rng.standard_normal(shape) / math.sqrt(shape[1])
            else:
                a = 0.5 * rng.standard_normal(shape)
            out[name] = a.astype(dtype)
        return out

    def run(self, inputs=None, evaluate_loops=True):
        """Builds (and evaluates in numpy) the program; returns the Builder.
        evaluate_loops=False emits the IR of loops without evaluating all
        their iterations (long loops, for benchmarks)."""
        inputs = self.random_inputs() if inputs is None else inputs
        b = Builder([(n, inputs[n]) for n, _ in self.arg_shapes])
        b.evaluate_loops = evaluate_loops
        loss, grads = self.build(b, *b.args, **self.kwargs)
        b.finish(loss, grads)
        return b

    def loss_and_grads(self, inputs):
        b = self.run(inputs)
        return (float(b.results[0].data),
                {n: g.data for n, g in zip(self.param_names, b.results[1:])})


def residual_mlp_examples(layers=RESIDUAL_MLP_LAYERS, batch=RESIDUAL_MLP_BATCH,
                          dim=RESIDUAL_MLP_DIM):
    """The looped residual MLP and its unrolled twin."""
    shapes = residual_mlp_shapes(layers, batch, dim)
    return [
        Example('residual_mlp_loop', 'residual tanh MLP whose layers are an scf.for over '
                'stacked weights', residual_mlp, shapes, 2,
                '%d layers h + tanh(h @ w[i] + b[i]), batch %d, width %d, loss = '
                'mean((h_L - y)^2). The forward loop stashes each layer\'s input and '
                'tanh output into stacked tensors carried by the loop; the backward is a '
                'reverse scf.for over the stash that inserts the weight gradients into '
                'stacked gradients.' % (layers, batch, dim),
                subdir='loops', looped=True),
        Example('residual_mlp_unrolled', 'the residual MLP of residual_mlp_loop, unrolled',
                residual_mlp, shapes, 2,
                'the same arguments, ops and results as residual_mlp_loop (bitwise: '
                'test/Execution), with static slice offsets and without the stacked '
                'stash.', subdir='loops', looped=False),
    ]


def transformer_stack_examples(size=TRANSFORMER_STACK_SIZE):
    """The looped transformer stack and its unrolled twin."""
    layers, batch, seq, d, heads, ffn = size
    shapes = transformer_stack_shapes(*size)
    notes = ('%d pre-LayerNorm blocks (those of transformer_block.mlir) with stacked '
             'weights, batch %d, seq %d, d_model %d, %d heads of %d, ffn %d, GELU (tanh '
             'approximation), LayerNorm eps 1e-5; loss = mean(h_L^2); the gradient of x '
             'is not returned.' % (layers, batch, seq, d, heads, d // heads, ffn))
    return [
        Example('transformer_stack_loop', 'transformer block stack whose layers are an '
                'scf.for over stacked weights', transformer_stack, shapes, 12,
                notes + ' The forward loop stashes the %d values each block\'s backward '
                'reads (layer norm statistics, q/k/v heads, attention probabilities, '
                'MLP activations) into stacked tensors it carries; the backward is a '
                'reverse scf.for over the stash that carries the input gradient and '
                'inserts each layer\'s weight gradients into stacked gradients.'
                % len(BLOCK_SAVED),
                subdir='loops', heads=heads, looped=True),
        Example('transformer_stack_unrolled', 'the transformer stack of '
                'transformer_stack_loop, unrolled', transformer_stack, shapes, 12,
                'the same arguments, ops and results as transformer_stack_loop '
                '(bitwise: test/Execution), with static slice offsets and without the '
                'stacked stash.', subdir='loops', heads=heads, looped=False),
    ]


def rnn_examples(size=RNN_SIZE):
    """The RNN over time steps as a loop and its unrolled twin."""
    steps, batch, inputs, hidden, outputs = size
    shapes = rnn_shapes(*size)
    return [
        Example('rnn_loop', 'Elman RNN whose time steps are an scf.for', rnn, shapes, 5,
                '%d steps h_t = tanh(x_t @ wx + h_{t-1} @ wh + bh) from h0 with shared '
                'weights, batch %d, input %d, hidden %d, output %d; loss = mean over steps, '
                'batch and outputs of (h_t @ wy + by - y_t)^2. The forward loop carries h '
                'and the running sum of squared errors (divided by their count after the '
                'loop) and stashes each step\'s input state, new state and '
                'output error into stacked tensors; the backward is a reverse scf.for over '
                'the stash that carries dh and sums the weight gradients over the steps '
                '(carried accumulators); the gradient of h0 is not returned.'
                % (steps, batch, inputs, hidden, outputs),
                subdir='loops', looped=True),
        Example('rnn_unrolled', 'the RNN of rnn_loop, unrolled', rnn, shapes, 5,
                'the same arguments, ops and results as rnn_loop (bitwise: '
                'test/Execution), with static slice offsets and without the stacked '
                'stash.', subdir='loops', looped=False),
    ]


EXAMPLES = [
    Example('tiny_chain', 'four-op chain: tanh(x @ w1) @ w2, loss = mean(o^2)',
            tiny_chain,
            [('w1', (16, 32)), ('w2', (32, 8)), ('x', (8, 16))], 2,
            'batch 8, dims 16 -> 32 -> 8.'),
    Example('mlp', '3-layer tanh MLP, mean-squared-error loss', mlp,
            [('w1', (64, 128)), ('b1', (128,)), ('w2', (128, 128)), ('b2', (128,)),
             ('w3', (128, 10)), ('b3', (10,)), ('x', (32, 64)), ('y', (32, 10))], 6,
            'batch 32, dims 64 -> 128 -> 128 -> 10, tanh, loss = mean((out - y)^2).'),
    Example('deep_mlp', '8-layer tanh MLP at batch 256, mean-squared-error loss',
            deep_mlp, deep_mlp_shapes(DEEP_MLP_DIMS, DEEP_MLP_BATCH),
            2 * (len(DEEP_MLP_DIMS) - 1),
            'batch 256, dims 64 -> 8 x 128 -> 10, tanh, loss = mean((out - y)^2); '
            'the activations outweigh the parameters, as in real training.'),
    Example('transformer_block', 'pre-LayerNorm transformer block, loss = mean(out^2)',
            transformer_block,
            [('ln1_g', (64,)), ('ln1_b', (64,)), ('wq', (64, 64)), ('wk', (64, 64)),
             ('wv', (64, 64)), ('wo', (64, 64)), ('ln2_g', (64,)), ('ln2_b', (64,)),
             ('w1', (64, 256)), ('b1', (256,)), ('w2', (256, 64)), ('b2', (64,)),
             ('x', (2, 32, 64))], 12,
            'batch 2, seq 32, d_model 64, 4 heads of 16, ffn 256, GELU (tanh '
            'approximation), no attention mask, no q/k/v/o biases, LayerNorm eps '
            '1e-5; loss = mean(out^2); the gradient of x is not returned.',
            heads=4),
] + residual_mlp_examples() + transformer_stack_examples() + rnn_examples()
BY_NAME = {e.name: e for e in EXAMPLES}


def header(e):
    return ('%s\n\nGenerated by examples/gen_examples.py; do not edit by hand.\n'
            'Regenerate: python3 examples/gen_examples.py\n%s\n'
            'Results: loss, then the gradients of %s.' % (
                e.title, e.notes, ', '.join(e.param_names)))


def fmt_shape(shape):
    return 'x'.join(map(str, shape)) if shape else 'scalar'


def summary_text(e, b):
    s = b.summary()
    lines = ['## %s' % e.file, '', e.title + '; ' + e.notes, '',
             'Arguments: %s.' % ', '.join('%s %s' % (a.name, fmt_shape(a.shape))
                                           for a in b.args),
             '', 'Stashed activations (forward values used by the backward pass; '
             '"def op" and "last use op" are 0-based positions among the top-level '
             'ops of the function body, scalar constants included):', '',
             '| value | shape | bytes | def op | last use op | note |',
             '|---|---|---|---|---|---|']
    for v, def_index, last_use in s['stash']:
        note = '' if v.root is v else 'view of %%%s' % v.root.name
        lines.append('| %%%s | %s | %d | %d | %d | %s |' % (
            v.name, fmt_shape(v.shape), v.bytes, def_index, last_use, note))
    lines += ['',
              '- total stashed bytes (views counted once, with their source): %d'
              % s['stash_bytes'],
              '- argument bytes (parameters + batch): %d' % s['arg_bytes'],
              '- result bytes (loss + gradients): %d' % s['result_bytes'],
              '- op count (top-level ops in the body, scalar constants included, '
              'func.return excluded): %d'
              % s['op_count'],
              '  - compute ops (excluding constants, tensor.empty, linalg.fill, reshapes): %d'
              % s['compute_ops'],
              '  - by op: %s' % ', '.join('%s %d' % kv for kv in sorted(s['op_counts'].items())),
              '']
    for loop in b.loops:
        lines.append('- loop %%%s (%s): %d iterations, %d ops in the body, carries %s'
                     % (loop['name'], loop['phase'], loop['count'], loop['body_ops'],
                        ', '.join(fmt_shape(c) for c in loop['carried'])))
        if loop['stash_bytes']:
            lines.append('  - stashes %d bytes per iteration, %d in all'
                         % (loop['stash_bytes'], loop['stash_bytes'] * loop['count']))
    if b.loops:
        lines.append('')
    return '\n'.join(lines)


README_HEAD = """# remat examples

Training steps (forward and hand-written reverse-mode backward) in upstream MLIR
linalg on tensors, one `func.func @train_step` per file. Generated by
`gen_examples.py` (python3 + numpy); do not edit the `.mlir` files by hand.

    python3 examples/gen_examples.py            # rewrites examples/*.mlir and this README
    python3 -m pytest test/examples-py          # gradients vs finite differences, files vs generator

Conventions: parameters then batch are the arguments; the first result is the loss
(`tensor<f32> {remat.loss}`), then the gradient of each parameter in parameter order.
Every `outs` operand is a fresh `tensor.empty` (zero- or -inf-filled by
`linalg.fill` for reductions and matmuls) emitted immediately before its user; the
backward pass follows the forward pass in reverse order. All tensors are f32 (4
bytes per element). A "stashed activation" is a forward op result (or a view of
one) that a backward op uses; arguments are not counted there.

`loops/` holds steps whose layers or time steps are an `scf.for`: a residual MLP
and a transformer stack over stacked weights, an Elman RNN over time with shared
weights. The forward loop stashes what the backward reads into stacked tensors it
carries (`tensor.insert_slice` at the induction variable); the backward is a
reverse `scf.for` that reads slice L - 1 - j at iteration j (what
`--remat-loop-checkpoint` rewrites, docs/planner.md, "Loops"). Each has an
unrolled twin with the same ops at static offsets. How they are checked:
test/examples-py compares every example's numpy gradients with central finite
differences and the looped steps' (both forms) with PyTorch float64 autograd
(`test_loops_torch.py`); test/Execution runs the loops lowered, as they are and
checkpointed, with measured = predicted peak and the unrolled twin's result bits.

`tosa_convnet.mlir` is a training step written in TOSA instead (two padded
convolutions, pooling, a dense layer, softmax cross entropy and the backward
pass), generated by `gen_tosa_example.py` with its numpy reference
(`test_tosa_example.py`: finite differences, the step lowered and run);
remat-run and the pipelines lower its TOSA before they plan
(docs/user-guide.md, "TOSA steps").
"""


def write_example(out_dir, e, b):
    path = os.path.join(out_dir, e.file)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(b.mlir(header(e)))


def generate(out_dir):
    readme = [README_HEAD]
    for e in EXAMPLES:
        b = e.run()
        write_example(out_dir, e, b)
        readme.append(summary_text(e, b))
    text = '\n'.join(readme)
    with open(os.path.join(out_dir, 'README.md'), 'w') as f:
        f.write(text)
    return text


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out-dir', default=os.path.dirname(os.path.abspath(__file__)))
    p.add_argument('--quiet', action='store_true')
    sized = [('residual_mlp', 'LAYERS,BATCH,DIM', 'looped residual MLP',
              lambda size: residual_mlp_examples(*size)),
             ('transformer_stack', 'LAYERS,BATCH,SEQ,DIM,HEADS,FFN',
              'looped transformer stack', transformer_stack_examples),
             ('rnn', 'STEPS,BATCH,INPUT,HIDDEN,OUTPUT', 'RNN over time steps',
              rnn_examples)]
    for name, metavar, what, _ in sized:
        p.add_argument('--' + name.replace('_', '-'), metavar=metavar,
                       help='write only the %s and its unrolled twin, at this size, '
                       'to OUT_DIR/loops (tests, benchmarks; the twin only up to '
                       '256 iterations)' % what)
    args = p.parse_args(argv)
    for name, _, _, examples in sized:
        if getattr(args, name) is None:
            continue
        size = tuple(int(n) for n in getattr(args, name).split(','))
        small = size[0] <= 256
        for e in examples(size):
            if small or e.name.endswith('_loop'):
                write_example(args.out_dir, e, e.run(evaluate_loops=small))
        return
    text = generate(args.out_dir)
    if not args.quiet:
        sys.stdout.write(text)


if __name__ == '__main__':
    main()
