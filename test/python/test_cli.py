"""python -m remat: the API from the shell, JSON on stdout."""

import json
import os
import subprocess
import sys

from conftest import EXAMPLES

STEP = EXAMPLES / "mlp.mlir"


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "remat", *map(str, args)],
                          capture_output=True, text=True, input=stdin,
                          env=os.environ.copy(), timeout=300)


def test_report():
    result = run("report", STEP)
    assert result.returncode == 0, result.stderr
    [function] = json.loads(result.stdout)
    assert function["peak_bytes"] == max(function["timeline"])


def test_report_from_stdin_with_remarks():
    result = run("report", "-", "--remarks", stdin=STEP.read_text())
    assert result.returncode == 0, result.stderr
    assert "remark: remat-report: peak" in result.stderr


def test_plan_writes_the_rewritten_ir(tmp_path):
    output = tmp_path / "planned.mlir"
    result = run("plan", EXAMPLES / "transformer_block.mlir", "--budget", "0.8",
                 "--solver", "fast", "-o", output)
    assert result.returncode == 0, result.stderr
    [plan] = json.loads(result.stdout)
    assert plan["planned_peak_bytes"] <= plan["budget_bytes"]
    assert "remat.recompute" in output.read_text()


def test_plan_infeasible_budget_fails_with_the_diagnostic():
    result = run("plan", STEP, "--budget", "1KiB")
    assert result.returncode == 1
    assert f"{STEP}:" in result.stderr
    assert "smallest feasible budget" in result.stderr
    assert result.stdout == ""


def test_plan_exact_on_cbc():
    result = run("plan", STEP, "--budget", "0.96", "--solver", "exact",
                 "--mip-solver", "cbc", "--time-limit", "30")
    assert result.returncode == 0, result.stderr
    [plan] = json.loads(result.stdout)
    assert plan["solver"] == "exact" and plan["proven_optimal"]


def test_frontier():
    result = run("frontier", STEP, "--points", "3")
    assert result.returncode == 0, result.stderr
    [function] = json.loads(result.stdout)
    assert function["frontier"][0]["overhead_percent"] == 0


def test_plot_option(matplotlib, tmp_path):
    plot = tmp_path / "timeline.png"
    result = run("plan", EXAMPLES / "transformer_block.mlir", "--budget", "0.8",
                 "--plot", plot)
    assert result.returncode == 0, result.stderr
    assert plot.stat().st_size > 1000


def test_missing_file():
    result = run("report", EXAMPLES / "no-such-file.mlir")
    assert result.returncode == 1
    assert "no-such-file.mlir" in result.stderr
