"""One translation function per core ATen op: (Emitter, fx node, args) -> Val or tuple.

HANDLERS maps `str(node.target)` (e.g. 'aten.mm.default') to its function.
"""

import itertools
import math

from . import emit as E

HANDLERS = {}


def handles(*names):
    def register(fn):
        for n in names:
            HANDLERS[n] = fn
        return fn
    return register


def meta(node, i=None):
    m = node.meta['val']
    if i is not None:
        m = m[i]
    return tuple(int(d) for d in m.shape), E.mlir_dtype(m.dtype, str(node.target))


def hint(node):
    return node.name


def ident(rank):
    return list(range(rank))


def norm_dims(dims, rank):
    if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
        return list(range(rank))
    if isinstance(dims, int):
        dims = [dims]
    return sorted(d % rank if rank else 0 for d in dims)


# ---- elementwise ----

def is_float_scalar(x):
    return isinstance(x, float)


def elementwise(em, node, operands, fn, compute_dt=None, fn_dt=None):
    """A parallel generic over the node's result shape; operands are Vals
    (broadcast NumPy-style) or Python scalars. fn(Body, [scalar names], dt) gives
    the result in `compute_dt` (default: the result dtype), cast to the result dtype."""
    shape, out_dt = meta(node)
    dt = compute_dt or out_dt
    rank = len(shape)
    vals = [v for v in operands if isinstance(v, E.Val)]
    ins = [(v, E.broadcast_exprs(v.shape, rank, shape)) for v in vals]

    def body(b):
        xs, k = [], 0
        for v in operands:
            if isinstance(v, E.Val):
                xs.append(b.cast(b.ins[k], v.dt, dt))
                k += 1
            else:
                xs.append(b.const(v, dt))
        return [b.cast(fn(b, xs, dt), fn_dt or dt, out_dt)]
    return em.generic(hint(node), rank, ['parallel'] * rank, ins,
                      [(shape, out_dt, ident(rank), None)], body)[0]


def promoted(operands):
    dts = [v.dt for v in operands if isinstance(v, E.Val)]
    if 'f32' in dts or any(is_float_scalar(v) for v in operands):
        return 'f32'
    for dt in ('i64', 'i32', 'i1'):
        if dt in dts:
            return dt
    return 'i64'


def _arith(kind):
    def fn(b, xs, dt):
        if dt == 'f32':
            fop = {'max': 'maximumf', 'min': 'minimumf'}.get(kind, kind + 'f')
            return b.op('arith.%s %s, %s' % (fop, xs[0], xs[1]), dt)
        if dt == 'i1':
            bool_ops = {'add': 'ori', 'mul': 'andi', 'max': 'ori', 'min': 'andi'}
            return b.op('arith.%s %s, %s' % (bool_ops[kind], xs[0], xs[1]), dt)
        int_ops = {'add': 'addi', 'sub': 'subi', 'mul': 'muli', 'max': 'maxsi', 'min': 'minsi',
                   'div': 'divsi'}
        return b.op('arith.%s %s, %s' % (int_ops[kind], xs[0], xs[1]), dt)
    return fn




@handles('aten.add.Tensor', 'aten.add.Scalar', 'aten.sub.Tensor', 'aten.sub.Scalar')
def add_sub(em, node, a):
    kind = 'add' if '.add.' in str(node.target) else 'sub'
    alpha = node.kwargs.get('alpha', a[2])
    x, y = a[0], a[1]
    if alpha is None or alpha == 1:
        return elementwise(em, node, [x, y], _arith(kind))
    return elementwise(em, node, [x, y, alpha], lambda b, xs, dt: _arith(kind)(
        b, [xs[0], _arith('mul')(b, [xs[1], xs[2]], dt)], dt))


def _truncated_remainder(b, xs, dt, name):
    if dt == 'i1':
        raise E.ExportError('%s of booleans is not supported' % name)
    return b.op('arith.%s %s, %s' % ('remf' if dt == 'f32' else 'remsi', xs[0], xs[1]), dt)


@handles('prims.fmod.default')
def fmod(em, node, a):
    """C's fmod (aten.fmod's decomposition): the remainder with the dividend's
    sign, arith.remf / arith.remsi."""
    return elementwise(em, node, [a[0], a[1]],
                       lambda b, xs, dt: _truncated_remainder(b, xs, dt, 'fmod'))


@handles('prims.remainder.default')
def remainder(em, node, a):
    """Python's % (aten.remainder's decomposition): the remainder with the
    divisor's sign, fmod's plus the divisor where the signs differ."""
    def fn(b, xs, dt):
        r = _truncated_remainder(b, xs, dt, 'remainder')
        zero = b.const(0, dt)
        if dt == 'f32':
            cmp = lambda pred, x, y: b.op('arith.cmpf %s, %s, %s' % (pred, x, y), dt)
            nonzero, neg_r, neg_d = cmp('one', r, zero), cmp('olt', r, zero), cmp('olt', xs[1], zero)
            plus = b.op('arith.addf %s, %s' % (r, xs[1]), dt)
        else:
            cmp = lambda pred, x, y: b.op('arith.cmpi %s, %s, %s' % (pred, x, y), dt)
            nonzero, neg_r, neg_d = cmp('ne', r, zero), cmp('slt', r, zero), cmp('slt', xs[1], zero)
            plus = b.op('arith.addi %s, %s' % (r, xs[1]), dt)
        differ = b.op('arith.xori %s, %s' % (neg_r, neg_d), 'i1')
        fix = b.op('arith.andi %s, %s' % (nonzero, differ), 'i1')
        return b.op('arith.select %s, %s, %s' % (fix, plus, r), dt)
    return elementwise(em, node, [a[0], a[1]], fn)


@handles('aten.mul.Tensor', 'aten.mul.Scalar')
def mul(em, node, a):
    return elementwise(em, node, [a[0], a[1]], _arith('mul'))


@handles('aten.div.Tensor', 'aten.div.Scalar')
def div(em, node, a):
    if node.kwargs.get('rounding_mode'):
        raise E.ExportError('aten.div with rounding_mode is not supported')
    return elementwise(em, node, [a[0], a[1]], _arith('div'))


@handles('aten.maximum.default')
def maximum(em, node, a):
    return elementwise(em, node, [a[0], a[1]], _arith('max'))


@handles('aten.minimum.default')
def minimum(em, node, a):
    return elementwise(em, node, [a[0], a[1]], _arith('min'))


def _pow_const(b, x, e, dt):
    if e == 2:
        return b.op('arith.mulf %s, %s' % (x, x), dt)
    if e == 1:
        return x
    if e == 0.5:
        return b.op('math.sqrt %s' % x, dt)
    if e == -0.5:
        return b.op('math.rsqrt %s' % x, dt)
    if e == -1:
        return b.op('arith.divf %s, %s' % (b.const(1.0, dt), x), dt)
    if e == 3:
        return b.op('arith.mulf %s, %s' % (b.op('arith.mulf %s, %s' % (x, x), dt), x), dt)
    return b.op('math.powf %s, %s' % (x, b.const(e, dt)), dt)


@handles('aten.pow.Tensor_Scalar')
def pow_ts(em, node, a):
    e = a[1]
    return elementwise(em, node, [a[0]], lambda b, xs, dt: _pow_const(b, xs[0], e, dt), 'f32')


@handles('aten.pow.Tensor_Tensor')
def pow_tt(em, node, a):
    return elementwise(em, node, [a[0], a[1]],
                       lambda b, xs, dt: b.op('math.powf %s, %s' % (xs[0], xs[1]), dt), 'f32')


def _unary(expr):
    def handler(em, node, a):
        return elementwise(em, node, [a[0]], expr, 'f32')
    return handler


def _math(name):
    return lambda b, xs, dt: b.op('math.%s %s' % (name, xs[0]), dt)


for _op, _fn in {
    'exp': _math('exp'), 'log': _math('log'), 'sqrt': _math('sqrt'), 'rsqrt': _math('rsqrt'),
    'tanh': _math('tanh'), 'erf': _math('erf'), 'abs': _math('absf'), 'log1p': _math('log1p'),
    'expm1': _math('expm1'), 'sin': _math('sin'), 'cos': _math('cos'),
    'neg': lambda b, xs, dt: b.op('arith.negf %s' % xs[0], dt),
    'reciprocal': lambda b, xs, dt: b.op('arith.divf %s, %s' % (b.const(1.0, dt), xs[0]), dt),
    'relu': lambda b, xs, dt: b.op('arith.maximumf %s, %s' % (xs[0], b.const(0.0, dt)), dt),
    'sigmoid': lambda b, xs, dt: b.op('arith.divf %s, %s' % (b.const(1.0, dt), b.op(
        'arith.addf %s, %s' % (b.const(1.0, dt), b.op('math.exp %s' % b.op(
            'arith.negf %s' % xs[0], dt), dt)), dt)), dt),
}.items():
    HANDLERS['aten.%s.default' % _op] = _unary(_fn)


def _sign(b, xs, dt):
    # 1 above 0, -1 below, and x itself at +-0 and NaN (as torch.sign).
    x = xs[0]
    zero = b.const(0.0, dt)
    below = b.op('arith.select %s, %s, %s' % (b.op('arith.cmpf olt, %s, %s' % (x, zero), dt),
                                               b.const(-1.0, dt), x), dt)
    return b.op('arith.select %s, %s, %s' % (b.op('arith.cmpf ogt, %s, %s' % (x, zero), dt),
                                              b.const(1.0, dt), below), dt)


HANDLERS['aten.sign.default'] = _unary(_sign)


class _Scalar:
    """Arithmetic on f32 scalars of a generic's body, for the series below."""

    def __init__(self, b, dt):
        self.b, self.dt = b, dt

    def c(self, value):
        return self.b.const(value, self.dt)

    def op(self, name, *xs):
        return self.b.op('%s %s' % (name, ', '.join(xs)), self.dt)

    def add(self, x, y):
        return self.op('arith.addf', x, y)

    def sub(self, x, y):
        return self.op('arith.subf', x, y)

    def mul(self, x, y):
        return self.op('arith.mulf', x, y)

    def div(self, x, y):
        return self.op('arith.divf', x, y)

    def poly(self, x, coefficients):
        """c0 + c1 x + c2 x^2 + ... (Horner)."""
        acc = self.c(coefficients[-1])
        for k in reversed(coefficients[:-1]):
            acc = self.add(self.mul(acc, x), self.c(k))
        return acc


# lgamma, digamma and trigamma (polygamma(1, .)), which the math dialect
# lacks: for x >= 0 the recurrence up to w = x + 8 (8 terms summed), then the
# asymptotic series in 1/w there; for x < 0 the reflection formulas with
# x' = 1 - x. A float64 numpy twin of these formulas is within 5e-10
# (relative; absolute below 1) of PyTorch's float64 on [-9.95, 100] away
# from the poles; the step computes them in float32. At the poles
# (0, -1, ...) lgamma gives inf as PyTorch does, digamma -inf at 0 but a
# large finite value at the negative integers (PyTorch: nan).
_GAMMA_SHIFT = 8


def _gamma_series(s, x, kind):
    terms = []
    for j in range(_GAMMA_SHIFT):
        z = s.add(x, s.c(float(j))) if j else x
        if kind == 'lgamma':
            terms.append(s.op('math.log', z))
        elif kind == 'digamma':
            terms.append(s.div(s.c(1.0), z))
        else:
            terms.append(s.div(s.c(1.0), s.mul(z, z)))
    total = terms[0]
    for t in terms[1:]:
        total = s.add(total, t)
    w = s.add(x, s.c(float(_GAMMA_SHIFT)))
    r = s.div(s.c(1.0), w)
    r2 = s.mul(r, r)
    if kind == 'lgamma':
        # (w - 1/2) log w - w + log(2 pi)/2 + (1/12 - r2/360 + r2^2/1260) / w
        head = s.sub(s.mul(s.sub(w, s.c(0.5)), s.op('math.log', w)), w)
        tail = s.mul(s.poly(r2, [1 / 12, -1 / 360, 1 / 1260]), r)
        return s.sub(s.add(s.add(head, s.c(0.5 * math.log(2 * math.pi))), tail), total)
    if kind == 'digamma':
        # log w - r/2 - r2 (1/12 - r2/120 + r2^2/252)
        series = s.sub(s.sub(s.op('math.log', w), s.mul(s.c(0.5), r)),
                       s.mul(r2, s.poly(r2, [1 / 12, -1 / 120, 1 / 252])))
        return s.sub(series, total)
    # r + r2/2 + r^3 (1/6 - r2/30 + r2^2/42)
    series = s.add(s.add(r, s.mul(s.c(0.5), r2)),
                   s.mul(s.mul(r2, r), s.poly(r2, [1 / 6, -1 / 30, 1 / 42])))
    return s.add(series, total)


def _gamma_function(kind):
    def fn(b, xs, dt):
        s = _Scalar(b, dt)
        x = xs[0]
        negative = b.op('arith.cmpf olt, %s, %s' % (x, s.c(0.0)), dt)
        # Above 0 x itself, below 1 - x (the other branch's argument: both
        # are computed, the select keeps one, so each stays finite there).
        reflected = s.sub(s.c(1.0), x)
        direct = _gamma_series(s, b.op('arith.select %s, %s, %s' % (negative, reflected, x), dt),
                               kind)
        pix = s.mul(s.c(math.pi), x)
        sine = s.op('math.sin', pix)
        if kind == 'lgamma':
            other = s.sub(s.op('math.log', s.div(s.c(math.pi), s.op('math.absf', sine))), direct)
        elif kind == 'digamma':
            other = s.sub(direct, s.div(s.mul(s.c(math.pi), s.op('math.cos', pix)), sine))
        else:
            other = s.sub(s.div(s.c(math.pi ** 2), s.mul(sine, sine)), direct)
        return b.op('arith.select %s, %s, %s' % (negative, other, direct), dt)
    return fn


HANDLERS['aten.lgamma.default'] = _unary(_gamma_function('lgamma'))
HANDLERS['aten.digamma.default'] = _unary(_gamma_function('digamma'))


# erfinv, which the math dialect lacks: Giles' single-precision
# approximation ("Approximating the erfinv function", GPU Computing Gems,
# 2011), a polynomial in w - 2.5 for w = -log((1 - x)(1 + x)) < 5 and in
# sqrt(w) - 3 beyond. A float32 numpy twin (same evaluation order) is within
# 3e-7 (relative) of PyTorch's float32 erfinv on [-0.9999, 0.9999]; +-inf at
# +-1 and NaN beyond, as PyTorch.
_ERFINV_CENTRAL = [1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                   -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08]
_ERFINV_TAIL = [2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
                -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257]


def _erfinv(b, xs, dt):
    s = _Scalar(b, dt)
    x = xs[0]
    one = s.c(1.0)
    w = s.op('arith.negf', s.op('math.log', s.mul(s.sub(one, x), s.add(one, x))))
    central = s.poly(s.sub(w, s.c(2.5)), _ERFINV_CENTRAL)
    tail = s.poly(s.sub(s.op('math.sqrt', w), s.c(3.0)), _ERFINV_TAIL)
    near = b.op('arith.cmpf olt, %s, %s' % (w, s.c(5.0)), dt)
    value = s.mul(b.op('arith.select %s, %s, %s' % (near, central, tail), dt), x)
    edge = b.op('arith.cmpf oeq, %s, %s' % (s.op('math.absf', x), one), dt)
    return b.op('arith.select %s, %s, %s' % (edge, s.mul(x, s.c(math.inf)), value), dt)


HANDLERS['aten.erfinv.default'] = _unary(_erfinv)


# i0 and i1, the modified Bessel functions of the first kind (i0's derivative
# is i1), which the math dialect lacks: their power series, sum over k of
# (x^2 / 4)^k / (k! (k + n)!) (times x / 2 for i1), to a fixed
# _BESSEL_TERMS terms, each from the one before. Every term has the sign of
# the first (no cancellation). Up to |x| = 88 (past which i0 overflows f32:
# inf, as PyTorch) the terms left out are under 4e-12 of the sum (float64
# numpy twin against PyTorch's float64 i0 and i1; 40 terms: 79% short at 87,
# 60: 5e-4); in f32 the recurrence rounds to within 6e-7 of float64 at
# x = 87 (PyTorch's float32 i0, Cephes' Chebyshev expansions: 6e-8).
# Test `test_bessel_matches_eager` (fails with 40 terms).
_BESSEL_TERMS = 80


def _bessel(order):
    def fn(b, xs, dt):
        s = _Scalar(b, dt)
        x = xs[0]
        q = s.mul(s.mul(x, x), s.c(0.25))
        term = s.c(1.0) if order == 0 else s.mul(x, s.c(0.5))
        total = term
        for k in range(1, _BESSEL_TERMS):
            term = s.mul(term, s.mul(q, s.c(1.0 / (k * (k + order)))))
            total = s.add(total, term)
        return total
    return fn


HANDLERS['aten.i0.default'] = _unary(_bessel(0))
HANDLERS['aten.special_i1.default'] = _unary(_bessel(1))


@handles('aten.polygamma.default')
def polygamma(em, node, a):
    """polygamma(0, x) = digamma, polygamma(1, x) = trigamma (digamma's
    derivative); higher orders are refused."""
    n = a[0]
    if n not in (0, 1):
        raise E.ExportError('aten.polygamma of order %s is not supported (orders 0 and 1 are)' % n)
    return elementwise(em, node, [a[1]], _gamma_function('digamma' if n == 0 else 'trigamma'),
                       'f32')


@handles('aten.atan2.default')
def atan2(em, node, a):
    """math.atan2 (torch's decomposition goes to prims.atan2)."""
    return elementwise(em, node, [a[0], a[1]], lambda b, xs, dt: b.op(
        'math.atan2 %s, %s' % (xs[0], xs[1]), dt), 'f32')


@handles('aten.hypot.default')
def hypot(em, node, a):
    """sqrt(x * x + y * y) (the math dialect has no hypot; std::hypot's
    guard against overflow past 1.8e19 is not reproduced)."""
    def fn(b, xs, dt):
        squares = [b.op('arith.mulf %s, %s' % (v, v), dt) for v in xs]
        return b.op('math.sqrt %s' % b.op('arith.addf %s, %s' % tuple(squares), dt), dt)
    return elementwise(em, node, [a[0], a[1]], fn, 'f32')


@handles('aten.copysign.Tensor', 'aten.copysign.Scalar')
def copysign(em, node, a):
    """math.copysign: |x| with y's sign bit (-0.0 counts as negative)."""
    return elementwise(em, node, [a[0], a[1]], lambda b, xs, dt: b.op(
        'math.copysign %s, %s' % (xs[0], xs[1]), dt), 'f32')


@handles('aten.isnan.default')
def isnan(em, node, a):
    return elementwise(em, node, [a[0]], lambda b, xs, dt: b.op(
        'arith.cmpf uno, %s, %s' % (xs[0], xs[0]), dt), 'f32', fn_dt='i1')


@handles('aten.isinf.default')
def isinf(em, node, a):
    """|x| == inf (isfinite, isposinf and isneginf decompose into it or
    into comparisons)."""
    return elementwise(em, node, [a[0]], lambda b, xs, dt: b.op(
        'arith.cmpf oeq, %s, %s' % (b.op('math.absf %s' % xs[0], dt), b.const(math.inf, dt)),
        dt), 'f32', fn_dt='i1')


@handles('aten.clamp.default', 'aten.clamp_min.default', 'aten.clamp_max.default',
         'aten.clamp.Tensor', 'aten.clamp_min.Tensor', 'aten.clamp_max.Tensor',
         'aten.hardtanh.default')
def clamp(em, node, a):
    """Bounds are numbers or tensors (broadcast; cosine_similarity's clamp_min
    of the norms' product by eps)."""
    name = str(node.target)
    lo, hi = a.get(1, 'min'), a.get(2, 'max')
    if 'clamp_max' in name:
        lo, hi = None, a.get(1, 'max')
    if 'hardtanh' in name:
        lo = -1.0 if lo is None else lo
        hi = 1.0 if hi is None else hi
    tensors = [v for v in (lo, hi) if isinstance(v, E.Val)]

    def fn(b, xs, dt):
        x, rest = xs[0], iter(xs[1:])

        def bound(v):
            return next(rest) if isinstance(v, E.Val) else b.const(v, dt)
        if lo is not None:
            x = b.op('arith.maximumf %s, %s' % (x, bound(lo)), dt)
        if hi is not None:
            x = b.op('arith.minimumf %s, %s' % (x, bound(hi)), dt)
        return x
    return elementwise(em, node, [a[0]] + tensors, fn, 'f32')


_CMP = {'eq': ('oeq', 'eq'), 'ne': ('une', 'ne'), 'gt': ('ogt', 'sgt'), 'ge': ('oge', 'sge'),
        'lt': ('olt', 'slt'), 'le': ('ole', 'sle')}


def _compare(pred):
    def handler(em, node, a):
        ops = [a[0], a[1]]
        dt = promoted(ops)

        def fn(b, xs, cdt):
            if cdt == 'f32':
                return b.op('arith.cmpf %s, %s, %s' % (_CMP[pred][0], xs[0], xs[1]), cdt)
            return b.op('arith.cmpi %s, %s, %s' % (_CMP[pred][1], xs[0], xs[1]), cdt)
        return elementwise(em, node, ops, fn, dt, fn_dt='i1')
    return handler


for _p in _CMP:
    HANDLERS['aten.%s.Tensor' % _p] = _compare(_p)
    HANDLERS['aten.%s.Scalar' % _p] = _compare(_p)


@handles('aten.logical_not.default', 'aten.bitwise_not.default')
def logical_not(em, node, a):
    return elementwise(em, node, [a[0]], lambda b, xs, dt: b.op(
        'arith.xori %s, %s' % (xs[0], b.const(True, 'i1')), dt), 'i1')


@handles('aten.logical_and.default', 'aten.bitwise_and.Tensor')
def logical_and(em, node, a):
    return elementwise(em, node, [a[0], a[1]], lambda b, xs, dt: b.op(
        'arith.andi %s, %s' % (xs[0], xs[1]), dt), 'i1')


@handles('aten.logical_or.default', 'aten.bitwise_or.Tensor')
def logical_or(em, node, a):
    return elementwise(em, node, [a[0], a[1]], lambda b, xs, dt: b.op(
        'arith.ori %s, %s' % (xs[0], xs[1]), dt), 'i1')


@handles('aten.where.self')
def where(em, node, a):
    c, x, y = a[0], a[1], a[2]
    # The condition stays i1; the branches are cast to the result dtype.
    shape, out_dt = meta(node)
    rank = len(shape)
    operands = [c, x, y]
    vals = [v for v in operands if isinstance(v, E.Val)]
    ins = [(v, E.broadcast_exprs(v.shape, rank, shape)) for v in vals]

    def body(b):
        xs, k = [], 0
        for i, v in enumerate(operands):
            want = 'i1' if i == 0 else out_dt
            if isinstance(v, E.Val):
                xs.append(b.cast(b.ins[k], v.dt, want))
                k += 1
            else:
                xs.append(b.const(v, want))
        return [b.op('arith.select %s, %s, %s' % (xs[0], xs[1], xs[2]), out_dt)]
    return em.generic(hint(node), rank, ['parallel'] * rank, ins,
                      [(shape, out_dt, ident(rank), None)], body)[0]


@handles('aten._to_copy.default', 'aten.to.dtype')
def to_copy(em, node, a):
    shape, dt = meta(node)
    x = a[0]
    if x.dt == dt:
        return x
    return elementwise(em, node, [x], lambda b, xs, cdt: xs[0], dt)


@handles('aten.clone.default', 'aten.contiguous.default')
def clone(em, node, a):
    return em.materialize(a[0], hint(node))


@handles('aten.alias.default', 'aten.detach.default', 'aten.lift_fresh_copy.default',
         'aten.lift_fresh.default')
def alias(em, node, a):
    return a[0]


# ---- creation ----

@handles('aten.full.default', 'aten.full_like.default', 'aten.scalar_tensor.default',
         'aten.zeros_like.default', 'aten.ones_like.default', 'aten.empty_like.default',
         'aten.zeros.default', 'aten.ones.default', 'aten.new_zeros.default',
         'aten.new_ones.default', 'aten.new_full.default', 'aten.empty.memory_format',
         'aten.new_empty.default', 'aten.empty_strided.default', 'aten.new_empty_strided.default',
         'aten.empty_permuted.default')
def full(em, node, a):
    shape, dt = meta(node)
    name = str(node.target)
    if 'ones' in name:
        value = 1
    elif 'full_like' in name or 'new_full' in name:
        value = a[1]
    elif name.startswith('aten.full.'):
        value = a[1]
    elif 'scalar_tensor' in name:
        value = a[0]
    else:
        value = 0   # zeros; empty tensors are zero-filled too (deterministic)
    return em.filled(value, shape, dt, hint(node))


@handles('aten.arange.start_step', 'aten.arange.default', 'aten.arange.start',
         'prims.iota.default')
def arange(em, node, a):
    shape, dt = meta(node)
    name = str(node.target)
    if name == 'prims.iota.default':
        start, step = node.kwargs['start'], node.kwargs['step']
    elif name == 'aten.arange.default':
        start, step = 0, 1
    else:
        start, step = a[0], (a[2] if len(a) > 2 and a[2] is not None else 1)

    def body(b):
        i = b.op('arith.index_cast %s' % b.index(0), 'index to i64')
        if dt == 'f32':
            x = b.op('arith.sitofp %s' % i, 'i64 to f32')
            return [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
                x, b.const(step, 'f32')), 'f32'), b.const(start, 'f32')), 'f32')]
        x = b.op('arith.addi %s, %s' % (b.op('arith.muli %s, %s' % (
            i, b.const(step, 'i64')), 'i64'), b.const(start, 'i64')), 'i64')
        return [b.cast(x, 'i64', dt)]
    return em.generic(hint(node), 1, ['parallel'], [], [(shape, dt, [0], None)], body)[0]


# ---- views ----

@handles('aten.permute.default')
def permute(em, node, a):
    x, perm = a[0], [p % len(a[0].shape) for p in a[1]]
    shape, _ = meta(node)
    exprs = [perm.index(k) for k in range(len(perm))]
    if perm == sorted(perm):
        return x
    return E.lazy_view(x, shape, exprs)


@handles('aten.transpose.int', 'aten.t.default')
def transpose(em, node, a):
    x = a[0]
    rank = len(x.shape)
    perm = list(range(rank))
    if rank >= 2:
        d0, d1 = (a[1] % rank, a[2] % rank) if len(a) > 1 else (0, 1)
        perm[d0], perm[d1] = perm[d1], perm[d0]
    shape, _ = meta(node)
    if perm == sorted(perm):
        return x
    return E.lazy_view(x, shape, [perm.index(k) for k in range(rank)])


@handles('aten.expand.default')
def expand(em, node, a):
    x = a[0]
    shape, _ = meta(node)
    if tuple(shape) == x.shape:
        return x
    return E.lazy_view(x, shape, E.broadcast_exprs(x.shape, len(shape), shape))


@handles('aten.view.default', 'aten._unsafe_view.default', 'aten.reshape.default',
         'aten.unsqueeze.default', 'aten.squeeze.dims', 'aten.squeeze.dim',
         'aten.squeeze.default', 'aten.flatten.using_ints', 'aten.view_copy.default')
def view(em, node, a):
    x = a[0]
    shape, _ = meta(node)
    if x.lazy:
        # Inserting or dropping size-1 dims keeps a lazy view lazy.
        src = [d for d in x.shape if d != 1]
        dst = [d for d in shape if d != 1]
        if src == dst:
            pos_src = [i for i, d in enumerate(x.shape) if d != 1]
            pos_dst = [i for i, d in enumerate(shape) if d != 1]
            exprs = [None] * len(x.shape)
            for s, d in zip(pos_src, pos_dst):
                exprs[s] = d
            return E.lazy_view(x, shape, exprs)
    return em.reshape(x, shape, hint(node))


@handles('aten.slice.Tensor')
def slice_(em, node, a):
    x = em.materialize(a[0], hint(node) + '_src')
    shape, _ = meta(node)
    dim = (a[1] if a[1] is not None else 0) % len(x.shape)
    start = a[2] or 0
    step = a[4] if len(a) > 4 and a[4] is not None else 1
    if start < 0:
        start += x.shape[dim]
    start = max(0, min(start, x.shape[dim]))
    if tuple(shape) == x.shape:
        return x
    return _extract(em, node, x, dim, start, shape, step)


def _extract(em, node, x, dim, start, shape, step, drop=False, offsets=None):
    """x[start::step] along `dim` (dropped when `drop`), or, with `offsets`,
    the unit-stride block of `shape` from them."""
    if 0 in tuple(shape) or 0 in tuple(x.shape):
        # An empty slice (Swin's window masks at inputs smaller than a window):
        # no element to read, and tensor.extract_slice refuses an offset into
        # an empty dimension.
        return E.Val(em.empty(tuple(shape), x.dt, hint(node)), tuple(shape), x.dt)
    strides = [1] * len(x.shape)
    if offsets is not None:
        offs, sizes = list(offsets), list(shape)
    else:
        offs = [0] * len(x.shape)
        offs[dim] = start
        sizes = list(x.shape)
        sizes[dim] = 1 if drop else shape[dim]
        strides[dim] = step
    name = em.fresh(hint(node))
    out_type = E.tensor_type(shape, x.dt)
    em.emit('%s = tensor.extract_slice %s[%s] [%s] [%s] : %s to %s' % (
        name, x.name, ', '.join(map(str, offs)), ', '.join(map(str, sizes)),
        ', '.join(map(str, strides)), x.type, out_type))
    return E.Val(name, shape, x.dt)


@handles('aten.select.int')
def select(em, node, a):
    x = em.materialize(a[0], hint(node) + '_src')
    shape, _ = meta(node)
    dim = a[1] % len(x.shape)
    return _extract(em, node, x, dim, a[2] % x.shape[dim], shape, 1, drop=True)


@handles('aten.slice_scatter.default')
def slice_scatter(em, node, a):
    dest = em.materialize(a[0], hint(node) + '_dest')
    src = em.materialize(a[1], hint(node) + '_src')
    dim = (a[2] if len(a) > 2 and a[2] is not None else 0) % len(dest.shape)
    start = a[3] if len(a) > 3 and a[3] is not None else 0
    step = a[5] if len(a) > 5 and a[5] is not None else 1
    if start < 0:
        start += dest.shape[dim]
    return _insert(em, hint(node), src, dest, dim, start, step)


@handles('aten.select_scatter.default')
def select_scatter(em, node, a):
    dest = em.materialize(a[0], hint(node) + '_dest')
    src = em.materialize(a[1], hint(node) + '_src')
    dim = a[2] % len(dest.shape)
    sizes = list(dest.shape)
    sizes[dim] = 1
    # Rank-reducing: the source lacks the selected dimension.
    return _insert(em, hint(node), src, dest, dim, a[3] % dest.shape[dim], 1, sizes=sizes)


def _insert(em, h, src, dest, dim, start, step, offsets=None, strides=None, sizes=None):
    if 0 in tuple(sizes or src.shape):
        # Nothing to write (and no valid offset into an empty dimension).
        return dest
    offs = offsets or [0] * len(dest.shape)
    if offsets is None:
        offs[dim] = start
    strd = strides or [1] * len(dest.shape)
    if strides is None:
        strd[dim] = step
    name = em.fresh(h)
    em.emit('%s = tensor.insert_slice %s into %s[%s] [%s] [%s] : %s into %s' % (
        name, src.name, dest.name, ', '.join(map(str, offs)),
        ', '.join(map(str, sizes or src.shape)),
        ', '.join(map(str, strd)), src.type, dest.type))
    return E.Val(name, dest.shape, dest.dt)


def _diagonal_geometry(x_shape, offset, dim1, dim2):
    """torch.diagonal's dims (normalized), the first element's row and column
    along them and the diagonal's length."""
    rank = len(x_shape)
    d1, d2 = dim1 % rank, dim2 % rank
    row, col = max(-offset, 0), max(offset, 0)
    length = max(0, min(x_shape[d1] - row, x_shape[d2] - col))
    return d1, d2, row, col, length


def _diagonal_window(em, node, x, d1, d2, row, col, length):
    """The length x length window of x along dims d1, d2 that holds the
    diagonal, from (row, col): an extract_slice (with it every access below
    is affine and in bounds, and linalg infers the loops' ranges from it)."""
    offsets = [0] * len(x.shape)
    offsets[d1], offsets[d2] = row, col
    sizes = list(x.shape)
    sizes[d1] = sizes[d2] = length
    return _extract(em, node, x, None, None, tuple(sizes), 1, offsets=offsets), offsets


def _diagonal_exprs(rank, d1, d2):
    """Per dim of a diagonal (the other dims, then i) the window's dim."""
    return [k for k in range(rank) if k not in (d1, d2)] + [d1]


@handles('aten.diagonal.default')
def diagonal(em, node, a):
    """x[..., row + i (dim1), ..., col + i (dim2), ...] for i < length, the
    other dims in order first and i last: the window's (..., i, ..., i, ...)."""
    x = em.materialize(a[0], hint(node) + '_src')
    d1, d2, row, col, length = _diagonal_geometry(
        x.shape, a.get(1, 'offset', 0), a.get(2, 'dim1', 0), a.get(3, 'dim2', 1))
    shape, _ = meta(node)
    if 0 in shape:
        return E.Val(em.empty(tuple(shape), x.dt, hint(node)), tuple(shape), x.dt)
    window, _ = _diagonal_window(em, node, x, d1, d2, row, col, length)
    rank = len(shape)
    # Iterating over the diagonal: window dim k is read at the diagonal's dim
    # that indexes it (both d1 and d2 at i).
    dims = _diagonal_exprs(len(x.shape), d1, d2)
    exprs = [dims.index(d1) if k == d2 else dims.index(k) for k in range(len(x.shape))]
    return em.generic(hint(node), rank, ['parallel'] * rank, [(window, exprs)],
                      [(shape, x.dt, ident(rank), None)], lambda b: [b.ins[0]])[0]


@handles('aten.diagonal_scatter.default')
def diagonal_scatter(em, node, a):
    """`base` with its diagonal replaced by `src` (diagonal's backward, and an
    in-place update through a diagonal): over the diagonal's window, src
    where the two dims' indices agree, the window elsewhere; inserted back
    with unit strides (merging the two dims for one strided insert would
    make bufferization copy the merge wherever the dims are not contiguous:
    docs/memory-model.md)."""
    base = em.materialize(a[0], hint(node) + '_dest')
    src = em.materialize(a[1], hint(node) + '_src')
    d1, d2, row, col, length = _diagonal_geometry(
        base.shape, a.get(2, 'offset', 0), a.get(3, 'dim1', 0), a.get(4, 'dim2', 1))
    if length == 0:
        return base
    window, offsets = _diagonal_window(em, node, base, d1, d2, row, col, length)
    rank = len(base.shape)

    def body(b):
        on = b.op('arith.cmpi eq, %s, %s' % (b.index(d1), b.index(d2)), 'index')
        return [b.op('arith.select %s, %s, %s' % (on, b.ins[1], b.ins[0]), base.dt)]
    written = em.generic(hint(node) + '_diag', rank, ['parallel'] * rank,
                         [(window, ident(rank)), (src, _diagonal_exprs(rank, d1, d2))],
                         [(window.shape, base.dt, ident(rank), None)], body)[0]
    return _insert(em, hint(node), written, base, None, None, None, offsets=offsets,
                   strides=[1] * rank, sizes=list(window.shape))


@handles('aten.cat.default')
def cat(em, node, a):
    parts = [em.materialize(v, hint(node) + '_part') for v in a[0] if v.numel() > 0]
    shape, dt = meta(node)
    dim = (a[1] or 0) % len(shape)
    cur = E.Val(em.empty(shape, dt, hint(node)), shape, dt)
    off = 0
    for p in parts:
        cur = _insert(em, hint(node), p, cur, dim, off, 1)
        off += p.shape[dim]
    return cur


@handles('aten.constant_pad_nd.default')
def constant_pad(em, node, a):
    x = em.materialize(a[0], hint(node) + '_src')
    pads = list(a[1])
    value = a[2] if len(a) > 2 and a[2] is not None else 0.0
    rank = len(x.shape)
    low, high = [0] * rank, [0] * rank
    for i in range(len(pads) // 2):
        low[rank - 1 - i], high[rank - 1 - i] = pads[2 * i], pads[2 * i + 1]
    if min(low + high) < 0:
        # Negative padding crops (F.pad's backward): a slice, then the rest.
        offs = [max(0, -lo) for lo in low]
        sizes = [d - max(0, -lo) - max(0, -hi) for d, lo, hi in zip(x.shape, low, high)]
        name = em.fresh(hint(node) + '_crop')
        em.emit('%s = tensor.extract_slice %s[%s] [%s] [%s] : %s to %s' % (
            name, x.name, ', '.join(map(str, offs)), ', '.join(map(str, sizes)),
            ', '.join(['1'] * rank), x.type, E.tensor_type(sizes, x.dt)))
        x = E.Val(name, tuple(sizes), x.dt)
        low, high = [max(0, v) for v in low], [max(0, v) for v in high]
    return pad(em, hint(node), x, low, high, value)


def pad(em, h, x, low, high, value):
    if not any(low) and not any(high):
        return x
    shape = tuple(d + l + r for d, l, r in zip(x.shape, low, high))
    c = em.scalar_const(value, x.dt)
    name = em.fresh(h)
    em.emit('%s = tensor.pad %s low[%s] high[%s] {' % (
        name, x.name, ', '.join(map(str, low)), ', '.join(map(str, high))))
    em.lines.append('  ^bb0(%s):' % ', '.join('%%i%d: index' % i for i in range(len(shape))))
    em.emit('  tensor.yield %s : %s' % (c, x.dt))
    em.emit('} : %s to %s' % (x.type, E.tensor_type(shape, x.dt)))
    return E.Val(name, shape, x.dt)


# ---- reductions ----

def reduce(em, node, x, dims, keepdim, kind, out_index=None, scale=None, extra_in=None):
    shape, dt = meta(node, out_index)
    rank = len(x.shape)
    dims = norm_dims(dims, rank)
    kept = [i for i in range(rank) if i not in dims]
    red_shape = tuple(x.shape[i] for i in kept)
    integer = dt in ('i64', 'i32')
    if integer and extra_in is None and scale is None:
        # Counts (cross entropy's non-ignored targets), integer maxima.
        bits = 64 if dt == 'i64' else 32
        init_value = {'sum': 0, 'prod': 1, 'max': -2 ** (bits - 1),
                      'min': 2 ** (bits - 1) - 1}[kind]
    elif dt != 'f32':
        raise E.ExportError('%s: reductions of %s are not supported' % (node.target, dt))
    else:
        init_value = {'sum': 0.0, 'prod': 1.0, 'max': -math.inf, 'min': math.inf}[kind]
    init = em.filled(init_value, red_shape, dt, hint(node) + '_acc')
    if x.lazy and set(range(rank)) - set(kept) - {e for e in x.exprs if e is not None}:
        # A reduced dim only a broadcast makes (the sum over an expanded
        # scalar in expand's backward): no operand would index its loop,
        # which linalg refuses (non-invertible maps).
        x = em.materialize(x, hint(node) + '_src')
    ins = [(x, ident(rank))]
    if extra_in is not None:
        ins.append((extra_in, [kept[i] if i < len(kept) else None for i in range(len(kept))]
                    if extra_in.shape == red_shape else
                    E.broadcast_exprs(extra_in.shape, rank, x.shape)))

    def body(b):
        v = b.cast(b.ins[0], x.dt, dt)
        if extra_in is not None:   # variance: (x - mean)^2
            d = b.op('arith.subf %s, %s' % (v, b.ins[1]), dt)
            v = b.op('arith.mulf %s, %s' % (d, d), dt)
        if scale is not None:
            v = b.op('arith.mulf %s, %s' % (v, b.const(scale, dt)), dt)
        op = ({'sum': 'addi', 'prod': 'muli', 'max': 'maxsi', 'min': 'minsi'} if integer else
              {'sum': 'addf', 'prod': 'mulf', 'max': 'maximumf', 'min': 'minimumf'})[kind]
        return [b.op('arith.%s %s, %s' % (op, v, b.outs[0]), dt)]
    iters = ['reduction' if i in dims else 'parallel' for i in range(rank)]
    out = em.generic(hint(node), rank, iters, ins, [(red_shape, dt, kept, init)], body)[0]
    return em.reshape(out, shape, hint(node) + '_keep') if tuple(shape) != red_shape else out


@handles('aten.sum.dim_IntList', 'aten.sum.default')
def sum_(em, node, a):
    dims = a[1] if str(node.target) != 'aten.sum.default' else None
    return reduce(em, node, a[0], dims, bool(a[2]) if len(a) > 2 else False, 'sum')


@handles('aten.prod.dim_int', 'aten.prod.default')
def prod(em, node, a):
    """A product reduction (over every element without a dim)."""
    whole = str(node.target) == 'aten.prod.default'
    return reduce(em, node, a[0], None if whole else [a[1]],
                  False if whole else bool(a[2]) if len(a) > 2 else False, 'prod')


@handles('aten.mean.dim', 'aten.mean.default')
def mean(em, node, a):
    x = a[0]
    dims = norm_dims(a[1] if str(node.target) == 'aten.mean.dim' else None, len(x.shape))
    n = math.prod(x.shape[d] for d in dims)
    return reduce(em, node, x, dims, bool(a[2]) if len(a) > 2 else False, 'sum', scale=1.0 / n)


@handles('aten.amax.default', 'aten.amin.default')
def amax(em, node, a):
    kind = 'max' if 'amax' in str(node.target) else 'min'
    return reduce(em, node, a[0], a[1], bool(a[2]) if len(a) > 2 else False, kind)


@handles('aten.argmax.default', 'aten.argmin.default')
def argmax(em, node, a):
    """The indices of max.dim (over the flattened tensor without a dim)."""
    x = em.materialize(a[0], hint(node) + '_src')
    dim = a[1] if len(a) > 1 else node.kwargs.get('dim')
    if dim is None:
        x = em.reshape(x, (math.prod(x.shape),), hint(node) + '_flat')
        dim = 0
    big = 'argmax' in str(node.target)
    shape, _ = meta(node)
    return _extreme_along(em, node, x, dim % len(x.shape), big, shape)[1]


@handles('aten.max.dim', 'aten.min.dim')
def max_dim(em, node, a):
    """(values, indices) along one dimension: the first extreme, as torch."""
    x = em.materialize(a[0], hint(node) + '_src')
    vshape, _ = meta(node, 0)
    return _extreme_along(em, node, x, a[1] % len(x.shape), 'max' in str(node.target), vshape)


def _extreme_along(em, node, x, dim, big, vshape):
    """The first extreme along `dim`: the accumulator starts at the other end of
    the dtype's range (a mask's max is its first true: cumprod's backward finds
    the first zero so) and moves only on a strictly better element."""
    rank = len(x.shape)
    dt = x.dt
    if dt == 'f32':
        cmp, start = 'arith.cmpf %s' % ('ogt' if big else 'olt'), -math.inf if big else math.inf
    elif dt == 'i1':
        cmp, start = 'arith.cmpi %s' % ('ugt' if big else 'ult'), not big
    elif dt in ('i32', 'i64'):
        bits = int(dt[1:])
        cmp = 'arith.cmpi %s' % ('sgt' if big else 'slt')
        start = -2 ** (bits - 1) if big else 2 ** (bits - 1) - 1
    else:
        raise E.ExportError('%s of %s is not supported' % (node.target, dt))
    kept = [i for i in range(rank) if i != dim]
    red_shape = tuple(x.shape[i] for i in kept)
    h = hint(node)
    vinit = em.filled(start, red_shape, dt, h + '_vacc')
    iinit = em.filled(0, red_shape, 'i64', h + '_iacc')

    def body(b):
        better = b.op('%s, %s, %s' % (cmp, b.ins[0], b.outs[0]), dt)
        at = b.op('arith.index_cast %s' % b.index(dim), 'index to i64')
        return [b.op('arith.select %s, %s, %s' % (better, b.ins[0], b.outs[0]), dt),
                b.op('arith.select %s, %s, %s' % (better, at, b.outs[1]), 'i64')]
    iters = ['reduction' if i == dim else 'parallel' for i in range(rank)]
    v, i = em.generic(h, rank, iters, [(x, ident(rank))],
                      [(red_shape, dt, kept, vinit), (red_shape, 'i64', kept, iinit)], body)
    if tuple(vshape) != red_shape:
        v = em.reshape(v, vshape, h + '_values')
        i = em.reshape(i, vshape, h + '_indices')
    return v, i


@handles('aten.upsample_nearest1d_backward.default', 'aten.upsample_nearest2d_backward.default',
         'aten.upsample_nearest3d_backward.default')
def upsample_nearest_backward(em, node, a):
    """Nearest upsampling by whole factors copies each input pixel into a block
    of factor elements per axis: its gradient sums the block. Other factors:
    the adjoint of PyTorch's interpolation matrices (_interpolation_backward)."""
    import torch
    g = em.materialize(a[0], hint(node) + '_src')
    out_size, in_size = list(a[1]), list(a[2])
    s = len(in_size) - 2
    scales = [a[3 + k] if len(a) > 3 + k else None for k in range(s)]
    factors = []
    for o, i, sc in zip(out_size, in_size[2:], scales):
        if o % i or (sc is not None and sc != o // i):
            return _interpolation_backward(em, node, g, in_size,
                                           torch.ops.aten.upsample_nearest2d.default, None,
                                           scales)
        factors.append(o // i)
    shape, dt = meta(node)
    init = em.filled(0.0, shape, dt, hint(node) + '_acc')
    exprs = ['d0', 'd1'] + ['d%d * %d + d%d' % (2 + k, f, 2 + s + k)
                            for k, f in enumerate(factors)]
    return em.generic(hint(node), 2 + 2 * s, ['parallel'] * (2 + s) + ['reduction'] * s,
                      [(g, exprs), (_window(em, factors, hint(node)),
                                    [2 + s + k for k in range(s)])],
                      [(shape, dt, ident(2 + s), init)],
                      lambda b: [b.op('arith.addf %s, %s' % (b.ins[0], b.outs[0]), dt)])[0]


def _axis_matrix(forward, size_in, size_out, scale, align_corners):
    """The matrix A (size_out x size_in) of one axis of a separable
    interpolation (out = A_h @ x @ A_w^T per image in 2-D): PyTorch's own 2-D
    forward op applied to the identity, resized along that axis only (the
    other keeps its size, where every interpolation here is the identity).
    Each axis of a 1-D or 3-D interpolation is the same 1-D interpolation."""
    import torch
    eye = torch.eye(size_in, dtype=torch.float64).view(1, 1, size_in, size_in)
    args = [eye, [size_out, size_in]]
    if align_corners is not None:
        args.append(align_corners)
    return forward(*args, scale, None)[0, 0].tolist()


# A 1024 x 1024 matrix (about 16 MB of MLIR text) at most.
_MAX_INTERPOLATION_MATRIX = 1 << 20

# Hints of the matrices of the spatial axes (the last s of them).
_AXIS_HINTS = ['_depth', '_rows', '_cols']


def _axis_matrices(em, node, h, sizes_in, sizes_out, forward, align_corners, scales):
    """The constant interpolation matrix of each spatial axis (out_k x in_k)."""
    s = len(sizes_in)
    if max(o * i for o, i in zip(sizes_out, sizes_in)) > _MAX_INTERPOLATION_MATRIX:
        o, i = max(zip(sizes_out, sizes_in), key=lambda d: d[0] * d[1])
        raise E.ExportError('%s: an interpolation matrix of %d x %d elements (from %s to '
                            '%s) is over the %d the exporter writes into the step'
                            % (node.target, o, i, 'x'.join(map(str, sizes_in)),
                               'x'.join(map(str, sizes_out)), _MAX_INTERPOLATION_MATRIX))
    scales = (list(scales) + [None] * s)[:s]
    return [E.dense_constant(em, _axis_matrix(forward, i, o, sc, align_corners), (o, i), 'f32',
                             h + _AXIS_HINTS[3 - s + k])
            for k, (i, o, sc) in enumerate(zip(sizes_in, sizes_out, scales))]


def _contract_axes(em, h, x, mats, adjoint):
    """x [N, C, *S] contracted with one matrix per spatial axis, the last axis
    first: out[.., o_k, ..] = sum_i A_k[o_k, i] x[.., i, ..] (forward), or with
    A_k transposed (adjoint: the gradient). The last contraction is named `h`."""
    s = len(mats)
    mac = lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
        b.ins[0], b.ins[1]), 'f32'), b.outs[0]), 'f32')]
    cur = x
    for k in reversed(range(s)):
        a = mats[k]
        size = a.shape[1] if adjoint else a.shape[0]
        shape = tuple(cur.shape[:2 + k]) + (size,) + tuple(cur.shape[3 + k:])
        name = h if k == 0 else h + _AXIS_HINTS[3 - s + k]
        init = em.filled(0.0, shape, 'f32', name + '_acc')
        xe = [2 + s if d == 2 + k else d for d in range(2 + s)]
        ae = [2 + s, 2 + k] if adjoint else [2 + k, 2 + s]
        cur = em.generic(name, 3 + s, ['parallel'] * (2 + s) + ['reduction'],
                         [(cur, xe), (a, ae)], [(shape, 'f32', ident(2 + s), init)], mac)[0]
    return cur


def _interpolation_backward(em, node, g, input_size, forward, align_corners, scales):
    """The gradient of a separable interpolation (linear, bilinear, trilinear,
    bicubic, nearest-exact; 1-3 spatial axes): the adjoint of out = A_h @ x @ A_w^T
    (in 2-D), gi = A_h^T @ g @ A_w, as one contraction per axis with PyTorch's
    interpolation matrices as constants. Dense: out_w * in_w + out_h * in_w *
    in_h / out_w multiply-adds per output element in 2-D where PyTorch's kernel
    touches 2-4 inputs (the cost model counts what runs: for 2x upsampling of
    64x64 maps, about 100 per input element)."""
    if g.dt != 'f32':
        raise E.ExportError('%s of %s is not supported' % (node.target, g.dt))
    h = hint(node)
    mats = _axis_matrices(em, node, h, list(input_size[2:]), list(g.shape[2:]), forward,
                          align_corners, scales)
    return _contract_axes(em, h, g, mats, adjoint=True)


# Interpolations whose backward is _interpolation_backward: the 2-D forward op
# its matrices come from, and where align_corners (None: no such argument) and
# the scales sit in the backward's arguments.
_INTERPOLATIONS = {
    'aten.upsample_bilinear2d_backward.default': ('upsample_bilinear2d', 3, 4),
    'aten.upsample_bicubic2d_backward.default': ('upsample_bicubic2d', 3, 4),
    'aten._upsample_nearest_exact2d_backward.default': ('_upsample_nearest_exact2d', None, 3),
    'aten.upsample_linear1d_backward.default': ('upsample_bilinear2d', 3, 4),
    'aten.upsample_trilinear3d_backward.default': ('upsample_bilinear2d', 3, 4),
    'aten._upsample_nearest_exact1d_backward.default': ('_upsample_nearest_exact2d', None, 3),
    'aten._upsample_nearest_exact3d_backward.default': ('_upsample_nearest_exact2d', None, 3),
}


@handles(*_INTERPOLATIONS)
def upsample_interpolated_backward(em, node, a):
    import torch
    name, corners, scales = _INTERPOLATIONS[str(node.target)]
    forward = getattr(torch.ops.aten, name).default
    s = len(a[2]) - 2
    return _interpolation_backward(em, node, em.materialize(a[0], hint(node) + '_grad'),
                                   list(a[2]), forward,
                                   None if corners is None else bool(a[corners]),
                                   a[scales:scales + s])


@handles('aten.upsample_trilinear3d.default')
def upsample_trilinear3d(em, node, a):
    """Trilinear interpolation (PyTorch does not decompose it): one contraction
    per axis with PyTorch's interpolation matrices, as its backward."""
    import torch
    x = em.materialize(a[0], hint(node) + '_src')
    if x.dt != 'f32':
        raise E.ExportError('%s of %s is not supported' % (node.target, x.dt))
    shape, _ = meta(node)
    mats = _axis_matrices(em, node, hint(node), list(x.shape[2:]), list(shape[2:]),
                          torch.ops.aten.upsample_bilinear2d.default, bool(a[2]), a[3:6])
    return _contract_axes(em, hint(node), x, mats, adjoint=False)


@handles('aten.adaptive_max_pool2d.default')
def adaptive_max_pool2d(em, node, a):
    """Adaptive max pooling whose windows do not divide the input (PyTorch's
    decomposition takes the others): output (i, j) is the first maximum, in
    row-major order, of rows floor(i*H/OH) .. ceil((i+1)*H/OH) and the same for
    columns, with its flat index over H x W. A dense reduction over the input
    positions, masked to each output's window (H*W*OH*OW compares, counted so)."""
    x = em.materialize(a[0], hint(node) + '_src')
    if x.dt != 'f32' or len(x.shape) != 4:
        raise E.ExportError('aten.adaptive_max_pool2d of %s %s is not supported'
                            % (x.dt, x.shape))
    shape, _ = meta(node, 0)
    hh, ww = x.shape[2:]
    oh, ow = shape[2:]
    h = hint(node)
    vinit = em.filled(-math.inf, shape, 'f32', h + '_vacc')
    iinit = em.filled(0, shape, 'i64', h + '_iacc')

    def inside(b, o, pos, size, out):
        """pos in [floor(o*size/out), ceil((o+1)*size/out))."""
        scaled = b.op('arith.muli %s, %s' % (o, b.const(size, 'index')), 'index')
        lo = b.op('arith.divui %s, %s' % (scaled, b.const(out, 'index')), 'index')
        hi = b.op('arith.divui %s, %s' % (b.op('arith.addi %s, %s' % (
            scaled, b.const(size + out - 1, 'index')), 'index'), b.const(out, 'index')),
            'index')
        return b.op('arith.andi %s, %s' % (b.op('arith.cmpi uge, %s, %s' % (pos, lo), 'index'),
                                           b.op('arith.cmpi ult, %s, %s' % (pos, hi), 'index')),
                    'i1')

    def body(b):
        within = b.op('arith.andi %s, %s' % (inside(b, b.index(2), b.index(4), hh, oh),
                                             inside(b, b.index(3), b.index(5), ww, ow)), 'i1')
        gt = b.op('arith.cmpf ogt, %s, %s' % (b.ins[0], b.outs[0]), 'f32')
        take = b.op('arith.andi %s, %s' % (within, gt), 'i1')
        at = _flat_input_index(b, [b.index(4), b.index(5)], (None, ww))
        return [b.op('arith.select %s, %s, %s' % (take, b.ins[0], b.outs[0]), 'f32'),
                b.op('arith.select %s, %s, %s' % (take, at, b.outs[1]), 'i64')]
    return tuple(em.generic(h, 6, ['parallel'] * 4 + ['reduction'] * 2,
                            [(x, ['d0', 'd1', 'd4', 'd5'])],
                            [(shape, 'f32', ident(4), vinit), (shape, 'i64', ident(4), iinit)],
                            body))


@handles('aten.adaptive_max_pool2d_backward.default')
def adaptive_max_pool2d_backward(em, node, a):
    """Each output's gradient goes to the input position its index names (flat
    over H x W): a dense reduction over the outputs, H*W*OH*OW compares (cheap
    for the usual global pooling, OH = OW = 1)."""
    g = em.materialize(a[0], hint(node) + '_grad')
    idx = em.materialize(a[2], hint(node) + '_indices')
    shape, dt = meta(node)
    width = shape[-1]
    init = em.filled(0.0, shape, dt, hint(node) + '_acc')
    outer = ['d0', 'd1', 'd4', 'd5']

    def body(b):
        flat = b.op('arith.addi %s, %s' % (b.op('arith.muli %s, %s' % (
            b.index(2), b.const(width, 'index')), 'index'), b.index(3)), 'index')
        at = b.op('arith.index_cast %s' % flat, 'index to i64')
        hit = b.op('arith.cmpi eq, %s, %s' % (b.ins[1], at), 'i64')
        return [b.op('arith.select %s, %s, %s' % (
            hit, b.op('arith.addf %s, %s' % (b.ins[0], b.outs[0]), dt), b.outs[0]), dt)]
    return em.generic(hint(node), 6, ['parallel'] * 4 + ['reduction'] * 2,
                      [(g, outer), (idx, outer)], [(shape, dt, ident(4), init)], body)[0]


@handles('aten.flip.default')
def flip(em, node, a):
    x = em.materialize(a[0], hint(node) + '_src')
    rank = len(x.shape)
    dims = norm_dims(a[1], rank)
    exprs = ['-d%d + %d' % (i, x.shape[i] - 1) if i in dims else 'd%d' % i for i in range(rank)]
    return em.generic(hint(node), rank, ['parallel'] * rank, [(x, exprs)],
                      [(x.shape, x.dt, ident(rank), None)], lambda b: [b.ins[0]])[0]


def _running(em, node, x, dim, outs, step):
    """A running reduction along `dim` (linalg has no scan): a reduction over a
    second index k (the last loop) in which out[..., i, ...] takes step(b), its
    accumulators' next values from x[..., k, ...], only for k <= i; n^2/2
    steps, counted so. outs: [(dt, init)], each of x's shape."""
    rank = len(x.shape)
    exprs = ['d%d' % (rank if i == dim else i) for i in range(rank)]

    def body(b):
        upto = b.op('arith.cmpi ule, %s, %s' % (b.index(rank), b.index(dim)), 'index')
        return [b.op('arith.select %s, %s, %s' % (upto, new, old), dt)
                for new, old, (dt, _) in zip(step(b), b.outs, outs)]
    return em.generic(hint(node), rank + 1, ['parallel'] * rank + ['reduction'], [(x, exprs)],
                      [(x.shape, dt, ident(rank), init) for dt, init in outs], body)


@handles('aten.cumsum.default', 'aten.cumprod.default')
def cumsum(em, node, a):
    """out[..., i, ...] = sum (product) over k <= i of x[..., k, ...]: a
    reduction over a second index k (linalg has no scan; its cost is the n^2/2
    additions or multiplications it runs)."""
    x = em.materialize(a[0], hint(node) + '_src')
    shape, dt = meta(node)
    rank = len(x.shape)
    dim = a[1] % rank
    name = str(node.target).split('.')[1]
    if dt not in ('f32', 'i64'):
        raise E.ExportError('aten.%s to %s is not supported' % (name, dt))
    unit = 1 if name == 'cumprod' else 0
    init = em.filled(float(unit) if dt == 'f32' else unit, shape, dt, hint(node) + '_acc')
    op = {'cumsum': 'add', 'cumprod': 'mul'}[name] + ('f' if dt == 'f32' else 'i')
    return _running(em, node, x, dim, [(dt, init)], lambda b: [b.op('arith.%s %s, %s' % (
        op, b.cast(b.ins[0], x.dt, dt), b.outs[0]), dt)])[0]


@handles('aten.logcumsumexp.default')
def logcumsumexp(em, node, a):
    """out[..., i, ...] = log(sum over k <= i of exp(x[..., k, ...])): cumsum's
    reduction over k <= i, accumulating in log space from -inf with a
    log-add-exp, max(acc, v) + log1p(exp(min - max)), as PyTorch's scan does
    (no overflow where exp(x) would; -inf where every term is)."""
    x = em.materialize(a[0], hint(node) + '_src')
    shape, dt = meta(node)
    rank = len(x.shape)
    dim = a[1] % rank
    if dt != 'f32':
        raise E.ExportError('aten.logcumsumexp to %s is not supported' % dt)
    init = em.filled(-math.inf, shape, dt, hint(node) + '_acc')

    def step(b):
        acc = b.outs[0]
        hi = b.op('arith.maximumf %s, %s' % (acc, b.ins[0]), 'f32')
        lo = b.op('arith.minimumf %s, %s' % (acc, b.ins[0]), 'f32')
        gap = b.op('arith.subf %s, %s' % (lo, hi), 'f32')
        added = b.op('arith.addf %s, %s' % (hi, b.op('math.log1p %s' % b.op(
            'math.exp %s' % gap, 'f32'), 'f32')), 'f32')
        # Both the same infinity (-inf: nothing yet, or -inf terms), where
        # min - max is NaN: that infinity, as PyTorch's _log_add_exp_helper.
        same = b.op('arith.cmpf oeq, %s, %s' % (lo, hi), 'f32')
        infinite = b.op('arith.cmpf oeq, %s, %s' % (b.op('math.absf %s' % lo, 'f32'),
                                                    b.const(math.inf, 'f32')), 'f32')
        both = b.op('arith.andi %s, %s' % (same, infinite), 'i1')
        return [b.op('arith.select %s, %s, %s' % (both, hi, added), 'f32')]
    return _running(em, node, x, dim, [(dt, init)], step)[0]


@handles('aten.cummax.default', 'aten.cummin.default')
def cummax(em, node, a):
    """(values, indices) of the running max (min) along a dimension: cumsum's
    reduction over k <= i with PyTorch's rule, an element taken where it is NaN
    or, the running value not NaN, at least as large (small): ties go to the
    latest index, NaN propagates. f32."""
    x = em.materialize(a[0], hint(node) + '_src')
    shape, dt = meta(node, 0)
    rank = len(x.shape)
    dim = a[1] % rank
    big = 'cummax' in str(node.target)
    if dt != 'f32':
        raise E.ExportError('%s of %s is not supported' % (node.target, dt))
    start = -math.inf if big else math.inf
    cmp = 'arith.cmpf %s' % ('oge' if big else 'ole')
    h = hint(node)
    vinit = em.filled(start, shape, dt, h + '_vacc')
    iinit = em.filled(0, shape, 'i64', h + '_iacc')

    def step(b):
        v, acc = b.ins[0], b.outs[0]
        take = b.op('%s, %s, %s' % (cmp, v, acc), dt)
        nan = b.op('arith.cmpf uno, %s, %s' % (v, v), 'f32')
        was_nan = b.op('arith.cmpf uno, %s, %s' % (acc, acc), 'f32')
        not_nan = b.op('arith.xori %s, %s' % (was_nan, b.const(True, 'i1')), 'i1')
        take = b.op('arith.ori %s, %s' % (nan, b.op(
            'arith.andi %s, %s' % (not_nan, take), 'i1')), 'i1')
        at = b.op('arith.index_cast %s' % b.index(rank), 'index to i64')
        return [b.op('arith.select %s, %s, %s' % (take, v, acc), dt),
                b.op('arith.select %s, %s, %s' % (take, at, b.outs[1]), 'i64')]
    return tuple(_running(em, node, x, dim, [(dt, vinit), ('i64', iinit)], step))


@handles('aten.var_mean.correction', 'aten.var.correction')
def var_mean(em, node, a):
    x = a[0]
    dims = norm_dims(a.get(1, 'dim'), len(x.shape))
    corr = node.kwargs.get('correction', 1)
    corr = 1 if corr is None else corr
    keep = bool(node.kwargs.get('keepdim', False))
    n = math.prod(x.shape[d] for d in dims)
    two = str(node.target) == 'aten.var_mean.correction'
    m_keep = _mean_keep(em, node, x, dims, n)
    var = reduce(em, node, x, dims, keep, 'sum', out_index=0 if two else None,
                 scale=1.0 / max(n - corr, 1), extra_in=m_keep)
    if not two:
        return var
    mshape, _ = meta(node, 1)
    return var, em.reshape(m_keep, mshape, hint(node) + '_mean')


def _mean_keep(em, node, x, dims, n):
    rank = len(x.shape)
    kept = [i for i in range(rank) if i not in dims]
    red_shape = tuple(x.shape[i] for i in kept)
    init = em.filled(0.0, red_shape, 'f32', hint(node) + '_mean_acc')
    iters = ['reduction' if i in dims else 'parallel' for i in range(rank)]
    m = em.generic(hint(node) + '_mean', rank, iters, [(x, ident(rank))],
                   [(red_shape, 'f32', kept, init)],
                   lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
                       b.ins[0], b.const(1.0 / n, 'f32')), 'f32'), b.outs[0]), 'f32')])[0]
    keep_shape = tuple(1 if i in dims else d for i, d in enumerate(x.shape))
    return em.reshape(m, keep_shape, hint(node) + '_mean_keep')


# ---- contractions ----

def contraction(em, node, x, y, init, batched):
    """x @ y (batched: [B,M,K] @ [B,K,N]) accumulated into `init`."""
    if not x.lazy and not y.lazy:
        op = 'linalg.batch_matmul' if batched else 'linalg.matmul'
        name = em.fresh(hint(node))
        em.emit('%s = %s ins(%s, %s : %s, %s) outs(%s : %s) -> %s' % (
            name, op, x.name, y.name, x.type, y.type, init.name, init.type, init.type))
        return E.Val(name, init.shape, init.dt)
    if batched:
        rank, xe, ye, oe = 4, [0, 1, 3], [0, 3, 2], [0, 1, 2]
    else:
        rank, xe, ye, oe = 3, [0, 2], [2, 1], [0, 1]
    iters = ['parallel'] * (rank - 1) + ['reduction']
    return em.generic(hint(node), rank, iters, [(x, xe), (y, ye)],
                      [(init.shape, init.dt, oe, init)],
                      lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
                          b.ins[0], b.ins[1]), 'f32'), b.outs[0]), 'f32')])[0]


@handles('aten._trilinear.default')
def trilinear(em, node, a):
    """nn.Bilinear's op (and its backward's): each input unsqueezed at its
    `expand` dims to one rank, multiplied (broadcasting size-1 dims) and summed
    over `sumdim`, which the result drops. One generic over all the dims."""
    shape, dt = meta(node)
    ins = [em.materialize(a[k], hint(node) + '_in%d' % k) for k in range(3)]
    expands, sumdim = [list(a[3]), list(a[4]), list(a[5])], set(a[6])
    if any(v.dt != 'f32' for v in ins):
        raise E.ExportError('aten._trilinear of %s is not supported'
                            % ', '.join(v.dt for v in ins))
    rank = len(ins[0].shape) + len(expands[0])
    sizes = [1] * rank
    operands = []
    for v, expand in zip(ins, expands):
        own = [d for d in range(rank) if d not in expand]
        for d, size in zip(own, v.shape):
            sizes[d] = max(sizes[d], size)
        operands.append((v, own))
    # A size-1 dim of one input against a larger one: broadcast (index 0).
    ins_exprs = [(v, [d if v.shape[i] == sizes[d] else None for i, d in enumerate(own)])
                 for v, own in operands]
    kept = [d for d in range(rank) if d not in sumdim]
    if tuple(sizes[d] for d in kept) != tuple(shape):
        raise E.ExportError('aten._trilinear: result %s where %s was expected'
                            % (tuple(sizes[d] for d in kept), tuple(shape)))
    init = em.filled(0.0, shape, dt, hint(node) + '_acc')
    iters = ['reduction' if d in sumdim else 'parallel' for d in range(rank)]

    def body(b):
        product = b.op('arith.mulf %s, %s' % (b.ins[0], b.ins[1]), 'f32')
        product = b.op('arith.mulf %s, %s' % (product, b.ins[2]), 'f32')
        return [b.op('arith.addf %s, %s' % (product, b.outs[0]), 'f32')]
    return em.generic(hint(node), rank, iters, ins_exprs, [(shape, dt, kept, init)], body)[0]


@handles('aten.mm.default', 'aten.bmm.default')
def mm(em, node, a):
    shape, dt = meta(node)
    init = em.filled(0.0, shape, dt, hint(node) + '_acc')
    return contraction(em, node, a[0], a[1], init, 'bmm' in str(node.target))


def broadcast_to(em, v, shape, h):
    rank = len(shape)
    return em.generic(h, rank, ['parallel'] * rank,
                      [(v, E.broadcast_exprs(v.shape, rank, shape))],
                      [(shape, v.dt, ident(rank), None)], lambda b: [b.ins[0]])[0]


@handles('aten.addmm.default')
def addmm(em, node, a):
    if node.kwargs.get('beta', 1) != 1 or node.kwargs.get('alpha', 1) != 1:
        raise E.ExportError('aten.addmm with beta/alpha != 1 is not supported')
    shape, _ = meta(node)
    init = broadcast_to(em, a[0], shape, hint(node) + '_bias')
    return contraction(em, node, a[1], a[2], init, False)


# ---- convolutions ----

def _ints(v):
    return 'dense<[%s]> : tensor<2xi64>' % ', '.join(map(str, v))


def _conv_generic(em, h, x, w, init, stride, dilation, groups):
    """Convolution of (padded) x [N, C, *S] with w [F, C/g, *K] into init [N, F, *O]
    as one linalg.generic over (n, g, f/g, *O, c/g, *K): any spatial rank (linalg
    has no grouped 3-D named convolution)."""
    s = len(x.shape) - 2
    g = groups
    n, c = x.shape[:2]
    f = w.shape[0]
    xg = em.reshape(x, (n, g, c // g) + tuple(x.shape[2:]), h + '_xg')
    wg = em.reshape(w, (g, f // g) + tuple(w.shape[1:]), h + '_wg')
    og = em.reshape(init, (init.shape[0], g, f // g) + tuple(init.shape[2:]), h + '_og')
    # dims: 0 n, 1 g, 2 f/g, 3..3+s-1 the output's, 3+s c/g, 4+s.. the kernel's
    xe = ['d0', 'd1', 'd%d' % (3 + s)] + [
        'd%d * %d + d%d * %d' % (3 + i, stride[i], 4 + s + i, dilation[i]) for i in range(s)]
    we = ['d1', 'd2', 'd%d' % (3 + s)] + ['d%d' % (4 + s + i) for i in range(s)]
    y = em.generic(h + '_g', 4 + 2 * s, ['parallel'] * (3 + s) + ['reduction'] * (1 + s),
                   [(xg, xe), (wg, we)], [(og.shape, init.dt, ident(3 + s), og)],
                   lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
                       b.ins[0], b.ins[1]), 'f32'), b.outs[0]), 'f32')])[0]
    return em.reshape(y, init.shape, h)


def conv2d(em, h, x, w, init, stride, dilation, groups):
    """Named linalg convolution of (padded) x [N,C,H,W] with w [F,C/g,KH,KW] into init;
    other spatial ranks (3-D) as a linalg.generic (_conv_generic)."""
    if len(x.shape) != 4:
        return _conv_generic(em, h, x, w, init, stride, dilation, groups)
    attrs = '{dilations = %s, strides = %s}' % (_ints(dilation), _ints(stride))
    if groups == 1:
        name = em.fresh(h)
        em.emit('%s = linalg.conv_2d_nchw_fchw %s ins(%s, %s : %s, %s) outs(%s : %s) -> %s' % (
            name, attrs, x.name, w.name, x.type, w.type, init.name, init.type, init.type))
        return E.Val(name, init.shape, init.dt)
    g = groups
    n, c, hh, ww = x.shape
    f = w.shape[0]
    x5 = em.reshape(x, (n, g, c // g, hh, ww), h + '_xg')
    w5 = em.reshape(w, (g, f // g) + tuple(w.shape[1:]), h + '_wg')
    o5 = em.reshape(init, (init.shape[0], g, f // g) + tuple(init.shape[2:]), h + '_og')
    name = em.fresh(h + '_g')
    em.emit('%s = linalg.conv_2d_ngchw_gfchw %s ins(%s, %s : %s, %s) outs(%s : %s) -> %s' % (
        name, attrs, x5.name, w5.name, x5.type, w5.type, o5.name, o5.type, o5.type))
    return em.reshape(E.Val(name, o5.shape, init.dt), init.shape, h)


def _height_one(em, h, v):
    """A 1-D convolution's [N, C, L] tensor as the 2-D [N, C, 1, L]."""
    return em.reshape(v, tuple(v.shape[:2]) + (1,) + tuple(v.shape[2:]), h)


def _conv_params(em, node, rank, stride, padding, dilation):
    """stride, padding, dilation as lists of the spatial rank; a 1-D convolution
    (rank 3) is a 2-D one of height 1."""
    if rank == 3:
        return [1, stride[0]], [0, padding[0]], [1, dilation[0]]
    if rank not in (4, 5):
        raise E.ExportError('%s: only 1-D, 2-D and 3-D convolutions are supported'
                            % node.target)
    s = rank - 2
    return _spread(stride, s), _spread(padding, s), _spread(dilation, s)


@handles('aten.convolution.default')
def convolution(em, node, a):
    x, w, bias = em.materialize(a[0]), em.materialize(a[1]), a[2]
    rank = len(x.shape)
    stride, padding, dilation = _conv_params(em, node, rank, a[3], a[4], a[5])
    groups = a[8]
    shape, dt = meta(node)
    h = hint(node)
    if rank == 3:
        x, w = _height_one(em, h + '_x2d', x), _height_one(em, h + '_w2d', w)
        y = _convolution2d(em, node, x, w, bias, (shape[0], shape[1], 1, shape[2]), dt,
                           stride, padding, dilation, a[6], groups)
        return em.reshape(y, shape, h)
    return _convolution2d(em, node, x, w, bias, shape, dt, stride, padding, dilation, a[6],
                          groups)


def _convolution2d(em, node, x, w, bias, shape, dt, stride, padding, dilation, transposed,
                   groups):
    if transposed:
        return _conv_transpose(em, node, x, w, bias, shape, stride, padding, dilation, groups)
    xp = pad(em, hint(node) + '_pad', x, [0, 0] + padding, [0, 0] + padding, 0.0)
    if bias is not None:
        init = broadcast_to(em, _bias_chw(bias, len(shape) - 2), shape, hint(node) + '_bias')
    else:
        init = em.filled(0.0, shape, dt, hint(node) + '_acc')
    return conv2d(em, hint(node), xp, w, init, stride, dilation, groups)


def _bias_chw(bias, spatial=2):
    """bias [F] viewed as [F,1,1] (one 1 per spatial dim) for broadcasting over
    NCHW (NCDHW)."""
    return E.lazy_view(bias, (bias.shape[0],) + (1,) * spatial, [0])


def _conv_transpose(em, node, x, w, bias, shape, stride, padding, dilation, groups):
    """A transposed convolution is the input gradient of the convolution with the
    same weights (w [Cin, Cout/g, KH, KW] read as [F, C/g, KH, KW]), groups
    included."""
    y = _conv_grad_input(em, hint(node), x, w, shape, stride, padding, dilation, groups)
    if bias is None:
        return y
    rank = len(shape)
    return em.generic(hint(node) + '_bias', rank, ['parallel'] * rank,
                      [(y, ident(rank)), (bias, [1])], [(shape, 'f32', ident(rank), None)],
                      lambda b: [b.op('arith.addf %s, %s' % (b.ins[0], b.ins[1]), 'f32')])[0]


@handles('aten.convolution_backward.default')
def convolution_backward(em, node, a):
    g, x, w = em.materialize(a[0]), em.materialize(a[1]), em.materialize(a[2])
    rank = len(x.shape)
    stride, padding, dilation = _conv_params(em, node, rank, a[4], a[5], a[6])
    if rank == 3:
        h = hint(node)
        xs, ws = x.shape, w.shape
        g, x, w = (_height_one(em, h + '_g2d', g), _height_one(em, h + '_x2d', x),
                   _height_one(em, h + '_w2d', w))
        results = _convolution_backward2d(em, node, g, x, w, stride, padding, dilation,
                                          a[7], a[9], a[10])
        return tuple(r if r is None or i == 2 else em.reshape(r, (xs, ws)[i], h + '_1d')
                     for i, r in enumerate(results))
    return _convolution_backward2d(em, node, g, x, w, stride, padding, dilation, a[7], a[9],
                                   a[10])


def _convolution_backward2d(em, node, g, x, w, stride, padding, dilation, transposed, groups,
                            mask):
    if transposed:
        return _conv_transpose_backward(em, node, g, x, w, stride, padding, dilation, groups, mask)
    h = hint(node)
    results = [None, None, None]
    if mask[0]:
        results[0] = _conv_grad_input(em, h, g, w, x.shape, stride, padding, dilation, groups)
    if mask[1]:
        results[1] = _conv_grad_weight(em, h, g, x, w.shape, stride, padding, dilation, groups)
    if mask[2]:
        results[2] = _reduce_dims(em, h + '_gb', g, [0] + list(range(2, len(g.shape))))
    return tuple(results)


def _conv_transpose_backward(em, node, g, x, w, stride, padding, dilation, groups, mask):
    """Of y = conv_transpose(x, w): dx is the convolution of g with w, dw the
    weight gradient of that convolution with the roles of x and g swapped (with
    the same groups)."""
    h = hint(node)
    results = [None, None, None]
    if mask[0]:
        gp = pad(em, h + '_gpad', g, [0, 0] + list(padding), [0, 0] + list(padding), 0.0)
        init = em.filled(0.0, x.shape, 'f32', h + '_gi_acc')
        results[0] = conv2d(em, h + '_gi', gp, w, init, stride, dilation, groups)
    if mask[1]:
        results[1] = _conv_grad_weight(em, h, x, g, w.shape, stride, padding, dilation,
                                       groups)
    if mask[2]:
        results[2] = _reduce_dims(em, h + '_gb', g, [0] + list(range(2, len(g.shape))))
    return tuple(results)


def _reduce_dims(em, h, x, dims):
    rank = len(x.shape)
    kept = [i for i in range(rank) if i not in dims]
    shape = tuple(x.shape[i] for i in kept)
    init = em.filled(0.0, shape, 'f32', h + '_acc')
    iters = ['reduction' if i in dims else 'parallel' for i in range(rank)]
    return em.generic(h, rank, iters, [(x, ident(rank))], [(shape, 'f32', kept, init)],
                      lambda b: [b.op('arith.addf %s, %s' % (b.ins[0], b.outs[0]), 'f32')])[0]


def _conv_grad_input(em, h, g, w, xshape, stride, padding, dilation, groups):
    """A stride-1 convolution of g, dilated by the stride and padded, with the
    spatially flipped, in/out-swapped weights (any spatial rank)."""
    n, c = xshape[:2]
    f, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    s = len(kernel)
    low = [dilation[i] * (k - 1) - padding[i] for i, k in enumerate(kernel)]
    if min(low) < 0:
        raise E.ExportError('aten.convolution_backward: padding larger than the dilated '
                            'kernel extent is not supported')
    size = [xshape[2 + i] + dilation[i] * (kernel[i] - 1) for i in range(s)]
    gz = em.filled(0.0, (n, f) + tuple(size), 'f32', h + '_gdil')
    gd = _insert(em, h + '_gdil', g, gz, 0, 0, 1, offsets=[0, 0] + low,
                 strides=[1, 1] + list(stride))
    gr = groups
    # Flipped weights: [G, C/G, F/G, *K] from w viewed as [G, F/G, C/G, *K].
    wg = em.reshape(w, (gr, f // gr, cg) + kernel, h + '_wg')
    wt = em.generic(h + '_wflip', 3 + s, ['parallel'] * (3 + s),
                    [(wg, ['d0', 'd2', 'd1'] + ['-d%d + %d' % (3 + i, k - 1)
                                               for i, k in enumerate(kernel)])],
                    [((gr, cg, f // gr) + kernel, 'f32', ident(3 + s), None)],
                    lambda b: [b.ins[0]])[0]
    wt4 = em.reshape(wt, (c, f // gr) + kernel, h + '_wflip4')
    init = em.filled(0.0, xshape, 'f32', h + '_gi_acc')
    return conv2d(em, h + '_gi', gd, wt4, init, [1] * s, dilation, groups)


def _conv_grad_weight(em, h, g, x, wshape, stride, padding, dilation, groups):
    """gw[g,fo,ci,*k] = sum_{n,*o} g[n,g,fo,*o] * xpad[n,g,ci,*(o*s+k*d)] (any
    spatial rank)."""
    n, c = x.shape[:2]
    f, cg = wshape[:2]
    kernel = tuple(wshape[2:])
    s = len(kernel)
    out = tuple(g.shape[2:])
    gr = groups
    xp = pad(em, h + '_xpad', x, [0, 0] + list(padding), [0, 0] + list(padding), 0.0)
    xg = em.reshape(xp, (n, gr, cg) + xp.shape[2:], h + '_xg')
    gg = em.reshape(g, (n, gr, f // gr) + out, h + '_gg')
    shape = (gr, f // gr, cg) + kernel
    init = em.filled(0.0, shape, 'f32', h + '_gw_acc')
    # dims: 0 g, 1 fo, 2 ci, 3..3+s-1 the kernel's, 3+s n, 4+s.. the output's
    xe = ['d%d' % (3 + s), 'd0', 'd2'] + [
        'd%d * %d + d%d * %d' % (4 + s + i, stride[i], 3 + i, dilation[i]) for i in range(s)]
    ge = ['d%d' % (3 + s), 'd0', 'd1'] + ['d%d' % (4 + s + i) for i in range(s)]
    gw = em.generic(h + '_gw', 4 + 2 * s, ['parallel'] * (3 + s) + ['reduction'] * (1 + s),
                    [(xg, xe), (gg, ge)], [(shape, 'f32', ident(3 + s), init)],
                    lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
                        b.ins[0], b.ins[1]), 'f32'), b.outs[0]), 'f32')])[0]
    return em.reshape(gw, wshape, h + '_gw4')


# ---- pooling ----

def _spread(v, s):
    """A pooling or convolution parameter as a list of the spatial rank `s`."""
    return list(v) * s if len(v) == 1 else list(v)


def _pool_geometry(a, x, out_shape):
    s = len(x.shape) - 2
    k = _spread(a[1], s)
    stride = _spread(a[2], s) if a[2] else list(k)
    padding = _spread(a[3], s) if len(a) > 3 and a[3] else [0] * s
    dilation = _spread(a[4], s) if len(a) > 4 and a[4] else [1] * s
    out = out_shape[2:]
    need = [(o - 1) * st + d * (kk - 1) + 1 for o, st, d, kk in zip(out, stride, dilation, k)]
    high = [max(p, nd - hw - p) for p, nd, hw in zip(padding, need, x.shape[2:])]
    return k, stride, padding, dilation, high


def _window(em, k, h):
    """The shape-only window operand of a pooling generic (as linalg's named
    pooling ops take), so that the loop bounds of the window dims are known."""
    return E.Val(em.empty(tuple(k), 'f32', h + '_window'), tuple(k), 'f32')


def _window_index(b, oi, ki, stride, dilation, pad_):
    """Unpadded input coordinate of window position (oi, ki), as index."""
    o = b.op('arith.muli %s, %s' % (oi, b.const(stride, 'index')), 'index')
    kk = b.op('arith.muli %s, %s' % (ki, b.const(dilation, 'index')), 'index')
    s = b.op('arith.addi %s, %s' % (o, kk), 'index')
    return b.op('arith.subi %s, %s' % (s, b.const(pad_, 'index')), 'index')


@handles('aten.max_pool2d_with_indices.default', 'aten.max_pool3d_with_indices.default')
def max_pool(em, node, a):
    """Max pooling over 2 or 3 spatial dims; the index is PyTorch's, flat over
    the unpadded spatial dims of each (n, c) plane."""
    x = em.materialize(a[0])
    shape, _ = meta(node, 0)
    k, stride, padding, dilation, high = _pool_geometry(a, x, shape)
    s = len(k)
    xp = pad(em, hint(node) + '_pad', x, [0, 0] + padding, [0, 0] + high, -math.inf)
    vinit = em.filled(-math.inf, shape, 'f32', hint(node) + '_vacc')
    iinit = em.filled(0, shape, 'i64', hint(node) + '_iacc')
    # dims: 0 n, 1 c, 2..2+s-1 the output's, 2+s.. the window's
    xe = ['d0', 'd1'] + ['d%d * %d + d%d * %d' % (2 + i, stride[i], 2 + s + i, dilation[i])
                         for i in range(s)]

    def body(b):
        coords = [_window_index(b, b.index(2 + i), b.index(2 + s + i), stride[i], dilation[i],
                                padding[i]) for i in range(s)]
        fi = _flat_input_index(b, coords, x.shape[2:])
        gt = b.op('arith.cmpf ogt, %s, %s' % (b.ins[0], b.outs[0]), 'f32')
        return [b.op('arith.select %s, %s, %s' % (gt, b.ins[0], b.outs[0]), 'f32'),
                b.op('arith.select %s, %s, %s' % (gt, fi, b.outs[1]), 'i64')]
    vals = em.generic(hint(node), 2 + 2 * s, ['parallel'] * (2 + s) + ['reduction'] * s,
                      [(xp, xe), (_window(em, k, hint(node)), [2 + s + i for i in range(s)])],
                      [(shape, 'f32', ident(2 + s), vinit), (shape, 'i64', ident(2 + s), iinit)],
                      body)
    return tuple(vals)


@handles('aten.max_pool2d_with_indices_backward.default',
         'aten.max_pool3d_with_indices_backward.default')
def max_pool_backward(em, node, a):
    g, x, idx = em.materialize(a[0]), em.materialize(a[1]), em.materialize(a[7])
    k, stride, padding, dilation, high = _pool_geometry(a[1:], x, g.shape)
    s = len(k)
    if (k == stride and not any(padding) and dilation == [1] * s
            and tuple(x.shape[2:]) == tuple(o * kk for o, kk in zip(g.shape[2:], k))):
        return _max_pool_backward_tiled(em, hint(node), g, idx, x.shape, k)
    return _max_pool_backward_windows(em, hint(node), g, idx, x.shape, k, stride, padding,
                                      dilation, high)


def _flat_input_index(b, coords, sizes):
    """PyTorch's flat index of spatial coordinates `coords` in a plane of
    `sizes`, as i64."""
    flat = coords[0]
    for coord, size in zip(coords[1:], sizes[1:]):
        flat = b.op('arith.addi %s, %s' % (b.op('arith.muli %s, %s' % (
            flat, b.const(size, 'index')), 'index'), coord), 'index')
    return b.op('arith.index_cast %s' % flat, 'index to i64')


def _max_pool_backward_tiled(em, h, g, idx, xshape, k):
    """Non-overlapping windows: the input gradient viewed as [N,C,O0,K0,O1,K1,...]
    is one parallel generic (then a collapse_shape)."""
    n, c = xshape[:2]
    out = g.shape[2:]
    s = len(k)
    shape = (n, c) + tuple(x for o, kk in zip(out, k) for x in (o, kk))

    def body(b):
        coords = [b.op('arith.addi %s, %s' % (b.op('arith.muli %s, %s' % (
            b.index(2 + 2 * i), b.const(k[i], 'index')), 'index'), b.index(3 + 2 * i)),
            'index') for i in range(s)]
        eq = b.op('arith.cmpi eq, %s, %s' % (b.ins[1], _flat_input_index(b, coords, xshape[2:])),
                  'i64')
        return [b.op('arith.select %s, %s, %s' % (eq, b.ins[0], b.const(0.0, 'f32')), 'f32')]
    outer = [0, 1] + [2 + 2 * i for i in range(s)]
    gi = em.generic(h + '_tiles', 2 + 2 * s, ['parallel'] * (2 + 2 * s),
                    [(g, outer), (idx, outer)], [(shape, 'f32', ident(2 + 2 * s), None)],
                    body)[0]
    return em.reshape(gi, xshape, h)


def _max_pool_backward_windows(em, h, g, idx, xshape, k, stride, padding, dilation, high):
    """Overlapping windows: per window offset, the window gradients whose argmax
    sits at that offset, placed (strided) into a zero padded tensor and added up.
    Each step makes new tensors, so no buffer is read and then updated in place."""
    s = len(k)
    rank = 2 + s
    padded = tuple(xshape[:2]) + tuple(d + p + q for d, p, q in zip(xshape[2:], padding, high))
    acc = None
    for offset in itertools.product(*(range(kk) for kk in k)):
        def body(b, offset=offset):
            coords = [_window_index(b, b.index(2 + i), b.const(offset[i], 'index'), stride[i],
                                    dilation[i], padding[i]) for i in range(s)]
            eq = b.op('arith.cmpi eq, %s, %s' % (b.ins[1], _flat_input_index(b, coords,
                                                                              xshape[2:])),
                      'i64')
            return [b.op('arith.select %s, %s, %s' % (eq, b.ins[0], b.const(0.0, 'f32')),
                         'f32')]
        part = em.generic(h + '_win', rank, ['parallel'] * rank,
                          [(g, ident(rank)), (idx, ident(rank))],
                          [(g.shape, 'f32', ident(rank), None)], body)[0]
        zeros = em.filled(0.0, padded, 'f32', h + '_place')
        placed = _insert(em, h + '_place', part, zeros, 0, 0, 1,
                         offsets=[0, 0] + [o * d for o, d in zip(offset, dilation)],
                         strides=[1, 1] + list(stride))
        if acc is None:
            acc = placed
            continue
        acc = em.generic(h + '_sum', rank, ['parallel'] * rank,
                         [(acc, ident(rank)), (placed, ident(rank))],
                         [(padded, 'f32', ident(rank), None)],
                         lambda b: [b.op('arith.addf %s, %s' % (b.ins[0], b.ins[1]), 'f32')])[0]
    if padded == tuple(xshape):
        return acc
    out = em.fresh(h)
    em.emit('%s = tensor.extract_slice %s[%s] [%s] [%s] : %s to %s' % (
        out, acc.name, ', '.join(map(str, [0, 0] + list(padding))),
        ', '.join(map(str, xshape)), ', '.join(['1'] * rank), acc.type,
        E.tensor_type(xshape, 'f32')))
    return E.Val(out, tuple(xshape), 'f32')


def _avg_params(x, args):
    """Kernel, stride and padding of avg_pool2d/3d (args from kernel_size on) as
    lists of the spatial rank."""
    s = len(x.shape) - 2
    k = _spread(args[0], s)
    stride = _spread(args[1], s) if args[1] else list(k)
    padding = _spread(args[2], s) if len(args) > 2 and args[2] else [0] * s
    return k, stride, padding


@handles('aten.avg_pool2d.default', 'aten.avg_pool3d.default')
def avg_pool(em, node, a):
    x = em.materialize(a[0])
    shape, _ = meta(node)
    k, stride, padding = _avg_params(x, a[1:])
    s = len(k)
    count_include_pad = a[5] if len(a) > 5 and a[5] is not None else True
    div = a[6] if len(a) > 6 else None
    size = tuple(x.shape[2:])
    need = [(o - 1) * st + kk for o, st, kk in zip(shape[2:], stride, k)]
    high = [max(0, nd - d - p) for nd, d, p in zip(need, size, padding)]
    xp = pad(em, hint(node) + '_pad', x, [0, 0] + padding, [0, 0] + high, 0.0)
    init = em.filled(0.0, shape, 'f32', hint(node) + '_acc')
    # dims: 0 n, 1 c, 2..2+s-1 the output's, 2+s.. the window's
    xe = ['d0', 'd1'] + ['d%d * %d + d%d' % (2 + i, stride[i], 2 + s + i) for i in range(s)]
    window = (_window(em, k, hint(node)), [2 + s + i for i in range(s)])
    iters = ['parallel'] * (2 + s) + ['reduction'] * s
    if not any(padding) and not any(high):
        scale = 1.0 / (div or math.prod(k))
        return em.generic(hint(node), 2 + 2 * s, iters, [(xp, xe), window],
                          [(shape, 'f32', ident(2 + s), init)],
                          lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
                              b.ins[0], b.const(scale, 'f32')), 'f32'), b.outs[0]), 'f32')])[0]
    _, divisor = _avg_windows(k, stride, padding, size, count_include_pad, div)
    return em.generic(hint(node), 2 + 2 * s, iters, [(xp, xe), window],
                      [(shape, 'f32', ident(2 + s), init)],
                      lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.divf %s, %s' % (
                          b.ins[0], divisor(b, *[b.index(2 + i) for i in range(s)])), 'f32'),
                          b.outs[0]), 'f32')])[0]


# ---- embedding and losses ----

@handles('aten.embedding.default')
def embedding(em, node, a):
    w, idx = em.materialize(a[0]), a[1]
    shape, dt = meta(node)
    r = len(idx.shape)

    def body(b):
        row = b.op('arith.index_cast %s' % b.ins[0], '%s to index' % idx.dt)
        return [b.op('tensor.extract %s[%s, %s]' % (w.name, row, b.index(r)), w.type)]
    # The table is read by tensor.extract in the payload (a gather); it is a
    # function argument, live for the whole step, so liveness is unaffected.
    return em.generic(hint(node), r + 1, ['parallel'] * (r + 1), [(idx, ident(r))],
                      [(shape, dt, ident(r + 1), None)], body)[0]


@handles('aten.embedding_dense_backward.default')
def embedding_backward(em, node, a):
    g, idx, padding_idx, scale = a[0], a[1], a[3], a[4]
    if scale:
        raise E.ExportError('aten.embedding_dense_backward with scale_grad_by_freq is not supported')
    shape, dt = meta(node)
    r = len(idx.shape)
    init = em.filled(0.0, shape, dt, hint(node) + '_acc')
    # dims: 0 row, 1 feature, 2.. the index positions
    ge = [2 + i for i in range(r)] + [1]
    ie = [2 + i for i in range(r)]

    def body(b):
        row = b.op('arith.index_cast %s' % b.index(0), 'index to %s' % idx.dt)
        hit = b.op('arith.cmpi eq, %s, %s' % (b.ins[1], row), idx.dt)
        if padding_idx is not None and padding_idx >= 0:
            keep = b.op('arith.cmpi ne, %s, %s' % (row, b.const(padding_idx, idx.dt)), idx.dt)
            hit = b.op('arith.andi %s, %s' % (hit, keep), 'i1')
        v = b.op('arith.select %s, %s, %s' % (hit, b.ins[0], b.const(0.0, 'f32')), 'f32')
        return [b.op('arith.addf %s, %s' % (v, b.outs[0]), 'f32')]
    # A scatter-add written as a dense reduction; its real cost is one add per
    # gradient element, which remat.flops records.
    return em.generic(hint(node), r + 2, ['parallel', 'parallel'] + ['reduction'] * r,
                      [(g, ge), (idx, ie)], [(shape, dt, [0, 1], init)], body,
                      attrs='remat.flops = %d : i64' % g.numel())[0]


def _target_hit(b, target, col_index_dim, ignore_index, tdt):
    col = b.op('arith.index_cast %s' % b.index(col_index_dim), 'index to %s' % tdt)
    hit = b.op('arith.cmpi eq, %s, %s' % (target, col), tdt)
    valid = b.op('arith.cmpi ne, %s, %s' % (target, b.const(ignore_index, tdt)), tdt)
    return b.op('arith.andi %s, %s' % (hit, valid), 'i1')


@handles('aten.nll_loss_forward.default')
def nll_loss_forward(em, node, a):
    x, t, weight, reduction, ignore = a[0], a[1], a[2], a[3], a[4]
    if reduction not in (1, 2):
        raise E.ExportError('aten.nll_loss_forward with reduction=none is not supported')
    h = hint(node)
    rank = len(x.shape)
    tot = em.filled(0.0, (), 'f32', h + '_sum')
    cnt = em.filled(0.0, (), 'f32', h + '_count')
    te = [0] if rank == 2 else []
    ins = [(x, ident(rank)), (t, te)]
    if weight is not None:      # class weights, read at the class index
        ins.append((em.materialize(weight, h + '_weight'), [rank - 1]))

    def body(b):
        hit = _target_hit(b, b.ins[1], rank - 1, ignore, t.dt)
        w = b.ins[2] if weight is not None else b.const(1.0, 'f32')
        nv = b.op('arith.negf %s' % b.ins[0], 'f32')
        if weight is not None:
            nv = b.op('arith.mulf %s, %s' % (nv, w), 'f32')
        v = b.op('arith.select %s, %s, %s' % (hit, nv, b.const(0.0, 'f32')), 'f32')
        one = b.op('arith.select %s, %s, %s' % (hit, w, b.const(0.0, 'f32')), 'f32')
        return [b.op('arith.addf %s, %s' % (v, b.outs[0]), 'f32'),
                b.op('arith.addf %s, %s' % (one, b.outs[1]), 'f32')]
    s, n = em.generic(h + '_terms', rank, ['reduction'] * rank, ins,
                      [((), 'f32', [], tot), ((), 'f32', [], cnt)], body)
    if reduction == 2:
        return s, n
    loss = em.generic(h, 0, [], [(s, []), (n, [])], [((), 'f32', [], None)],
                      lambda b: [b.op('arith.divf %s, %s' % (b.ins[0], b.ins[1]), 'f32')])[0]
    return loss, n


@handles('aten.nll_loss_backward.default')
def nll_loss_backward(em, node, a):
    go, t, weight, reduction, ignore, tw = a[0], a[2], a[3], a[4], a[5], a[6]
    shape, dt = meta(node)
    rank = len(shape)
    te = [0] if rank == 2 else []
    ins = [(go, []), (t, te), (tw, [])]
    if weight is not None:      # total weight tw: the weights of the hit targets
        ins.append((em.materialize(weight, hint(node) + '_weight'), [rank - 1]))

    def body(b):
        hit = _target_hit(b, b.ins[1], rank - 1, ignore, t.dt)
        v = b.op('arith.negf %s' % b.ins[0], 'f32')
        if weight is not None:
            v = b.op('arith.mulf %s, %s' % (v, b.ins[3]), 'f32')
        if reduction == 1:
            v = b.op('arith.divf %s, %s' % (v, b.ins[2]), 'f32')
        return [b.op('arith.select %s, %s, %s' % (hit, v, b.const(0.0, 'f32')), 'f32')]
    return em.generic(hint(node), rank, ['parallel'] * rank, ins,
                      [(shape, dt, ident(rank), None)], body)[0]


@handles('aten.multi_margin_loss_backward.default')
def multi_margin_loss_backward(em, node, a):
    """PyTorch's formula (MultiMarginCriterion): with z = margin - x[y] + x[d],
    a class d other than the target y gets h = [z > 0] g (p = 1) or 2 g z
    (p = 2), times weight[y] if given, with g = 1 / C (1 / (N C) under mean);
    the target gets minus the sum of the others' h; all times the upstream
    gradient (per sample under reduction none). Torch does not decompose it.
    A 1-D input is one sample (N = 1), computed as a batch of one."""
    go, x, t = a[0], em.materialize(a[1], hint(node) + '_input'), a[2]
    p, margin = a[3], float(a[4])
    weight, reduction = a.get(5, 'weight'), a.get(6, 'reduction', 1)
    out_shape, dt = meta(node)
    if len(out_shape) not in (1, 2) or dt != 'f32' or p not in (1, 2):
        raise E.ExportError('aten.multi_margin_loss_backward of %s %s with p=%s is not '
                            'supported (f32 scores, one sample or a batch, p 1 or 2)'
                            % (out_shape, dt, p))
    shape = tuple(out_shape) if len(out_shape) == 2 else (1, out_shape[0])
    n, c = shape
    x, t = em.reshape(x, shape, hint(node) + '_input2d'), em.reshape(t, (n,), hint(node) + '_target1d')
    g = 1.0 / (n * c) if reduction == 1 else 1.0 / c
    w = em.materialize(weight, hint(node) + '_weight') if weight is not None else None
    h = hint(node)

    def margins(b):
        y = _index_value(b, b.ins[1], t.dt, c)
        xt = b.op('tensor.extract %s[%s, %s]' % (x.name, b.index(0), y), x.type)
        z = b.op('arith.addf %s, %s' % (b.op('arith.subf %s, %s' % (
            b.const(margin, 'f32'), xt), 'f32'), b.ins[0]), 'f32')
        v = b.const(g, 'f32') if p == 1 else b.op('arith.mulf %s, %s' % (
            b.const(2 * g, 'f32'), z), 'f32')
        if w is not None:
            v = b.op('arith.mulf %s, %s' % (v, b.op('tensor.extract %s[%s]' % (
                w.name, y), w.type)), 'f32')
        other = b.op('arith.cmpi ne, %s, %s' % (b.index(1), y), 'index')
        hit = b.op('arith.andi %s, %s' % (other, b.op('arith.cmpf ogt, %s, %s' % (
            z, b.const(0.0, 'f32')), 'f32')), 'i1')
        return [b.op('arith.select %s, %s, %s' % (hit, v, b.const(0.0, 'f32')), 'f32')]
    # x[y] and weight[y] are read by tensor.extract in the payload (captured).
    each = em.generic(h + '_each', 2, ['parallel'] * 2, [(x, ident(2)), (t, [0])],
                      [(shape, dt, ident(2), None)], margins)[0]
    init = em.filled(0.0, (n,), dt, h + '_sum_acc')
    total = em.generic(h + '_sum', 2, ['parallel', 'reduction'], [(each, ident(2))],
                       [((n,), dt, [0], init)],
                       lambda b: [b.op('arith.addf %s, %s' % (b.ins[0], b.outs[0]), 'f32')])[0]
    per_sample = tuple(go.shape) == (n,)

    def grad(b):
        y = _index_value(b, b.ins[2], t.dt, c)
        target = b.op('arith.cmpi eq, %s, %s' % (b.index(1), y), 'index')
        v = b.op('arith.select %s, %s, %s' % (target, b.op('arith.negf %s' % b.ins[1], 'f32'),
                                              b.ins[0]), 'f32')
        return [b.op('arith.mulf %s, %s' % (v, b.ins[3]), 'f32')]
    out = em.generic(h, 2, ['parallel'] * 2,
                     [(each, ident(2)), (total, [0]), (t, [0]),
                      (go, [0] if per_sample else [])],
                     [(shape, dt, ident(2), None)], grad)[0]
    return em.reshape(out, out_shape, h + '_out')


@handles('aten.split_with_sizes.default', 'aten.split.Tensor')
def split(em, node, a):
    x = em.materialize(a[0], hint(node) + '_src')
    dim = (a[2] if len(a) > 2 and a[2] is not None else 0) % len(x.shape)
    outs, start = [], 0
    for i in range(len(node.meta['val'])):
        shape, _ = meta(node, i)
        outs.append(x if tuple(shape) == x.shape else _extract(em, node, x, dim, start, shape, 1))
        start += shape[dim]
    return tuple(outs)


def _window_elements(b, bounds, outs):
    """The element count of the window of output `outs` (bounds(b, o, axis) ->
    [lo, hi) per axis), as f32: every axis's extent, then their product."""
    ext = []
    for axis, o in enumerate(outs):
        lo, hi = bounds(b, o, axis)
        ext.append(_ix(b, 'subi', hi, lo))
    product = ext[0]
    for more in ext[1:]:
        product = _ix(b, 'muli', product, more)
    return _index_to_f32(b, product)


def _adaptive_divisor(bounds):
    """divisor(b, *o) of adaptive average pooling: the window's element count."""
    return lambda b, *outs: _window_elements(b, bounds, outs)


def _adaptive_window_count(size, out):
    """Most input elements of one adaptive window along each axis, multiplied."""
    return math.prod(-(-i // o) + 1 for i, o in zip(size, out))


@handles('aten._adaptive_avg_pool2d_backward.default',
         'aten._adaptive_avg_pool3d_backward.default')
def adaptive_avg_pool_backward(em, node, a):
    g, x = em.materialize(a[0]), a[1]
    size, out = tuple(x.shape[2:]), tuple(g.shape[2:])
    if all(i % o == 0 for i, o in zip(size, out)):
        k = tuple(i // o for i, o in zip(size, out))
        return _tiled_backward(em, hint(node), g, x.shape, k, 1.0 / math.prod(k))
    # Overlapping windows: window i spans [floor(i*H/OH), ceil((i+1)*H/OH)).
    bounds = _adaptive_bounds(size, out)
    return _window_backward(em, hint(node), g, x.shape, bounds, _adaptive_divisor(bounds),
                            g.numel() * _adaptive_window_count(size, out))


@handles('aten._adaptive_avg_pool3d.default')
def adaptive_avg_pool3d(em, node, a):
    """3-D adaptive average pooling (PyTorch decomposes the 2-D one, not this):
    windows that divide the input are an average pool; others a dense reduction
    over the input masked to each output's window (like the backward)."""
    x = em.materialize(a[0], hint(node) + '_src')
    shape, _ = meta(node)
    size, out = tuple(x.shape[2:]), tuple(shape[2:])
    s = len(size)
    h = hint(node)
    init = em.filled(0.0, shape, 'f32', h + '_acc')
    iters = ['parallel'] * (2 + s) + ['reduction'] * s
    if all(i % o == 0 for i, o in zip(size, out)):
        k = [i // o for i, o in zip(size, out)]
        scale = 1.0 / math.prod(k)
        xe = ['d0', 'd1'] + ['d%d * %d + d%d' % (2 + i, k[i], 2 + s + i) for i in range(s)]
        return em.generic(h, 2 + 2 * s, iters,
                          [(x, xe), (_window(em, k, h), [2 + s + i for i in range(s)])],
                          [(shape, 'f32', ident(2 + s), init)],
                          lambda b: [b.op('arith.addf %s, %s' % (b.op('arith.mulf %s, %s' % (
                              b.ins[0], b.const(scale, 'f32')), 'f32'), b.outs[0]), 'f32')])[0]
    bounds = _adaptive_bounds(size, out)
    divisor = _adaptive_divisor(bounds)

    def body(b):
        # dims: 0 n, 1 c, 2..2+s-1 the output's, 2+s.. the input position
        hit = None
        outs = [b.index(2 + axis) for axis in range(s)]
        for axis in range(s):
            lo, hi = bounds(b, outs[axis], axis)
            pos = b.index(2 + s + axis)
            inside = b.op('arith.andi %s, %s' % (
                b.op('arith.cmpi sge, %s, %s' % (pos, lo), 'index'),
                b.op('arith.cmpi slt, %s, %s' % (pos, hi), 'index')), 'i1')
            hit = inside if hit is None else b.op('arith.andi %s, %s' % (hit, inside), 'i1')
        v = b.op('arith.divf %s, %s' % (b.ins[0], divisor(b, *outs)), 'f32')
        v = b.op('arith.select %s, %s, %s' % (hit, v, b.const(0.0, 'f32')), 'f32')
        return [b.op('arith.addf %s, %s' % (v, b.outs[0]), 'f32')]
    # The real cost: one add per window element (remat.flops).
    return em.generic(h, 2 + 2 * s, iters, [(x, [0, 1] + [2 + s + i for i in range(s)])],
                      [(shape, 'f32', ident(2 + s), init)], body,
                      attrs='remat.flops = %d : i64' % (
                          math.prod(shape) * _adaptive_window_count(size, out)))[0]


@handles('aten.copy.default')
def copy(em, node, a):
    """Functional form of `x.copy_(src)`: src broadcast to x's shape and dtype."""
    shape, dt = meta(node)
    src = a[1]
    if src.shape == tuple(shape) and src.dt == dt:
        return src
    return elementwise(em, node, [src], lambda b, xs, cdt: xs[0], dt)


# ---- boolean reductions ----

@handles('aten.any.dim', 'aten.any.dims', 'aten.any.default', 'aten.all.dim', 'aten.all.dims',
         'aten.all.default')
def any_all(em, node, a):
    x = a[0]
    name = str(node.target)
    kind = 'any' if '.any.' in name else 'all'
    dims = None if name.endswith('.default') else a.get(1, 'dim')
    keep = bool(a.get(2, 'keepdim', False))
    shape, _ = meta(node)
    rank = len(x.shape)
    dims = norm_dims(dims, rank)
    kept = [i for i in range(rank) if i not in dims]
    red_shape = tuple(x.shape[i] for i in kept)
    init = em.filled(kind == 'all', red_shape, 'i1', hint(node) + '_acc')
    iters = ['reduction' if i in dims else 'parallel' for i in range(rank)]

    def body(b):
        v = b.cast(b.ins[0], x.dt, 'i1')
        return [b.op('arith.%s %s, %s' % ('ori' if kind == 'any' else 'andi', v, b.outs[0]), 'i1')]
    out = em.generic(hint(node), rank, iters, [(x, ident(rank))], [(red_shape, 'i1', kept, init)],
                     body)[0]
    del keep
    return em.reshape(out, shape, hint(node) + '_keep') if tuple(shape) != red_shape else out


@handles('aten.trunc.default', 'aten.floor.default', 'aten.ceil.default', 'aten.round.default')
def rounding(em, node, a):
    fn = {'trunc': 'trunc', 'floor': 'floor', 'ceil': 'ceil', 'round': 'roundeven'}[
        str(node.target).split('.')[1]]
    if a[0].dt != 'f32':
        return a[0]
    return elementwise(em, node, [a[0]], _math(fn), 'f32')


# ---- pooling backwards ----

def _ix(b, op, x, y):
    return b.op('arith.%s %s, %s' % (op, x, y), 'index')


def _window_backward(em, h, g, xshape, bounds, divisor, flops):
    """gi[n,c,*y] = sum over the windows o that hold y of g[n,c,*o] / divisor(o).
    bounds(b, o, axis) -> (lo, hi) of window o along axis (clamped to the input);
    divisor(b, *o) -> f32. A dense reduction over the windows (any spatial
    rank); `flops` (the real cost, one add per window element) goes into
    remat.flops."""
    s = len(xshape) - 2
    init = em.filled(0.0, xshape, 'f32', h + '_acc')

    def body(b):
        hits = []
        positions = [(b.index(2 + axis), b.index(2 + s + axis)) for axis in range(s)]
        for axis, (pos, o) in enumerate(positions):
            lo, hi = bounds(b, o, axis)
            ge = b.op('arith.cmpi sge, %s, %s' % (pos, lo), 'index')
            lt = b.op('arith.cmpi slt, %s, %s' % (pos, hi), 'index')
            hits.append(b.op('arith.andi %s, %s' % (ge, lt), 'i1'))
        hit = hits[0]
        for more in hits[1:]:
            hit = b.op('arith.andi %s, %s' % (hit, more), 'i1')
        v = b.op('arith.divf %s, %s' % (b.ins[0], divisor(b, *[b.index(2 + s + i)
                                                              for i in range(s)])), 'f32')
        v = b.op('arith.select %s, %s, %s' % (hit, v, b.const(0.0, 'f32')), 'f32')
        return [b.op('arith.addf %s, %s' % (v, b.outs[0]), 'f32')]
    return em.generic(h, 2 + 2 * s, ['parallel'] * (2 + s) + ['reduction'] * s,
                      [(g, [0, 1] + [2 + s + i for i in range(s)])],
                      [(xshape, 'f32', ident(2 + s), init)], body,
                      attrs='remat.flops = %d : i64' % flops)[0]


def _index_to_f32(b, v):
    return b.op('arith.sitofp %s' % b.op('arith.index_cast %s' % v, 'index to i64'), 'i64 to f32')


def _tiled_backward(em, h, g, xshape, k, scale):
    rank = len(xshape)
    return em.generic(h, rank, ['parallel'] * rank,
                      [(g, ['d0', 'd1'] + ['d%d floordiv %d' % (2 + i, kk)
                                           for i, kk in enumerate(k)])],
                      [(xshape, 'f32', ident(rank), None)],
                      lambda b: [b.op('arith.mulf %s, %s' % (b.ins[0], b.const(scale, 'f32')),
                                      'f32')])[0]


@handles('aten.avg_pool2d_backward.default', 'aten.avg_pool3d_backward.default')
def avg_pool_backward(em, node, a):
    g, x = em.materialize(a[0]), a[1]
    k, stride, padding = _avg_params(x, a[2:])
    count_include_pad = a[6] if len(a) > 6 and a[6] is not None else True
    div = a[7] if len(a) > 7 else None
    size = tuple(x.shape[2:])
    h = hint(node)
    if k == stride and not any(padding) and size == tuple(
            o * kk for o, kk in zip(g.shape[2:], k)):
        return _tiled_backward(em, h, g, x.shape, k, 1.0 / (div or math.prod(k)))
    bounds, divisor = _avg_windows(k, stride, padding, size, count_include_pad, div)
    return _window_backward(em, h, g, x.shape, bounds, divisor, g.numel() * math.prod(k))


def _avg_windows(k, stride, padding, size, count_include_pad, div):
    """PyTorch's avg_pool2d/3d windows: bounds(b, o, axis) -> the window's [lo, hi)
    clamped to the input; divisor(b, *o) -> f32 (the window within the padded
    input, or its unpadded part, or divisor_override)."""
    def raw(b, o, axis):
        lo = _ix(b, 'subi', _ix(b, 'muli', o, b.const(stride[axis], 'index')),
                 b.const(padding[axis], 'index'))
        hi = _ix(b, 'minsi', _ix(b, 'addi', lo, b.const(k[axis], 'index')),
                 b.const(size[axis] + padding[axis], 'index'))
        return lo, hi

    def bounds(b, o, axis):
        lo, hi = raw(b, o, axis)
        return (_ix(b, 'maxsi', lo, b.const(0, 'index')),
                _ix(b, 'minsi', hi, b.const(size[axis], 'index')))

    def divisor(b, *outs):
        if div:
            return b.const(float(div), 'f32')
        return _window_elements(b, raw if count_include_pad else bounds, outs)
    return bounds, divisor


def _adaptive_bounds(size, out):
    def bounds(b, o, axis):
        lo = _ix(b, 'divui', _ix(b, 'muli', o, b.const(size[axis], 'index')),
                 b.const(out[axis], 'index'))
        hi = _ix(b, 'divui', _ix(b, 'addi', _ix(b, 'muli', o, b.const(size[axis], 'index')),
                                 b.const(size[axis] + out[axis] - 1, 'index')),
                 b.const(out[axis], 'index'))
        return lo, hi
    return bounds


# ---- views by strides ----

@handles('aten.as_strided.default', 'aten.as_strided_copy.default')
def as_strided(em, node, a):
    """as_strided of a contiguous tensor (PyTorch's strides row-major, offset 0, as
    every tensor of the exported program is laid out): the identity view when the
    strides are row-major for the new shape (size-1 dims aside), else a copy that
    reads the flattened source at offset + sum(i_k * stride_k)."""
    x, size, strides = a[0], [int(s) for s in a[1]], [int(s) for s in a[2]]
    offset = int(a[3] or 0) if len(a) > 3 else 0
    src = node.args[0].meta['val']
    if not src.is_contiguous() or src.storage_offset() != 0:
        raise E.ExportError('aten.as_strided of a non-contiguous tensor is not supported')
    shape, dt = meta(node)
    row_major, acc = [], 1
    for d in reversed(size):
        row_major.append(acc)
        acc *= d
    row_major.reverse()
    if offset == 0 and all(s == r or d == 1 for s, r, d in zip(strides, row_major, size)) and \
            math.prod(size) == x.numel():
        return view(em, node, a)
    flat = em.reshape(em.materialize(x, hint(node) + '_src'), (x.numel(),), hint(node) + '_flat')
    rank = len(size)
    expr = ' + '.join(['d%d * %d' % (i, s) for i, s in enumerate(strides) if s] + [str(offset)])
    return em.generic(hint(node), rank, ['parallel'] * rank, [(flat, [expr])],
                      [(tuple(shape), dt, ident(rank), None)], lambda b: [b.ins[0]])[0]


# ---- indexing ----

def _index_value(b, v, dt, size):
    """An index tensor's element as an index, negative values wrapped."""
    i = b.op('arith.index_cast %s' % v, '%s to index' % dt) if dt != 'i1' else None
    if i is None:
        raise E.ExportError('boolean mask indexing (data-dependent shape) is not supported')
    neg = b.op('arith.cmpi slt, %s, %s' % (i, b.const(0, 'index')), 'index')
    return b.op('arith.select %s, %s, %s' % (neg, _ix(b, 'addi', i, b.const(size, 'index')), i),
                'index')


@handles('aten.gather.default')
def gather(em, node, a):
    x, idx = em.materialize(a[0], hint(node) + '_src'), a[2]
    dim = a[1] % len(x.shape)
    shape, dt = meta(node)
    rank = len(shape)

    def body(b):
        coords = [b.index(d) for d in range(rank)]
        coords[dim] = _index_value(b, b.ins[0], idx.dt, x.shape[dim])
        return [b.op('tensor.extract %s[%s]' % (x.name, ', '.join(coords)), x.type)]
    # x is read by tensor.extract in the payload (captured: remat counts the read).
    return em.generic(hint(node), rank, ['parallel'] * rank, [(idx, ident(rank))],
                      [(shape, dt, ident(rank), None)], body)[0]


def _scatter_source(em, node, name, dim, idx, src):
    """A scatter's src as its generic reads it: index must match the result
    outside `dim`; a tensor src larger than index is cut to index's shape."""
    shape, _ = meta(node)
    for d in range(len(shape)):
        if d != dim and idx.shape[d] != shape[d]:
            raise E.ExportError('%s: index %s must match self %s outside dim %d'
                                % (name, idx.shape, shape, dim))
    if isinstance(src, E.Val) and src.shape != idx.shape:
        src = _extract_prefix(em, hint(node) + '_src', em.materialize(src), idx.shape)
    return src


@handles('aten.scatter.src', 'aten.scatter.value', 'aten.scatter_add.default',
         'aten.scatter.reduce', 'aten.scatter.value_reduce')
def scatter(em, node, a):
    """out = self, then out[..., index[q], ...] = src[q] (or +=) along dim: a dense
    reduction over index's extent along dim, the other dims matched one to one."""
    name = str(node.target)
    x, dim, idx, src = a[0], a[1] % len(a[0].shape), a[2], a[3]
    reduce_ = node.kwargs.get('reduce', a[4] if len(a) > 4 else None)
    add = 'scatter_add' in name or reduce_ == 'add'
    if reduce_ not in (None, 'add'):
        raise E.ExportError('%s with reduce=%s is not supported' % (name, reduce_))
    shape, dt = meta(node)
    rank = len(shape)
    src = _scatter_source(em, node, name, dim, idx, src)
    init = em.materialize(x, hint(node) + '_init')
    if init is x:   # the generic writes into its init: give it its own tensor
        init = em.generic(hint(node) + '_init', rank, ['parallel'] * rank, [(x, ident(rank))],
                          [(shape, dt, ident(rank), None)], lambda b: [b.ins[0]])[0]
    # dims: 0..rank-1 the result, rank the position along dim in index
    imap = [rank if d == dim else d for d in range(rank)]
    ins = [(idx, imap)] + ([(src, imap)] if isinstance(src, E.Val) else [])

    def body(b):
        here = b.op('arith.index_cast %s' % b.index(dim), 'index to i64')
        target = b.cast(b.ins[0], idx.dt, 'i64')
        hit = b.op('arith.cmpi eq, %s, %s' % (target, here), 'i64')
        v = b.cast(b.ins[1], src.dt, dt) if isinstance(src, E.Val) else b.const(src, dt)
        if add:
            v = b.op('arith.%s %s, %s' % ('addf' if dt == 'f32' else 'addi', b.outs[0], v), dt)
        return [b.op('arith.select %s, %s, %s' % (hit, v, b.outs[0]), dt)]
    return em.generic(hint(node), rank + 1, ['parallel'] * rank + ['reduction'], ins,
                      [(shape, dt, ident(rank), init)], body,
                      attrs='remat.flops = %d : i64' % idx.numel())[0]


_SCATTER_REDUCE = {   # reduce: (identity, f32 op, integer op)
    'sum': (0, 'addf', 'addi'), 'mean': (0, 'addf', None), 'prod': (1, 'mulf', 'muli'),
    'amax': (-math.inf, 'maximumf', 'maxsi'), 'amin': (math.inf, 'minimumf', 'minsi')}


@handles('aten.scatter_reduce.two')
def scatter_reduce(em, node, a):
    """self with the src values that index sends to each position reduced into
    it (sum, prod, mean, amax, amin; with self's own value or, include_self
    false, without it; a position nothing goes to keeps self's): a dense
    reduction over index's extent along dim gathers each position's
    reduction of the values sent there and their count, and an elementwise
    op folds self in."""
    x, idx, src = a[0], a[2], a[3]
    dim = a[1] % len(x.shape)
    reduce_ = a.get(4, 'reduce')
    include_self = bool(a.get(5, 'include_self', True))
    shape, dt = meta(node)
    rank = len(shape)
    if reduce_ not in _SCATTER_REDUCE or (dt != 'f32' and reduce_ == 'mean'):
        raise E.ExportError('aten.scatter_reduce with reduce=%s on %s is not supported'
                            % (reduce_, dt))
    src = _scatter_source(em, node, 'aten.scatter_reduce', dim, idx, src)
    identity, fop, iop = _SCATTER_REDUCE[reduce_]
    op = fop if dt == 'f32' else iop
    if dt != 'f32' and math.isinf(identity):
        bits = {'i64': 64, 'i32': 32, 'i1': 1}.get(dt, 64)
        identity = -(1 << (bits - 1)) if identity < 0 else (1 << (bits - 1)) - 1
    h = hint(node)
    # dims: 0..rank-1 the result, rank the position along dim in index
    imap = [rank if d == dim else d for d in range(rank)]

    def gathered(b):
        here = b.op('arith.index_cast %s' % b.index(dim), 'index to i64')
        hit = b.op('arith.cmpi eq, %s, %s' % (b.cast(b.ins[0], idx.dt, 'i64'), here), 'i64')
        v = b.op('arith.%s %s, %s' % (op, b.outs[0], b.cast(b.ins[1], src.dt, dt)), dt)
        count = b.op('arith.addi %s, %s' % (b.outs[1], b.const(1, 'i64')), 'i64')
        return [b.op('arith.select %s, %s, %s' % (hit, v, b.outs[0]), dt),
                b.op('arith.select %s, %s, %s' % (hit, count, b.outs[1]), 'i64')]
    acc, count = em.generic(h + '_gather', rank + 1, ['parallel'] * rank + ['reduction'],
                            [(idx, imap), (src, imap)],
                            [(shape, dt, ident(rank), em.filled(identity, shape, dt, h + '_acc')),
                             (shape, 'i64', ident(rank), em.filled(0, shape, 'i64', h + '_n'))],
                            gathered, attrs='remat.flops = %d : i64' % idx.numel())

    def folded(b):
        self_, total, n = b.cast(b.ins[0], x.dt, dt), b.ins[1], b.ins[2]
        hit = b.op('arith.cmpi sgt, %s, %s' % (n, b.const(0, 'i64')), 'i64')
        value = b.op('arith.%s %s, %s' % (op, self_, total), dt) if include_self else total
        if reduce_ == 'mean':
            if include_self:
                n = b.op('arith.addi %s, %s' % (n, b.const(1, 'i64')), 'i64')
            value = b.op('arith.divf %s, %s' % (value, b.cast(n, 'i64', 'f32')), dt)
        return [b.op('arith.select %s, %s, %s' % (hit, value, self_), dt)]
    return em.generic(h, rank, ['parallel'] * rank,
                      [(x, E.broadcast_exprs(x.shape, rank, shape)), (acc, ident(rank)),
                       (count, ident(rank))],
                      [(shape, dt, ident(rank), None)], folded)[0]


def _extract_prefix(em, h, v, shape):
    name = em.fresh(h)
    em.emit('%s = tensor.extract_slice %s[%s] [%s] [%s] : %s to %s' % (
        name, v.name, ', '.join('0' * 1 for _ in shape), ', '.join(map(str, shape)),
        ', '.join('1' for _ in shape), v.type, E.tensor_type(shape, v.dt)))
    return E.Val(name, shape, v.dt)


def _advanced_layout(x, indices, out_shape):
    """For x[indices] (None: a full slice): the positions of the indexed dims, the
    broadcast index shape, and where its dims sit in the result."""
    pos = [i for i, t in enumerate(indices) if t is not None]
    bshape = []
    for i in pos:
        s = indices[i].shape
        bshape = list(torch_broadcast(bshape, s))
    consecutive = pos == list(range(pos[0], pos[-1] + 1))
    start = pos[0] if consecutive else 0
    return pos, tuple(bshape), start


def torch_broadcast(s1, s2):
    r = max(len(s1), len(s2))
    s1 = [1] * (r - len(s1)) + list(s1)
    s2 = [1] * (r - len(s2)) + list(s2)
    return [max(p, q) for p, q in zip(s1, s2)]


def _indexed_coords(b, x, indices, pos, bshape, start, out_dims, ins_offset, dts):
    """Coordinates into x for the result position given by out_dims (iteration dim
    numbers of the result's dims); the index tensors are ins_offset.. in b.ins."""
    rest = [d for d in range(len(x.shape)) if d not in pos]
    coords = [None] * len(x.shape)
    nb = len(bshape)
    # The result's dims: rest dims before `start`, the broadcast dims, the other rest dims.
    res_dims = []
    for d in rest:
        if d < start:
            res_dims.append(d)
    before = len(res_dims)
    for d in rest:
        if d >= start:
            res_dims.append(d)
    for k, d in enumerate(res_dims):
        j = k if k < before else k + nb
        coords[d] = b.index(out_dims[j])
    for k, d in enumerate(pos):
        coords[d] = _index_value(b, b.ins[ins_offset + k], dts[k], x.shape[d])
    return coords, before


@handles('aten.index.Tensor', 'aten._unsafe_index.Tensor')
def index(em, node, a):
    x = em.materialize(a[0], hint(node) + '_src')
    indices = list(a[1]) + [None] * (len(x.shape) - len(a[1]))
    if any(t is not None and t.dt == 'i1' for t in indices):
        raise E.ExportError('aten.index with a boolean mask (data-dependent shape) is not '
                            'supported')
    shape, dt = meta(node)
    rank = len(shape)
    pos, bshape, start = _advanced_layout(x, indices, shape)
    nb = len(bshape)
    before = sum(1 for d in range(len(x.shape)) if d not in pos and d < start)
    ins = [(indices[d], E.broadcast_exprs(indices[d].shape, nb, bshape)) for d in pos]
    ins = [(v, [None if e is None else e + before for e in ex]) for v, ex in ins]

    def body(b):
        coords, _ = _indexed_coords(b, x, indices, pos, bshape, start, list(range(rank)), 0,
                                    [indices[d].dt for d in pos])
        return [b.op('tensor.extract %s[%s]' % (x.name, ', '.join(coords)), x.type)]
    return em.generic(hint(node), rank, ['parallel'] * rank, ins,
                      [(shape, dt, ident(rank), None)], body)[0]


@handles('aten.index_put.default', 'aten._unsafe_index_put.default')
def index_put(em, node, a):
    """out = x with out[indices] = values (accumulate: +=): a dense reduction over
    the broadcast index shape."""
    x, values = a[0], a[2]
    accumulate = bool(a.get(3, 'accumulate', False))
    indices = list(a[1]) + [None] * (len(x.shape) - len(a[1]))
    if any(t is not None and t.dt == 'i1' for t in indices):
        raise E.ExportError('aten.index_put with a boolean mask is not supported')
    shape, dt = meta(node)
    rank = len(shape)
    pos, bshape, start = _advanced_layout(x, indices, shape)
    nb = len(bshape)
    # dims: 0..rank-1 over x, rank..rank+nb-1 over the broadcast index shape
    ins = [(indices[d], [None if e is None else e + rank
                         for e in E.broadcast_exprs(indices[d].shape, nb, bshape)]) for d in pos]
    rest = [d for d in range(rank) if d not in pos]
    before = [d for d in rest if d < start]
    after = [d for d in rest if d >= start]
    sel_dims = before + [rank + i for i in range(nb)] + after   # the x[indices] shape
    sel_shape = [shape[d] for d in before] + list(bshape) + [shape[d] for d in after]
    vexprs = [None if e is None else sel_dims[e]
              for e in E.broadcast_exprs(values.shape, len(sel_shape), sel_shape)]
    ins.append((values, vexprs))
    init = em.generic(hint(node) + '_init', rank, ['parallel'] * rank, [(x, ident(rank))],
                      [(shape, dt, ident(rank), None)], lambda b: [b.ins[0]])[0]

    def body(b):
        hit = None
        for k, d in enumerate(pos):
            want = _index_value(b, b.ins[k], indices[d].dt, shape[d])
            eq = b.op('arith.cmpi eq, %s, %s' % (want, b.index(d)), 'index')
            hit = eq if hit is None else b.op('arith.andi %s, %s' % (hit, eq), 'i1')
        v = b.cast(b.ins[len(pos)], values.dt, dt)
        if accumulate:
            v = b.op('arith.%s %s, %s' % ('addf' if dt == 'f32' else 'addi', b.outs[0], v), dt)
        return [b.op('arith.select %s, %s, %s' % (hit, v, b.outs[0]), dt)]
    return em.generic(hint(node), rank + nb, ['parallel'] * rank + ['reduction'] * nb, ins,
                      [(shape, dt, ident(rank), init)], body,
                      attrs='remat.flops = %d : i64' % (math.prod(sel_shape)))[0]


# ---- top-k ----

@handles('aten.topk.default')
def topk(em, node, a):
    """k passes, each a reduction along dim that takes the best element not taken
    by an earlier pass (first occurrence on ties); their results placed side by side."""
    x = a[0]
    k = int(a[1])
    dim = (a.get(2, 'dim', -1)) % len(x.shape)
    largest = a.get(3, 'largest', True)
    vshape, dt = meta(node, 0)
    rank = len(x.shape)
    h = hint(node)
    kept = [d for d in range(rank) if d != dim]
    red_shape = tuple(x.shape[d] for d in kept)
    one_shape = tuple(1 if d == dim else x.shape[d] for d in range(rank))
    iters = ['reduction' if d == dim else 'parallel' for d in range(rank)]
    taken, vals = [], []
    for j in range(k):
        vinit = em.filled(-math.inf if largest else math.inf, red_shape, 'f32', h + '_vacc')
        iinit = em.filled(-1, red_shape, 'i64', h + '_iacc')

        def body(b, ntaken=len(taken)):
            i = b.op('arith.index_cast %s' % b.index(dim), 'index to i64')
            better = b.op('arith.cmpf %s, %s, %s' % ('ogt' if largest else 'olt', b.ins[0],
                                                     b.outs[0]), 'f32')
            first = b.op('arith.cmpi slt, %s, %s' % (b.outs[1], b.const(0, 'i64')), 'i64')
            better = b.op('arith.ori %s, %s' % (better, first), 'i1')
            for t in range(ntaken):
                same = b.op('arith.cmpi eq, %s, %s' % (b.ins[1 + t], i), 'i64')
                free = b.op('arith.xori %s, %s' % (same, b.const(True, 'i1')), 'i1')
                better = b.op('arith.andi %s, %s' % (better, free), 'i1')
            return [b.op('arith.select %s, %s, %s' % (better, b.ins[0], b.outs[0]), 'f32'),
                    b.op('arith.select %s, %s, %s' % (better, i, b.outs[1]), 'i64')]
        v, i = em.generic(h + '_pass', rank, iters,
                          [(x, ident(rank))] + [(t, kept) for t in taken],
                          [(red_shape, 'f32', kept, vinit), (red_shape, 'i64', kept, iinit)],
                          body)
        taken.append(i)
        vals.append(v)
    outs = []
    for parts, pdt in ((vals, 'f32'), (taken, 'i64')):
        shape = tuple(k if d == dim else x.shape[d] for d in range(rank))
        cur = E.Val(em.empty(shape, pdt, h), shape, pdt)
        for j, p in enumerate(parts):
            cur = _insert(em, h, em.reshape(p, one_shape, h + '_one'), cur, dim, j, 1)
        outs.append(cur)
    return tuple(outs)


@handles('aten.div.Tensor_mode', 'aten.div.Scalar_mode')
def div_mode(em, node, a):
    mode = node.kwargs.get('rounding_mode', a[2] if len(a) > 2 else None)
    _, out_dt = meta(node)
    if mode is None:
        return elementwise(em, node, [a[0], a[1]], _arith('div'))
    if mode not in ('floor', 'trunc'):
        raise E.ExportError('aten.div with rounding_mode=%s is not supported' % mode)

    def fn(b, xs, dt):
        if dt == 'f32':
            q = b.op('arith.divf %s, %s' % (xs[0], xs[1]), dt)
            return b.op('math.%s %s' % (mode, q), dt)
        return b.op('arith.%s %s, %s' % ('floordivsi' if mode == 'floor' else 'divsi',
                                         xs[0], xs[1]), dt)
    return elementwise(em, node, [a[0], a[1]], fn)
