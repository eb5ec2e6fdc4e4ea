"""Errors raise remat.RematError with MLIR's diagnostics and locations."""

import re

import pytest

import remat

from conftest import EXAMPLES


def test_bad_ir_is_a_parse_error_with_its_location():
    with pytest.raises(remat.RematError) as info:
        remat.report("func.func @f() {\n  %0 = arith.constant 1 : i32\n  bogus\n}\n")
    error = info.value
    assert error.status == "parse error"
    assert re.search(r"<input>:3:\d+: error: ", str(error))
    assert error.errors and error.errors[0].startswith("<input>:3:")


def test_verifier_error():
    ir = "func.func @f(%a: i32) -> i64 {\n  return %a : i32\n}\n"
    with pytest.raises(remat.RematError) as info:
        remat.report(ir)
    assert info.value.status == "parse error"
    assert "<input>:2:" in str(info.value)


def test_file_locations_name_the_file(tmp_path):
    path = tmp_path / "broken.mlir"
    path.write_text("func.func @f( {\n")
    with pytest.raises(remat.RematError, match=re.escape(str(path)) + r":1:\d+: error"):
        remat.report(path)


def test_infeasible_budget_names_the_smallest_feasible_budget():
    path = EXAMPLES / "transformer_block.mlir"
    smallest = remat.frontier(path, points=1).smallest_feasible
    with pytest.raises(remat.RematError) as info:
        remat.plan(path, "1KiB")
    error = info.value
    assert error.status == "pass error"
    message = str(error)
    assert f"{path}:" in message
    assert "below the smallest feasible budget" in message
    assert f"{smallest} bytes" in message


def test_invalid_budget_string():
    with pytest.raises(remat.RematError, match="invalid budget 'lots'"):
        remat.plan(EXAMPLES / "mlp.mlir", "lots")


def test_invalid_budget_values():
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        remat.plan(EXAMPLES / "mlp.mlir", 1.5)
    with pytest.raises(TypeError):
        remat.plan(EXAMPLES / "mlp.mlir", True)


def test_unknown_solver():
    with pytest.raises(remat.RematError, match="unknown solver 'magic'"):
        remat.plan(EXAMPLES / "mlp.mlir", 0.99, solver="magic")


def test_unknown_mip_solver():
    with pytest.raises(ValueError, match="unknown MILP solver 'glpk'"):
        remat.plan(EXAMPLES / "mlp.mlir", 0.96, solver="exact",
                   mip_solver="glpk")


def test_invalid_time_limit():
    # Checked before the pass touches the IR: one error, no module dump.
    for limit in (float("nan"), float("inf"), -1.0):
        with pytest.raises(remat.RematError, match="the time limit must be") as info:
            remat.plan(EXAMPLES / "mlp.mlir", 0.99, time_limit=limit)
        assert "see current operation" not in str(info.value)


def test_invalid_lowering_option():
    with pytest.raises(remat.RematError, match="chip must be a CUDA architecture"):
        remat.lower(EXAMPLES / "tiny_chain.mlir", target="nvvm", options="chip=")


def test_unknown_lowering_target():
    with pytest.raises(remat.RematError, match="unknown lowering target 'tpu'"):
        remat.lower(EXAMPLES / "tiny_chain.mlir", target="tpu")


def test_bad_pipeline():
    with pytest.raises(remat.RematError, match="invalid pass pipeline"):
        remat.run_pipeline(EXAMPLES / "tiny_chain.mlir", "no-such-pass")


def test_no_training_step_to_plan():
    ir = ("func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {\n"
          "  return %a : tensor<4xf32>\n}\n")
    with pytest.raises(remat.RematError, match="no training step"):
        remat.plan(ir, "1MiB")


def test_the_context_survives_errors():
    with pytest.raises(remat.RematError):
        remat.report("not mlir")
    assert remat.report(EXAMPLES / "tiny_chain.mlir").peak > 0
