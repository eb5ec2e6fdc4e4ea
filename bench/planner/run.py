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
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLVERS = ["fast", "exact", "keep-all", "recompute-all", "sqrtn", "knapsack"]
FRACTIONS = ["0.9", "0.8", "0.7", "0.6"]


def run_plan(tool, source, budget, solver, time_limit, extra=()):
    """One remat-plan run; its JSON (printed also when infeasible), with
    stderr under "stderr"."""
    cmd = [tool] + source + ["--budget", budget, "--solver", solver,
                             "--time-limit", str(time_limit)] + list(extra)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if not proc.stdout.strip():
        return {"error": proc.stderr.strip()}
    result = json.loads(proc.stdout)
    result["stderr"] = proc.stderr
    return result


def smallest_feasible(tool, source):
    """The smallest feasible budget fast reports (the least peak it reaches)."""
    result = run_plan(tool, source, "1", "fast", 1)
    match = re.search(r"smallest feasible budget is (\d+) bytes", result.get("stderr", ""))
    if match:
        return int(match.group(1))
    return result["planned_peak_bytes"]


def cell(result):
    if "error" in result:
        return "error"
    if not result["feasible"]:
        return "infeasible"
    text = "%.1f%%" % result["overhead_percent"]
    if result["solver"] == "exact" and not result.get("proven_optimal"):
        text += " (gap %.0f%%)" % (100 * result.get("gap", 0))
    return text


def ratio(fast, exact):
    """fast's recompute cost over exact's; None when not comparable."""
    if not fast.get("feasible") or not exact.get("feasible"):
        return None
    f, e = fast["recompute_cost"], exact["recompute_cost"]
    if e == 0:
        return 1.0 if f == 0 else None
    return f / e


def budgets_for(tool, source):
    smallest = smallest_feasible(tool, source)
    return [(b, b) for b in FRACTIONS] + [("smallest (%d)" % smallest, str(smallest))]


def graph_table(tool, graphs_dir, exact_limit, exact_max_nodes, ratios):
    print("## Shared graphs: recompute overhead (% of base cost) per budget\n")
    print("| graph | budget | " + " | ".join(SOLVERS) + " | fast/exact | fast s | exact s |")
    print("|---|---|" + "---|" * (len(SOLVERS) + 3))
    for name in sorted(os.listdir(graphs_dir)):
        if not name.endswith(".json"):
            continue
        source = [os.path.join(graphs_dir, name)]
        nodes = run_plan(tool, source, "1.0", "keep-all", 1)["nodes"]
        for label, budget in budgets_for(tool, source):
            results = {}
            for solver in SOLVERS:
                if solver == "exact" and nodes > exact_max_nodes:
                    results[solver] = {"error": "skipped"}
                    continue
                results[solver] = run_plan(tool, source, budget, solver, exact_limit)
            row = [cell(results[s]) if results[s].get("error") != "skipped" else "-"
                   for s in SOLVERS]
            times = [("%.3f" % results[s]["solve_seconds"]) if "solve_seconds" in results[s] else "-"
                     for s in ("fast", "exact")]
            r = ratio(results["fast"], results["exact"])
            key = label if label in FRACTIONS else "smallest"
            if r is not None:
                ratios.setdefault(key, []).append(r)
            print("| %s | %s | %s | %s | %s |" % (name[:-5], label, " | ".join(row),
                                                 "-" if r is None else "%.3f" % r,
                                                 " | ".join(times)))
            sys.stdout.flush()


def random_table(tool, sizes, seeds, exact_limit, ratios):
    print("\n## Random training graphs: fast against exact (recompute cost)\n")
    print("| graph | " + " | ".join(FRACTIONS) + " | smallest |")
    print("|---|" + "---|" * (len(FRACTIONS) + 1))
    for n in sizes:
        for seed in seeds:
            source = ["--random", str(n), "--seed", str(seed)]
            row = []
            for label, budget in budgets_for(tool, source):
                fast = run_plan(tool, source, budget, "fast", exact_limit)
                exact = run_plan(tool, source, budget, "exact", exact_limit)
                r = ratio(fast, exact)
                key = label if label in FRACTIONS else "smallest"
                if r is not None:
                    ratios.setdefault(key, []).append(r)
                if r is None:
                    text = "-" if not fast.get("feasible") and not exact.get("feasible") else \
                        ("exact only" if exact.get("feasible") else "fast only")
                else:
                    text = "%.0f/%.0f" % (fast["recompute_cost"], exact["recompute_cost"])
                    if not exact.get("proven_optimal"):
                        text += " (unproven)"
                row.append(text)
            print("| %d nodes, seed %d | %s |" % (n, seed, " | ".join(row)))
            sys.stdout.flush()


def ratio_summary(ratios):
    print("\n## fast/exact recompute cost by budget (all graphs above where both have a plan)\n")
    print("| budget | cells | geomean | worst |")
    print("|---|---|---|---|")
    for key in FRACTIONS + ["smallest"]:
        values = ratios.get(key, [])
        if not values:
            print("| %s | 0 | - | - |" % key)
            continue
        geo = math.exp(sum(math.log(max(v, 1e-9)) for v in values) / len(values))
        print("| %s | %d | %.4f | %.4f |" % (key, len(values), geo, max(values)))


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


def residual_table(tool, layers):
    print("\n## Residual MLP (bench/planner/residual_mlp.py), fast\n")
    print("| layers | nodes | " + " | ".join(FRACTIONS) + " | solve s at 0.7 |")
    print("|---|---|" + "---|" * (len(FRACTIONS) + 1))
    generator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "residual_mlp.py")
    with tempfile.TemporaryDirectory() as tmp:
        for count in layers:
            path = os.path.join(tmp, "mlp%d.json" % count)
            with open(path, "w") as out:
                subprocess.run([sys.executable, generator, str(count)], stdout=out, check=True)
            cells, seconds, nodes = [], "-", 0
            for budget in FRACTIONS:
                r = run_plan(tool, [path], budget, "fast", 60)
                nodes = r.get("nodes", nodes)
                cells.append(cell(r))
                if budget == "0.7" and "solve_seconds" in r:
                    seconds = "%.3f" % r["solve_seconds"]
            print("| %d | %d | %s | %s |" % (count, nodes, " | ".join(cells), seconds))
            sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--remat-plan", default=os.path.join(REPO, "build", "bin", "remat-plan"))
    parser.add_argument("--exact-time-limit", type=float, default=10)
    parser.add_argument("--exact-max-nodes", type=int, default=200)
    parser.add_argument("--quick", action="store_true",
                        help="no 100k-node run, fewer random graphs")
    args = parser.parse_args()
    shared = os.environ.get("REMAT_SHARED", os.path.join(REPO, "..", "shared"))
    ratios = {}
    graphs = os.path.join(shared, "graphs")
    if os.path.isdir(graphs):
        graph_table(args.remat_plan, graphs, args.exact_time_limit,
                    args.exact_max_nodes, ratios)
    random_table(args.remat_plan, [16, 32] if args.quick else [16, 24, 32, 40],
                 [12, 13], args.exact_time_limit, ratios)
    ratio_summary(ratios)
    residual_table(args.remat_plan, [100, 250, 400])
    scaling_table(args.remat_plan, [1000, 10000] + ([] if args.quick else [100000]))


if __name__ == "__main__":
    main()
