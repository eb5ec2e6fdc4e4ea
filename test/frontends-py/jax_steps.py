"""A JAX training step (jax.value_and_grad) lowered to StableHLO and
converted to linalg on tensors by IREE's StableHLO input conversion
(`iree-compile --compile-to=input`), which stops before any IREE-specific
lowering. What is left of IREE is its function op, util.func / util.return,
renamed to func.func / return (docs/frontends.md)."""
import re
import subprocess

import jax
import jax.numpy as jnp
import numpy as np


def mlp(layers=6, batch=512, width=128, inputs=64, outputs=10, seed=0):
    """A tanh MLP with an MSE loss; params are [w1, b1, w2, b2, ...]."""
    dims = [inputs] + [width] * (layers - 1) + [outputs]

    def loss(params, x, y):
        h = x
        for i in range(layers):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < layers - 1:
                h = jnp.tanh(h)
        return jnp.mean((h - y) ** 2)

    rng = np.random.default_rng(seed)
    params = []
    for a, b in zip(dims, dims[1:]):
        params += [(rng.standard_normal((a, b)) * a ** -0.5).astype(np.float32),
                   (rng.standard_normal(b) * 0.1).astype(np.float32)]
    batch_args = [rng.standard_normal((batch, inputs)).astype(np.float32),
                  rng.standard_normal((batch, outputs)).astype(np.float32)]
    return loss, params, batch_args


def step_of(loss):
    def step(params, *batch):
        value, grads = jax.value_and_grad(loss)(params, *batch)
        return (value, *grads)   # the loss first: remat's default
    return step


def stablehlo(loss, params, batch_args):
    return jax.jit(step_of(loss)).lower(list(params), *batch_args).as_text(
        dialect='stablehlo')


def to_linalg(text, workdir):
    """IREE's input conversion of the StableHLO module; func.func @train_step."""
    from iree.compiler.tools.binaries import find_tool
    src, out = workdir / 'step.stablehlo.mlir', workdir / 'step.input.mlir'
    src.write_text(text)
    subprocess.run([find_tool('iree-compile'), '--iree-input-type=stablehlo',
                    '--compile-to=input', str(src), '-o', str(out)], check=True)
    linalg = re.sub(r'util\.func public @main\(', 'func.func @train_step(',
                    out.read_text())
    return linalg.replace('util.return', 'return')


def reference(loss, params, args):
    """Loss and gradients in float64 (numpy) on the run's own arguments."""
    jax.config.update('jax_enable_x64', True)
    try:
        n = len(params)
        p = [jnp.asarray(a, jnp.float64) for a in args[:n]]
        batch = [jnp.asarray(a, jnp.float64) for a in args[n:]]
        return [np.asarray(r) for r in step_of(loss)(p, *batch)]
    finally:
        jax.config.update('jax_enable_x64', False)
