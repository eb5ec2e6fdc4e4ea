#!/usr/bin/env python3
"""A residual MLP training step as a remat-problem JSON (remat-plan's input).

Per layer, forward: mm = x @ W, z = mm + b, a = relu(z), x' = x + a; backward:
dz = dx' * (z > 0), db = sum(dz), dW = x^T dz (outputs), dmm = dz @ W^T,
dx = dx' + dmm. Weights and the batch are always live. 9 nodes a layer, so
250 layers pass the 2000 nodes where fast's chain DP used to stop.

Usage: residual_mlp.py LAYERS [--batch B] [--hidden H] > problem.json
"""
import argparse
import json


def residual_mlp(layers, batch, hidden):
    nodes = []

    def add(name, nbytes, cost, backward, inputs, recomputable=True):
        nodes.append({"name": name, "bytes": nbytes, "cost": cost,
                      "backward": backward, "recomputable": recomputable,
                      "output": False, "inputs": inputs})
        return len(nodes) - 1

    act = batch * hidden * 4
    mm_cost = 2 * batch * hidden * hidden
    x = add("x0", act, 0, False, [], recomputable=False)
    saved = []
    for k in range(layers):
        mm = add("mm%d" % k, act, mm_cost, False, [x])
        z = add("z%d" % k, act, batch * hidden, False, [mm])
        a = add("a%d" % k, act, batch * hidden, False, [z])
        saved.append((x, z))
        x = add("x%d" % (k + 1), act, batch * hidden, False, [x, a])
    loss = add("loss", 4, batch * hidden, False, [x])
    dx = add("dloss", act, batch * hidden, True, [x, loss])
    for k in reversed(range(layers)):
        xin, z = saved[k]
        dz = add("dz%d" % k, act, batch * hidden, True, [dx, z])
        add("db%d" % k, hidden * 4, batch * hidden, True, [dz])
        add("dW%d" % k, hidden * hidden * 4, mm_cost, True, [xin, dz])
        dmm = add("dmm%d" % k, act, mm_cost, True, [dz])
        dx = add("dx%d" % k, act, batch * hidden, True, [dx, dmm])
    consumed = set(i for n in nodes for i in n["inputs"])
    for i, n in enumerate(nodes):
        n["output"] = i not in consumed
    return {"format": "remat-problem", "always_live_bytes":
            layers * (hidden * hidden + hidden) * 4, "nodes": nodes}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layers", type=int)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=32)
    args = parser.parse_args()
    print(json.dumps(residual_mlp(args.layers, args.batch, args.hidden)))


if __name__ == "__main__":
    main()
