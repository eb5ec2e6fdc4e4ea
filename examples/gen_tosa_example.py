#!/usr/bin/env python3
"""Generate examples/tosa_convnet.mlir: a training step written in TOSA.

A small convolutional classifier (NHWC): two padded 3x3 convolutions with
bias and ReLU, global average pooling, a reshape, a dense layer as
tosa.matmul, softmax cross entropy; and its backward pass by hand, in TOSA
too (a convolution's weight gradient is a convolution of its padded input
with the output gradient, both transposed; its input gradient a convolution
of the padded output gradient with the weights reversed and transposed).
Each op is emitted and evaluated with numpy by the same call, so the
generator also gives the step's loss and gradients
(test/examples-py/test_tosa_example.py checks them against finite
differences, and the lowered step's results against them).

Usage:
    python3 examples/gen_tosa_example.py [--out FILE]
"""

import argparse
import os
import sys

import numpy as np

# The step's sizes: batch, image height and width, input channels, filters
# of both convolutions, classes.
N, H, W, C, F, K = 8, 16, 16, 3, 8, 10

ARG_NAMES = ['%w1', '%b1', '%w2', '%b2', '%w3', '%x', '%onehot']


def ttype(shape, element='f32'):
    return 'tensor<%sx%s>' % ('x'.join(str(d) for d in shape), element)


def conv2d_nhwc(x, w, b, pad):
    """TOSA's conv2d on numpy arrays: x [n, h, w, c], w [f, kh, kw, c], stride
    and dilation 1, zero padding `pad` on each side of h and w."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    f, kh, kw, _ = w.shape
    oh, ow = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
    out = np.zeros((x.shape[0], oh, ow, f), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum('nhwc,fc->nhwf', xp[:, i:i + oh, j:j + ow, :], w[:, i, j, :])
    return out + b


class Step:
    """Emits TOSA ops into a function body and evaluates them with numpy.
    Values are (name, array) pairs."""

    def __init__(self, dtype=np.float32):
        # The numpy evaluation's type (float64 for the gradient check).
        self.dtype = dtype
        self.lines = []
        self.count = 0
        self.constants = {}

    def fresh(self):
        self.count += 1
        return '%%v%d' % self.count

    def emit(self, text, array):
        name = self.fresh()
        self.lines.append('  %s = %s' % (name, text))
        return name, array

    def const(self, value, shape, element='f32'):
        """A splat constant, one per value and type (as a frontend emits it)."""
        key = (value, tuple(shape), element)
        if key not in self.constants:
            name = '%%c%d' % len(self.constants)
            literal = repr(float(value)) if element == 'f32' else str(int(value))
            self.lines.append('  %s = "tosa.const"() <{values = dense<%s> : %s}> : () -> %s'
                              % (name, literal, ttype(shape, element), ttype(shape, element)))
            self.constants[key] = name
        dtype = self.dtype if element == 'f32' else np.int8
        return self.constants[key], np.full(shape, value, dtype)

    def shape_const(self, values):
        name = self.fresh()
        self.lines.append('  %s = tosa.const_shape {values = dense<[%s]> : tensor<%dxindex>} '
                          ': () -> !tosa.shape<%d>'
                          % (name, ', '.join(str(v) for v in values), len(values), len(values)))
        return name

    def unary(self, op, a, fn):
        out = fn(a[1]).astype(self.dtype)
        return self.emit('tosa.%s %s : (%s) -> %s' % (op, a[0], ttype(a[1].shape),
                                                        ttype(out.shape)), out)

    def binary(self, op, a, b, fn, extra=None):
        out = fn(a[1], b[1]).astype(self.dtype)
        operands, types = [a[0], b[0]], [ttype(a[1].shape), ttype(b[1].shape)]
        if extra:
            operands.append(extra[0])
            types.append(ttype(extra[1].shape, 'i8'))
        return self.emit('tosa.%s %s : (%s) -> %s' % (op, ', '.join(operands), ', '.join(types),
                                                        ttype(out.shape)), out)

    def sub(self, a, b):
        return self.binary('sub', a, b, np.subtract)

    def mul(self, a, b):
        return self.binary('mul', a, b, np.multiply, extra=self.const(0, [1], 'i8'))

    def scale(self, a, factor):
        return self.mul(a, self.const(factor, [1] * a[1].ndim))

    def relu(self, a):
        out = np.maximum(a[1], 0).astype(self.dtype)
        return self.emit('tosa.clamp %s {max_val = 3.40282347e+38 : f32, min_val = '
                         '0.000000e+00 : f32} : (%s) -> %s'
                         % (a[0], ttype(a[1].shape), ttype(out.shape)), out)

    def reduce(self, op, a, axis):
        fn = {'reduce_sum': np.sum, 'reduce_max': np.max}[op]
        out = fn(a[1], axis=axis, keepdims=True).astype(self.dtype)
        return self.emit('tosa.%s %s {axis = %d : i32} : (%s) -> %s'
                         % (op, a[0], axis, ttype(a[1].shape), ttype(out.shape)), out)

    def reshape(self, a, shape):
        shape_value = self.shape_const(shape)
        return self.emit('tosa.reshape %s, %s : (%s, !tosa.shape<%d>) -> %s'
                         % (a[0], shape_value, ttype(a[1].shape), len(shape), ttype(shape)),
                         a[1].reshape(shape))

    def transpose(self, a, perms):
        out = np.ascontiguousarray(np.transpose(a[1], perms))
        return self.emit('tosa.transpose %s {perms = array<i32: %s>} : (%s) -> %s'
                         % (a[0], ', '.join(str(p) for p in perms), ttype(a[1].shape),
                            ttype(out.shape)), out)

    def reverse(self, a, axis):
        out = np.ascontiguousarray(np.flip(a[1], axis))
        return self.emit('tosa.reverse %s {axis = %d : i32} : (%s) -> %s'
                         % (a[0], axis, ttype(a[1].shape), ttype(out.shape)), out)

    def matmul(self, a, b):
        out = np.matmul(a[1], b[1]).astype(self.dtype)
        zp = self.const(0.0, [1])[0]
        return self.emit('tosa.matmul %s, %s, %s, %s : (%s, %s, tensor<1xf32>, tensor<1xf32>) '
                         '-> %s' % (a[0], b[0], zp, zp, ttype(a[1].shape), ttype(b[1].shape),
                                    ttype(out.shape)), out)

    def pad_hw(self, a, pad):
        out = np.pad(a[1], ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        padding = self.shape_const([0, 0, pad, pad, pad, pad, 0, 0])
        zero = self.const(0.0, [1])[0]
        return self.emit('tosa.pad %s, %s, %s : (%s, !tosa.shape<8>, tensor<1xf32>) -> %s'
                         % (a[0], padding, zero, ttype(a[1].shape), ttype(out.shape)), out)

    def conv2d(self, x, w, b, pad):
        out = conv2d_nhwc(x[1], w[1], b[1], pad).astype(self.dtype)
        zp = self.const(0.0, [1])[0]
        return self.emit('tosa.conv2d %s, %s, %s, %s, %s {acc_type = f32, dilation = '
                         'array<i64: 1, 1>, pad = array<i64: %d, %d, %d, %d>, stride = '
                         'array<i64: 1, 1>} : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s'
                         % (x[0], w[0], b[0], zp, zp, pad, pad, pad, pad, ttype(x[1].shape),
                            ttype(w[1].shape), ttype(b[1].shape), ttype(out.shape)), out)

    def where_positive(self, cond, a):
        """`a` where `cond` > 0, else 0 (ReLU's backward)."""
        shape = cond[1].shape
        zero = self.const(0.0, [1] * len(shape))[0]
        mask = self.fresh()
        self.lines.append('  %s = tosa.greater %s, %s : (%s, %s) -> %s'
                          % (mask, cond[0], zero, ttype(shape), ttype([1] * len(shape)),
                             ttype(shape, 'i1')))
        zeros = self.const(0.0, shape)[0]
        out = np.where(cond[1] > 0, a[1], 0).astype(self.dtype)
        return self.emit('tosa.select %s, %s, %s : (%s, %s, %s) -> %s'
                         % (mask, a[0], zeros, ttype(shape, 'i1'), ttype(shape), ttype(shape),
                            ttype(shape)), out)


def inputs(seed=0, dtype=np.float32):
    """Deterministic parameters and batch (the gradient check's point)."""
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((F, 3, 3, C)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal((F,)) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((F, 3, 3, F)) * 0.2).astype(np.float32)
    b2 = (rng.standard_normal((F,)) * 0.1).astype(np.float32)
    w3 = (rng.standard_normal((1, F, K)) * 0.3).astype(np.float32)
    x = rng.standard_normal((N, H, W, C)).astype(np.float32)
    onehot = np.zeros((1, N, K), np.float32)
    onehot[0, np.arange(N), rng.integers(0, K, N)] = 1
    return [a.astype(dtype) for a in (w1, b1, w2, b2, w3, x, onehot)]


def build(args):
    """The step on `args`: (Step, loss, gradients of w1, b1, w2, b2, w3),
    evaluated in the arguments' type."""
    s = Step(args[0].dtype)
    w1, b1, w2, b2, w3, x, onehot = list(zip(ARG_NAMES, args))
    # Forward.
    h1 = s.conv2d(x, w1, b1, 1)                                    # [N, H, W, F]
    r1 = s.relu(h1)
    h2 = s.conv2d(r1, w2, b2, 1)
    r2 = s.relu(h2)
    pooled = s.scale(s.reduce('reduce_sum', s.reduce('reduce_sum', r2, 1), 2), 1.0 / (H * W))
    f = s.reshape(pooled, [1, N, F])
    logits = s.matmul(f, w3)                                       # [1, N, K]
    z = s.sub(logits, s.reduce('reduce_max', logits, 2))
    e = s.unary('exp', z, np.exp)
    sums = s.reduce('reduce_sum', e, 2)
    logp = s.sub(z, s.unary('log', sums, np.log))
    picked = s.reduce('reduce_sum', s.reduce('reduce_sum', s.mul(onehot, logp), 2), 1)
    loss = s.scale(picked, -1.0 / N)                               # [1, 1, 1]
    # Backward.
    p = s.mul(e, s.unary('reciprocal', sums, np.reciprocal))
    dlogits = s.scale(s.sub(p, onehot), 1.0 / N)
    dw3 = s.matmul(s.transpose(f, [0, 2, 1]), dlogits)
    df = s.matmul(dlogits, s.transpose(w3, [0, 2, 1]))
    # Average pooling's backward: each pixel gets 1 / (H W) of its image's.
    dr2 = s.mul(s.reshape(df, [N, 1, 1, F]), s.const(1.0 / (H * W), [N, H, W, F]))
    dh2 = s.where_positive(h2, dr2)

    def conv_grads(inp, dh, w):
        """Bias, weight and (for `w` given) input gradients of a padded 3x3
        convolution of `inp`."""
        db = s.reshape(s.reduce('reduce_sum', s.reduce('reduce_sum', s.reduce(
            'reduce_sum', dh, 0), 1), 2), [F])
        # dW[f, i, j, c] = sum over n, y, x of dh[n, y, x, f] inp_pad[n, y + i, x + j, c]:
        # the padded input (c as batch, n as channels) convolved with dh.
        inp_t = s.transpose(s.pad_hw(inp, 1), [3, 1, 2, 0])      # [c, H + 2, W + 2, N]
        dh_t = s.transpose(dh, [3, 1, 2, 0])                      # [F, H, W, N]
        dw = s.transpose(s.conv2d(inp_t, dh_t, s.const(0.0, [F]), 0), [3, 1, 2, 0])
        if w is None:
            return db, dw, None
        # dx[n, y, x, c] = sum over f, i, j of dh[n, y + 1 - i, x + 1 - j, f] w[f, i, j, c].
        w_t = s.transpose(s.reverse(s.reverse(w, 1), 2), [3, 1, 2, 0])   # [c, 3, 3, F]
        return db, dw, s.conv2d(dh, w_t, s.const(0.0, [inp[1].shape[3]]), 1)

    db2, dw2, dr1 = conv_grads(r1, dh2, w2)
    db1, dw1, _ = conv_grads(x, s.where_positive(h1, dr1), None)
    return s, loss, [dw1, db1, dw2, db2, dw3]


def emit():
    args = inputs()
    s, loss, grads = build(args)
    results = [loss] + grads
    return ('// Generated by examples/gen_tosa_example.py: a convolutional classifier\n'
            '// (2 x (3x3 convolution with padding and bias, ReLU), average pooling,\n'
            '// reshape, dense layer, softmax cross entropy) and its backward pass, in\n'
            '// TOSA. Do not edit.\n'
            'func.func @train_step(%s)\n    -> (%s {remat.loss}, %s) {\n%s\n'
            '  return %s : %s\n}\n'
            % (', '.join('%s: %s' % (n, ttype(a.shape)) for n, a in zip(ARG_NAMES, args)),
               ttype(loss[1].shape), ', '.join(ttype(g[1].shape) for g in grads),
               '\n'.join(s.lines), ', '.join(r[0] for r in results),
               ', '.join(ttype(r[1].shape) for r in results)))


def reference(args):
    """Loss and gradients on `args` (numpy, in the arguments' type)."""
    _, loss, grads = build(args)
    return loss[1], [g[1] for g in grads]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'tosa_convnet.mlir'))
    opts = parser.parse_args(argv)
    with open(opts.out, 'w') as f:
        f.write(emit())
    print('wrote %s' % opts.out)


if __name__ == '__main__':
    main(sys.argv[1:])
