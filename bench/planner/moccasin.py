#!/usr/bin/env python3
"""Moccasin (Bartan et al., ICML 2023; CP-SAT) on one graph at one budget,
judged by remat's simulator.

  MOCCASIN_SRC=<moccasin checkout>/src python moccasin.py GRAPH.json BUDGET \\
      --remat-plan PATH --time-limit S

Runs with a Python that has ortools and networkx (Moccasin's dependencies,
installed outside this repository); Moccasin's code is not part of remat. The
graph is handed to Moccasin with node ids = remat's program positions and
remat's program order as its topological order, at remat's budget in bytes
(BUDGET as remat-plan reads it), with the settings of Moccasin's main.py (C=2
versions per node, stages, phase 1). Its schedule (a node's first entry its
own step, later entries recomputes) is judged by `remat-plan --plan`; the
printed JSON is remat-plan's with Moccasin's status, schedule (the plan, as
`remat-plan --plan` reads it) and wall time added. A
plan that Moccasin's memory model accepts can exceed the budget under
remat's (then "feasible" is false). Prints {"error": ...} when Moccasin cannot
run.
"""
import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import types


def load_moccasin():
    src = os.environ.get("MOCCASIN_SRC")
    if not src or not os.path.isdir(os.path.join(src, "moccasin")):
        raise RuntimeError("MOCCASIN_SRC does not name a Moccasin src/ directory")
    # cp.py imports Rockmate's op classes for a path the remat setting does
    # not use; a stand-in module keeps Rockmate out.
    rockmate = types.ModuleType("rockmate")
    def_op = types.ModuleType("rockmate.def_op")
    for name in ("RunOp", "DelOp", "OpSchedule"):
        setattr(def_op, name, type(name, (), {}))
    rockmate.def_op = def_op
    sys.modules.setdefault("rockmate", rockmate)
    sys.modules.setdefault("rockmate.def_op", def_op)
    sys.path.insert(0, src)
    from moccasin.cp import remat  # noqa: E402
    return remat


def remat_problem(tool, graph, budget):
    """remat-plan's view: node count, budget in bytes (keep-all's JSON)."""
    out = subprocess.run([tool, graph, "--budget", budget, "--solver", "keep-all"],
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def networkx_graph(path):
    """The graph with node ids = remat's program positions (the graph's
    `order`, else ascending integer ids, as remat-plan reads it)."""
    import networkx as nx
    with open(path) as f:
        data = json.load(f)
    nodes = data["nodes"]
    key = lambda node: node["id"] if "id" in node else node["name"]
    order = data.get("graph", {}).get("order")
    if order is None:
        order = sorted(key(node) for node in nodes)
    position = {str(v): i for i, v in enumerate(order)}
    G = nx.DiGraph()
    G.graph["name"] = str(data.get("graph", {}).get("name", os.path.basename(path)))
    for node in nodes:
        G.add_node(position[str(key(node))],
                   cost_ram=int(node.get("cost_ram", node.get("out_cost", 0))),
                   cost_cpu=int(round(node.get("cost_cpu", node.get("duration", 0)))))
    for link in data.get("links", data.get("edges", [])):
        source = link.get("source", link.get("0"))
        target = link.get("target", link.get("1"))
        G.add_edge(position[str(source)], position[str(target)])
    return G, list(range(len(order)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("graph")
    parser.add_argument("budget")
    parser.add_argument("--remat-plan", required=True)
    parser.add_argument("--time-limit", type=float, default=60,
                        help="seconds for each of Moccasin's two CP-SAT phases")
    args = parser.parse_args()
    try:
        remat = load_moccasin()
    except Exception as error:  # any import failure means "not available"
        print(json.dumps({"error": "Moccasin not available: %s" % error}))
        return
    info = remat_problem(args.remat_plan, args.graph, args.budget)
    G, order = networkx_graph(args.graph)
    begin = time.time()
    with tempfile.TemporaryDirectory() as logs, \
            contextlib.redirect_stdout(io.StringIO()):
        cwd = os.getcwd()
        os.chdir(logs)  # Moccasin writes its log file to the working directory
        try:
            result = remat(G=G, B=info["budget_bytes"], C=2,
                           timeout=args.time_limit, discretized=True,
                           reservoir=True, use_end_global=False, use_stage=True,
                           topo_order=order, phase1=True,
                           use_interval_length_domain=True, use_gcd=True,
                           reservoir_option=2, log_dir=logs)
        except Exception as error:
            result = {"status": "error: %s" % error}
        finally:
            os.chdir(cwd)
    seconds = time.time() - begin
    schedule = result.get("schedule")
    if not schedule:
        print(json.dumps({"feasible": False, "solver": "moccasin",
                          "moccasin_status": result.get("status"),
                          "solve_seconds": seconds}))
        return
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([int(v) for v in schedule], f)
        plan = f.name
    try:
        out = subprocess.run([args.remat_plan, args.graph, "--budget", args.budget,
                              "--plan", plan], capture_output=True, text=True)
    finally:
        os.unlink(plan)
    if not out.stdout.strip():
        print(json.dumps({"error": "remat-plan rejected Moccasin's plan: "
                          + out.stderr.strip()}))
        return
    judged = json.loads(out.stdout)
    judged.update({"solver": "moccasin", "moccasin_status": result.get("status"),
                   "moccasin_objective": result.get("obj_val"),
                   "moccasin_schedule": [int(v) for v in schedule],
                   "solve_seconds": seconds})
    print(json.dumps(judged))


if __name__ == "__main__":
    main()
