#!/usr/bin/env python3
"""Planner benchmark: remat-plan on the published graphs and on random DAGs.

Prints markdown tables. Usage:
  bench/planner/run.py [--remat-plan PATH] [--exact-time-limit S] [--quick]
      [--moccasin-python PY --moccasin-src DIR [--moccasin-time-limit S]]
      [--graphs-only] [--results-json FILE]
Graphs come from ${REMAT_SHARED:-<repo>/../shared}/graphs.

Moccasin (CP-SAT, its public code, not part of remat) runs when a Python with
ortools (<9.9: Moccasin passes generators to AddCumulative) and networkx and
a checkout of its src/ directory are given (or MOCCASIN_PYTHON / MOCCASIN_SRC
are set); bench/planner/moccasin.py runs it and has remat judge its plan.
Otherwise the table says why it was skipped. --results-json appends every
shared-graph cell's results (one JSON object a line) to FILE.
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


def run_moccasin(args, graph, budget):
    """Moccasin's plan at `budget`, judged by remat-plan --plan."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "moccasin.py")
    env = dict(os.environ, MOCCASIN_SRC=args.moccasin_src)
    proc = subprocess.run([args.moccasin_python, script, graph, budget,
                           "--remat-plan", args.remat_plan,
                           "--time-limit", str(args.moccasin_time_limit)],
                          capture_output=True, text=True, env=env)
    lines = proc.stdout.strip().splitlines()
    if not lines:
        return {"error": "moccasin.py printed nothing: " + proc.stderr[-300:]}
    return json.loads(lines[-1])


def moccasin_skip_reason(args):
    """Why Moccasin cannot run here, or None."""
    if not args.moccasin_python or not args.moccasin_src:
        return "no --moccasin-python/--moccasin-src (or MOCCASIN_PYTHON/MOCCASIN_SRC)"
    probe = subprocess.run([args.moccasin_python, "-c", "import ortools, networkx"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return "%s cannot import ortools and networkx" % args.moccasin_python
    if not os.path.isdir(os.path.join(args.moccasin_src, "moccasin")):
        return "%s has no moccasin package" % args.moccasin_src
    return None


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


def best_known(results):
    """Least recompute cost among the feasible plans of any solver."""
    costs = [r["recompute_cost"] for r in results.values()
             if r.get("feasible") and "recompute_cost" in r]
    return min(costs) if costs else None


def graph_table(tool, graphs_dir, exact_limit, exact_max_nodes, ratios, args=None,
                best_ratios=None):
    moccasin = args is not None and getattr(args, "moccasin_ok", False)
    print("## Shared graphs: recompute overhead (% of base cost) per budget\n")
    if args is not None and not moccasin:
        print("Moccasin: skipped (%s).\n" % args.moccasin_skip)
    extra = ["moccasin"] if moccasin else []
    print("| graph | budget | " + " | ".join(SOLVERS + extra) +
          " | fast/exact | fast/best |" + (" fast/moccasin |" if moccasin else "") +
          " fast s | exact s |" + (" moccasin s |" if moccasin else ""))
    print("|---|---|" + "---|" * (len(SOLVERS) + len(extra) + 4 + (2 if moccasin else 0)))
    for name in sorted(os.listdir(graphs_dir)):
        if not name.endswith(".json"):
            continue
        source = [os.path.join(graphs_dir, name)]
        nodes = run_plan(tool, source, "1.0", "keep-all", 1)["nodes"]
        for label, budget in budgets_for(tool, source):
            key = label if label in FRACTIONS else "smallest"
            results = {}
            for solver in SOLVERS:
                if solver == "exact" and nodes > exact_max_nodes:
                    results[solver] = {"error": "skipped"}
                    continue
                results[solver] = run_plan(tool, source, budget, solver, exact_limit)
            solvers = list(SOLVERS)
            if moccasin:
                solvers.append("moccasin")
                if nodes <= args.moccasin_max_nodes and key in args.moccasin_budgets:
                    results["moccasin"] = run_moccasin(args, source[0], budget)
                else:
                    results["moccasin"] = {"error": "skipped"}
            row = [cell(results[s]) if results[s].get("error") != "skipped" else "-"
                   for s in solvers]
            timed = ("fast", "exact") + (("moccasin",) if moccasin else ())
            times = [("%.3f" % results[s]["solve_seconds"]) if "solve_seconds" in results[s] else "-"
                     for s in timed]
            r = ratio(results["fast"], results["exact"])
            if r is not None:
                ratios.setdefault(key, []).append(r)
            best = best_known(results)
            rb = ratio(results["fast"], {"feasible": best is not None,
                                         "recompute_cost": best})
            if best is not None and not results["fast"].get("feasible"):
                rb = float("inf")
            if rb is not None and best_ratios is not None:
                best_ratios.setdefault(key, []).append(rb)
            ratios_text = ["-" if r is None else "%.3f" % r, "-" if rb is None else "%.3f" % rb]
            if moccasin:
                rm = ratio(results["fast"], results["moccasin"])
                ratios_text.append("-" if rm is None else "%.3f" % rm)
            print("| %s | %s | %s | %s | %s |" % (
                name[:-5], label, " | ".join(row), " | ".join(ratios_text), " | ".join(times)))
            sys.stdout.flush()
            if args is not None and args.results_json:
                with open(args.results_json, "a") as out:
                    json.dump({"graph": name[:-5], "budget": key, "budget_arg": budget,
                               "nodes": nodes,
                               "results": {s: {k: v for k, v in results[s].items()
                                               if k != "stderr"} for s in solvers}}, out)
                    out.write("\n")


def random_table(tool, sizes, seeds, exact_limit, ratios, best_ratios=None):
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
                if best_ratios is not None and (fast.get("feasible") or exact.get("feasible")):
                    best = best_known({"fast": fast, "exact": exact})
                    rb = ratio(fast, {"feasible": True, "recompute_cost": best})
                    best_ratios.setdefault(key, []).append(
                        float("inf") if not fast.get("feasible") else rb)
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


def ratio_summary(ratios, title="fast/exact recompute cost by budget (all graphs above where both have a plan)"):
    print("\n## %s\n" % title)
    print("| budget | cells | geomean | worst |")
    print("|---|---|---|---|")
    for key in FRACTIONS + ["smallest"]:
        values = ratios.get(key, [])
        if not values:
            print("| %s | 0 | - | - |" % key)
            continue
        finite = [v for v in values if v is not None and v != float("inf")]
        if not finite:
            print("| %s | %d | - | fast has no plan |" % (key, len(values)))
            continue
        geo = math.exp(sum(math.log(max(v, 1e-9)) for v in finite) / len(finite))
        worst = max(values)
        print("| %s | %d | %.4f | %s |" % (key, len(values), geo,
                                           "fast has no plan" if worst == float("inf")
                                           else "%.4f" % worst))


def scaling_table(tool, sizes):
    """Plain and monotone (what remat-checkpoint answers) solve seconds at
    0.5, and the monotone plan's recompute cost over the proven lower bound
    (remat-plan's recompute_cost_lower_bound)."""
    print("\n## Solve time on random training DAGs (fast, budget 0.5)\n")
    print("| nodes | seed | plain solve s | monotone solve s | overhead | "
          "recompute cost / lower bound | feasible |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        for seed in (1, 2):
            source = ["--random", str(n), "--seed", str(seed)]
            r = run_plan(tool, source, "0.5", "fast", 60)
            m = run_plan(tool, source, "0.5", "fast", 60, ["--monotone"])
            bound = m.get("recompute_cost_lower_bound")
            gap = ("%.4f" % (m["recompute_cost"] / bound)) if bound else "-"
            print("| %d | %d | %.3f | %.3f | %.2f%% | %s | %s |" % (
                r["nodes"], seed, r["solve_seconds"], m["solve_seconds"],
                m["overhead_percent"], gap, m["feasible"]))
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
    parser.add_argument("--moccasin-python", default=os.environ.get("MOCCASIN_PYTHON"))
    parser.add_argument("--moccasin-src", default=os.environ.get("MOCCASIN_SRC"))
    parser.add_argument("--moccasin-time-limit", type=float, default=30)
    parser.add_argument("--moccasin-max-nodes", type=int, default=120)
    parser.add_argument("--moccasin-budgets", default="0.9,0.8",
                        help="budgets Moccasin runs at (its paper's: 0.9,0.8; "
                        "'smallest' names fast's smallest feasible budget)")
    parser.add_argument("--graphs-only", action="store_true",
                        help="only the shared-graphs table")
    parser.add_argument("--results-json", help="append each shared-graph cell's "
                        "results to this file, one JSON object a line")
    args = parser.parse_args()
    args.moccasin_budgets = args.moccasin_budgets.split(",")
    args.moccasin_skip = moccasin_skip_reason(args)
    args.moccasin_ok = args.moccasin_skip is None
    best_ratios = {}
    shared = os.environ.get("REMAT_SHARED", os.path.join(REPO, "..", "shared"))
    ratios = {}
    graphs = os.path.join(shared, "graphs")
    if os.path.isdir(graphs):
        graph_table(args.remat_plan, graphs, args.exact_time_limit,
                    args.exact_max_nodes, ratios, args, best_ratios)
    if args.graphs_only:
        return
    random_table(args.remat_plan, [16, 32] if args.quick else [16, 24, 32, 40],
                 [12, 13], args.exact_time_limit, ratios, best_ratios)
    ratio_summary(ratios)
    ratio_summary(best_ratios, "fast/best known recompute cost by budget (best of every "
                  "solver's feasible plan in this run; every cell where any has one)")
    residual_table(args.remat_plan, [100, 250, 400])
    scaling_table(args.remat_plan, [1000, 10000] + ([] if args.quick else [100000]))


if __name__ == "__main__":
    main()
