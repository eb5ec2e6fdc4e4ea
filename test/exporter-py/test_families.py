"""The model families of issue 11 the fixtures do not cover, at small sizes: each
exports, lowers with mlir-opt, runs with mlir-runner, and gives float64 eager
PyTorch's loss and every gradient to 1e-3 of its magnitude (families.py).

What each one brings: SDPA (math form, its `any`), ViT (nn.MultiheadAttention),
DenseNet (avg_pool2d backward, concatenation), ConvNeXt (channels-last LayerNorm,
an as_strided view and a copy_ through it), MoE (topk, gather, scatter,
index_select), GRU and nn.LSTM (through their cells; GRU's in-place transpose_),
Swin (relative position index, roll, window partitions), pooling (avg_pool2d
with padding and ceil_mode, adaptive pooling with overlapping windows), a
GroupNorm/SiLU residual block (group and instance norm, LeakyReLU, ELU, SELU,
nearest upsampling),
regression losses (L1 and smooth L1 through sign, KL divergence through isnan),
label smoothing with an ignored class and amax (i64 sums), tensors made in
the forward and the loss (an index, class weights of cross entropy), a causal
TCN (1-D convolutions, F.pad's cropping backward), max and min over a dimension, cumsum and flip, adaptive max pooling (argmax, its
backward by flat indices; uneven windows too), bilinear / bicubic / nearest-exact / non-whole
nearest interpolation (their backward by PyTorch's interpolation matrices),
nn.Bilinear (`_trilinear`), grouped and depthwise transposed convolutions, fmod
and Python's remainder, 3-D convolutions (strided, grouped, dilated, transposed;
BatchNorm3d) and 3-D max, average and adaptive average pooling, trilinear / 3-D nearest /
nearest-exact and 1-D linear interpolation, Swin's shifted windows in 2-D
and 3-D (their attention mask, slice_scatters into a constant, becomes one
dense constant: remat could not plan the chain of writes), a conv net in
torch.channels_last, cumprod (a linear RNN in closed form; its backward's
max.dim of a bool mask), logcumsumexp, cummax (ties at a ReLU's zeros) and
cummin, multi-class hinge losses (multi_margin_loss_backward), F.pdist,
torch.i0 and torch.special.i1 (their power series), cosine similarity and clamps to tensor bounds
(clamp.Tensor, clamp_min.Tensor, clamp_max.Tensor), weight normalization
(_weight_norm_interface_backward), replicate / reflect / circular padding
(replication_pad*d_backward), torch.cdist with p = 1, 1.5, 2, 3 (its forward and
backward; self-distances with zero diagonals), nn.EmbeddingBag (sum by offsets,
mean with a padding index, per-sample weights, max with an empty bag), torch.sort,
argsort, median, nanmedian and kthvalue (ranks,
a gather), F.affine_grid and F.grid_sample in 2-D and 3-D (bilinear with
zeros and border padding, nearest; grid_sampler_2d_backward, grid_sampler_3d
and its backward), torch.eye in the forward, scatter_reduce (sum, prod, mean,
amax, amin, with and without self: GAT and GraphSAGE aggregations), NeRF's
hierarchical sampling (searchsorted, bucketize), a CTC-trained acoustic model
(_ctc_loss and its backward). A result that is not finite
fails the comparison (gradcheck._compare).
"""

import pytest

torch = pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); '
                            'the exporter tests need it')
pytest.importorskip('torchvision', reason='torchvision is not installed')

import families  # noqa: E402
from gradcheck import check_against_eager, exporter, run_exported  # noqa: E402

FAMILIES = families.families()


@pytest.mark.parametrize('name', sorted(FAMILIES))
def test_family_executes_like_pytorch(name, tmp_path):
    model, inputs, loss_fn = FAMILIES[name]()
    check_against_eager(model, inputs, loss_fn, tmp_path, rtol=1e-3)


def test_nonzero_is_named_with_its_model_line():
    class Nonzero(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(4))

        def forward(self, x):
            return (x * self.w)[torch.nonzero(x > 0, as_tuple=True)]

    with pytest.raises(exporter.ExportError,
                       match=r'aten\.nonzero.*test_families\.py:\d+: return \(x \* self\.w\)'):
        exporter.export_training_step(Nonzero(), lambda o: o.sum(), (torch.randn(3, 4),))


def test_sum_over_an_expanded_scalar_executes(tmp_path):
    """A scalar expanded to a batch (`x.sum().expand(n)`): its backward sums
    the incoming gradient, itself an expanded scalar, over the new dim, where
    no operand of the reduction indexed the loop (linalg refused the step
    until the reduction materialized such an input)."""
    class Expanded(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(6, 6)

        def forward(self, x):
            h = self.fc(x)
            return torch.tanh(h).sum().expand(x.shape[0]) + h[:, 0]

    gen = torch.Generator().manual_seed(41)
    check_against_eager(Expanded(), (torch.randn(3, 6, generator=gen),),
                        lambda o: o.sum(), tmp_path)


def test_erfinv_tails_match_eager(tmp_path):
    """erfinv near +-1, where the family's saturated elements barely move its
    loss: the tail polynomial (w = -log(1 - x^2) >= 5), and the gradient
    exp(erfinv(x)^2) sqrt(pi) / 2, thousands there."""
    class Tails(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.tensor([0.5, -0.99, 0.999, -0.9999, 0.99995]))

        def forward(self, x):
            return torch.erfinv(self.p * x)

    check_against_eager(Tails(), (torch.ones(5),), lambda o: o.sum(), tmp_path)


def test_bessel_matches_eager(tmp_path):
    """i0 and i1 from 0 to the edge of f32 (i0(88) is 7e36), negative too: the
    series' fixed 80 terms reach there (the family's arguments stay below 6);
    i1's backward at x = 0 (i0 - i1 / x, taken as 1/2 there)."""
    class Wide(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.tensor([0.0, 0.3, -2.0, 7.5, -20.0, 45.0, 80.0, 87.0]))

        def forward(self, x):
            i1 = torch.special.i1(self.p * x)
            # Logarithms, so that every element weighs alike (i1 signed).
            return torch.log(torch.i0(self.p * x)) + torch.sign(i1) * torch.log1p(i1.abs())

    check_against_eager(Wide(), (torch.ones(8),), lambda o: o.sum(), tmp_path)


def test_logcumsumexp_of_infinities_matches_eager(tmp_path):
    """logcumsumexp where the running sum and the next term are the same
    infinity (min - max is NaN there): that infinity, as PyTorch, not NaN.
    The loss, exp(-|out|) summed, is 0 for an infinity and NaN for a NaN."""
    class Infinite(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.tensor([[0.5, 1.0, 2.0, 3.0]]))

        def forward(self, x, s):
            return torch.logcumsumexp(torch.log(x) * s, dim=1) + self.p

    x = torch.tensor([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 2.0, 0.5]])
    s = torch.tensor([[1.0, 1.0, 1.0, -1.0], [-1.0, -1.0, 1.0, 1.0]])  # log(0) * s: -inf, +inf
    loss = lambda o: torch.exp(-o.abs()).sum()  # noqa: E731
    _, got, _ = run_exported(Infinite(), (x, s), loss, tmp_path, 2)
    with torch.no_grad():
        want = loss(Infinite()(x, s)).item()
    assert abs(float(got[0][0]) - want) <= 1e-5 * abs(want), (got[0], want)


def test_cummax_with_nan_matches_eager(tmp_path):
    """cummax and cummin where a row holds NaN (log of a negative number):
    PyTorch's rule, NaN propagates and the index moves to each later NaN and
    stays there; a rule that skips NaN (a plain >= or <=) gives other values,
    indices and gradients after the first NaN."""
    class Running(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.tensor([[0.5, -1.0, 2.0, 0.25, 3.0, -0.5]]))

        def forward(self, x):
            y = torch.log(x) + self.p
            v, i = torch.cummax(y, dim=1)
            w, j = torch.cummin(y, dim=1)
            return (torch.where(torch.isnan(v), 100.0, v) + torch.where(torch.isnan(w), -50.0, w)
                    + i.float() * 10.0 + j.float() * 1000.0)

    x = torch.tensor([[1.0, 2.0, -1.0, 3.0, 0.5, 4.0], [2.0, 0.5, 3.0, 1.0, -1.0, -2.0]])
    check_against_eager(Running(), (x,), lambda o: (o * torch.arange(1.0, 7.0)).sum(), tmp_path)


@pytest.mark.parametrize('p', [1, 2])
@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
def test_multi_margin_of_one_sample_matches_eager(p, reduction, tmp_path):
    """F.multi_margin_loss of one sample's 1-D scores (a 0-d target): the
    backward as a batch of one (it was refused before)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh())

    def loss(o):
        w = torch.tensor([1.0, 2.0, 0.5, 1.5, 1.0], dtype=o.dtype)
        return 3 * torch.nn.functional.multi_margin_loss(o, torch.tensor(2), p=p, margin=0.7,
                                                         weight=w, reduction=reduction).sum()
    check_against_eager(model, (torch.randn(4),), loss, tmp_path)


def test_oversized_interpolation_matrix_is_named():
    """The interpolation backward writes its matrices into the step: past a
    1024 x 1024 one it stops with an error naming the sizes."""
    class Tall(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 1, 1)

        def forward(self, x):
            return torch.nn.functional.interpolate(self.conv(x), size=(2048, 4),
                                                   mode='bilinear').mean(dim=(2, 3))

    with pytest.raises(exporter.ExportError, match=r'interpolation matrix of 2048 x 1024'):
        exporter.export_training_step(Tall(), lambda o: o.sum(), (torch.randn(1, 1, 1024, 4),))


def test_dropout_in_training_mode_takes_its_mask():
    """Dropout's mask is an argument after the batch (it used to stop the
    export; test_random_inputs.py runs such steps against eager PyTorch)."""
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5))
    step = exporter.trace_training_step(model, lambda o: o.sum(), (torch.randn(3, 4),))
    assert [(d.distribution, d.p, d.shape) for d in step.random_inputs] == \
        [('bernoulli', 0.5, (3, 4))]
    text = exporter.emit_step(step)[0]
    assert text.splitlines()[0].endswith('%a_input0: tensor<3x4xf32>, %a_mask0: tensor<3x4xi1>)')


def test_rrelu_in_training_mode_is_named():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.RReLU())
    with pytest.raises(exporter.ExportError, match=r'rrelu_with_noise.*random: F.rrelu samples'):
        exporter.export_training_step(model, lambda o: o.sum(), (torch.randn(3, 4),))


@pytest.mark.parametrize('name', sorted(FAMILIES))
def test_remat_opt_reports_and_plans_family(name, tmp_path):
    """The exported step of each family parses in remat-opt, is reported on and
    planned (gathers read captured tensors; remat counts those reads)."""
    import os
    import subprocess
    remat_opt = os.environ.get('REMAT_OPT', os.path.join(os.path.dirname(__file__), '..', '..',
                                                         'build', 'bin', 'remat-opt'))
    if not os.access(remat_opt, os.X_OK):
        pytest.skip('remat-opt not built at %s (set REMAT_OPT)' % remat_opt)
    model, inputs, loss_fn = FAMILIES[name]()
    path = tmp_path / 'step.mlir'
    path.write_text(exporter.export_training_step(model, loss_fn, inputs))
    report = tmp_path / 'report.json'
    subprocess.run([remat_opt, str(path), '--remat-report=report-file=%s' % report,
                    '-o', os.devnull], check=True, capture_output=True)
    assert report.exists()
    subprocess.run([remat_opt, str(path), '--remat-checkpoint=budget=1.0', '-o', os.devnull],
                   check=True, capture_output=True)


class _WritesThroughViews(torch.nn.Module):
    """Activations and masks written in place through slices, selects and
    covering views (issue: such writes were dropped without an error, and the
    loss and gradients came out wrong)."""

    def __init__(self, how):
        super().__init__()
        self.how = how
        self.fc = torch.nn.Linear(8, 6)

    def forward(self, x):
        if self.how == 'mask_slice_fill':        # a mask built in the forward
            m = torch.zeros(x.shape[0], 6)
            m[:, -2:] = 1.0
            return self.fc(x) + m
        h = self.fc(x).clone()
        if self.how == 'slice_mul':
            h[:, :3] *= 2.0
        elif self.how == 'select_fill':
            h[:, 0] = 0.0
        elif self.how == 'nested':               # slice of a slice, then a select
            h[1:, :4][:, 2] = 0.5
            h[:, 1:2] += 1.0
        elif self.how == 'unsqueeze':            # a covering view, then a select
            h.unsqueeze(0)[0, :, 1] *= 3.0
        return torch.tanh(h)


@pytest.mark.parametrize('how', ['mask_slice_fill', 'slice_mul', 'select_fill', 'nested',
                                 'unsqueeze'])
def test_writes_through_views_execute_like_pytorch(how, tmp_path):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    inputs = (torch.randn(3, 8, generator=g), torch.tensor([0, 1, 3]))
    check_against_eager(_WritesThroughViews(how), inputs, torch.nn.functional.cross_entropy,
                        tmp_path, rtol=1e-4)


def test_write_through_a_transpose_read_after_is_named():
    class Transposed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)

        def forward(self, x):
            h = self.fc(x).clone()
            h.t()[0] = 0.0
            return h

    with pytest.raises(exporter.ExportError,
                       match=r'writes through a view \(aten\.(t|permute|transpose)'):
        exporter.export_training_step(Transposed(), lambda o: o.sum(), (torch.randn(3, 4),))


def test_unused_parameter_has_a_zero_gradient(tmp_path):
    class Unused(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.used = torch.nn.Linear(8, 6)
            self.unused = torch.nn.Linear(8, 6)

        def forward(self, x):
            return self.used(x)

    torch.manual_seed(0)
    inputs = (torch.randn(3, 8), torch.tensor([0, 1, 3]))
    check_against_eager(Unused(), inputs, torch.nn.functional.cross_entropy, tmp_path,
                        rtol=1e-4)
