"""Directions and tolerance of the examples' gradient checks against central
finite differences (test/examples-py)."""
import numpy as np


def directions(rng, grad):
    """A random direction over the whole tensor and up to 4 single entries."""
    found = [rng.standard_normal(grad.shape)]
    for flat in rng.choice(grad.size, size=min(4, grad.size), replace=False):
        e = np.zeros(grad.size)
        e[flat] = 1.0
        found.append(e.reshape(grad.shape))
    return found


def tolerance(grad, direction):
    """How far a float64 central difference (eps 1e-6) may be from the
    analytic directional derivative."""
    scale = max(np.abs(grad).max(), 1e-12)
    return 1e-6 * scale * max(1.0, np.abs(direction).sum() ** 0.5) + 1e-10
