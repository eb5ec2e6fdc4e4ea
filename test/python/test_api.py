"""remat's Python API on the bundled examples."""

import json
import os
import shutil

import pytest

import remat

from conftest import EXAMPLES


def smallest_feasible(path):
    return remat.frontier(path, points=1).smallest_feasible


def test_report(example):
    report = remat.report(example)
    assert report.function == "train_step"
    assert report.training_step
    assert report.peak == max(report.timeline)
    assert report.timeline[report.peak_step] == report.peak
    assert len(report.timeline) == len(report.timeline_ops)
    assert report.stashed and report.stashed_bytes > 0
    assert all(v.name.startswith("%") and v.bytes > 0 for v in report.stashed)
    assert report.forward_flops > 0 and report.backward_flops > 0
    assert report.peak_loc.startswith(str(example))
    assert "remark: remat-report: peak" in report.diagnostics
    assert report.json["peak_bytes"] == report.peak


def test_report_of_text_and_of_path_agree(example):
    from_text = remat.report(example.read_text())
    from_path = remat.report(example)
    assert from_text.timeline == from_path.timeline
    assert from_text.peak_loc.startswith("<input>:")


def test_plan_at_smallest_feasible_budget(example):
    budget = smallest_feasible(example)
    plan = remat.plan(example, budget)
    assert plan.budget == budget
    assert plan.planned_peak <= budget
    assert plan.rewritten_peak == max(plan.timeline_after)
    assert plan.rewritten_peak <= budget
    # One plan, and the rewritten step peaks exactly at it.
    assert plan.rewritten_peak == plan.planned_peak
    assert plan.unplanned_peak == max(plan.timeline_before)
    assert len(plan.kept) + len(plan.recomputed) == len(remat.report(example).stashed)
    if budget < plan.unplanned_peak:
        assert plan.recomputed and plan.overhead > 0
        assert "remat.recompute" in plan.ir
    assert plan.solve_seconds >= 0
    assert "remat-checkpoint: unplanned peak" in plan.diagnostics
    # A proven bound on how far the plan can be from the least recompute.
    assert plan.proven_gap is not None and 0 <= plan.proven_gap <= 1
    assert "% above the least any plan within the budget needs" in plan.diagnostics


@pytest.mark.parametrize("budget", [0.95, "0.95", 1.0])
def test_plan_budget_forms(budget):
    path = EXAMPLES / "transformer_block.mlir"
    plan = remat.plan(path, budget)
    assert plan.budget == int(float(budget) * plan.unplanned_peak)
    assert plan.planned_peak <= plan.budget


def test_plan_bytes_with_unit():
    path = EXAMPLES / "transformer_block.mlir"
    plan = remat.plan(path, "600KiB")
    assert plan.budget == 600 * 1024
    assert plan.planned_peak <= plan.budget


def test_plan_exact_solver():
    plan = remat.plan(EXAMPLES / "mlp.mlir", 0.96, solver="exact", time_limit=30)
    assert plan.solver == "exact"
    assert plan.planned_peak <= plan.budget


def test_plan_exact_on_either_milp_solver():
    # HiGHS (the default) and CBC prove the same optimum on this step.
    plans = [remat.plan(EXAMPLES / "mlp.mlir", 0.96, solver="exact",
                        time_limit=30, mip_solver=mip)
             for mip in ("highs", "cbc")]
    assert all(p.proven_optimal for p in plans)
    assert plans[0].recompute_flops == plans[1].recompute_flops
    assert plans[0].planned_peak <= plans[0].budget


def test_plan_manual_applies_the_policies_without_a_budget():
    # checkpoint(layer 1): one region over the first matmul and activation;
    # "recompute" on the second activation (docs/user-guide.md).
    text = (EXAMPLES / "mlp.mlir").read_text()
    text = text.replace("%mm1 = linalg.matmul ins",
                        "%mm1 = linalg.matmul {remat.checkpoint = 0 : i64} ins")
    text = text.replace("%h1 = linalg.generic {",
                        "%h1 = linalg.generic {remat.checkpoint = 0 : i64, ")
    text = text.replace("%h2 = linalg.generic {",
                        '%h2 = linalg.generic {remat.policy = "recompute", ')
    plan = remat.plan(text, None, solver="manual")
    assert plan.solver == "manual" and plan.budget is None
    assert plan.proven_gap is None
    assert plan.json["pinned_recompute"] == 2
    pinned = [v for v in plan.json["recomputed"] if v.get("policy") == "recompute"]
    assert len(pinned) == 1 and pinned[0]["times"] == 1
    assert plan.rewritten_peak == plan.planned_peak
    # The report names the same pins.
    report = remat.report(text)
    assert len(report.pinned_recompute) == plan.json["pinned_recompute"]
    assert len(report.pinned_save) == plan.json["pinned_save"]
    assert "pinned by the step's policies" in report.diagnostics
    assert not remat.report(EXAMPLES / "mlp.mlir").pinned_recompute
    with pytest.raises(remat.RematError, match="needs a budget"):
        remat.plan(text, None)


def test_apply_returns_the_rewritten_ir_which_reparses():
    path = EXAMPLES / "transformer_block.mlir"
    rewritten = remat.apply(path, 0.8)
    assert "remat.recompute" in rewritten
    # The rewritten step parses again and fits the budget it was planned for.
    again = remat.report(rewritten)
    assert again.peak <= int(0.8 * remat.report(path).peak)


def test_frontier(example):
    points = remat.frontier(example, points=4)
    assert isinstance(points, list) and points
    assert all(isinstance(p, remat.FrontierPoint) for p in points)
    assert points[0].overhead == 0
    assert points[0].planned_peak == points.unplanned_peak
    overheads = [p.overhead for p in points]
    peaks = [p.planned_peak for p in points]
    assert overheads == sorted(overheads)
    assert peaks == sorted(peaks, reverse=True)
    assert points[-1].planned_peak >= points.smallest_feasible


def test_lower_cpu(example):
    if "cpu" not in remat.lowering_targets():
        pytest.skip("remat-pipeline-cpu is not registered in this build")
    lowered = remat.lower(example, target="cpu")
    assert "llvm.func @train_step" in lowered
    assert "linalg." not in lowered


def test_lower_cpu_with_budget():
    if "cpu" not in remat.lowering_targets():
        pytest.skip("remat-pipeline-cpu is not registered in this build")
    path = EXAMPLES / "transformer_block.mlir"
    assert "llvm.func @_mlir_ciface_train_step" in remat.lower(path, budget=0.8)


def test_lower_nvvm():
    if "nvvm" not in remat.lowering_targets():
        pytest.skip("remat-pipeline-nvvm is not registered in this build")
    if not (shutil.which("ptxas") or os.path.exists("/usr/local/cuda/bin/ptxas")):
        pytest.skip("no CUDA toolkit (ptxas): the nvvm pipeline cannot make a binary")
    lowered = remat.lower(EXAMPLES / "tiny_chain.mlir", target="nvvm",
                          options="chip=sm_80")
    assert "gpu.binary @train_step_kernel" in lowered


def test_run_pipeline():
    ir = remat.run_pipeline(EXAMPLES / "tiny_chain.mlir", "canonicalize,cse")
    assert "func.func @train_step" in ir


def test_report_json_matches_the_pass_output(tmp_path):
    """The C API returns what remat-opt's report-file= writes."""
    functions, _ = remat._api.report_json(EXAMPLES / "mlp.mlir")
    assert [f["function"] for f in functions] == ["train_step"]
    assert json.loads(json.dumps(functions)) == functions


def test_plan_cost_models():
    """cost= reaches the pass: the roofline predicts time, flops does not."""
    example = EXAMPLES / "transformer_block.mlir"
    flops = remat.plan(example, 0.8)
    assert flops.cost_model == "flops" and flops.step_seconds is None
    assert flops.predicted_overhead == pytest.approx(flops.overhead)
    roofline = remat.plan(example, 0.8, cost="roofline", target="gpu")
    assert roofline.cost_model == "roofline"
    assert roofline.step_seconds > 0 and roofline.recompute_seconds >= 0
    assert "predicted time (cost=roofline)" in roofline.diagnostics
    with pytest.raises(remat.RematError, match="cost=measured needs calibration"):
        remat.plan(example, 0.8, cost="measured")
