"""remat: memory planning for MLIR training graphs, from Python.

IR goes in as MLIR text (or a path), results come back as Python objects:

    import remat
    report = remat.report(pathlib.Path("examples/mlp.mlir"))
    plan = remat.plan(report_ir, budget=0.6)          # or "768MiB", 1 << 30
    remat.plot_timeline(plan, "timeline.png")

See docs/python.md. The extension (remat._remat) is loaded on the first call,
so subpackages such as remat.exporter import without it.
"""

import pkgutil

# The extension may live in another folder of the same package: remat's build
# tree (<build>/python-bindings/remat) when the sources are used in place.
__path__ = pkgutil.extend_path(__path__, __name__)

from ._api import (  # noqa: E402
    Frontier,
    FrontierPoint,
    Plan,
    Recomputed,
    RematError,
    Report,
    Value,
    apply,
    frontier,
    lower,
    lowering_targets,
    plan,
    report,
    run_pipeline,
)
from ._plot import plot_frontier, plot_timeline  # noqa: E402

__all__ = [
    "Frontier",
    "FrontierPoint",
    "Plan",
    "Recomputed",
    "RematError",
    "Report",
    "Value",
    "apply",
    "frontier",
    "lower",
    "lowering_targets",
    "plan",
    "plot_frontier",
    "plot_timeline",
    "report",
    "run_pipeline",
]
