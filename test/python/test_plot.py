"""Plots are written and not empty."""

import pytest

import remat

from conftest import EXAMPLES

STEP = EXAMPLES / "transformer_block.mlir"


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_timeline_of_a_plan(matplotlib, tmp_path, suffix):
    path = tmp_path / f"timeline.{suffix}"
    remat.plot_timeline(remat.plan(STEP, 0.8), path)
    assert path.stat().st_size > 1000


def test_plot_timeline_of_a_report(matplotlib, tmp_path):
    path = tmp_path / "report.png"
    remat.plot_timeline(remat.report(STEP), path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_plot_frontier_of_points_and_of_ir(matplotlib, tmp_path):
    points = tmp_path / "points.png"
    remat.plot_frontier(remat.frontier(STEP, points=4), points)
    assert points.stat().st_size > 1000
    from_ir = tmp_path / "ir.svg"
    remat.plot_frontier(STEP, from_ir, points=3)
    assert from_ir.stat().st_size > 1000


def test_plot_timeline_rejects_other_things(matplotlib, tmp_path):
    with pytest.raises(TypeError):
        remat.plot_timeline([1, 2, 3], tmp_path / "x.png")
