#!/usr/bin/env python3
"""remat-checkpoint on MLIR training steps: every solver at every budget.

For each step (examples/*.mlir, and bench/graphs/*.mlir when present) and each
budget in {1.0, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, smallest feasible}, runs
`remat-opt --remat-checkpoint` with each solver and prints a markdown table of
the planned peak, the recompute overhead (% of the step's FLOPs) and the solve
time. Prints tables; asserts nothing.

Usage: bench/examples/run.py [--remat-opt PATH] [--exact-time-limit S]
                             [--plot DIR] [FILES...]
With --plot, also draws overhead against budget for each step into
DIR/overhead-<step>.png (matplotlib).
"""
import argparse
import glob
import json
import os
import subprocess
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLVERS = ["fast", "exact", "keep-all", "recompute-all", "sqrtn", "knapsack"]
FRACTIONS = ["1.0", "0.9", "0.8", "0.7", "0.6", "0.4", "0.3"]


def checkpoint(tool, path, budget, solver, time_limit):
    """One planning run: its plan JSON, or the error it printed."""
    with tempfile.NamedTemporaryFile(suffix=".json") as plan:
        options = "budget=%s solver=%s time-limit=%s plan-file=%s" % (
            budget, solver, time_limit, plan.name)
        proc = subprocess.run(
            [tool, path, "--remat-checkpoint=" + options, "-o", os.devnull],
            capture_output=True, text=True)
        if proc.returncode != 0:
            errors = [l for l in proc.stderr.splitlines() if "error:" in l]
            return {"error": errors[0].split("error: ", 1)[1] if errors else "failed"}
        plans = json.load(open(plan.name))
    return plans[0] if plans else {"error": "no training step"}


def cell(result):
    if "error" in result:
        return "over budget" if "found no plan" in result["error"] else "error"
    text = "%.1f KiB, %.2f%%" % (result["planned_peak_bytes"] / 1024,
                                 result["overhead_percent"])
    if result["solver"] == "exact":
        text += " (opt)" if result["proven_optimal"] else " (not proven)"
    return text


def bench_step(tool, path, time_limit):
    """Prints the step's rows; returns {solver: [(budget fraction, overhead)]}."""
    name = os.path.relpath(path, REPO)
    curves = {solver: [] for solver in SOLVERS}
    smallest = checkpoint(tool, path, "1.0", "fast", time_limit)
    if "error" in smallest:
        print("| %s | %s |" % (name, smallest["error"]))
        return curves
    unplanned = smallest["unplanned_peak_bytes"]
    budgets = FRACTIONS + ["%dB" % smallest["smallest_feasible_bytes"]]
    for budget in budgets:
        row, times = [], []
        for solver in SOLVERS:
            result = checkpoint(tool, path, budget.rstrip("B"), solver, time_limit)
            if "error" in result and "below the smallest feasible" in result["error"]:
                row = ["below the smallest feasible budget"] + [""] * (len(SOLVERS) - 1)
                times = ["", ""]
                break
            row.append(cell(result))
            if "error" not in result:
                curves[solver].append((result["budget_bytes"] / unplanned,
                                       result["overhead_percent"]))
            if solver in ("fast", "exact"):
                times.append("%.3f" % result["solve_seconds"] if "solve_seconds" in result else "")
        label = budget if not budget.endswith("B") else "smallest (%s B)" % budget[:-1]
        print("| %s | %.1f KiB | %s | %s | %s |" % (
            name, unplanned / 1024, label, " | ".join(row), " | ".join(times)))
    return curves


def plot(curves, name, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for solver, points in curves.items():
        if points:
            xs, ys = zip(*sorted(points))
            ax.plot(xs, ys, marker="o", label=solver)
    ax.set_xlabel("budget (fraction of the unplanned peak)")
    ax.set_ylabel("recompute overhead (% of step FLOPs)")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_title(name)
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "overhead-%s.png" % name))
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--remat-opt", default=os.path.join(REPO, "build/bin/remat-opt"))
    parser.add_argument("--exact-time-limit", type=float, default=30)
    parser.add_argument("--plot", metavar="DIR")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    files = args.files or sorted(glob.glob(os.path.join(REPO, "examples/*.mlir")) +
                                 glob.glob(os.path.join(REPO, "bench/graphs/*.mlir")))
    print("Planned peak and recompute overhead (%% of the step's FLOPs) per "
          "solver; exact limited to %g s.\n" % args.exact_time_limit)
    print("| step | unplanned peak | budget | " + " | ".join(SOLVERS) +
          " | fast s | exact s |")
    print("|---|---|---|" + "---|" * (len(SOLVERS) + 2))
    for path in files:
        curves = bench_step(args.remat_opt, path, args.exact_time_limit)
        if args.plot:
            os.makedirs(args.plot, exist_ok=True)
            plot(curves, os.path.splitext(os.path.basename(path))[0], args.plot)


if __name__ == "__main__":
    main()
