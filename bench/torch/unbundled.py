"""remat vs PyTorch's min-cut on models with no bundled fixture.

    python3 bench/torch/unbundled.py [--models regnet_y_400mf ...] [--out FILE]

run.py's PyTorch columns for models that bench/graphs does not bundle
(models.UNBUNDLED_MODELS, and the exporter's families, models.FAMILY_MODELS):
each model's step is exported with remat.exporter into a scratch folder,
PyTorch's min-cut plans at activation_memory_budget 1.0 0.8 0.6 0.4 0.3 are
joined, exported and measured with remat-report (torch_plan.py), and remat
fast plans the exported step at each of their peaks (remat-opt
--remat-checkpoint, as a user runs it). Rows go to --out (default
unbundled_torch.json beside this script, which run.py --doc reads); the
table is printed (report_doc.ops_table: the ratio is remat's recompute FLOPs
over the FLOPs of the forward ops PyTorch's backward computes again,
`recomputed_op_flops`, where PyTorch re-runs anything).
"""

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402
from exporter_import import import_exporter  # noqa: E402


def measure(ro, name, tmp):
    model, data, loss_fn, title = run.models_by_name()[name]()
    path = os.path.join(tmp, name + '.mlir')
    with open(path, 'w') as f:
        f.write(import_exporter().export_training_step(model, loss_fn, data))
    report = ro.report(path)
    print('%s: %s; unplanned peak %d B, arguments %d B' % (
        name, title, report['peak_bytes'], report['argument_bytes']), flush=True)
    rows = run.torch_results(ro, name, report, run.FRACTIONS, tmp, mlir=path)
    return {'title': title, 'report': {k: report[k] for k in (
        'peak_bytes', 'argument_bytes', 'forward_flops', 'backward_flops')}, 'torch': rows}


def main():
    import models
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models', nargs='*', default=list(models.UNBUNDLED_MODELS) + [
        'family_pooling', 'family_densenet', 'family_moe_top2', 'family_gru'])
    ap.add_argument('--remat-opt', default=os.path.join(run.ROOT, 'build', 'bin', 'remat-opt'))
    ap.add_argument('--out', default=os.path.join(HERE, 'unbundled_torch.json'))
    args = ap.parse_args()
    results = json.load(open(args.out)) if os.path.exists(args.out) else {}
    ro = run.RematOpt(args.remat_opt, 30)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            results[name] = measure(ro, name, tmp)
            with open(args.out, 'w') as f:
                json.dump(results, f, indent=1)
    import report_doc
    print(report_doc.ops_table(results))


if __name__ == '__main__':
    main()
