"""The JAX route (docs/frontends.md): jax.value_and_grad of an MLP step,
lowered to StableHLO, converted to linalg on tensors by IREE's input
conversion (iree-base-compiler from PyPI), planned by remat at 0.7 of its
unplanned peak, lowered and run by remat-run: measured = predicted peak to
the byte, results bitwise the unplanned step's, loss and gradients JAX's in
float64 on the run's own arguments.

Skips, saying why, where jax or iree-base-compiler is not installed
(scripts/setup installs both unless REMAT_WITHOUT_FRONTENDS=1).
"""
import numpy as np
import pytest

pytest.importorskip('jax', reason='jax is not installed (pip install jax; scripts/setup does)')
pytest.importorskip('iree.compiler', reason='iree-base-compiler is not installed '
                    '(pip install iree-base-compiler; scripts/setup does)')

import jax_steps  # noqa: E402
import stepcheck  # noqa: E402

TOLERANCE = 1e-4


def test_mlp_plans_at_0_7_and_runs(tmp_path, remat_run):
    loss, params, batch = jax_steps.mlp(layers=6)
    mlir = tmp_path / 'mlp.linalg.mlir'
    mlir.write_text(jax_steps.to_linalg(
        jax_steps.stablehlo(loss, params, batch), tmp_path))
    text = mlir.read_text()
    assert 'func.func @train_step(' in text and 'util.' not in text
    types = [(a.shape, a.dtype) for a in params + batch]
    unplanned, _, _ = stepcheck.run_step(remat_run, mlir, tmp_path, types)
    planned, args, results = stepcheck.run_step(remat_run, mlir, tmp_path, types,
                                                budget=0.7)
    assert planned['peak_bytes'] <= 0.7 * unplanned['peak_bytes'], (planned, unplanned)
    assert planned['hashes'] == unplanned['hashes']
    want = jax_steps.reference(loss, params, args)
    assert len(want) == len(results)
    for i, (got, ref) in enumerate(zip(results, want)):
        scale = max(1.0, float(np.abs(ref).max()))
        error = float(np.abs(got.astype(np.float64) - ref).max()) / scale
        assert error < TOLERANCE, 'result %d: relative error %g' % (i, error)
