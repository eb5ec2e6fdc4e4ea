"""Plots of reports, plans and frontiers (matplotlib, imported on use)."""

from __future__ import annotations

import os
from typing import Optional, Union

from ._api import Frontier, Plan, Report, frontier

_UNITS = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]


def _figure():
    """A matplotlib Figure, drawn without pyplot so no GUI backend is
    touched."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "remat's plots need matplotlib: pip install matplotlib") from error
    return Figure(figsize=(8, 4.5), layout="constrained")


def _unit(largest: float) -> tuple[str, int]:
    for name, scale in _UNITS:
        if largest >= scale:
            return name, scale
    return "B", 1


def _format_bytes(value: float) -> str:
    name, scale = _unit(value)
    return f"{value / scale:.1f} {name}" if scale > 1 else f"{value:.0f} B"


def _mark_peak(axes, timeline: list[int], scale: int, color: str, label: str):
    step = max(range(len(timeline)), key=timeline.__getitem__)
    peak = timeline[step]
    axes.plot([step], [peak / scale], "o", color=color)
    axes.annotate(f"{label} {_format_bytes(peak)}", (step, peak / scale),
                  textcoords="offset points", xytext=(6, 6), color=color)


def plot_timeline(result: Union[Report, Plan], path: Union[str, os.PathLike],
                  title: Optional[str] = None) -> None:
    """Live memory over the step's program order, written to ``path`` (the
    extension picks the format: .png, .svg, .pdf).

    For a Report: the live bytes, the peak marked. For a Plan: the live bytes
    before and after planning, the budget as a line, both peaks marked.
    """
    if isinstance(result, Plan):
        series = [("unplanned", result.timeline_before, "tab:gray"),
                  ("planned", result.timeline_after, "tab:blue")]
        budget = result.budget
        default_title = (f"{result.function}: budget {_format_bytes(budget)}, "
                         f"{result.overhead:.1f}% recompute ({result.solver})")
    elif isinstance(result, Report):
        series = [("live", result.timeline, "tab:blue")]
        budget = None
        default_title = f"{result.function}: live memory"
    else:
        raise TypeError("plot_timeline takes a remat.Report or a remat.Plan, "
                        f"not {type(result).__name__}")
    series = [s for s in series if s[1]]
    if not series:
        raise ValueError(f"{result.function} has no timeline to plot")

    largest = max(max(timeline) for _, timeline, _ in series)
    unit, scale = _unit(max(largest, budget or 0))
    figure = _figure()
    axes = figure.add_subplot()
    for label, timeline, color in series:
        axes.step(range(len(timeline)), [v / scale for v in timeline],
                  where="post", color=color, label=label)
        _mark_peak(axes, timeline, scale, color, f"{label} peak")
    if budget is not None:
        axes.axhline(budget / scale, color="tab:red", linestyle="--",
                     label=f"budget {_format_bytes(budget)}")
    axes.set_xlabel("step (program order)")
    axes.set_ylabel(f"live memory ({unit})")
    # Room above the highest line for the peak labels.
    axes.set_ylim(0, 1.15 * max(largest, budget or 0) / scale)
    axes.set_title(title or default_title)
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    figure.savefig(path)


def plot_frontier(points_or_ir, path: Union[str, os.PathLike],
                  title: Optional[str] = None, **frontier_options) -> None:
    """The memory / recompute frontier, written to ``path``: planned peak
    against recompute overhead. ``points_or_ir`` is what remat.frontier()
    returned, a list of FrontierPoint, or IR (text or a path) to compute the
    frontier of, with ``frontier_options`` (points, solver, time_limit)."""
    if isinstance(points_or_ir, (str, bytes, os.PathLike)):
        points_or_ir = frontier(points_or_ir, **frontier_options)
    points = sorted(points_or_ir, key=lambda p: p.overhead)
    if not points:
        raise ValueError("the frontier has no points to plot")

    references = []
    if isinstance(points_or_ir, Frontier):
        references = [("unplanned peak", points_or_ir.unplanned_peak, "tab:gray"),
                      ("smallest feasible budget", points_or_ir.smallest_feasible,
                       "tab:red")]
    largest = max([p.planned_peak for p in points] + [r[1] for r in references])
    unit, scale = _unit(largest)
    figure = _figure()
    axes = figure.add_subplot()
    overheads = [p.overhead for p in points]
    peaks = [p.planned_peak / scale for p in points]
    axes.step(overheads, peaks, where="post", color="tab:blue")
    axes.plot(overheads, peaks, "o", color="tab:blue", label="plans")
    for label, value, color in references:
        axes.axhline(value / scale, color=color, linestyle="--",
                     label=f"{label} {_format_bytes(value)}")
    axes.set_xlabel("recompute (% of the step's FLOPs)")
    axes.set_ylabel(f"planned peak ({unit})")
    axes.set_ylim(0, 1.15 * largest / scale)
    name = getattr(points_or_ir, "function", None)
    axes.set_title(title or (f"{name}: memory / recompute frontier" if name
                             else "memory / recompute frontier"))
    axes.legend(loc="upper right")
    axes.grid(alpha=0.3)
    figure.savefig(path)
