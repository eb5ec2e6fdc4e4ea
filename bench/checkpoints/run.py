"""remat against the checkpoints people place by hand (issue 16, part 4).

    python3 bench/checkpoints/run.py                       # every model, writes results.json
    python3 bench/checkpoints/run.py --models gpt2_small   # one (results.json keeps the others)
    python3 bench/checkpoints/run.py --doc                 # also docs/benchmarks.md's section + plot

For each model with a layer structure (GPT-2 small, BERT-base, ResNet-50 and
U-Net as bench/graphs exports them; LLaMA-style and T5-style models from
bench/checkpoints/lm_models.py), the schemes users write with torch.utils.checkpoint
(use_reentrant=False):

- every layer:        x = checkpoint(layer, x) for every layer;
- every k-th layer:   the same for layers 0, k, 2k, ... (k = 2, 4);
- selective:          every layer checkpointed with a selective-checkpoint policy
                      that saves the outputs of matmuls, convolutions and attention
                      and recomputes the rest (torchtitan's op-level SAC);
- sequential N:       checkpoint_sequential(layers, N, x) for N = 2, 4, 8: the
                      layers in N groups of len // N, the last group (with the
                      remainder) not checkpointed. GPT-2, BERT and ResNet-50
                      call torch's checkpoint_sequential on their blocks; the
                      LLaMA blocks take (x, cos, sin), so the same groups are
                      checkpointed by a loop. U-Net (skip connections) and T5
                      (the decoder reads the encoder) are no sequence of layers:
                      for them remat-checkpoint's segments=N (N segments of equal
                      forward FLOPs in program order, the last not checkpointed)
                      stands in for it.

A "layer" is a transformer block (GPT-2, BERT, LLaMA: 12, 12, 8; T5: 6 encoder
then 6 decoder blocks), a ResNet-50 bottleneck (16) or a U-Net double
convolution (9: the input one, 4 down, 4 up).

Each scheme's model is exported with remat.exporter (its checkpoints become
remat.checkpoint attributes) and planned with `remat-checkpoint solver=manual`:
the plan eager PyTorch runs, with its peak and recompute FLOPs in remat's
memory and cost model. Then the same model exported without checkpoints is
planned by remat's fast solver, and by exact (time-limited), with that peak as
the budget. The comparison is recompute FLOPs at equal peak.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for _p in (HERE, os.path.join(ROOT, 'bench', 'torch')):
    if _p not in sys.path:
        sys.path.insert(0, _p)

RESULTS = os.path.join(HERE, 'results.json')
MEMORY_LIMIT = 8 << 30


# ---- the layers of each model, and the schemes ----

def _slots_gpt2(m):
    return [(m.h, i) for i in range(len(m.h))]


def _slots_bert(m):
    return [(m.layers, i) for i in range(len(m.layers))]


def _slots_resnet(m):
    return [(layer, i) for layer in (m.layer1, m.layer2, m.layer3, m.layer4)
            for i in range(len(layer))]


def _slots_unet(m):
    return ([(m, 'inc')] + [(m.downs, i) for i in range(len(m.downs))]
            + [(m.up_convs, i) for i in range(len(m.up_convs))])


def _slots_llama(m):
    return [(m.layers, i) for i in range(len(m.layers))]


def _slots_t5(m):
    return ([(m.encoder, i) for i in range(len(m.encoder))]
            + [(m.decoder, i) for i in range(len(m.decoder))])


def _make(name):
    """(model, example inputs, loss function, title)."""
    if name in ('llama', 't5'):
        import lm_models
        return getattr(lm_models, name)()
    import models
    return models.MODELS[name]()


def export(model, loss_fn, data, num_model_inputs):
    from exporter_import import import_exporter
    return import_exporter().export_training_step(model, loss_fn, data, num_model_inputs)


# name -> (layer slots, how checkpoint_sequential is done: 'torch' | 'loop' | 'segments',
#          number of model inputs)
MODELS = {
    'gpt2_small': (_slots_gpt2, 'torch', 1),
    'bert_base': (_slots_bert, 'torch', 1),
    'resnet50': (_slots_resnet, 'torch', 1),
    'unet': (_slots_unet, 'segments', 1),
    'llama': (_slots_llama, 'loop', 1),
    't5': (_slots_t5, 'segments', 2),
}

SCHEMES = ['every layer', 'every 2nd layer', 'every 4th layer',
           'sequential 2', 'sequential 4', 'sequential 8', 'selective']


def save_matmuls(ctx, op, *args, **kwargs):
    """The selective-checkpoint policy torchtitan and others ship: save what the
    matmuls, convolutions and attention produce, recompute the rest."""
    import torch
    from torch.utils.checkpoint import CheckpointPolicy
    aten = torch.ops.aten
    if op in (aten.mm.default, aten.addmm.default, aten.bmm.default,
              aten.convolution.default, aten._scaled_dot_product_flash_attention_for_cpu.default,
              aten._scaled_dot_product_efficient_attention.default,
              aten._scaled_dot_product_flash_attention.default):
        return CheckpointPolicy.MUST_SAVE
    return CheckpointPolicy.PREFER_RECOMPUTE


def _get(slot):
    box, key = slot
    return getattr(box, key) if isinstance(key, str) else box[key]


def _set(slot, module):
    box, key = slot
    if isinstance(key, str):
        setattr(box, key, module)
    else:
        box[key] = module


def _wrappers():
    import torch.nn as nn
    from torch.utils.checkpoint import checkpoint, checkpoint_sequential

    class Checkpointed(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return checkpoint(self.inner, *args, use_reentrant=False)

    class Selective(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            import functools
            from torch.utils.checkpoint import create_selective_checkpoint_contexts
            return checkpoint(self.inner, *args, use_reentrant=False, context_fn=functools.partial(
                create_selective_checkpoint_contexts, save_matmuls))

    class Skip(nn.Module):
        def forward(self, x, *rest):
            return x

    class Sequential(nn.Module):
        """torch's checkpoint_sequential on the layers (one input each)."""

        def __init__(self, layers, segments):
            super().__init__()
            self.layers, self.segments = nn.Sequential(*layers), segments

        def forward(self, x):
            return checkpoint_sequential(self.layers, self.segments, x, use_reentrant=False)

    class Group(nn.Module):
        """Layers run in a loop, their extra arguments passed on, optionally as one
        checkpoint (checkpoint_sequential's segments for multi-input layers)."""

        def __init__(self, layers, checkpointed):
            super().__init__()
            self.layers, self.checkpointed = nn.ModuleList(layers), checkpointed

        def run(self, x, *rest):
            for layer in self.layers:
                x = layer(x, *rest)
            return x

        def forward(self, *args):
            if self.checkpointed:
                return checkpoint(self.run, *args, use_reentrant=False)
            return self.run(*args)

    return Checkpointed, Skip, Sequential, Group, Selective


def apply_scheme(model, slots, scheme, sequential_kind):
    """`model` with `scheme` applied (in place; the parameter order is kept)."""
    Checkpointed, Skip, Sequential, Group, Selective = _wrappers()
    n = len(slots)
    if scheme == 'selective':
        for slot in slots:
            _set(slot, Selective(_get(slot)))
        return model
    if scheme.startswith('every'):
        k = {'every layer': 1, 'every 2nd layer': 2, 'every 4th layer': 4}[scheme]
        for i, slot in enumerate(slots):
            if i % k == 0:
                _set(slot, Checkpointed(_get(slot)))
        return model
    segments = int(scheme.split()[1])
    layers = [_get(s) for s in slots]
    if sequential_kind == 'torch':
        _set(slots[0], Sequential(layers, segments))
        for s in slots[1:]:
            _set(s, Skip())
        return model
    assert sequential_kind == 'loop'
    size = n // segments          # torch.utils.checkpoint.checkpoint_sequential's grouping
    starts = list(range(0, size * (segments - 1), size))
    bounds = [(a, a + size) for a in starts] + [(size * (segments - 1), n)]
    for j, (a, b) in enumerate(bounds):
        _set(slots[a], Group(layers[a:b], checkpointed=j < len(bounds) - 1))
        for i in range(a + 1, b):
            _set(slots[i], Skip())
    return model


# ---- remat-opt ----

def _limit_memory():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run(cmd, **kw):
    """subprocess.run, retried while remat-opt is being rebuilt (a shared build dir)."""
    for attempt in range(10):
        try:
            return subprocess.run(cmd, **kw)
        except (PermissionError, FileNotFoundError, OSError) as e:
            if attempt == 9 or isinstance(e, subprocess.TimeoutExpired):
                raise
            time.sleep(30)


def plan(remat_opt, mlir, options, timeout=900):
    """remat-checkpoint's plan-file entry (without the per-value lists), or {'error': ...}."""
    with tempfile.NamedTemporaryFile('r', suffix='.json') as f:
        t0 = time.time()
        try:
            r = _run([remat_opt, mlir, '--remat-checkpoint=%s plan-file=%s' % (
                options, f.name), '-o', os.devnull], capture_output=True, text=True,
                timeout=timeout, preexec_fn=_limit_memory)
        except subprocess.TimeoutExpired:
            return {'error': 'timed out after %d s' % timeout}
        if r.returncode:
            errs = [ln.split('error: ', 1)[1] for ln in r.stderr.splitlines() if 'error: ' in ln]
            return {'error': errs[0] if errs else r.stderr[-300:]}
        data = json.load(open(f.name))[0]
    data['kept_list'] = [{'loc': e['loc'], 'bytes': e['bytes']} for e in data.pop('kept', [])]
    data['recomputed_list'] = [{'loc': e['loc'], 'bytes': e['bytes']}
                               for e in data.pop('recomputed', [])]
    for k in ('timeline_before', 'timeline_after'):
        data.pop(k, None)
    data['wall_seconds'] = time.time() - t0
    return data


def forward_reads(remat_opt, mlir, options, manual):
    """Values the manual plan's recomputations read from the forward pass that the
    unplanned step never stashes ([count, bytes]): torch re-runs a checkpointed
    region from its inputs, so these are what the manual plan keeps beyond it."""
    with tempfile.NamedTemporaryFile('r', suffix='.json') as f:
        r = _run([remat_opt, mlir, '--remat-checkpoint=%s' % options,
                            '--remat-report=report-file=%s' % f.name, '-o', os.devnull],
                 capture_output=True, text=True)
        if r.returncode:
            return None
        report = json.load(open(f.name))[0]
    line = lambda e: e['loc'].rsplit(':', 2)[-2]  # noqa: E731
    candidates = {line(e) for e in manual.get('kept_list', []) + manual.get('recomputed_list', [])}
    extra = [e for e in report['stashed'] if line(e) not in candidates]
    return [len(extra), sum(e['bytes'] for e in extra)]


def _brief(r):
    if 'error' in r:
        return 'error: ' + r['error'][:120]
    s = 'peak %.1f MiB, recompute %.2f%%' % (r['planned_peak_bytes'] / 2**20,
                                             r['overhead_percent'])
    if r.get('solver') == 'exact':
        s += ' (proven optimal)' if r.get('proven_optimal') else ' (not proven optimal)'
    if r.get('forward_reads'):
        s += ', reads %d MiB more from the forward' % (r['forward_reads'][1] >> 20)
    return s + ', %.1f s' % r.get('wall_seconds', 0)


def strip_annotations(mlir):
    """The step without remat.checkpoint / remat.policy, arguments named by position
    (wrapping a layer renames its parameters, not their order)."""
    mlir = re.sub(r' \{remat\.checkpoint = \d+ : i64(, remat\.policy = "\w+")?\}', '', mlir)
    mlir = re.sub(r', remat\.checkpoint = \d+ : i64(, remat\.policy = "\w+")?', '', mlir)
    head = mlir[mlir.index('func.func'):]
    head = head[:head.index('\n')]
    names = {n: '%%arg%d' % i for i, n in enumerate(re.findall(r'(%a_\w+):', head))}
    return re.sub(r'%a_\w+', lambda m: names.get(m.group(0), m.group(0)), mlir)


def _exported(path, make_text):
    """The text at `path` (a kept export), else make_text() written there."""
    if os.path.exists(path):
        return open(path).read()
    text = make_text()
    with open(path, 'w') as f:
        f.write(text)
    return text


def run_model(name, args, tmp):
    slots_of, kind, ninputs = MODELS[name]
    model, data, loss_fn, title = _make(name)
    print('%s: %s' % (name, title), flush=True)
    t0 = time.time()
    plain = os.path.join(tmp, name + '.mlir')
    plain_text = _exported(plain, lambda: export(model, loss_fn, data, ninputs))
    print('  exported in %.0f s' % (time.time() - t0), flush=True)
    if args.export_only:
        for scheme in SCHEMES:
            if not (scheme.startswith('sequential ') and kind == 'segments'):
                path = os.path.join(tmp, '%s_%s.mlir' % (name, scheme.replace(' ', '_')))
                segs = int(scheme.split()[1]) if scheme.startswith('sequential ') else 0
                if segs <= len(slots_of(model)):
                    def make_text(scheme=scheme):
                        m, d, lf, _ = _make(name)
                        apply_scheme(m, slots_of(m), scheme, kind)
                        return export(m, lf, d, ninputs)
                    _exported(path, make_text)
                    print('  %s exported' % scheme, flush=True)
        return None
    unplanned = plan(args.remat_opt, plain, 'solver=keep-all budget=1.0')
    entry = {'title': title, 'layers': len(slots_of(model)), 'sequential': kind,
             'unplanned_peak_bytes': unplanned['planned_peak_bytes'],
             'step_flops': unplanned['step_flops'], 'schemes': []}
    for scheme in SCHEMES:
        row = {'scheme': scheme}
        if scheme.startswith('sequential ') and kind == 'segments':
            n = int(scheme.split()[1])
            row['how'] = 'segments=%d' % n
            row['manual'] = plan(args.remat_opt, plain, 'solver=manual segments=%d' % n)
            if 'error' not in row['manual']:
                row['manual']['forward_reads'] = forward_reads(
                    args.remat_opt, plain, 'solver=manual segments=%d' % n, row['manual'])
        elif scheme.startswith('sequential ') and int(scheme.split()[1]) > entry['layers']:
            row['how'] = 'more segments than layers'
            row['manual'] = {'error': 'not applicable: %d layers' % entry['layers']}
        else:
            path = os.path.join(tmp, '%s_%s.mlir' % (name, scheme.replace(' ', '_')))

            def make_text():
                m, d, lf, _ = _make(name)
                apply_scheme(m, slots_of(m), scheme, kind)
                return export(m, lf, d, ninputs)
            text = _exported(path, make_text)
            ids = len(set(re.findall(r'remat\.checkpoint = (\d+)', text)))
            row['how'] = '%d checkpoint calls' % ids
            if strip_annotations(text) != strip_annotations(plain_text):
                row['manual'] = {'error': 'the checkpointed export is not the plain one '
                                          'plus annotations'}
            elif args.export_only:
                row['manual'] = {'error': 'exported only'}
            else:
                row['manual'] = plan(args.remat_opt, path, 'solver=manual')
                if 'error' not in row['manual']:
                    row['manual']['forward_reads'] = forward_reads(
                        args.remat_opt, path, 'solver=manual', row['manual'])
        for k in ('kept_list', 'recomputed_list'):
            row['manual'].pop(k, None)
        print('  %-16s %-22s manual: %s' % (scheme, row['how'], _brief(row['manual'])),
              flush=True)
        if 'error' not in row['manual']:
            budget = row['manual']['planned_peak_bytes']
            row['fast'] = plan(args.remat_opt, plain, 'solver=fast budget=%d' % budget)
            for k in ('kept_list', 'recomputed_list'):
                row['fast'].pop(k, None)
            print('  %-16s %-22s fast:   %s' % ('', '', _brief(row['fast'])), flush=True)
            if args.exact_time_limit > 0:
                row['exact'] = plan(args.remat_opt, plain, 'solver=exact budget=%d time-limit=%g'
                                    % (budget, args.exact_time_limit),
                                    timeout=3 * args.exact_time_limit + 60)
                for k in ('kept_list', 'recomputed_list'):
                    row['exact'].pop(k, None)
                print('  %-16s %-22s exact:  %s' % ('', '', _brief(row['exact'])), flush=True)
        entry['schemes'].append(row)
    return entry


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models', nargs='*', default=list(MODELS))
    ap.add_argument('--remat-opt', default=os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
    ap.add_argument('--exact-time-limit', type=float, default=60,
                    help="exact's time limit per plan in seconds (0: do not run exact)")
    ap.add_argument('--out', default=RESULTS)
    ap.add_argument('--doc', action='store_true',
                    help="write docs/benchmarks.md's section and docs/img/checkpoints.png")
    ap.add_argument('--keep', metavar='DIR', help='keep the exported steps in DIR, and reuse '
                    'those already there (delete them after changing a model or the exporter)')
    ap.add_argument('--export-only', action='store_true', help='export (into --keep), plan nothing')
    args = ap.parse_args(argv)
    results = json.load(open(args.out)) if os.path.exists(args.out) else {}
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = args.keep or tmp
        for name in args.models:
            if name == 'none':
                continue
            entry = run_model(name, args, tmp)
            if entry is None:
                continue
            results[name] = entry
            results[name]['exact_time_limit'] = args.exact_time_limit
            with open(args.out, 'w') as f:
                json.dump(results, f, indent=1)
    import report
    print(report.table(results))
    if args.doc:
        report.write_doc(results)


if __name__ == '__main__':
    main()
