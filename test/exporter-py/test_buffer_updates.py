"""Batch norm's running statistics in the exported step.

A batch norm module run twice in one step (a shared encoder applied to two
inputs, as contrastive and siamese training do) updates its running statistics
twice, the second update reading the first's result: the step exports and its
loss and gradients match eager PyTorch's. With `buffer_updates=True` the step
also returns each updated buffer's new value after the gradients; run compiled
(remat-run, unplanned and planned at a budget that recomputes) they equal the
buffers eager PyTorch's training step leaves in the module, and the planned
step's results are bitwise the unplanned one's.

Run: python3 -m pytest test/exporter-py/test_buffer_updates.py
"""

import copy
import re

import numpy as np
import pytest

torch = pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); '
                            'the exporter tests need it')
nn, F = torch.nn, torch.nn.functional

from gradcheck import check_against_eager, exporter, run_remat_run  # noqa: E402

_NP = {torch.float32: np.float32, torch.int64: np.int64}


class SharedEncoder(nn.Module):
    """One conv + batch norm encoder applied to both halves of the input (its
    running statistics updated twice per step), then a head on both codes."""

    def __init__(self, momentum=0.1):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4, momentum=momentum)
        self.head = nn.Linear(2 * 4 * 6 * 6, 3)

    def encode(self, x):
        return F.relu(self.bn(self.conv(x)))

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        return self.head(torch.cat([self.encode(a).flatten(1),
                                    self.encode(b).flatten(1)], 1))


def _models():
    torch.manual_seed(0)
    stacked = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4, momentum=0.3), nn.ReLU(),
        nn.Flatten(), nn.Linear(4 * 2 * 2, 3))
    shared = SharedEncoder()
    return {'stacked': (stacked, torch.randn(4, 3, 6, 6)),
            'shared': (shared, torch.randn(4, 6, 6, 6))}


def _with_history(model, x):
    """The model after two eager training-mode forwards on other batches like
    x, so its running statistics and counters are not the initial ones."""
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn_like(x))


def test_shared_batch_norm_matches_eager(tmp_path):
    model, x = _models()['shared']
    y = torch.tensor([0, 2, 1, 0])
    check_against_eager(model, (x, y), F.cross_entropy, tmp_path)


@pytest.mark.parametrize('name', ['stacked', 'shared'])
def test_buffer_updates_match_eager_planned_or_not(name, tmp_path):
    model, x = _models()[name]
    _with_history(model, x)
    y = torch.tensor([0, 2, 1, 0])
    state = copy.deepcopy(model.state_dict())
    step = exporter.trace_training_step(model, F.cross_entropy, (x, y),
                                         buffer_updates=True)
    text, _ = exporter.emit_step(step)
    model.load_state_dict(state)
    buffers = dict(model.named_buffers())
    # Every batch norm's three buffers, in named_buffers() order.
    assert step.updated_buffers == list(buffers), step.updated_buffers
    src = tmp_path / 'step.mlir'
    src.write_text(text)
    params = [p.detach() for _, p in model.named_parameters()]
    args = params + [b.clone() for b in buffers.values()] + [x, y]

    # Eager PyTorch's training step, in float64: the buffers it leaves.
    ref = copy.deepcopy(model).double()
    ref.train()
    ref(x.double())
    want = dict(ref.named_buffers())

    results, peaks = {}, {}
    for budget in (None, '0.85'):
        prefix, report = run_remat_run(src, args, budget, tmp_path,
                                       'planned' if budget else 'plain')
        peaks[budget] = int(re.search(r'^predicted_peak_bytes (\d+)$', report, re.M).group(1))
        got = []
        for k, bname in enumerate(step.updated_buffers):
            i = 1 + len(params) + k
            raw = np.fromfile('%sresult%d.bin' % (prefix, i), dtype=_NP[buffers[bname].dtype])
            got.append(raw)
            w = want[bname].detach().numpy().ravel()
            if buffers[bname].dtype == torch.int64:
                assert raw.tolist() == w.tolist(), (bname, raw, w)
            else:
                err = np.abs(raw - w).max()
                assert err <= 1e-5 * np.abs(w).max() + 1e-7, (bname, err, raw, w)
        # The statistics moved: the step did update them.
        for bname in step.updated_buffers:
            assert not torch.equal(want[bname].to(buffers[bname].dtype), buffers[bname]), bname
        results[budget] = [open('%sresult%d.bin' % (prefix, i), 'rb').read()
                           for i in range(1 + len(params) + len(step.updated_buffers))]
    # The plan lowers the peak (it recomputes), and gives the same bits.
    assert peaks['0.85'] < peaks[None], peaks
    assert results[None] == results['0.85'], 'the planned step gives other results'


def test_cumulative_batch_norm_is_named():
    """momentum=None (a cumulative average) divides by num_batches_tracked's
    value while tracing: the error says which module and what to do."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, momentum=None),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    x, y = torch.randn(2, 3, 6, 6), torch.tensor([0, 2])
    with pytest.raises(exporter.ExportError, match=r'momentum=None \(1\).*give it a momentum'):
        exporter.export_training_step(model, F.cross_entropy, (x, y))
