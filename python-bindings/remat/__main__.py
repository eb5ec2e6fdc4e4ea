"""python -m remat report|plan|frontier|lower FILE.mlir [options]

Prints what remat-opt's passes write with report-file= / plan-file= (a JSON
array, one object per function) or, for lower, the lowered IR. Errors go to
stderr as MLIR diagnostics, with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from . import _api, _plot


def _read(path: str):
    """IR from a file (its path names the locations), or stdin for '-'."""
    return sys.stdin.read() if path == "-" else pathlib.Path(path)


def _print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _remarks(args, diagnostics: str) -> None:
    if args.remarks and diagnostics:
        sys.stderr.write(diagnostics)


def _write(path: str, text: str) -> None:
    pathlib.Path(path).write_text(text, encoding="utf-8")


def _cost(args) -> tuple:
    """The cost model options (--cost, --cost-target, --calibration)."""
    return args.cost, args.cost_target, args.calibration


def _report(args) -> None:
    functions, diagnostics = _api.report_json(_read(args.file), *_cost(args))
    _remarks(args, diagnostics)
    _print_json(functions)
    if args.plot:
        _plot.plot_timeline(_api.Report.from_json(
            _api._select(functions, None, "report", diagnostics), diagnostics),
            args.plot)


def _plan(args) -> None:
    functions, rewritten, diagnostics = _api.plan_json(
        _read(args.file), args.budget, args.solver, args.time_limit,
        *_cost(args), mip_solver=args.mip_solver)
    _remarks(args, diagnostics)
    _print_json(functions)
    if args.output:
        _write(args.output, rewritten)
    if args.plot:
        _plot.plot_timeline(_api.Plan.from_json(
            _api._select(functions, None, "plan", diagnostics), rewritten,
            diagnostics), args.plot)


def _frontier(args) -> None:
    functions, diagnostics = _api.frontier_json(
        _read(args.file), args.points, args.solver, args.time_limit,
        *_cost(args), mip_solver=args.mip_solver)
    _remarks(args, diagnostics)
    _print_json(functions)
    if args.plot:
        _plot.plot_frontier(_api.Frontier.from_json(
            _api._select(functions, None, "frontier", diagnostics), diagnostics),
            args.plot)


def _lower(args) -> None:
    options = f"mip-solver={args.mip_solver}"
    if args.options:
        options += " " + args.options
    lowered = _api.lower(_read(args.file), args.target,
                         args.budget,
                         args.solver, args.time_limit, options)
    if args.output:
        _write(args.output, lowered)
    else:
        sys.stdout.write(lowered)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m remat",
        description="remat: memory planning for MLIR training graphs")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, help, run):
        sub = commands.add_parser(name, help=help)
        sub.add_argument("file", help="the training step (.mlir; '-' for stdin)")
        sub.add_argument("--remarks", action="store_true",
                         help="print remat's remarks to stderr")
        sub.set_defaults(run=run)
        return sub

    def cost_options(sub):
        sub.add_argument("--cost", default="flops",
                         choices=["flops", "roofline", "measured"],
                         help="what a recomputation costs (docs/cost-model.md)")
        sub.add_argument("--cost-target", choices=["cpu", "gpu"],
                         help="the machine of the roofline (default cpu)")
        sub.add_argument("--calibration",
                         help="--cost measured's per-op times (remat-calibrate "
                              "-o FILE writes them)")

    def solver_options(sub, time_limit):
        sub.add_argument("--solver", default="fast",
                         help="fast (default), exact, keep-all, recompute-all, "
                              "sqrtn, knapsack")
        sub.add_argument("--time-limit", type=float, default=time_limit,
                         help="time limit of the exact solver, in seconds")
        sub.add_argument("--mip-solver", default="highs",
                         choices=["highs", "cbc"],
                         help="the exact solver's MILP solver (default highs)")

    report = command("report", "where the step's memory goes (JSON)", _report)
    report.add_argument("--plot", help="also plot the live memory to this file")
    cost_options(report)

    plan = command("plan", "fit the step into a budget (plan JSON)", _plan)
    plan.add_argument("--budget", required=True,
                      help="bytes with a unit (768MiB, 2GB, 1073741824) or a "
                           "fraction in (0, 1] of the unplanned peak")
    solver_options(plan, 60.0)
    cost_options(plan)
    plan.add_argument("-o", "--output", help="write the rewritten IR here")
    plan.add_argument("--plot", help="also plot live memory before and after")

    front = command("frontier", "the memory / recompute frontier (JSON)",
                    _frontier)
    front.add_argument("--points", type=int, default=10,
                       help="how many budgets to plan at (default 10)")
    solver_options(front, 10.0)
    cost_options(front)
    front.add_argument("--plot", help="also plot the frontier to this file")

    lower = command("lower", "lower through remat-pipeline-<target> (IR)",
                    _lower)
    lower.add_argument("--target", default="cpu", help="cpu (default) or nvvm")
    lower.add_argument("--budget", help="plan to this budget first")
    solver_options(lower, 60.0)
    lower.add_argument("--options", help="more pipeline options, e.g. chip=sm_80")
    lower.add_argument("-o", "--output", help="write the lowered IR here")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except _api.RematError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    except OSError as error:
        sys.stderr.write(f"python -m remat: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
