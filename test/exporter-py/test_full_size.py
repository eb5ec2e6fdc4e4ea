"""Full architectures at a small batch and resolution: the exported step, lowered
and run on CPU, gives PyTorch's loss and every gradient (float64 reference,
relative to each gradient's magnitude).

The six benchmark fixtures (bench/torch/models.py MODELS, exported full size to
bench/graphs by bench/torch/export_fixtures.py) are checked with their full
architecture and parameter count at a small batch and resolution: exported,
compiled by remat-run (remat-opt's CPU pipeline, llc), run on PyTorch's own
weights and batch (binary files through the executable's --load), with the
measured peak equal to the prediction to the byte, and every result compared with
float64 PyTorch to 1e-3 of its magnitude. ResNet-50 and MobileNetV2 at these
sizes have the RegNetY problem below (their float32 eager gradients are 28% and
2% off float64 with ReLU/ReLU6): their lowered steps run with SiLU, and their
traced ReLU graphs are checked exactly in float64.

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

from gradcheck import (check_against_eager, check_compiled_against_eager,  # noqa: E402
                       eager_loss_and_grads, exporter)
import models  # noqa: E402  (bench/torch, on sys.path through gradcheck)


def _regnet(activation):
    torch.manual_seed(0)
    model = torchvision.models.regnet_y_400mf(activation=activation)
    g = torch.Generator().manual_seed(1)
    return model, (torch.randn(4, 3, 64, 64, generator=g),
                   torch.randint(0, 1000, (4,), generator=g))


def _traced_graph_is_exact_in_float64(model, inputs, loss_fn):
    """The traced, decomposed step (what the emitter translates op by op) run by
    PyTorch in float64 gives eager float64's loss and gradients to 1e-9."""
    state = copy.deepcopy(model.state_dict())
    step = exporter.trace_training_step(model, loss_fn, inputs)
    model.load_state_dict(state)
    args = ([p.detach().double() for p in model.parameters()]
            + [b.clone().double() if b.is_floating_point() else b.clone()
               for _, b in model.named_buffers()]
            + [inputs[0].double(), inputs[1]])
    got = step.gm(*args)
    want = eager_loss_and_grads(copy.deepcopy(model).double(),
                                [inputs[0].double(), inputs[1]], loss_fn)
    assert len(got) == len(want) == 1 + len(list(model.parameters()))
    for g, w in zip(got, want):
        assert (g - w).abs().max() <= 1e-9 * w.abs().max() + 1e-12
    return len(got)


def test_regnety_400mf_traced_graph_is_exact_in_float64():
    model, inputs = _regnet(torch.nn.ReLU)
    assert _traced_graph_is_exact_in_float64(model, inputs, F.cross_entropy) == 226


def test_regnety_400mf_step_executes_like_pytorch(tmp_path):
    model, inputs = _regnet(torch.nn.SiLU)
    errors = check_against_eager(model, inputs, F.cross_entropy, tmp_path, rtol=1e-3)
    assert len(errors) == 226


def test_lraspp_segmentation_planned_executes_like_pytorch(tmp_path):
    """torchvision's LR-ASPP MobileNetV3-Large (3.2M parameters: Hardswish,
    squeeze-excitation, bilinear upsampling in its head and to the input's
    size) at batch 2, 64x64, 4 classes, per-pixel cross entropy: planned at 0.95
    of its peak (the smallest feasible budget is 0.90), compiled by remat-run,
    the measured peak equal to the planned one, every result within 1e-3 of
    float64 PyTorch (65 s on 2 cores beside other jobs)."""
    from torchvision.models.segmentation import lraspp_mobilenet_v3_large
    torch.manual_seed(0)
    model = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=4)
    g = torch.Generator().manual_seed(1)
    inputs = (torch.randn(2, 3, 64, 64, generator=g), torch.randint(0, 4, (2, 64, 64), generator=g))
    errors = check_compiled_against_eager(
        model, inputs, lambda out, target: F.cross_entropy(out['out'], target), tmp_path,
        rtol=1e-3, budget=0.95)
    assert len(errors) == 1 + len(list(model.parameters()))


class _UNet3d(torch.nn.Module):
    """A volumetric (medical-imaging) U-Net: two levels of Conv3d, BatchNorm3d and
    SiLU, max pooling, trilinear upsampling, a skip concatenation and a 1x1x1
    head to per-voxel classes."""

    def __init__(self, cin=2, width=8, classes=3):
        super().__init__()

        def block(i, o):
            return torch.nn.Sequential(
                torch.nn.Conv3d(i, o, 3, padding=1, bias=False), torch.nn.BatchNorm3d(o),
                torch.nn.SiLU(), torch.nn.Conv3d(o, o, 3, padding=1, bias=False),
                torch.nn.BatchNorm3d(o), torch.nn.SiLU())
        self.down = block(cin, width)
        self.bottom = block(width, 2 * width)
        self.up = block(3 * width, width)
        self.head = torch.nn.Conv3d(width, classes, 1)

    def forward(self, x):
        skip = self.down(x)
        deep = self.bottom(F.max_pool3d(skip, 2))
        deep = F.interpolate(deep, scale_factor=2, mode='trilinear', align_corners=False)
        return self.head(self.up(torch.cat([skip, deep], dim=1)))


def test_unet3d_planned_executes_like_pytorch(tmp_path):
    """The volumetric U-Net at batch 2, 2 channels, 16x16x16 voxels, 3 classes,
    per-voxel cross entropy: 3-D convolutions (one linalg.generic each),
    3-D max pooling and trilinear upsampling through remat-run, planned at 0.7
    of its peak, the measured peak equal to the planned one, every result
    within 1e-3 of float64 PyTorch."""
    torch.manual_seed(0)
    model = _UNet3d()
    g = torch.Generator().manual_seed(1)
    inputs = (torch.randn(2, 2, 16, 16, 16, generator=g),
              torch.randint(0, 3, (2, 16, 16, 16), generator=g))
    errors = check_compiled_against_eager(model, inputs, F.cross_entropy, tmp_path,
                                          rtol=1e-3, budget=0.7)
    assert len(errors) == 1 + len(list(model.parameters()))


def _silu(model):
    """ReLU and ReLU6 modules replaced by SiLU (float32 is stable with it)."""
    for m in list(model.modules()):
        for name, child in list(m.named_children()):
            if isinstance(child, (torch.nn.ReLU, torch.nn.ReLU6)):
                setattr(m, name, torch.nn.SiLU())
    return model


# fixture -> (batch and size, lowered with SiLU). Time per test on 2 cores
# shared with other jobs: GPT-2 small 151 s (75 s alone: export 12 s, float64
# reference 11 s, compile 32 s, a 20 s step, most of it the 50257-word
# vocabulary), BERT-base 84 s, ResNet-50 77 s, MobileNetV2 58 s, VGG-16 43 s,
# U-Net 36 s.
FIXTURES = {
    'gpt2_small': (dict(batch=1, seq=8), False),
    'bert_base': (dict(batch=1, seq=8), False),
    'resnet50': (dict(batch=2, hw=64), True),
    'vgg16': (dict(batch=1, hw=32), False),
    'mobilenet_v2': (dict(batch=8, hw=32), True),
    'unet': (dict(batch=1, hw=32), False),
}


@pytest.mark.parametrize('name', sorted(FIXTURES))
def test_fixture_full_size_executes_like_pytorch(name, tmp_path):
    size, silu = FIXTURES[name]
    model, inputs, loss_fn, _ = models.MODELS[name](**size)
    if silu:
        _silu(model)
    errors = check_compiled_against_eager(model, inputs, loss_fn, tmp_path, rtol=1e-3)
    assert len(errors) == 1 + len(list(model.parameters()))


@pytest.mark.parametrize('name', sorted(n for n, (_, silu) in FIXTURES.items() if silu))
def test_fixture_relu_traced_graph_is_exact_in_float64(name):
    size, _ = FIXTURES[name]
    model, inputs, loss_fn, _ = models.MODELS[name](**size)
    assert _traced_graph_is_exact_in_float64(model, inputs, loss_fn) > 100
