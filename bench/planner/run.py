#!/usr/bin/env python3
"""Planner benchmark: remat-plan on the published graphs and on random DAGs.

Prints markdown tables. Usage:
  bench/planner/run.py [--remat-plan PATH] [--exact-time-limit S] [--quick]
Graphs come from ${REMAT_SHARED:-<repo>/../shared}/graphs.
"""
import argparse
import json
import math
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLVERS = ["fast", "exact", "keep-all", "recompute-all", "sqrtn", "knapsack"]
FRACTIONS = ["1.0", "0.9", "0.8", "0.6", "0.4", "0.3"]


def run_plan(tool, source, budget, solver, time_limit):
    """One remat-plan run; its JSON (printed also when infeasible)."""
    cmd = [tool] + source + ["--budget", budget, "--solver", solver,
                             "--time-limit", str(time_limit)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if not proc.stdout.strip():
        return {"error": proc.stderr.strip()}
    return json.loads(proc.stdout)


def smallest_feasible(tool, source):
    """The recompute-all peak, the budget remat calls smallest feasible."""
    return run_plan(tool, source, "1.0", "recompute-all", 1)["planned_peak_bytes"]


def cell(result):
    if "error" in result:
        return "error"
    if not result["feasible"]:
        return "infeasible"
    text = "%.1f%%" % result["overhead_percent"]
    if result["solver"] == "exact" and not result.get("proven_optimal"):
        text += " (gap %.0f%%)" % (100 * result.get("gap", 0))
    return text


def graph_table(tool, graphs_dir, exact_limit, exact_max_nodes):
    print("## Shared graphs: recompute overhead (% of base cost) per budget\n")
    print("| graph | budget | " + " | ".join(SOLVERS) + " | fast s | exact s |")
    print("|---|---|" + "---|" * (len(SOLVERS) + 2))
    ratios = {}
    for name in sorted(os.listdir(graphs_dir)):
        if not name.endswith(".json"):
            continue
        source = [os.path.join(graphs_dir, name)]
        smallest = smallest_feasible(tool, source)
        for budget in FRACTIONS + [str(smallest)]:
            results = {}
            for solver in SOLVERS:
                if solver == "exact":
                    nodes = run_plan(tool, source, budget, "keep-all", 1)["nodes"]
                    if nodes > exact_max_nodes:
                        results[solver] = {"error": "skipped"}
                        continue
                results[solver] = run_plan(tool, source, budget, solver, exact_limit)
            label = budget if "." in budget else "smallest (%d)" % smallest
            row = [cell(results[s]) if results[s].get("error") != "skipped" else "-"
                   for s in SOLVERS]
            times = [("%.3f" % results[s]["solve_seconds"]) if "solve_seconds" in results[s] else "-"
                     for s in ("fast", "exact")]
            print("| %s | %s | %s | %s |" % (name[:-5], label, " | ".join(row), " | ".join(times)))
            sys.stdout.flush()
            fast, exact = results["fast"], results["exact"]
            if exact.get("feasible") and exact.get("proven_optimal") and fast.get("feasible"):
                ratios.setdefault(name[:-5], []).append(fast["total_cost"] / exact["total_cost"])
    print("\n## fast vs exact: total cost relative to the proven MILP optimum (geomean over budgets)\n")
    print("| graph | budgets compared | geomean | worst |")
    print("|---|---|---|---|")
    for name, values in sorted(ratios.items()):
        geo = math.exp(sum(math.log(v) for v in values) / len(values))
        print("| %s | %d | %.4f | %.4f |" % (name, len(values), geo, max(values)))


def scaling_table(tool, sizes):
    print("\n## Solve time on random training DAGs (fast, budget 0.5)\n")
    print("| nodes | seed | solve s | overhead | feasible |")
    print("|---|---|---|---|---|")
    for n in sizes:
        for seed in (1, 2):
            r = run_plan(tool, ["--random", str(n), "--seed", str(seed)], "0.5", "fast", 60)
            print("| %d | %d | %.3f | %.1f%% | %s |" % (
                r["nodes"], seed, r["solve_seconds"], r["overhead_percent"], r["feasible"]))
            sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--remat-plan", default=os.path.join(REPO, "build-planner", "bin", "remat-plan"))
    parser.add_argument("--exact-time-limit", type=float, default=30)
    parser.add_argument("--exact-max-nodes", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="skip the 10k-node run")
    args = parser.parse_args()
    shared = os.environ.get("REMAT_SHARED", os.path.join(REPO, "..", "shared"))
    graph_table(args.remat_plan, os.path.join(shared, "graphs"),
                args.exact_time_limit, args.exact_max_nodes)
    scaling_table(args.remat_plan, [100, 1000] + ([] if args.quick else [10000]))


if __name__ == "__main__":
    main()
