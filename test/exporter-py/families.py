"""Small instances of the model families the fixtures do not cover (issue 11), with
example batches and losses. Random weights, seeded; nothing is downloaded."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SDPABlock(nn.Module):
    """A pre-norm decoder block whose attention is F.scaled_dot_product_attention
    (causal), as LLaMA-style models with SDPA write it."""

    def __init__(self, d=16, heads=2, vocab=32):
        super().__init__()
        self.h = heads
        self.emb = nn.Embedding(vocab, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.head = nn.Linear(d, vocab)

    def forward(self, ids):
        x = self.emb(ids)
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (y.view(b, t, self.h, d // self.h).transpose(1, 2) for y in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
        return self.head(x)


def lm_loss(logits, target):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


class MoE(nn.Module):
    """A Mixtral-style top-2 mixture-of-experts layer: the router's two best experts
    per token, their softmaxed scores scattered into dense gates; with a
    gather of the chosen scores and an index_select of the experts' biases."""

    def __init__(self, d=8, experts=4, hidden=16, classes=5):
        super().__init__()
        self.router = nn.Linear(d, experts, bias=False)
        self.w1 = nn.Parameter(torch.randn(experts, d, hidden) / math.sqrt(d))
        self.w2 = nn.Parameter(torch.randn(experts, hidden, d) / math.sqrt(hidden))
        self.b2 = nn.Parameter(torch.randn(experts, d) * 0.1)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        logits = self.router(x)                                    # [T, E]
        top, idx = torch.topk(logits, 2, dim=-1)                   # [T, 2]
        chosen = torch.gather(logits, -1, idx)                     # == top
        w = F.softmax(chosen, dim=-1)
        gates = torch.zeros_like(logits).scatter(-1, idx, w)       # [T, E]
        h = torch.einsum('td,edh->teh', x, self.w1)
        y = torch.einsum('teh,ehd->ted', F.silu(h), self.w2)
        y = y + torch.index_select(self.b2, 0, idx[:, 0])[:, None, :]
        out = (gates[:, :, None] * y).sum(1) + x
        return self.head(out)


class GRUNet(nn.Module):
    def __init__(self, d=6, hidden=8, classes=5):
        super().__init__()
        self.rnn = nn.GRU(d, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1])


class LSTMNet(nn.Module):
    def __init__(self, d=6, hidden=8, classes=5):
        super().__init__()
        self.rnn = nn.LSTM(d, hidden, num_layers=2)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[-1])


class Pools(nn.Module):
    """avg_pool2d with padding, ceil_mode and count_include_pad=False, then an
    adaptive average pool whose windows overlap (7 -> 3)."""

    def __init__(self, classes=5):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False)
        self.pool2 = nn.AvgPool2d(2, 1, padding=1)
        self.adapt = nn.AdaptiveAvgPool2d((3, 3))
        self.head = nn.Linear(4 * 9, classes)

    def forward(self, x):
        x = self.pool2(self.pool(F.relu(self.conv(x))))
        return self.head(self.adapt(x).flatten(1))


class GroupNormBlock(nn.Module):
    """A diffusion U-Net's residual block: GroupNorm, SiLU, 3x3 convolutions,
    then LeakyReLU / ELU / SELU heads, an instance norm with affine weights and
    a nearest 2x upsampling (its backward sums 2x2 blocks)."""

    def __init__(self):
        super().__init__()
        self.n1 = nn.GroupNorm(2, 8)
        self.c1 = nn.Conv2d(8, 8, 3, padding=1)
        self.n2 = nn.GroupNorm(4, 8)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        h = self.c1(F.silu(self.n1(x)))
        h = x + self.c2(F.silu(self.n2(h)))
        h = F.leaky_relu(self.inorm(h), 0.1) + F.elu(h) + F.selu(h)
        h = self.c1(F.interpolate(h, scale_factor=2, mode='nearest'))
        return self.head(h.mean((2, 3)))


def regression_losses(out, target):
    """L1, smooth L1 (their backwards use sign) and KL divergence to a
    probability target (its forward tests isnan)."""
    return (F.l1_loss(out, target) + F.smooth_l1_loss(out, target, beta=0.5)
            + F.kl_div(F.log_softmax(out, -1), F.softmax(target, -1), reduction='batchmean'))


class AmaxHead(nn.Module):
    """A max over features beside a linear head (amax's backward counts the
    maxima in i64)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        h = self.fc(x)
        return h - h.amax(-1, keepdim=True)


class MaxOverTime(nn.Module):
    """Max pooling over a sequence (`max(dim)`: values and indices; the
    backward scatters into the indices), a min kept as a dimension, a running
    sum (cumsum; its backward flips)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 8)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        h = torch.tanh(self.fc(x))                    # [batch, time, 8]
        top = h.max(1).values                          # [batch, 8]
        low = h.min(-1, keepdim=True).values.mean(1)   # [batch, 1]
        run = torch.cumsum(h, 1).flip(-1)[:, -1]       # [batch, 8]
        return self.head(top + 0.1 * run) + low


class AdaptiveMaxPools(nn.Module):
    """Adaptive max pooling to 2x3 (of 6x6: whole windows), to 1x1 (global)
    and to 4x5 (uneven, overlapping windows): argmax inside, the backward
    routes by the flat indices."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4 * 6 + 4 + 4 * 20, 5)

    def forward(self, x):
        h = torch.tanh(self.conv(x))
        parts = (F.adaptive_max_pool2d(h, (2, 3)).flatten(1),
                 F.adaptive_max_pool2d(h, 1).flatten(1),
                 F.adaptive_max_pool2d(h, (4, 5)).flatten(1))
        return self.head(torch.cat(parts, 1))


class Interpolations(nn.Module):
    """A segmentation-style decoder's resampling: bilinear 2x (align_corners
    False), bicubic to a fixed size (align_corners True), nearest-exact by 1.5,
    nearest by a non-whole factor, bilinear down by 0.5. Their backward is the
    adjoint of PyTorch's interpolation matrices (ops.py)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.mix = nn.Conv2d(4, 4, 1)
        self.head = nn.Linear(4 * 5, 5)

    def forward(self, x):
        h = torch.tanh(self.conv(x))                                           # 6x7
        up = F.interpolate(h, scale_factor=2, mode='bilinear', align_corners=False)
        up = torch.relu(self.mix(up))                                           # 12x14
        parts = (F.interpolate(up, size=(5, 9), mode='bicubic', align_corners=True),
                 F.interpolate(h, scale_factor=1.5, mode='nearest-exact'),      # 9x10
                 F.interpolate(h, size=(10, 11), mode='nearest'),
                 F.interpolate(up, scale_factor=0.5, mode='bilinear'))          # 6x7
        return self.head(torch.cat([p.mean(dim=(2, 3)) for p in parts]
                                   + [(up * up).mean(dim=(2, 3))], 1))


class BilinearLayers(nn.Module):
    """nn.Bilinear (aten._trilinear, forward and the three of its backward),
    with and without bias, one of them reading a value twice."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.bil = nn.Bilinear(4, 6, 5)
        self.gate = nn.Bilinear(5, 5, 5, bias=False)

    def forward(self, x):
        y = self.bil(torch.tanh(self.fc(x)), x)
        return self.gate(y, torch.sigmoid(y))


class GroupedTransposedConvs(nn.Module):
    """A decoder's grouped and depthwise transposed convolutions: groups 2,
    stride 2 with output padding; depthwise (groups = channels), stride 1;
    groups 2, dilation 2, no padding."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.depthwise = nn.ConvTranspose2d(6, 6, 3, padding=1, groups=6, bias=False)
        self.dilated = nn.ConvTranspose2d(6, 4, 3, dilation=2, groups=2)
        self.head = nn.Linear(4, 5)

    def forward(self, x):
        h = torch.tanh(self.conv(x))
        h = torch.tanh(self.depthwise(torch.relu(self.up(h))))
        return self.head(self.dilated(h).pow(2).mean(dim=(2, 3)))


class Convolutions3d(nn.Module):
    """A video or volumetric network's 3-D convolutions: padded, before batch
    norm; strided with an anisotropic kernel, groups 2; depthwise, dilation
    2; a grouped transposed convolution with stride and output padding."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm3d(4)
        self.down = nn.Conv3d(4, 6, (3, 3, 2), stride=(2, 1, 2), padding=(1, 0, 1), groups=2)
        self.dilated = nn.Conv3d(6, 6, 3, padding=2, dilation=2, groups=6, bias=False)
        self.up = nn.ConvTranspose3d(6, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.head = nn.Linear(4, 5)

    def forward(self, x):
        h = torch.relu(self.bn(self.conv(x)))
        h = torch.tanh(self.dilated(torch.tanh(self.down(h))))
        return self.head(self.up(h).pow(2).mean(dim=(2, 3, 4)))


class Pools3d(nn.Module):
    """3-D pooling: max pooling over overlapping windows with padding (a video
    stem's), then non-overlapping ones with an anisotropic kernel; average
    pooling with padding not counted, and over non-overlapping windows;
    adaptive average pooling to windows that divide the input and to
    overlapping ones."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 3, 3, padding=1)
        self.pool = nn.MaxPool3d(3, stride=2, padding=1)
        self.tiles = nn.MaxPool3d((1, 2, 2))
        self.conv2 = nn.Conv3d(2, 3, 3, padding=1)
        self.avg = nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False)
        self.avg_tiles = nn.AvgPool3d((1, 2, 2))
        self.adaptive = nn.AdaptiveAvgPool3d((1, 2, 2))
        self.overlapping = nn.AdaptiveAvgPool3d((2, 3, 3))
        self.head = nn.Linear(6 + 9, 5)

    def forward(self, x):
        h = self.tiles(self.pool(torch.tanh(self.conv(x))))
        a = self.avg_tiles(self.avg(torch.tanh(self.conv2(x))))
        both = torch.cat([h, a], dim=1)                               # 3x2x2
        windows = torch.cat([self.adaptive(both).flatten(2),         # divides
                             self.overlapping(torch.tanh(self.conv(x))).flatten(2)[:, :, :4]],
                            dim=1)                                    # 5x8x7 to 2x3x3
        return self.head(torch.cat([both.pow(2).mean(dim=(2, 3, 4)),
                                    windows.pow(2).mean(dim=2)], dim=1))


class Interpolations3d(nn.Module):
    """A volumetric decoder's and a signal model's resampling: trilinear (up by 2,
    align_corners; down to a fixed size), nearest by whole and other factors,
    nearest-exact, and linear 1-D."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 3, 3, padding=1)
        self.conv1d = nn.Conv1d(3, 3, 3, padding=1)
        self.head = nn.Linear(3, 5)

    def forward(self, x):
        h = torch.tanh(self.conv(x))                                 # 3x4x5
        up = F.interpolate(h, scale_factor=2, mode='trilinear', align_corners=True)
        down = F.interpolate(up, size=(5, 3, 7), mode='trilinear', align_corners=False)
        near = F.interpolate(down, scale_factor=(2, 1, 1), mode='nearest')
        odd = F.interpolate(near, size=(7, 4, 9), mode='nearest')
        exact = F.interpolate(odd, scale_factor=1.5, mode='nearest-exact')
        signal = exact.mean(dim=(3, 4))                              # [N, C, 10]
        line = F.interpolate(torch.tanh(self.conv1d(signal)), size=13, mode='linear')
        return self.head(line.pow(2).mean(dim=2) + exact.pow(2).mean(dim=(2, 3, 4)))


class Remainders(nn.Module):
    """torch.fmod (the dividend's sign) and % (the divisor's), of floats and of
    index arithmetic (Swin V2's window shifts come to fmod)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        h = self.fc(x)
        i = torch.arange(5)
        j = (i * 3 - 4) % 5
        k = torch.fmod(i * 3 - 4, 5).abs()
        return torch.fmod(h * 3.0, 1.7) + torch.remainder(h, -0.9) + h[:, j] + h[:, k]


class ElementwiseExtras(nn.Module):
    """torch.atan2 (all four quadrants), torch.hypot, torch.copysign (signs
    from another tensor and from -0.0), products along a dim and over all
    (one through relu: exact zeros, which prod's backward treats apart),
    and hardshrink / softshrink (their backwards written by the exporter)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 10)

    def forward(self, x):
        h = self.fc(x)
        a, b = h[:, :5], h[:, 5:]
        angle = torch.atan2(a, b)
        length = torch.hypot(a, b)
        signed = torch.copysign(a, b) + torch.copysign(b, torch.tensor(-0.0))
        # Per class (a shift shared by every class would cancel in the loss).
        pairs = torch.sigmoid(h).view(-1, 5, 2).prod(-1) + torch.relu(h + 0.3).view(-1, 5, 2).prod(2)
        shrunk = F.hardshrink(a, 0.4) + F.softshrink(b, 0.3)
        return angle + 0.5 * length + signed + pairs + shrunk + a * torch.tanh(a).prod()


class MatrixDiagonals(nn.Module):
    """torch.diagonal (offsets above and below, dims given in either order and
    counted from the end, two dims apart in a 4-D view), torch.trace,
    torch.diag (a vector into a matrix and a matrix's diagonal out),
    torch.diag_embed, and an in-place update through a diagonal view
    (`diagonal().add_()`): aten.diagonal and aten.diagonal_scatter, written
    by the exporter over the diagonal's window."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 24)

    def forward(self, x):
        h = self.fc(x)
        m = h.view(-1, 4, 6)
        above = torch.diagonal(m, 1, 1, 2)                      # (batch, 4)
        below = torch.diagonal(m, -1, -1, -2)                   # dims swapped: (batch, 4)
        traced = torch.stack([torch.trace(torch.tanh(m[k, :, :4])) for k in range(m.shape[0])])
        square = torch.diag_embed(torch.sigmoid(above), offset=-1)[:, 1:, :4]  # (batch, 4, 4)
        shifted = m[:, :, :4].clone()
        shifted.diagonal(dim1=-2, dim2=-1).add_(torch.relu(above) * 0.5)
        both = torch.diag(torch.diag(torch.cos(m[0, :, :4]))) @ shifted[0]
        mixed = (square * shifted).sum(-1) + torch.cat([below[:, 1:], traced.unsqueeze(1)], 1)
        # Across the batch (dims 0 and 2 of four): sample k's row k.
        across = torch.diagonal(h.view(-1, 2, 3, 4), 0, 0, 2).sum((0, 1))
        extra = above.prod(-1, keepdim=True) * 0.01 - (traced + across * 0.3).unsqueeze(1) * 0.1
        return torch.cat([mixed + both.sum(0) * 0.1, extra], 1)


class GaussianRegression(nn.Module):
    """A regression head that predicts a mean and a variance per output, and a
    learned variance shared by a row's outputs that is below eps (1e-9 of a
    softplus): clamped to eps outside autograd, so its parameter's gradient
    is PyTorch's straight-through one."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 6)
        self.s = nn.Parameter(torch.tensor([0.3]))

    def forward(self, x):
        h = self.fc(x)
        shared = F.softplus(self.s).expand(x.shape[0]) * 1e-9
        return h[:, :3], F.softplus(h[:, 3:]) + 0.05, shared


def gaussian_nll(out, target):
    """nn.GaussianNLLLoss with the constant term (0.92 of a loss of a few
    units), and F.gaussian_nll_loss with the shared variance, one dim short
    of the mean (homoscedastic), scaled to the same few units."""
    mean, var, shared = out
    return (nn.GaussianNLLLoss(full=True)(mean, target, var) +
            F.gaussian_nll_loss(mean * 0.5, target, shared, reduction='sum') * 1e-6)


class GammaLikelihoods(nn.Module):
    """Positive parameters for a Gamma likelihood and two Beta distributions
    (torch.distributions, validate_args=False: validation branches on data),
    and a value in (-0.95, -0.05) that lgamma and digamma take through their
    reflection formulas."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 7)

    def forward(self, x):
        h = self.fc(x)
        return F.softplus(h[:, :6]) + 0.05, torch.tanh(h[:, 6]) * 0.45 - 0.5


def gamma_likelihoods_loss(out, y):
    """The Gamma negative log likelihood of y (lgamma; its backward digamma),
    the KL divergence between the Betas (lgamma and digamma; the backward
    polygamma(1, .)), and lgamma and digamma of negative values."""
    from torch import distributions as D
    p, signed = out
    gamma = D.Gamma(p[:, 0], p[:, 1], validate_args=False)
    first = D.Beta(p[:, 2], p[:, 3], validate_args=False)
    second = D.Beta(p[:, 4], p[:, 5], validate_args=False)
    return (-gamma.log_prob(y).mean() + D.kl_divergence(first, second).mean() +
            (torch.lgamma(signed) + torch.digamma(signed) * 0.1).mean())


class ProbitHead(nn.Module):
    """Logits that are normal quantiles of probabilities: sqrt(2) erfinv(2 p -
    1) (torch.erfinv; its backward exp(erfinv(x)^2)), with 2 p - 1 =
    0.99995 tanh(4 h), so that a fifth reach erfinv's tail (|2 p - 1| > 0.9966)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        return math.sqrt(2.0) * torch.erfinv(0.99995 * torch.tanh(4 * self.fc(x)))


class BesselFeatures(nn.Module):
    """Modified Bessel functions of learned features: torch.i0 (its backward
    torch.special.i1) of 6 tanh(h), up to about 60, and torch.special.i1 (its
    backward i0 - i1 / x, zero-safe) of h itself."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        h = self.fc(x)
        return torch.log(torch.i0(6 * torch.tanh(h))) + torch.special.i1(h)


def smoothed_cross_entropy(logits, target):
    """Cross entropy with label smoothing and an ignored class (its mean counts
    the non-ignored targets in i64)."""
    return F.cross_entropy(logits, target, label_smoothing=0.1, ignore_index=2)


class ConstantIndex(nn.Module):
    """Features picked by a tensor made in the forward (`_tensor_constant`)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 8)

    def forward(self, x):
        h = torch.tanh(self.fc(x))
        return h[:, torch.tensor([7, 0, 3, 3, 5])]


def weighted_cross_entropy(logits, target):
    """Cross entropy with class weights made in the loss (a tensor constant)."""
    weight = torch.tensor([1.0, 2.0, 0.5, 1.5, 3.0], dtype=logits.dtype)
    return F.cross_entropy(logits, target, weight=weight, ignore_index=2)


class CausalTCN(nn.Module):
    """A temporal convolution net: dilated Conv1d layers, left-padded with F.pad
    so they are causal (the pad's backward crops: negative padding)."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(4 if i == 0 else 8, 8, 3, dilation=2 ** i)
                                   for i in range(3))
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        for conv in self.convs:
            x = torch.tanh(conv(F.pad(x, (2 * conv.dilation[0], 0))))
        return self.head(x[:, :, -1])


class CumprodScan(nn.Module):
    """A linear RNN in closed form (decays' cumprod, inputs' cumsum over it), and
    a cumprod of a ReLU's output with exact zeros: cumprod's backward takes its
    first-zero path (max.dim of a bool mask) there."""

    def __init__(self, d=6, classes=5):
        super().__init__()
        self.a, self.b, self.g = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.head = nn.Linear(2 * d, classes)

    def forward(self, x):
        p = torch.cumprod(torch.sigmoid(self.a(x)), dim=1)
        h = p * torch.cumsum(self.b(x) / p, dim=1)
        z = torch.cumprod(F.relu(self.g(x)) + 0.5 * (x > 0), dim=1)
        return self.head(torch.cat([h[:, -1], z.mean(1)], -1))


class RunningExtremes(nn.Module):
    """Running reductions along time: logcumsumexp (a soft running max), and
    cummax of a ReLU's output, whose exact zeros tie (its indices, which reach
    the loss, name the latest of equal elements, as PyTorch's), and cummin
    along the features."""

    def __init__(self, d=6, classes=5):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.head = nn.Linear(3 * d, classes)

    def forward(self, x):
        soft = torch.logcumsumexp(self.a(x), dim=1)
        hard, where = torch.cummax(F.relu(self.b(x)), dim=1)
        low = torch.cummin(self.c(x), dim=2).values
        out = self.head(torch.cat([soft[:, -1], hard.mean(1), low.mean(1)], -1))
        # The indices reach the loss (not the gradients): the ties' latest.
        return out + 0.1 * where.float().mean(1)[:, :5]


class PairwiseDistances(nn.Module):
    """F.pdist (p 2, 1 and 3) of each sample's set of embedded points, one of
    them repeated (a zero distance: PyTorch's zero gradient there)."""

    def __init__(self, d=6, classes=5):
        super().__init__()
        self.embed = nn.Linear(d, 4)
        self.head = nn.Linear(21, classes)

    def forward(self, x):
        h = self.embed(x)
        h = torch.cat([h, h[:, :1]], 1)                      # 7 points, two equal
        d = torch.stack([F.pdist(s) + 0.5 * F.pdist(s, p=1) + 0.25 * F.pdist(s, p=3)
                         for s in h])
        return self.head(d)


def margin_losses(out, target):
    """Multi-class hinge losses (multi_margin_loss_backward, which torch does not
    decompose): p 1 and 2, a margin, class weights, each reduction."""
    w = torch.tensor([1.0, 2.0, 0.5, 1.5, 1.0], dtype=out.dtype)
    per_sample = F.multi_margin_loss(out, target, reduction='none')
    return (F.multi_margin_loss(out, target)
            + 0.5 * F.multi_margin_loss(out, target, p=2, margin=0.5, weight=w,
                                        reduction='sum')
            + (per_sample * torch.arange(1.0, 1.0 + out.shape[0], dtype=out.dtype)).sum())


class CosineHead(nn.Module):
    """Cosine similarity to class prototypes (its clamp_min of the norms' product
    by a tensor) after clamps to parameter bounds (clamp.Tensor and the
    clamp_min/clamp_max of tensors; gradients reach the bounds)."""

    def __init__(self, d=6, classes=5):
        super().__init__()
        self.lin = nn.Linear(d, d)
        self.lo = nn.Parameter(-0.5 - torch.rand(d))
        self.hi = nn.Parameter(0.5 + torch.rand(d))
        self.proto = nn.Parameter(torch.randn(classes, d))

    def forward(self, x):
        h = torch.clamp(self.lin(x), min=self.lo, max=self.hi)
        h = torch.clamp_max(torch.clamp_min(h, self.lo * 0.9), self.hi * 0.9)
        return 10 * F.cosine_similarity(h[:, None, :], self.proto[None], dim=-1)


class WeightNormed(nn.Module):
    """`parametrizations.weight_norm` on a Conv1d and a Linear (its
    `_weight_norm_interface_backward`, decomposed by the exporter)."""

    def __init__(self, classes=5):
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm
        self.conv = wn(nn.Conv1d(3, 4, 3, padding=1))
        self.head = wn(nn.Linear(4 * 6, classes))

    def forward(self, x):
        return self.head(torch.tanh(self.conv(x)).flatten(1))


class PaddingModes(nn.Module):
    """Convolutions with padding_mode replicate, reflect and circular, and
    F.pad's replicate in 2-D and 3-D (replication_pad*d_backward, decomposed
    by the exporter into index_adds)."""

    def __init__(self, classes=5):
        super().__init__()
        self.rep = nn.Conv2d(3, 4, 3, padding=1, padding_mode='replicate')
        self.refl = nn.Conv2d(4, 4, 3, padding=2, padding_mode='reflect')
        self.circ = nn.Conv1d(4, 4, 3, padding=1, padding_mode='circular')
        self.vol = nn.Conv3d(1, 2, 3, padding=1, padding_mode='replicate')
        self.head = nn.Linear(6, classes)

    def forward(self, x):
        y = F.pad(self.refl(torch.relu(self.rep(x))), (1, 2, 2, 1), mode='replicate')
        z = self.circ(y.mean(2)).mean(-1)
        v = self.vol(F.pad(x[:, :1, None], (1, 0, 0, 2, 1, 1), mode='replicate'))
        return self.head(torch.cat([z, v.mean((2, 3, 4))], -1))


class Distances(nn.Module):
    """torch.cdist: batched self-distances (zero diagonals: zero gradient
    there), and p = 1 and 3 to learned centers (decomposed by the exporter)."""

    def __init__(self, classes=5):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.centers = nn.Parameter(torch.randn(classes, 4))
        self.head = nn.Linear(3, classes)

    def forward(self, x):
        h = self.lin(x)
        self_dist = torch.cdist(h, h).mean(1)
        flat = h.flatten(0, 1)
        near = -torch.cdist(flat, self.centers, p=1) - torch.cdist(flat, self.centers, p=3.0)
        # p between 1 and 2 with zero distances (and zero differences) on the
        # diagonal: the backward's |diff|^(p-1) is 0 there, not 0 * inf.
        near = near - torch.cdist(h, h, p=1.5).mean(1).mean(-1, keepdim=True).repeat_interleave(
            near.shape[0] // x.shape[0], 0)
        return self.head(self_dist) + near.reshape(x.shape[0], -1, near.shape[-1]).mean(1)


class Sorting(nn.Module):
    """torch.sort (both directions, along either dimension), argsort driving
    a gather, sorted values pooled with learned weights (OWA pooling), and
    infinities sorted last and masked (isinf, isfinite), medians (along a
    dimension and of all elements; nanmedian past NaNs) and kthvalue: the exporter's rank-based
    sort and PyTorch's backward through its indices."""

    def __init__(self, classes=5):
        super().__init__()
        self.lin = nn.Linear(6, 6)
        self.order_weights = nn.Parameter(torch.randn(6))
        self.head = nn.Linear(6 + 4 + 4 + 4 + 1, classes)

    def forward(self, x):
        h = self.lin(x)                                        # [B, 4, 6]
        descending, _ = torch.sort(h, dim=-1, descending=True)
        pooled = (descending * self.order_weights).sum(1)      # [B, 6]
        ascending, index = h.sort(dim=1)                       # along the 4 rows
        order = torch.argsort(h[..., 0], dim=1, stable=True)
        picked = torch.gather(h[..., 1], 1, order)             # [B, 4]
        # Infinities sort last (isinf, isfinite); only finite values go on.
        capped = torch.where(h > 0.5, torch.full_like(h, float('inf')), h).sort(dim=-1)[0]
        finite = torch.where(torch.isinf(capped) | ~torch.isfinite(capped),
                             torch.zeros_like(capped), capped).mean(1)
        median, where = h.median(dim=1)                        # [B, 6]
        second, _ = torch.kthvalue(h, 2, dim=-1)               # [B, 4]
        # NaN where a value is large: nanmedian skips them, median would not.
        gaps = torch.where(h > 0.3, torch.full_like(h, float('nan')), h)
        overall = (h.median() + gaps.nanmedian(dim=-1)[0].mean(1)).unsqueeze(1)
        return self.head(torch.cat([pooled + ascending[:, 0] * index[:, -1].float() + finite,
                                    picked, median[:, :4] + 0.1 * where[:, :4].float(), second,
                                    overall], 1))


class SpatialTransformer(nn.Module):
    """A spatial transformer: a localization head predicts affine grids
    (F.affine_grid) that F.grid_sample reads, bilinear with zero padding,
    bilinear with border padding and aligned corners, nearest, bilinear
    with reflection padding (grids stretched past one reflection), bicubic
    with zero padding and with reflection padding and aligned corners; the
    grids reach past the image, so padding decides some samples."""

    def __init__(self, classes=5):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.loc = nn.Linear(2 * 5 * 6, 6)
        with torch.no_grad():
            self.loc.weight.mul_(0.1)
            self.loc.bias.copy_(torch.tensor([1.2, 0.1, 0.05, -0.1, 0.9, 0.2]))
        self.head = nn.Linear(3 * 6, classes)

    def forward(self, x):
        theta = self.loc(x.flatten(1)).view(-1, 2, 3)
        h = torch.tanh(self.conv(x))
        grid = F.affine_grid(theta, (x.shape[0], 3, 4, 5), align_corners=False)
        zeros = F.grid_sample(h, grid, align_corners=False)
        border = F.grid_sample(h, grid * 1.1, padding_mode='border', align_corners=True)
        nearest = F.grid_sample(h, grid, mode='nearest', align_corners=False)
        mirrored = F.grid_sample(h, grid * 3.5, padding_mode='reflection', align_corners=False)
        cubic = F.grid_sample(h, grid, mode='bicubic', align_corners=False)
        cubic_mirrored = F.grid_sample(h, grid * 2.5, mode='bicubic', padding_mode='reflection',
                                       align_corners=True)
        return self.head(torch.cat([zeros.mean((2, 3)), border.mean((2, 3)),
                                    nearest.mean((2, 3)), mirrored.mean((2, 3)),
                                    cubic.mean((2, 3)), cubic_mirrored.mean((2, 3))], 1))


class VolumeRegistration(nn.Module):
    """VoxelMorph-style registration: a 3-D convolution predicts a
    displacement field added to the identity grid (F.affine_grid in 3-D),
    and F.grid_sample warps the moving volume (trilinear with border
    padding; nearest with zero padding and trilinear with reflection padding
    and aligned corners beside it)."""

    def __init__(self):
        super().__init__()
        self.flow = nn.Conv3d(2, 3, 3, padding=1)

    def forward(self, x):
        moving = x[:, :1]
        flow = 0.3 * torch.tanh(self.flow(x)).permute(0, 2, 3, 4, 1)    # [N, D, H, W, 3]
        theta = torch.eye(3, 4).unsqueeze(0).expand(x.shape[0], 3, 4)
        grid = F.affine_grid(theta, moving.shape, align_corners=False) + flow
        warped = F.grid_sample(moving, grid, padding_mode='border', align_corners=False)
        nearest = F.grid_sample(moving, grid * 1.2, mode='nearest', align_corners=True)
        mirrored = F.grid_sample(moving, grid * 2.5, padding_mode='reflection',
                                 align_corners=True)
        return warped + 0.1 * nearest + 0.2 * mirrored


class GraphAttention(nn.Module):
    """A graph network written as PyG writes one, on a fixed edge list: GAT
    attention (scores gathered per edge, a softmax per destination through
    scatter_reduce amax and index_add), GraphSAGE mean and max aggregation
    (scatter_reduce mean and amax without self), and sum, min and product
    aggregations with self included; integer aggregations of features the
    data decides (i32 sum, i32 amax without self, i64 amin) added to the
    logits; node 5 receives no edge."""

    def __init__(self, d=4, hidden=6, classes=5):
        super().__init__()
        self.src = torch.tensor([0, 1, 2, 3, 4, 0, 2, 4, 1, 3, 6, 6])
        self.dst = torch.tensor([1, 2, 3, 4, 0, 3, 6, 1, 4, 0, 2, 1])
        self.w = nn.Linear(d, hidden, bias=False)
        self.att_src = nn.Parameter(torch.randn(hidden))
        self.att_dst = nn.Parameter(torch.randn(hidden))
        self.sage = nn.Linear(3 * hidden, hidden)
        self.head = nn.Linear(3 * hidden, classes)

    def forward(self, x):
        h = self.w(x)                                                # [N, F]
        n, f = h.shape
        src, dst = self.src, self.dst
        score = F.leaky_relu((h[src] * self.att_src).sum(-1) + (h[dst] * self.att_dst).sum(-1),
                             0.2)
        top = x.new_full((n,), -1e9).scatter_reduce(0, dst, score, 'amax')
        weight = torch.exp(score - top[dst])
        norm = x.new_zeros(n).index_add(0, dst, weight)
        gat = x.new_zeros(n, f).index_add(0, dst, (weight / norm[dst]).unsqueeze(1) * h[src])
        index = dst.unsqueeze(1).expand(-1, f)
        mean = h.scatter_reduce(0, index, h[src], 'mean', include_self=False)
        most = h.scatter_reduce(0, index, h[src], 'amax', include_self=False)
        sage = self.sage(torch.cat([mean, most, h], 1))
        total = h.scatter_reduce(0, index, torch.tanh(h[src]), 'sum')
        least = h.scatter_reduce(0, index, h[src], 'amin')
        product = torch.sigmoid(h).scatter_reduce(0, index, torch.sigmoid(h[src]), 'prod')
        positive = (x[:, 0] > 0).to(torch.int32)
        label = (x[:, 1] * 3).to(torch.int32)
        counts = torch.zeros(n, dtype=torch.int32).scatter_reduce(0, dst, positive[src], 'sum')
        high = torch.full((n,), 7, dtype=torch.int32).scatter_reduce(0, dst, label[src], 'amax',
                                                                     include_self=False)
        low = label.to(torch.int64).scatter_reduce(0, dst, label[src].to(torch.int64), 'amin')
        ints = (counts + high + 2 * low.to(torch.int32)).to(x.dtype).unsqueeze(1)
        return self.head(torch.cat([F.elu(gat) + sage, total + least, product], 1)) + 0.1 * ints


class TinyNeRF(nn.Module):
    """NeRF's volume rendering on a few rays: positional encoding (sin, cos),
    an MLP for density and colour, alpha compositing through cumprod
    (transmittance), and hierarchical sampling: a second set of depths
    placed where the coarse weights' CDF says (torch.searchsorted, detached
    as NeRF does; torch.bucketize beside it), rendered again by the same
    MLP."""

    def __init__(self, frequencies=2, hidden=16, coarse=6, fine=5):
        super().__init__()
        self.frequencies = frequencies
        self.mlp = nn.Sequential(nn.Linear(3 + 6 * frequencies, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 4))
        self.register_buffer('depths', torch.linspace(0.1, 1.0, coarse))
        self.register_buffer('quantiles', torch.linspace(0.05, 0.95, fine))

    def render(self, origins, directions, depths):
        points = origins.unsqueeze(1) + depths.unsqueeze(-1) * directions.unsqueeze(1)
        scaled = torch.cat([points * 2.0 ** k for k in range(self.frequencies)], -1)
        out = self.mlp(torch.cat([points, torch.sin(scaled), torch.cos(scaled)], -1))
        sigma, rgb = F.relu(out[..., 0]), torch.sigmoid(out[..., 1:])
        gaps = torch.cat([depths[..., 1:] - depths[..., :-1],
                          torch.full_like(depths[..., :1], 0.1)], -1)
        alpha = 1 - torch.exp(-sigma * gaps)
        through = torch.cumprod(1 - alpha + 1e-10, -1)
        weights = alpha * torch.cat([torch.ones_like(through[..., :1]), through[..., :-1]], -1)
        return (weights.unsqueeze(-1) * rgb).sum(1), weights

    def forward(self, rays):
        origins, directions = rays[:, :3], rays[:, 3:]
        depths = self.depths.expand(rays.shape[0], -1)
        coarse, weights = self.render(origins, directions, depths)
        cdf = torch.cumsum(weights.detach() + 1e-5, -1)
        cdf = cdf / cdf[:, -1:]
        u = self.quantiles.expand(rays.shape[0], -1).contiguous()
        index = torch.searchsorted(cdf, u, right=True).clamp(max=depths.shape[1] - 1)
        fine_depths = torch.gather(depths, 1, index) + 0.01 * torch.bucketize(
            u, self.quantiles).float()
        fine, _ = self.render(origins, directions, fine_depths)
        return torch.cat([coarse, fine], -1)


class SpeechCTC(nn.Module):
    """A small acoustic model trained with CTC (as wav2vec2 / DeepSpeech
    fine-tuning is): a Conv1d front end and a GRU over time, per-frame
    log-probabilities [T, N, C]."""

    def __init__(self, features=4, hidden=8, classes=6):
        super().__init__()
        self.conv = nn.Conv1d(features, hidden, 3, padding=1)
        self.gru = nn.GRU(hidden, hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x):                                      # [N, F, T]
        h = F.relu(self.conv(x)).permute(2, 0, 1)              # [T, N, H]
        h, _ = self.gru(h)
        return F.log_softmax(self.out(h), -1)


def ctc_losses(log_probs, targets, input_lengths, target_lengths):
    """F.ctc_loss with lengths given as tensors (mean reduction, zero_infinity:
    one sequence cannot be aligned) and, blank last, as lists (sum); the
    same targets concatenated (1-D), with the tensor lengths and with lists."""
    mean = F.ctc_loss(log_probs, targets, input_lengths, target_lengths, zero_infinity=True)
    total = F.ctc_loss(log_probs, targets, [7, 5, 6], [3, 2, 1], blank=5, reduction='sum')
    flat = torch.cat([targets[0], targets[1], targets[2, :2]])
    joined = F.ctc_loss(log_probs, flat, input_lengths, target_lengths, zero_infinity=True)
    listed = F.ctc_loss(log_probs, flat[:6], [7, 5, 6], [3, 2, 1], reduction='sum')
    return mean + 0.1 * total + 0.3 * joined + 0.05 * listed


class EmbeddingBags(nn.Module):
    """nn.EmbeddingBag (a recommender's sparse features): sum bags of uneven
    sizes by offsets, mean bags with a padding index, per-sample weights that
    learn, max bags (one of them empty, one over a repeated index; the last
    offset included), mean bags and a plain nn.Embedding with
    scale_grad_by_freq (ids 0 and 5 repeat) (`_embedding_bag` and its
    backwards, decomposed by the exporter)."""

    def __init__(self, classes=5):
        super().__init__()
        self.sum = nn.EmbeddingBag(10, 4, mode='sum')
        self.mean = nn.EmbeddingBag(10, 4, mode='mean', padding_idx=0)
        self.weighted = nn.EmbeddingBag(10, 4, mode='sum')
        self.max = nn.EmbeddingBag(10, 4, mode='max', include_last_offset=True)
        self.frequent = nn.EmbeddingBag(10, 4, mode='mean', scale_grad_by_freq=True)
        self.tokens = nn.Embedding(10, 4, scale_grad_by_freq=True)
        self.sample_weights = nn.Parameter(torch.rand(8))
        self.head = nn.Linear(20 + 4, classes)

    def forward(self, ids):
        flat = ids.flatten()
        offsets = torch.tensor([0, 3])
        bags = [self.sum(flat, offsets), self.mean(ids),
                self.weighted(flat, offsets, per_sample_weights=self.sample_weights),
                self.frequent(ids), torch.tanh(self.tokens(ids)).mean(1)]
        # Bags [0, 3), [3, 3) (empty), [3, 8) of the 8 indices, twice over.
        most = self.max(flat, torch.tensor([0, 3, 3, 8]))
        pooled = most.reshape(1, 3, 4).sum(1).expand(ids.shape[0], 4)
        return self.head(torch.cat(bags + [pooled], -1))


def families():
    """name -> a function making (model, example inputs, loss_fn)."""
    import torchvision.models as tvm
    from torchvision.models.convnext import CNBlockConfig

    def g(seed):
        torch.manual_seed(seed)
        return torch.Generator().manual_seed(seed + 100)

    def classified(seed, make, *shape):
        """make() seeded by `seed`, a random batch of `shape` and targets of
        its first dimension among 5 classes, cross entropy."""
        gen = g(seed)
        model = make()
        return model, (torch.randn(*shape, generator=gen),
                       torch.randint(0, 5, (shape[0],), generator=gen)), F.cross_entropy

    def sdpa():
        gen = g(1)
        return SDPABlock(), (torch.randint(0, 32, (2, 8), generator=gen),
                             torch.randint(0, 32, (2, 8), generator=gen)), lm_loss

    def vit():
        gen = g(2)
        model = tvm.VisionTransformer(image_size=16, patch_size=8, num_layers=2, num_heads=2,
                                      hidden_dim=16, mlp_dim=32, num_classes=5)
        return model, (torch.randn(2, 3, 16, 16, generator=gen),
                       torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def densenet():
        gen = g(3)
        model = tvm.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8,
                             bn_size=2, num_classes=5)
        return model, (torch.randn(2, 3, 16, 16, generator=gen),
                       torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def convnext():
        gen = g(4)
        model = tvm.ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 1)],
                             num_classes=5)
        return model, (torch.randn(2, 3, 16, 16, generator=gen),
                       torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def moe():
        return classified(5, MoE, 6, 8)

    def gru():
        return classified(6, GRUNet, 2, 4, 6)

    def lstm():
        gen = g(7)
        return LSTMNet(), (torch.randn(4, 2, 6, generator=gen),
                           torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def swin():
        gen = g(8)
        model = tvm.SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[1, 1],
                                    num_heads=[1, 2], window_size=[2, 2], num_classes=5,
                                    stochastic_depth_prob=0.0)
        return model, (torch.randn(2, 3, 8, 8, generator=gen),
                       torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def interpolations_3d():
        return classified(25, Interpolations3d, 2, 2, 3, 4, 5)

    def channels_last():
        # Weights and batch in torch.channels_last: the traced graph carries
        # their strides; the step's values are the same.
        torch.manual_seed(26)
        gen = torch.Generator().manual_seed(126)
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, groups=2),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5))
        model = model.to(memory_format=torch.channels_last)
        x = torch.randn(2, 3, 8, 8, generator=gen).to(memory_format=torch.channels_last)
        return model, (x, torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def swin_shifted():
        # Two blocks: the second's shifted windows read an attention mask built
        # by a chain of slice_scatters into a zero tensor (the exporter writes
        # it as one constant).
        gen = g(23)
        model = tvm.SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[2],
                                    num_heads=[1], window_size=[2, 2], num_classes=5,
                                    stochastic_depth_prob=0.0)
        return model, (torch.randn(2, 3, 8, 8, generator=gen),
                       torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def swin_3d():
        from torchvision.models.video.swin_transformer import SwinTransformer3d
        gen = g(24)
        model = SwinTransformer3d(patch_size=[2, 2, 2], embed_dim=8, depths=[2],
                                  num_heads=[1], window_size=[2, 2, 2], num_classes=5,
                                  stochastic_depth_prob=0.0)
        return model, (torch.randn(1, 3, 4, 8, 8, generator=gen),
                       torch.randint(0, 5, (1,), generator=gen)), F.cross_entropy

    def pools():
        return classified(9, Pools, 2, 3, 12, 12)

    def group_norm():
        return classified(10, GroupNormBlock, 2, 8, 6, 6)

    def losses():
        gen = g(11)
        model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 5))
        return model, (torch.randn(4, 6, generator=gen),
                       torch.randn(4, 5, generator=gen)), regression_losses

    def smoothing():
        gen = g(12)
        return AmaxHead(), (torch.randn(6, 6, generator=gen),
                            torch.tensor([0, 1, 2, 3, 4, 2])), smoothed_cross_entropy

    def adaptive_max():
        return classified(16, AdaptiveMaxPools, 2, 3, 6, 6)

    def interpolations():
        return classified(17, Interpolations, 2, 3, 6, 7)

    def bilinear_layers():
        return classified(18, BilinearLayers, 3, 6)

    def grouped_transposed():
        return classified(19, GroupedTransposedConvs, 2, 3, 5, 6)

    def remainders():
        return classified(20, Remainders, 3, 6)

    def elementwise_extras():
        return classified(39, ElementwiseExtras, 4, 6)

    def matrix_diagonals():
        return classified(40, MatrixDiagonals, 3, 6)

    def probit_head():
        return classified(43, ProbitHead, 6, 6)

    def gamma_likelihoods():
        gen = g(42)
        return GammaLikelihoods(), (torch.randn(8, 4, generator=gen),
                                    torch.rand(8, generator=gen) * 3 + 0.1), gamma_likelihoods_loss

    def gaussian_regression():
        gen = g(41)
        return GaussianRegression(), (torch.randn(4, 5, generator=gen),
                                      torch.randn(4, 3, generator=gen)), gaussian_nll

    def convolutions_3d():
        return classified(21, Convolutions3d, 2, 2, 4, 5, 6)

    def pooling_3d():
        return classified(22, Pools3d, 2, 2, 5, 8, 7)

    def max_over_time():
        return classified(15, MaxOverTime, 3, 7, 6)

    def tcn():
        return classified(14, CausalTCN, 2, 4, 16)

    def cumprod():
        return classified(27, CumprodScan, 2, 8, 6)

    def margin_classifier():
        gen = g(45)
        model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 5))
        return model, (torch.randn(6, 6, generator=gen),
                       torch.randint(0, 5, (6,), generator=gen)), margin_losses

    def pairwise_distances():
        return classified(46, PairwiseDistances, 2, 6, 6)

    def bessel_features():
        return classified(47, BesselFeatures, 4, 6)

    def running_extremes():
        return classified(44, RunningExtremes, 2, 8, 6)

    def cosine_clamp():
        return classified(28, CosineHead, 4, 6)

    def weight_norm():
        return classified(29, WeightNormed, 2, 3, 6)

    def padding_modes():
        return classified(30, PaddingModes, 2, 3, 6, 6)

    def distances():
        return classified(31, Distances, 2, 3, 4)

    def embedding_bags():
        gen = g(32)
        ids = torch.tensor([[1, 0, 3, 0], [5, 5, 9, 2]])
        return EmbeddingBags(), (ids, torch.randint(0, 5, (2,), generator=gen)), F.cross_entropy

    def sorting():
        return classified(33, Sorting, 2, 4, 6)

    def spatial_transformer():
        return classified(34, SpatialTransformer, 2, 2, 5, 6)

    def volume_registration():
        gen = g(35)
        x = torch.randn(2, 2, 3, 4, 5, generator=gen)
        return VolumeRegistration(), (x, x[:, 1:].clone()), F.mse_loss

    def graph_attention():
        return classified(36, GraphAttention, 7, 4)

    def nerf():
        gen = g(37)
        torch.manual_seed(37)
        rays = torch.cat([torch.randn(4, 3, generator=gen) * 0.1,
                          F.normalize(torch.randn(4, 3, generator=gen), dim=-1)], -1)
        return TinyNeRF(), (rays, torch.rand(4, 6, generator=gen)), F.mse_loss

    def speech_ctc():
        gen = g(38)
        torch.manual_seed(38)
        # Sequence 1 repeats a label in 3 frames: no alignment fits (inf, zeroed).
        targets = torch.tensor([[1, 2, 2], [3, 3, 1], [4, 1, 2]])
        return SpeechCTC(), (torch.randn(3, 4, 7, generator=gen), targets,
                             torch.tensor([7, 3, 6]), torch.tensor([3, 3, 2])), ctc_losses

    def constants():
        gen = g(13)
        return ConstantIndex(), (torch.randn(6, 6, generator=gen),
                                 torch.tensor([0, 1, 2, 3, 4, 4])), weighted_cross_entropy

    return {'pooling': pools, 'sdpa_transformer': sdpa, 'vit': vit, 'densenet': densenet,
            'convnext': convnext, 'moe_top2': moe, 'gru': gru, 'lstm': lstm, 'swin': swin,
            'group_norm': group_norm, 'regression_losses': losses,
            'label_smoothing_amax': smoothing, 'constants_class_weights': constants,
            'causal_tcn': tcn, 'max_min_dim': max_over_time,
            'adaptive_max_pool': adaptive_max, 'interpolations': interpolations,
            'bilinear_layers': bilinear_layers, 'grouped_transposed_conv': grouped_transposed,
            'remainders': remainders, 'convolutions_3d': convolutions_3d,
            'pooling_3d': pooling_3d, 'swin_shifted': swin_shifted, 'swin_3d': swin_3d,
            'interpolations_3d': interpolations_3d, 'channels_last': channels_last,
            'cumprod': cumprod, 'running_extremes': running_extremes,
            'margin_classifier': margin_classifier, 'bessel_features': bessel_features, 'pairwise_distances': pairwise_distances,
            'cosine_clamp_tensor': cosine_clamp,
            'weight_norm': weight_norm, 'padding_modes': padding_modes, 'distances': distances,
            'embedding_bags': embedding_bags, 'sorting': sorting,
            'spatial_transformer': spatial_transformer,
            'volume_registration': volume_registration, 'graph_attention': graph_attention,
            'nerf': nerf, 'speech_ctc': speech_ctc, 'elementwise_extras': elementwise_extras,
            'matrix_diagonals': matrix_diagonals, 'gaussian_regression': gaussian_regression,
            'gamma_likelihoods': gamma_likelihoods, 'probit_head': probit_head}
