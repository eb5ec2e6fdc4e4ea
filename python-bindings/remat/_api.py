"""The Python API over remat's C API: report, plan, apply, frontier, lower."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Optional, Union

IR = Union[str, bytes, "os.PathLike[str]"]
Budget = Union[int, float, str]

_OK = 0


class RematError(Exception):
    """A remat call failed: the IR did not parse, a pass failed (e.g. an
    infeasible budget), or an argument was invalid.

    ``diagnostics`` holds every diagnostic of the call as MLIR prints them,
    ``LOCATION: SEVERITY: MESSAGE`` one per line; ``errors`` the error lines;
    ``status`` the C API's status ("parse error", "pass error", ...).
    """

    def __init__(self, message: str, diagnostics: str = "", status: str = "error"):
        self.status = status
        self.diagnostics = diagnostics
        self.errors = [line for line in diagnostics.splitlines() if ": error: " in line]
        shown = "\n".join(_errors_with_notes(diagnostics)) or diagnostics.strip()
        super().__init__(f"{message}\n{shown}" if shown else message)


def _errors_with_notes(diagnostics: str) -> list[str]:
    """The error lines of `diagnostics`, each with the notes that follow it."""
    lines, in_error = [], False
    for line in diagnostics.splitlines():
        if ": error: " in line:
            in_error = True
        elif ": note: " not in line:
            in_error = False
        if in_error:
            lines.append(line)
    return lines


_context = None
_context_lock = threading.Lock()


def _native():
    """The extension's shared context, created on first use."""
    global _context
    with _context_lock:
        if _context is None:
            try:
                from . import _remat
            except ImportError as error:
                raise ImportError(
                    "remat's extension (remat._remat) is not built: run "
                    "`pip install ./python-bindings`, or build remat "
                    "(scripts/build) and put build/python-bindings beside "
                    "python-bindings on PYTHONPATH"
                ) from error
            _context = _remat.Context()
        return _context


def _source(ir: IR) -> tuple[str, str]:
    """The IR text and the name its diagnostics' locations carry."""
    if isinstance(ir, os.PathLike):
        path = os.fspath(ir)
        with open(path, encoding="utf-8") as file:
            return file.read(), path
    if isinstance(ir, bytes):
        return ir.decode("utf-8"), "<input>"
    if isinstance(ir, str):
        return ir, "<input>"
    raise TypeError(f"IR must be MLIR text or a path, not {type(ir).__name__}")


def _budget_text(budget: Budget) -> str:
    """remat's budget syntax: an int is bytes, a float a fraction of the
    unplanned peak, a str is passed through ("768MiB", "2GB", "0.6")."""
    if isinstance(budget, bool):
        raise TypeError("budget must be bytes (int), a fraction (float) or a string")
    if isinstance(budget, int):
        return str(budget)
    if isinstance(budget, float):
        if not 0 < budget <= 1:
            raise ValueError(
                f"a fractional budget must be in (0, 1], not {budget}; "
                "give bytes as an int or a string such as '768MiB'"
            )
        return repr(budget)
    if isinstance(budget, str):
        return budget
    raise TypeError(
        f"budget must be bytes (int), a fraction (float) or a string, "
        f"not {type(budget).__name__}"
    )


def _cost_options(cost: str, target: Optional[str],
                  calibration: Optional[Union[str, os.PathLike]]) -> Optional[str]:
    """The planning passes' cost options as text (docs/cost-model.md):
    cost is "flops", "roofline" or "measured"; target "cpu" or "gpu";
    calibration the JSON file `remat-calibrate` writes."""
    options = [f"cost={cost}"]
    if target is not None:
        options.append(f"target={target}")
    if calibration is not None:
        path = os.fspath(calibration)
        options.append(f'calibration="{path}"' if " " in path
                       else f"calibration={path}")
    return " ".join(options)


def _planning_options(cost: str, target: Optional[str], calibration,
                      mip_solver: str) -> str:
    """The cost options and exact's MILP solver ("highs" or "cbc"; another
    name is a ValueError here: the pass's option parser would only print its
    complaint to stderr)."""
    if mip_solver not in ("highs", "cbc"):
        raise ValueError(f"unknown MILP solver '{mip_solver}'; expected highs "
                         "or cbc")
    return _cost_options(cost, target, calibration) + f" mip-solver={mip_solver}"


def _check(what: str, result: tuple) -> tuple:
    """The outputs of a C API call, or a RematError with its diagnostics."""
    status, *outputs, diagnostics = result
    if status != _OK:
        from . import _remat

        name = _remat.status_name(status)
        raise RematError(f"remat.{what} failed ({name}):", diagnostics, name)
    return (*outputs, diagnostics)


def _select(functions: list[dict], function: Optional[str], what: str,
            diagnostics: str) -> dict:
    """The JSON object of `function`, or of the module's training step."""
    if function is not None:
        for entry in functions:
            if entry.get("function") == function:
                return entry
        raise RematError(f"remat.{what}: no function '{function}' in the results",
                         diagnostics)
    if not functions:
        raise RematError(
            f"remat.{what}: the module has no training step remat can plan "
            "(see the remarks)", diagnostics)
    steps = [entry for entry in functions if entry.get("training_step", True)]
    return (steps or functions)[0]


@dataclass
class Value:
    """A value as the report names it: ``%3`` from ``linalg.matmul``."""

    name: str
    op: str
    bytes: int
    loc: str

    @classmethod
    def from_json(cls, entry: dict) -> "Value":
        return cls(entry["value"], entry["op"], entry["bytes"], entry["loc"])


@dataclass
class Recomputed(Value):
    """A stashed activation the plan recomputes ``times`` times."""

    times: int = 1
    flops: float = 0

    @classmethod
    def from_json(cls, entry: dict) -> "Recomputed":
        return cls(entry["value"], entry["op"], entry["bytes"], entry["loc"],
                   entry["times"], entry["flops"])


@dataclass
class Report:
    """remat-report for one function: where its memory goes."""

    function: str
    training_step: bool
    peak: int
    peak_step: int
    peak_op: Optional[str]
    peak_loc: Optional[str]
    argument_bytes: int
    forward_flops: int
    backward_flops: int
    stashed: list[Value]
    stashed_bytes: int
    live_at_peak: list[Value]
    timeline: list[int] = field(repr=False)
    timeline_ops: list[str] = field(repr=False)
    # The values the step's own policies (remat.policy, remat.checkpoint) pin.
    pinned_save: list[Value] = field(default_factory=list)
    pinned_recompute: list[Value] = field(default_factory=list)
    diagnostics: str = field(default="", repr=False)
    json: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, entry: dict, diagnostics: str) -> "Report":
        return cls(
            function=entry["function"],
            training_step=entry["training_step"],
            peak=entry["peak_bytes"],
            peak_step=entry["peak_step"],
            peak_op=entry.get("peak_op"),
            peak_loc=entry.get("peak_loc"),
            argument_bytes=entry["argument_bytes"],
            forward_flops=entry["forward_flops"],
            backward_flops=entry["backward_flops"],
            stashed=[Value.from_json(v) for v in entry["stashed"]],
            stashed_bytes=entry["stashed_bytes"],
            live_at_peak=[Value.from_json(v) for v in entry["live_at_peak"]],
            timeline=list(entry["timeline"]),
            timeline_ops=list(entry["timeline_ops"]),
            pinned_save=[Value.from_json(v)
                         for v in entry.get("pinned_save", [])],
            pinned_recompute=[Value.from_json(v)
                              for v in entry.get("pinned_recompute", [])],
            diagnostics=diagnostics,
            json=entry,
        )


@dataclass
class Plan:
    """remat-checkpoint for one function: what to keep, what to recompute,
    and the rewritten IR (the whole module) in ``ir``."""

    function: str
    solver: str
    budget: int
    unplanned_peak: int
    planned_peak: int
    rewritten_peak: int
    smallest_feasible: int
    recompute_flops: float
    step_flops: float
    overhead: float
    solve_seconds: float
    proven_optimal: bool
    kept: list[Value]
    cost_model: str
    recomputed: list[Recomputed]
    timeline_before: list[int] = field(repr=False)
    timeline_after: list[int] = field(repr=False)
    # The cost model's own overhead (%): FLOPs under "flops", predicted time
    # under "roofline" and "measured" (with the seconds; None under flops).
    predicted_overhead: float = 0.0
    recompute_seconds: Optional[float] = None
    step_seconds: Optional[float] = None
    # The most the plan's recompute cost can be above the least any plan
    # within the budget needs, as a fraction of it (a proven lower bound;
    # exact's own gap; None without a budget).
    proven_gap: Optional[float] = None
    ir: str = field(default="", repr=False)
    diagnostics: str = field(default="", repr=False)
    json: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, entry: dict, ir: str, diagnostics: str) -> "Plan":
        return cls(
            function=entry["function"],
            solver=entry["solver"],
            budget=entry["budget_bytes"],
            unplanned_peak=entry["unplanned_peak_bytes"],
            planned_peak=entry["planned_peak_bytes"],
            rewritten_peak=entry["rewritten_peak_bytes"],
            smallest_feasible=entry["smallest_feasible_bytes"],
            recompute_flops=entry["recompute_flops"],
            step_flops=entry["step_flops"],
            overhead=entry["overhead_percent"],
            solve_seconds=entry["solve_seconds"],
            proven_optimal=entry["proven_optimal"],
            kept=[Value.from_json(v) for v in entry["kept"]],
            cost_model=entry.get("cost_model", "flops"),
            predicted_overhead=entry.get("predicted_overhead_percent",
                                         entry["overhead_percent"]),
            recompute_seconds=entry.get("recompute_seconds"),
            step_seconds=entry.get("step_seconds"),
            proven_gap=entry.get("proven_gap"),
            recomputed=[Recomputed.from_json(v) for v in entry["recomputed"]],
            timeline_before=list(entry["timeline_before"]),
            timeline_after=list(entry["timeline_after"]),
            ir=ir,
            diagnostics=diagnostics,
            json=entry,
        )


@dataclass
class FrontierPoint:
    """A plan on the memory / recompute frontier: at ``budget`` bytes the
    step peaks at ``planned_peak`` and recomputes ``overhead`` % of its
    FLOPs."""

    budget: int
    planned_peak: int
    recompute_flops: float
    overhead: float


class Frontier(list):
    """The frontier's points (a list of FrontierPoint, least recompute
    first) with the step's unplanned peak and smallest feasible budget."""

    def __init__(self, points, *, function: str, solver: str,
                 unplanned_peak: int, smallest_feasible: int, step_flops: float,
                 diagnostics: str = "", json: Optional[dict] = None):
        super().__init__(points)
        self.function = function
        self.solver = solver
        self.unplanned_peak = unplanned_peak
        self.smallest_feasible = smallest_feasible
        self.step_flops = step_flops
        self.diagnostics = diagnostics
        self.json = json or {}

    @classmethod
    def from_json(cls, entry: dict, diagnostics: str) -> "Frontier":
        points = [FrontierPoint(p["budget_bytes"], p["planned_peak_bytes"],
                                p["recompute_flops"], p["overhead_percent"])
                  for p in entry["frontier"]]
        return cls(points, function=entry["function"], solver=entry["solver"],
                   unplanned_peak=entry["unplanned_peak_bytes"],
                   smallest_feasible=entry["smallest_feasible_bytes"],
                   step_flops=entry["step_flops"], diagnostics=diagnostics,
                   json=entry)


# The raw calls, for the CLI: (JSON array, ...outputs, diagnostics).

def report_json(ir: IR, cost: str = "flops", target: Optional[str] = None,
                calibration=None) -> tuple[list, str]:
    text, name = _source(ir)
    json_text, diagnostics = _check("report", _native().report(
        text, name, _cost_options(cost, target, calibration)))
    return json.loads(json_text), diagnostics


def plan_json(ir: IR, budget: Optional[Budget], solver: str = "fast",
              time_limit: float = 60, cost: str = "flops",
              target: Optional[str] = None,
              calibration=None,
              mip_solver: str = "highs") -> tuple[list, str, str]:
    text, name = _source(ir)
    json_text, rewritten, diagnostics = _check(
        "plan", _native().plan(text, name,
                               "" if budget is None else _budget_text(budget),
                               solver, float(time_limit),
                               _planning_options(cost, target, calibration,
                                                 mip_solver)))
    return json.loads(json_text), rewritten, diagnostics


def frontier_json(ir: IR, points: int = 10, solver: str = "fast",
                  time_limit: float = 10, cost: str = "flops",
                  target: Optional[str] = None,
                  calibration=None,
                  mip_solver: str = "highs") -> tuple[list, str]:
    if points < 1:
        raise ValueError("points must be at least 1")
    text, name = _source(ir)
    json_text, diagnostics = _check(
        "frontier", _native().frontier(text, name, int(points), solver,
                                       float(time_limit),
                                       _planning_options(cost, target,
                                                         calibration,
                                                         mip_solver)))
    return json.loads(json_text), diagnostics


# The API.

def report(ir: IR, function: Optional[str] = None, cost: str = "flops",
           target: Optional[str] = None, calibration=None) -> Report:
    """Where the training step's memory goes (remat-report).

    ``ir`` is MLIR text or a path to a .mlir file. With several functions in
    the module, ``function`` picks one (default: the first training step).
    ``cost``, ``target`` and ``calibration`` choose the cost model as in
    plan(); under a time model the report's JSON has forward_seconds and
    backward_seconds.
    """
    functions, diagnostics = report_json(ir, cost, target, calibration)
    return Report.from_json(_select(functions, function, "report", diagnostics),
                            diagnostics)


def plan(ir: IR, budget: Optional[Budget], solver: str = "fast",
         time_limit: float = 60, function: Optional[str] = None,
         cost: str = "flops", target: Optional[str] = None,
         calibration=None, mip_solver: str = "highs") -> Plan:
    """Fits the step into ``budget`` by recomputation (remat-checkpoint).

    ``budget``: bytes as an int, a fraction of the unplanned peak as a float
    in (0, 1], or a string in remat's syntax ("768MiB", "2GB", "0.6"); None
    only with solver="manual", which applies the step's policies
    (remat.policy, remat.checkpoint) and nothing else.
    ``solver``: fast, exact, keep-all, recompute-all, sqrtn, knapsack or
    manual;
    ``time_limit`` bounds the exact solver, in seconds, and ``mip_solver``
    is its MILP solver: "highs" (the default) or "cbc". An infeasible budget
    raises RematError naming the smallest feasible budget.
    ``cost``: what a recomputation costs (docs/cost-model.md): "flops",
    "roofline" (per ``target``, "cpu" or "gpu") or "measured" (per-op times
    of ``calibration``, the JSON file ``remat-calibrate`` writes); the
    plan's ``predicted_overhead`` is the model's, in %.
    """
    functions, rewritten, diagnostics = plan_json(
        ir, budget, solver, time_limit, cost, target, calibration, mip_solver)
    return Plan.from_json(_select(functions, function, "plan", diagnostics),
                          rewritten, diagnostics)


def apply(ir: IR, budget: Budget, solver: str = "fast",
          time_limit: float = 60, cost: str = "flops",
          target: Optional[str] = None, calibration=None,
          mip_solver: str = "highs") -> str:
    """The IR rewritten to fit ``budget``: plan(...).ir, every function of
    the module planned."""
    return plan_json(ir, budget, solver, time_limit, cost, target,
                     calibration, mip_solver)[1]


def frontier(ir: IR, points: int = 10, solver: str = "fast",
             time_limit: float = 10, function: Optional[str] = None,
             cost: str = "flops", target: Optional[str] = None,
             calibration=None, mip_solver: str = "highs") -> Frontier:
    """The memory / recompute trade-off (remat-frontier): plans at ``points``
    budgets from the unplanned peak down to the smallest feasible one and
    returns the Pareto points, least recompute first (least cost under
    ``cost``, see plan())."""
    functions, diagnostics = frontier_json(ir, points, solver, time_limit,
                                           cost, target, calibration,
                                           mip_solver)
    return Frontier.from_json(
        _select(functions, function, "frontier", diagnostics), diagnostics)


def lowering_targets() -> list[str]:
    """The targets lower() accepts in this build: "cpu", "nvvm"."""
    from . import _remat

    _native()
    return [target for target in ("cpu", "nvvm")
            if _remat.pipeline_registered(f"remat-pipeline-{target}")]


def lower(ir: IR, target: str = "cpu", budget: Optional[Budget] = None,
          solver: str = "fast", time_limit: float = 60,
          options: Optional[str] = None) -> str:
    """The step through remat's lowering pipeline (remat-pipeline-cpu or
    remat-pipeline-nvvm), planned first when ``budget`` is given. ``options``
    are more of the pipeline's options as text, e.g. "chip=sm_80". Returns the
    lowered module as MLIR text (LLVM dialect; for nvvm with its GPU binary).
    """
    text, name = _source(ir)
    lowered, _ = _check("lower", _native().lower(
        text, name, target, None if budget is None else _budget_text(budget),
        solver, float(time_limit), options))
    return lowered


def run_pipeline(ir: IR, pipeline: str) -> str:
    """Any textual pass pipeline, as remat-opt's --pass-pipeline takes it
    inside builtin.module(...): "canonicalize,cse",
    "remat-checkpoint{budget=0.8},remat-inline-recompute"."""
    text, name = _source(ir)
    output, _ = _check("run_pipeline", _native().run_pipeline(text, name, pipeline))
    return output

