#!/usr/bin/env python3
"""fast's plans against the proven lower bound on the recompute cost.

For each bench/graphs step, the planning problem (remat-opt's, dumped with
REMAT_PLANNER_DUMP) is solved by `remat-plan --solver fast` at budgets from
0.45 to 0.98 of the unplanned peak; each answer prints its recompute cost
and RecomputeCostBound at that budget (recompute_cost_lower_bound: no plan
within the budget recomputes less). Prints a markdown table (the cost over
the bound, the proven gap) and, with --plot, draws both curves as % of the
step's compute. Usage:
  bench/planner/bound.py [--bin build/bin] [--plot docs/img/bound.png]
      [GRAPH ...]   (default: mobilenet_v2 resnet50 bert_base)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRACTIONS = [round(0.45 + 0.025 * k, 3) for k in range(22)] + [0.98]


def dump_problem(remat_opt, graph, path):
    """The step's planning problem as remat-checkpoint builds it."""
    env = dict(os.environ, REMAT_PLANNER_DUMP=path)
    subprocess.run([remat_opt, graph,
                    "--remat-checkpoint=budget=1.0 solver=keep-all",
                    "-o", os.devnull], env=env, check=True,
                   capture_output=True)


def solve(remat_plan, problem, fraction):
    proc = subprocess.run([remat_plan, problem, "--budget", str(fraction)],
                          capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graphs", nargs="*",
                        default=["mobilenet_v2", "resnet50", "bert_base"])
    parser.add_argument("--bin", default=os.path.join(REPO, "build", "bin"))
    parser.add_argument("--plot", help="write the curves to this image")
    args = parser.parse_args()
    remat_opt = os.path.join(args.bin, "remat-opt")
    remat_plan = os.path.join(args.bin, "remat-plan")
    curves = {}
    print("| step | budget | fast's recompute (% of step) | lower bound (% of step) | proven gap |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.graphs:
            graph = os.path.join(REPO, "bench", "graphs", name + ".mlir")
            problem = os.path.join(tmp, name + ".json")
            dump_problem(remat_opt, graph, problem)
            points = []
            for fraction in FRACTIONS:
                result = solve(remat_plan, problem, fraction)
                if not result or not result.get("feasible"):
                    continue
                cost = result["recompute_cost"]
                step = result["total_cost"] - cost
                bound = result["recompute_cost_lower_bound"] or 0.0
                gap = (cost - bound) / cost if cost > 0 else 0.0
                points.append((fraction, 100 * cost / step, 100 * bound / step))
                print("| %s | %.3f | %.4f | %.4f | %.1f%% |" % (
                    name, fraction, 100 * cost / step, 100 * bound / step,
                    100 * gap))
                sys.stdout.flush()
            curves[name] = points
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 4))
        axes = axes if len(curves) > 1 else [axes]
        for ax, (name, points) in zip(axes, curves.items()):
            xs = [p[0] for p in points]
            ax.plot(xs, [p[1] for p in points], "o-", label="fast's plan")
            ax.plot(xs, [max(p[2], 1e-6) for p in points], "s--",
                    label="proven lower bound")
            ax.set_yscale("log")
            ax.set_title(name)
            ax.set_xlabel("budget (fraction of the unplanned peak)")
            ax.set_ylabel("recompute (% of the step's compute)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    main()
