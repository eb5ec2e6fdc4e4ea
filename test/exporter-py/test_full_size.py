"""Full architectures at a small batch and resolution: the exported step, lowered
and run on CPU, gives PyTorch's loss and every gradient (float64 reference,
relative to each gradient's magnitude).

RegNetY-400MF (issue 11): at batch 4, 64x64, with random weights, its float32
gradients are not a stable reference: PyTorch's own float32 gradients differ from
its float64 ones by up to 3.7% on 189 of 226 results for some weights (a ReLU
input within rounding of zero in the last stage, where batch norm averages over
16 values, flips). So the exporter's graph is checked exactly in float64 with
ReLU, and the lowered float32 step with SiLU in place of ReLU, where float32 is
stable: every result within 1e-3 (measured: within 8.1e-5).
"""

import copy

import pytest

torch = pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); '
                            'the exporter tests need it')
torchvision = pytest.importorskip('torchvision', reason='torchvision is not installed')

import torch.nn.functional as F  # noqa: E402

from gradcheck import check_against_eager, eager_loss_and_grads, exporter  # noqa: E402


def _regnet(activation):
    torch.manual_seed(0)
    model = torchvision.models.regnet_y_400mf(activation=activation)
    g = torch.Generator().manual_seed(1)
    return model, (torch.randn(4, 3, 64, 64, generator=g),
                   torch.randint(0, 1000, (4,), generator=g))


def test_regnety_400mf_traced_graph_is_exact_in_float64():
    """The traced, decomposed step (what the emitter translates op by op) run by
    PyTorch in float64 gives eager float64's loss and gradients to 1e-9."""
    model, inputs = _regnet(torch.nn.ReLU)
    state = copy.deepcopy(model.state_dict())
    step = exporter.trace_training_step(model, F.cross_entropy, inputs)
    model.load_state_dict(state)
    args = ([p.detach().double() for p in model.parameters()]
            + [b.clone().double() if b.is_floating_point() else b.clone()
               for _, b in model.named_buffers()]
            + [inputs[0].double(), inputs[1]])
    got = step.gm(*args)
    want = eager_loss_and_grads(copy.deepcopy(model).double(),
                                [inputs[0].double(), inputs[1]], F.cross_entropy)
    assert len(got) == len(want) == 226
    for g, w in zip(got, want):
        assert (g - w).abs().max() <= 1e-9 * w.abs().max() + 1e-12


def test_regnety_400mf_step_executes_like_pytorch(tmp_path):
    model, inputs = _regnet(torch.nn.SiLU)
    errors = check_against_eager(model, inputs, F.cross_entropy, tmp_path, rtol=1e-3)
    assert len(errors) == 226
