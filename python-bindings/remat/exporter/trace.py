"""Trace a PyTorch training step (forward + backward) into one core-ATen FX graph.

The graph is what `make_fx` records while running
`model(*inputs)` with its parameters and buffers swapped for the traced ones
(as `torch.func.functional_call` does), the loss and
`torch.autograd.grad(loss, params)` on fake tensors, with mutations (batch-norm
running statistics) functionalized away: its placeholders are the parameters,
then the buffers, then the batch; its outputs are the loss, then one gradient per
parameter, in `model.named_parameters()` order (with `buffer_updates`, then the
new value of each buffer the step updates).
"""

import contextlib
import functools
import itertools
import math

import torch
from torch.fx.experimental.proxy_tensor import make_fx

aten = torch.ops.aten


class ExportError(NotImplementedError):
    """An ATen op (or a use of one) that the exporter does not translate."""


def decomposition_table():
    """Core ATen decompositions, plus the composite ops the emitter would rather
    see decomposed, minus the ones it emits directly (gathers and scatters that a
    decomposition would turn into index_put / scatter)."""
    from torch._decomp import core_aten_decompositions, get_decompositions
    table = dict(core_aten_decompositions())
    table.update(get_decompositions([
        aten.native_layer_norm, aten._softmax, aten._log_softmax, aten.gelu,
        aten.native_batch_norm, aten._native_batch_norm_legit_functional,
        aten._native_batch_norm_legit, aten._native_batch_norm_legit_no_training,
        aten._adaptive_avg_pool2d, aten.silu, aten.hardswish,
        aten.hardsigmoid, aten.log_softmax, aten.softmax, aten.linear,
        # RNNs through their cells (not mkldnn_rnn_layer), SDPA in its math form.
        aten.lstm, aten.gru, aten.rnn_tanh, aten.rnn_relu,
        aten._scaled_dot_product_flash_attention_for_cpu,
        aten.index_select, aten.fmod, aten.remainder, aten.roll,
        # Into elementwise ops, reductions and views the emitter has.
        aten.leaky_relu, aten.leaky_relu_backward, aten.elu, aten.elu_backward,
        aten.native_group_norm, aten.native_group_norm_backward, aten.repeat,
        aten.adaptive_max_pool2d,
        # Dropout as aot_autograd records it: a Bernoulli mask (an argument of
        # the step, _random_arguments) and products.
        aten.native_dropout, aten.native_dropout_backward,
        # Into gathers and lerps; their backward is emitted (ops.py).
        aten.upsample_bilinear2d, aten.upsample_bicubic2d, aten._upsample_nearest_exact2d,
    ]))
    # Backward ops (and cdist's forward) torch has no decomposition for.
    for op in (aten.hardshrink_backward.default, aten.softshrink_backward.default):
        table[op] = _shrink_backward
    table[aten._weight_norm_interface_backward.default] = _weight_norm_backward
    for op in (aten.replication_pad1d_backward.default, aten.replication_pad2d_backward.default,
               aten.replication_pad3d_backward.default):
        table[op] = _replication_pad_backward
    table[aten._embedding_bag.default] = _embedding_bag
    table[aten._embedding_bag_backward.default] = _embedding_bag_backward
    table[aten._embedding_bag_dense_backward.default] = _embedding_bag_dense_backward
    table[aten._embedding_bag_per_sample_weights_backward.default] = \
        _embedding_bag_per_sample_weights_backward
    table[aten._cdist_forward.default] = _cdist_forward
    table[aten._cdist_backward.default] = _cdist_backward
    table[aten._pdist_forward.default] = _pdist_forward
    table[aten._pdist_backward.default] = _pdist_backward
    table[aten._scaled_dot_product_flash_attention_for_cpu_backward.default] = \
        _sdpa_flash_cpu_backward
    table[aten.eye.default] = _eye
    table[aten.eye.m] = _eye
    for op in (aten._ctc_loss.default, aten._ctc_loss.Tensor):
        table[op] = _ctc_loss
    for op in (aten._ctc_loss_backward.default, aten._ctc_loss_backward.Tensor):
        table[op] = _ctc_loss_backward
    for op in (aten.bucketize.Tensor, aten.bucketize.Scalar):
        table[op] = _bucketize
    for op in (aten.searchsorted.Tensor, aten.searchsorted.Scalar):
        table[op] = _searchsorted
    table[aten.sort.default] = _sort
    table[aten.sort.stable] = _sort_stable
    table[aten.kthvalue.default] = _kthvalue
    table[aten.median.dim] = _median_dim
    table[aten.median.default] = _median
    table[aten.nanmedian.dim] = _nanmedian_dim
    table[aten.nanmedian.default] = _nanmedian
    core_grid_sampler_2d = get_decompositions([aten.grid_sampler_2d])[
        aten.grid_sampler_2d.default]
    table[aten.grid_sampler_2d.default] = (
        lambda input, grid, interpolation_mode, padding_mode, align_corners:
        (_grid_sampler if padding_mode == 2 else core_grid_sampler_2d)(
            input, grid, interpolation_mode, padding_mode, align_corners))
    table[aten.grid_sampler_2d_backward.default] = _grid_sampler_backward
    table[aten.grid_sampler_3d.default] = _grid_sampler
    table[aten.grid_sampler_3d_backward.default] = _grid_sampler_backward
    for op in (aten.nll_loss_forward.default, aten.nll_loss_backward.default,
               aten.embedding_dense_backward.default, aten.embedding.default,
               aten.max_pool2d_with_indices_backward.default, aten.addmm.default):
        table.pop(op, None)
    table[aten.embedding_dense_backward.default] = _embedding_dense_backward
    return table


def _sdpa_flash_cpu_backward(grad_out, query, key, value, out, logsumexp, dropout_p,
                             is_causal, *, attn_mask=None, scale=None):
    """SDPA's backward where autograd recorded the CPU flash kernel whole (inside
    torch.compile, whose joint graph holds it; the exporter's own trace takes
    the math form): the probabilities again from q and k (the forward's
    second output is the math form's weights once decomposed, not the
    kernel's log-sum-exp), then with dP = dO V^T: dV = P^T dO, dS = P * (dP -
    rowsum(P * dP)), dQ = dS K scale, dK = dS^T Q scale; grouped-query heads
    summed back onto their key and value heads."""
    if dropout_p != 0.0:
        raise ExportError('scaled_dot_product_attention with dropout_p=%s is random: '
                          'the exporter takes dropout_p=0' % dropout_p)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    heads, kv_heads = query.shape[1], key.shape[1]
    groups = heads // kv_heads
    k = key.repeat_interleave(groups, 1) if groups > 1 else key
    v = value.repeat_interleave(groups, 1) if groups > 1 else value
    s = query @ k.transpose(-2, -1) * scale
    if is_causal:
        causal = torch.ones(s.shape[-2], s.shape[-1], dtype=torch.bool).tril()
        s = s.masked_fill(~causal, float('-inf'))
    if attn_mask is not None:
        s = (s.masked_fill(~attn_mask, float('-inf')) if attn_mask.dtype == torch.bool
             else s + attn_mask)
    p = torch.softmax(s, -1)
    dv = p.transpose(-2, -1) @ grad_out
    dp = grad_out @ v.transpose(-2, -1)
    ds = p * (dp - (p * dp).sum(-1, keepdim=True))
    dq = ds @ k * scale
    dk = ds.transpose(-2, -1) @ query * scale
    if groups > 1:   # query heads j * groups .. (j + 1) * groups - 1 read head j
        dk = dk.reshape((key.shape[0], kv_heads, groups) + tuple(key.shape[2:])).sum(2)
        dv = dv.reshape((value.shape[0], kv_heads, groups) + tuple(value.shape[2:])).sum(2)
    return dq, dk, dv


def _shrink_backward(grad_out, self, lambd):
    """Hardshrink's and softshrink's backward (torch has no decomposition):
    the gradient where |x| > lambd, zero elsewhere (both shrinks' slope)."""
    return torch.where(self.abs() > lambd, grad_out, torch.zeros_like(grad_out))


def _weight_norm_backward(grad_w, saved_v, saved_g, saved_norms, dim):
    """`parametrizations.weight_norm`'s backward (w = v * g / |v|, the norm over
    every dimension but `dim`; over all of them for dim -1), as PyTorch's
    derivative formula computes it."""
    keep = dim % saved_v.dim() if dim != -1 else None
    others = [d for d in range(saved_v.dim()) if d != keep]
    dot = (grad_w * saved_v).sum(others, keepdim=True)
    if keep is None:
        dot = dot.reshape(saved_norms.shape)
    grad_g = dot / saved_norms
    grad_v = (saved_g / saved_norms) * (grad_w - saved_v * (dot / (saved_norms * saved_norms)))
    return grad_v, grad_g


def _replication_pad_backward(grad_output, self, padding):
    """The adjoint of replicate padding: along each padded dimension (the last
    ones, padding given from the last), every output position adds its
    gradient to the input position it copied (clamped index)."""
    grad = grad_output
    for k in range(len(padding) // 2):
        dim = grad.dim() - 1 - k
        low, high, size = padding[2 * k], padding[2 * k + 1], self.shape[dim]
        index = torch.clamp(torch.arange(-low, size + high, device=grad.device), 0, size - 1)
        shape = list(grad.shape)
        shape[dim] = size
        grad = grad.new_zeros(shape).index_add(dim, index, grad)
    return grad


def _counted(indices, padding_idx):
    """Which indices of an embedding bag count (not padding_idx; all for -1)."""
    if padding_idx >= 0:
        return indices != padding_idx
    return torch.ones_like(indices, dtype=torch.bool)


def _bags(indices, offsets, include_last_offset, padding_idx):
    """nn.EmbeddingBag's bag of each index (offset2bag), the bag count, and
    which indices count."""
    starts = offsets[:-1] if include_last_offset else offsets
    position = torch.arange(indices.shape[0], device=indices.device)
    offset2bag = (starts.unsqueeze(0) <= position.unsqueeze(1)).sum(1) - 1
    return offset2bag, starts.shape[0], _counted(indices, padding_idx)


def _embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                   per_sample_weights=None, include_last_offset=False, padding_idx=-1):
    """Sum and mean bags as gathers and one index_add; max bags as a
    reduction over every index masked to its bag (bags x indices x dim:
    dense). Returns PyTorch's four results; max_indices (read only by mode
    max's backward: the weight row of each bag's maximum, the first on ties,
    -1 for an empty bag) are zeros for sum and mean."""
    offset2bag, bags, keep = _bags(indices, offsets, include_last_offset, padding_idx)
    if mode == 2:
        member = (offset2bag.unsqueeze(0) == torch.arange(bags, device=indices.device)
                  .unsqueeze(1)) & keep.unsqueeze(0)                  # [bags, n]
        rows = weight[indices].unsqueeze(0)                          # [1, n, D]
        masked = torch.where(member.unsqueeze(2), rows, torch.full_like(rows, float('-inf')))
        best, at = masked.max(1)                                     # [bags, D]
        bag_size = member.sum(1)
        filled = (bag_size > 0).unsqueeze(1)
        output = torch.where(filled, best, torch.zeros_like(best))
        max_indices = torch.where(filled, indices[at], torch.full_like(at, -1))
        return output, offset2bag, bag_size, max_indices
    rows = weight[indices] * keep.unsqueeze(1).to(weight.dtype)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    output = weight.new_zeros((bags, weight.shape[1])).index_add(0, offset2bag, rows)
    bag_size = torch.zeros(bags, dtype=torch.int64, device=indices.device).index_add(
        0, offset2bag, keep.to(torch.int64))
    if mode == 1:
        output = output / bag_size.clamp(min=1).unsqueeze(1).to(weight.dtype)
    return output, offset2bag, bag_size, torch.zeros_like(bag_size)


def _embedding_bag_dense_backward(grad, indices, offset2bag, bag_size, maximum_indices,
                                  num_weights, scale_grad_by_freq, mode,
                                  per_sample_weights, padding_idx=-1):
    """Each index's bag gradient (over the bag size for mean, and over the
    index's count with scale_grad_by_freq) added to its weight row;
    padding_idx rows get none. Mode max: each bag's gradient goes to the row
    of its maximum, per column (none for an empty bag; PyTorch refuses
    scale_grad_by_freq there)."""
    if mode == 2:
        filled = (maximum_indices >= 0).to(grad.dtype)
        columns = torch.arange(grad.shape[1], device=grad.device).unsqueeze(0)
        return grad.new_zeros((num_weights, grad.shape[1])).index_put(
            (maximum_indices.clamp(min=0), columns), grad * filled, accumulate=True)
    rows = grad[offset2bag]
    if mode == 1:
        rows = rows / bag_size.clamp(min=1)[offset2bag].unsqueeze(1).to(grad.dtype)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    if scale_grad_by_freq:
        rows = rows / _occurrences(indices).unsqueeze(1).to(grad.dtype)
    if padding_idx >= 0:
        rows = rows * _counted(indices, padding_idx).unsqueeze(1).to(grad.dtype)
    return grad.new_zeros((num_weights, grad.shape[1])).index_add(0, indices, rows)


def _occurrences(indices):
    """How often each element's value occurs in `indices` (flattened; one
    n x n comparison): scale_grad_by_freq divides each occurrence's gradient
    by it, as PyTorch's compute_counts does."""
    flat = indices.reshape(-1)
    return (flat.unsqueeze(0) == flat.unsqueeze(1)).sum(1).view(indices.shape)


def _embedding_dense_backward(grad_output, indices, num_weights, padding_idx,
                              scale_grad_by_freq):
    """nn.Embedding's backward with scale_grad_by_freq: each occurrence's
    gradient over its index's count, then the plain backward; without it,
    the emitter's own (NotImplemented: make_fx records the op as it is)."""
    if not scale_grad_by_freq:
        return NotImplemented
    scaled = grad_output / _occurrences(indices).unsqueeze(-1).to(grad_output.dtype)
    return torch.ops.aten.embedding_dense_backward(scaled, indices, num_weights,
                                                   padding_idx, False)


def _embedding_bag_backward(grad, indices, offsets, offset2bag, bag_size, maximum_indices,
                            num_weights, scale_grad_by_freq, mode, sparse, per_sample_weights,
                            padding_idx=-1):
    return _embedding_bag_dense_backward(grad, indices, offset2bag, bag_size, maximum_indices,
                                         num_weights, scale_grad_by_freq, mode,
                                         per_sample_weights, padding_idx)


def _embedding_bag_per_sample_weights_backward(grad, weight, indices, offsets, offset2bag, mode,
                                               padding_idx=-1):
    """d output / d per_sample_weights (mode sum): the bag gradient dotted
    with the index's weight row."""
    rows = (grad[offset2bag] * weight[indices]).sum(1)
    return rows * _counted(indices, padding_idx).to(grad.dtype) if padding_idx >= 0 else rows


def _cdist_forward(x1, x2, p, compute_mode):
    """Pairwise p-norm distances from the differences (B x P x R x M: memory
    the planner counts; PyTorch's p = 2 kernel uses a matmul form on larger
    inputs)."""
    if p == 0 or p == float('inf'):
        raise ExportError('torch.cdist with p=%s is not supported (p >= 1 finite is)' % p)
    diff = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()
    if p == 2:
        return (diff * diff).sum(-1).sqrt()
    if p == 1:
        return diff.sum(-1)
    return diff.pow(p).sum(-1).pow(1.0 / p)


def _cdist_backward(grad, x1, x2, p, cdist):
    """d cdist / d x1 = sum over x2's rows of grad * |diff|^(p-1) sign(diff) /
    cdist^(p-1), zero where the distance is zero (PyTorch's convention)."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 1:
        term = grad.unsqueeze(-1) * diff.sign()
    else:
        scale = torch.where(cdist == 0, torch.zeros_like(cdist), grad / cdist.pow(p - 1))
        # sign * |diff|^(p-1), not diff * |diff|^(p-2): for 1 < p < 2 that is
        # inf * 0 = NaN where a coordinate's difference is zero.
        term = scale.unsqueeze(-1) * (diff if p == 2 else diff.sign() * diff.abs().pow(p - 1))
    return term.sum(-2)


def _upper_pairs(n, device):
    """The flat indices i * n + j of the pairs i < j in pdist's order (row-major)."""
    return torch.tensor([i * n + j for i in range(n) for j in range(i + 1, n)],
                        dtype=torch.int64, device=device)


def _pdist_forward(x, p=2.0):
    """F.pdist: cdist of the rows with themselves (each distance computed twice,
    n^2 x M differences), its upper triangle gathered in pdist's order."""
    n = x.shape[0]
    return _cdist_forward(x, x, p, 0).reshape(n * n)[_upper_pairs(n, x.device)]


def _pdist_backward(grad, x, p, pdist):
    """cdist's backward with the pairs' gradients scattered into an n x n matrix
    (zero below the diagonal), for both of cdist's arguments (x is each)."""
    n = x.shape[0]
    pairs = _upper_pairs(n, x.device)
    g = grad.new_zeros(n * n).scatter(0, pairs, grad).reshape(n, n)
    d = pdist.new_zeros(n * n).scatter(0, pairs, pdist).reshape(n, n)
    return _cdist_backward(g, x, x, p, d) + _cdist_backward(g.t(), x, x, p, d.t())


def _sort(self, dim=-1, descending=False, stable=False):
    """torch.sort as ranks: each element's place is the number of elements
    that go before it (larger for descending, smaller for ascending; NaN
    largest, as PyTorch orders it; equal ones in index order, so the sort is
    stable), one n x n comparison per row along `dim`; the indices are where
    each place is found, the values a gather. Costs n^2 per row (PyTorch's
    kernel n log n): meant for short rows."""
    if self.dim() == 0:
        return self.clone(), torch.zeros_like(self, dtype=torch.int64)
    d = dim % self.dim()
    n = self.shape[d]
    mine, other = self.unsqueeze(d + 1), self.unsqueeze(d)    # [.., i, j, ..]

    def greater(a, b):
        if not self.is_floating_point():
            return a > b
        return (a > b) | (a.isnan() & ~b.isnan())

    def equal(a, b):
        if not self.is_floating_point():
            return a == b
        return (a == b) | (a.isnan() & b.isnan())

    position = torch.arange(n, device=self.device)
    rows = [1] * (self.dim() + 1)
    rows[d] = n
    columns = [1] * (self.dim() + 1)
    columns[d + 1] = n
    i, j = position.view(rows), position.view(columns)
    goes_first = greater(other, mine) if descending else greater(mine, other)
    before = goes_first | (equal(other, mine) & (j < i))
    rank = before.sum(d + 1)                                 # place of element i
    # indices[r] = the i whose rank is r: sum over i of i * (rank_i == r).
    at = rank.unsqueeze(d + 1) == j                          # [.., i, r, ..]
    indices = (at.to(torch.int64) * i).sum(d)
    return torch.gather(self, d, indices), indices


def _sort_stable(self, *, stable=None, dim=-1, descending=False):
    return _sort(self, dim, descending, bool(stable))


def _sorted_at(self, dim, keepdim, place):
    """The value and index at `place` of the ascending rank sort along `dim`
    (an int, or per row a tensor with `dim` kept): what kthvalue, median and
    nanmedian return."""
    if self.dim() == 0:
        return self.clone(), torch.zeros_like(self, dtype=torch.int64)
    d = dim % self.dim()
    values, indices = _sort(self, d)
    if isinstance(place, int):
        place = torch.full_like(values.narrow(d, 0, 1), place, dtype=torch.int64)
    value, index = torch.gather(values, d, place), torch.gather(indices, d, place)
    return (value, index) if keepdim else (value.squeeze(d), index.squeeze(d))


def _kthvalue(self, k, dim=-1, keepdim=False):
    """The k-th smallest along `dim` (1-based) and its index: place k - 1 of
    the ascending sort (NaN largest, as PyTorch's kthvalue orders)."""
    return _sorted_at(self, dim, keepdim, k - 1)


def _median_dim(self, dim=0, keepdim=False):
    """The lower median along `dim` (place (n - 1) // 2 of the ascending
    sort) and its index; a row with a NaN has median NaN at the index of its
    first NaN, as PyTorch's median (NaNs sort last in index order: the first
    is at place n - count)."""
    if self.dim() == 0 or not self.is_floating_point():
        return _sorted_at(self, dim, keepdim, (self.shape[dim] - 1) // 2 if self.dim() else 0)
    n = self.shape[dim]
    nans = self.isnan().sum(dim % self.dim(), keepdim=True)
    place = torch.where(nans > 0, n - nans, torch.full_like(nans, (n - 1) // 2))
    return _sorted_at(self, dim, keepdim, place)


def _nanmedian_dim(self, dim=0, keepdim=False):
    """The lower median of a row's non-NaN values (NaNs sort last: place
    (m - 1) // 2 of m of them) and its index; NaN for a row of NaNs."""
    if self.dim() == 0 or not self.is_floating_point():
        return _median_dim(self, dim, keepdim)
    count = (~self.isnan()).sum(dim % self.dim(), keepdim=True)
    return _sorted_at(self, dim, keepdim, (count - 1).clamp(min=0) // 2)


def _nanmedian(self):
    return _nanmedian_dim(self.reshape(-1), 0)[0]


def _median(self):
    """The lower median of all elements (its backward, PyTorch's, spreads
    the gradient over the elements equal to it)."""
    return _median_dim(self.reshape(-1), 0)[0]


def _count_below(sorted_sequence, values, right, out_int32):
    """How many entries of each row of `sorted_sequence` (its last dimension;
    1-D: one row for every value) lie below each value (at or below, with
    `right`): the insertion index searchsorted and bucketize return, as one
    comparison per pair (values x row length)."""
    rows = sorted_sequence.unsqueeze(-2) if sorted_sequence.dim() > 1 else sorted_sequence
    column = values.unsqueeze(-1)
    below = rows <= column if right else rows < column
    return below.sum(-1).to(torch.int32 if out_int32 else torch.int64)


def _bucketize(self, boundaries, *, out_int32=False, right=False):
    if not isinstance(self, torch.Tensor):
        self = torch.tensor(self, device=boundaries.device)
    return _count_below(boundaries, self, right, out_int32)


def _searchsorted(sorted_sequence, self, *, out_int32=False, right=False, side=None,
                  sorter=None):
    if sorter is not None:
        sorted_sequence = torch.gather(sorted_sequence, -1, sorter)
    if not isinstance(self, torch.Tensor):
        self = torch.tensor(self, device=sorted_sequence.device)
    return _count_below(sorted_sequence, self, right or side == 'right', out_int32)


def _logsumexp3(a, b, c):
    """log(e^a + e^b + e^c), -inf where all three are (no NaN from inf - inf)."""
    top = torch.maximum(torch.maximum(a, b), c)
    top = torch.where(torch.isinf(top), torch.zeros_like(top), top)
    return top + torch.log(torch.exp(a - top) + torch.exp(b - top) + torch.exp(c - top))


def _ctc_padded(targets, lengths, given):
    """Concatenated (1-D) CTC targets as padded [N, S] rows: sequence b's
    labels start after the lengths before it (read clamped to the
    concatenation; past a length the row holds labels the recursions never
    reach). S is the longest length when the lengths are a list (constants),
    the whole concatenation when they are a tensor (data: one sequence may
    hold every label)."""
    total = targets.shape[0]
    width = max(given, default=0) if isinstance(given, (list, tuple)) else total
    if total == 0 or width == 0:
        return targets.new_zeros((lengths.shape[0], 0))
    starts = torch.cumsum(lengths, 0) - lengths
    place = torch.arange(width, device=targets.device).unsqueeze(0)
    return targets[(starts.unsqueeze(1) + place).clamp(0, total - 1)]


def _ctc_setup(log_probs, targets, input_lengths, target_lengths, blank):
    """What the CTC recursions read: the extended labels (blank, l1, blank, l2,
    ..., blank) of each sequence, their log-probabilities at every step
    [T, N, L], where a label may be reached skipping a blank, which
    positions lie within each sequence's 2 * length + 1, and the lengths as
    tensors (data of the step when given as tensors, constants when given
    as lists; clamped to the sizes). Concatenated (1-D) targets are padded
    first (_ctc_padded)."""
    device = log_probs.device
    lengths = [torch.as_tensor(x, device=device).to(torch.int64)
               for x in (input_lengths, target_lengths)]
    if targets.dim() == 1:
        targets = _ctc_padded(targets, lengths[1], target_lengths)
    steps, batch, _ = log_probs.shape
    width = 2 * targets.shape[1] + 1
    # Lengths past the inputs' sizes are errors in PyTorch; clamped here, so
    # the compiled step reads nothing out of bounds whatever it is given.
    lengths = [lengths[0].clamp(0, steps), lengths[1].clamp(0, targets.shape[1])]
    # Gathers and pads, not concatenations with a filled first piece: after
    # --cse two CTC losses' identical blank pieces were one value that both
    # concatenations wrote into, which remat cannot plan (as in _shifted).
    position = torch.arange(width, device=device).unsqueeze(0)
    blanks = torch.full((batch, width), blank, dtype=targets.dtype, device=device)
    if targets.shape[1]:
        label = torch.gather(targets, 1, ((position - 1) // 2).clamp(min=0).expand(batch, -1))
        extended = torch.where(position % 2 == 1, label, blanks)          # [N, L]
    else:
        extended = blanks
    read = torch.gather(log_probs, 2, extended.unsqueeze(0).expand(steps, batch, width))
    earlier = _shifted(extended, 2, blank)
    skip = (position >= 2) & (extended != blank) & (extended != earlier)
    inside = position < (2 * lengths[1] + 1).unsqueeze(1)
    return extended, read, skip, inside, lengths[0], lengths[1]


def _shifted(x, by, fill):
    """x moved `by` places right (left when negative) along its last
    dimension, `fill` coming in. A pad, not a concatenation with a filled
    piece: after --cse the recursions' identical first pieces were one value
    that every concatenation wrote into, which remat cannot plan."""
    if by > 0:
        return torch.nn.functional.pad(x[..., :-by], (by, 0), value=fill)
    return torch.nn.functional.pad(x[..., -by:], (0, -by), value=fill)


def _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, zero_infinity=False):
    """F.ctc_loss's forward: the alpha recursion over the extended labels, one
    step of elementwise ops per time step (unrolled: T steps); each
    sequence's loss read at its own last step. Returns PyTorch's
    (neg_log_likelihood, log_alpha); log_alpha past a sequence's length is
    the recursion continued (PyTorch leaves it unset; only the backward
    below reads it)."""
    _, read, skip, inside, steps, lengths = _ctc_setup(log_probs, targets, input_lengths,
                                                       target_lengths, blank)
    minus = float('-inf')
    position = torch.arange(read.shape[2], device=read.device).unsqueeze(0)
    alpha = torch.where(position < 2, read[0], torch.full_like(read[0], minus))
    alpha = torch.where(inside, alpha, torch.full_like(alpha, minus))
    alphas = [alpha]
    for t in range(1, read.shape[0]):
        two = torch.where(skip, _shifted(alpha, 2, minus), torch.full_like(alpha, minus))
        alpha = _logsumexp3(alpha, _shifted(alpha, 1, minus), two) + read[t]
        alpha = torch.where(inside, alpha, torch.full_like(alpha, minus))
        alphas.append(alpha)
    log_alpha = torch.stack(alphas, 1)                                  # [N, T, L]
    last = torch.gather(log_alpha, 1, (steps - 1).clamp(min=0).view(-1, 1, 1).expand(
        -1, 1, log_alpha.shape[2])).squeeze(1)                          # [N, L]
    end = (2 * lengths).unsqueeze(1)
    final = torch.gather(last, 1, end).squeeze(1)
    before = torch.gather(last, 1, (end - 1).clamp(min=0)).squeeze(1)
    before = torch.where(lengths > 0, before, torch.full_like(before, minus))
    # Infinite where no alignment fits; F.ctc_loss's zero_infinity zeroes it
    # outside this op, as PyTorch's does.
    return -_logsumexp3(final, before, torch.full_like(final, minus)), log_alpha


def _ctc_loss_backward(grad, log_probs, targets, input_lengths, target_lengths,
                       neg_log_likelihood, log_alpha, blank, zero_infinity=False):
    """F.ctc_loss's backward as PyTorch's CPU kernel computes it: the beta
    recursion backward from each sequence's last step, then per step and
    class exp(log_probs) - exp(log(sum over the extended positions of that
    class of alpha * beta) + nll - log_probs), times the loss's gradient;
    zero past each sequence's length (and, zero_infinity, for an infinite
    loss). The exp(log_probs) term is PyTorch's: its gradient assumes the
    input went through log_softmax."""
    extended, read, skip, inside, steps, lengths = _ctc_setup(
        log_probs, targets, input_lengths, target_lengths, blank)
    minus = float('-inf')
    width = read.shape[2]
    position = torch.arange(width, device=read.device).unsqueeze(0)
    end = (2 * lengths).unsqueeze(1)
    start = (position == end) | ((position == end - 1) & (lengths > 0).unsqueeze(1))
    skip_back = _shifted(skip, -2, False)          # s may go to s + 2
    beta = torch.full_like(read[0], minus)
    betas = [None] * read.shape[0]
    for t in range(read.shape[0] - 1, -1, -1):
        two = torch.where(skip_back, _shifted(beta, -2, minus), torch.full_like(beta, minus))
        onward = _logsumexp3(beta, _shifted(beta, -1, minus), two) + read[t]
        first = torch.where(start, read[t], torch.full_like(beta, minus))
        here = (steps - 1 == t).unsqueeze(1)
        earlier_step = (steps - 1 > t).unsqueeze(1)
        beta = torch.where(here, first, torch.where(earlier_step, onward,
                                                    torch.full_like(beta, minus)))
        beta = torch.where(inside, beta, torch.full_like(beta, minus))
        betas[t] = beta
    both = log_alpha + torch.stack(betas, 1)                            # [N, T, L]
    top = both.amax(2, keepdim=True)
    top = torch.where(torch.isinf(top), torch.zeros_like(top), top)
    classes = log_probs.shape[2]
    onehot = (extended.unsqueeze(2) == torch.arange(classes, device=read.device)).to(both.dtype)
    summed = torch.bmm(torch.exp(both - top), onehot)                   # [N, T, C]
    lcab = torch.log(summed) + top
    lp = log_probs.permute(1, 0, 2)
    nll = neg_log_likelihood.view(-1, 1, 1)
    result = (torch.exp(lp) - torch.exp(lcab + nll - lp)) * grad.view(-1, 1, 1)
    time = torch.arange(read.shape[0], device=read.device).view(1, -1, 1)
    keep = time < steps.view(-1, 1, 1)
    if zero_infinity:
        keep = keep & ~torch.isinf(nll)
    result = torch.where(keep, result, torch.zeros_like(result))
    return result.permute(1, 0, 2)


def _eye(n, m=None, *, dtype=None, layout=None, device=None, pin_memory=None):
    """torch.eye from two i64 ranges (the core decomposition compares uint8
    ones, a type the emitter does not have)."""
    m = n if m is None else m
    rows = torch.arange(n, device=device).unsqueeze(1)
    columns = torch.arange(m, device=device).unsqueeze(0)
    return (rows == columns).to(torch.get_default_dtype() if dtype is None else dtype)


def _grid_reflect(coord, size, align_corners):
    """Reflection padding's coordinate and its derivative (+1 or -1), as
    PyTorch's reflect_coordinates_set_grad: mirrored about the borders
    (the pixel centres with align_corners, else the pixel edges) until it
    lies between them; a size-1 axis with align_corners reads pixel 0."""
    twice_low, twice_high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
    if twice_low == twice_high:
        return torch.zeros_like(coord), torch.zeros_like(coord)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = coord - low
    sign = torch.where(shifted < 0, -torch.ones_like(coord), torch.ones_like(coord))
    distance = shifted.abs()
    extra = torch.fmod(distance, span)
    odd = torch.fmod(torch.floor(distance / span), 2) == 1
    return (torch.where(odd, span - extra + low, extra + low),
            torch.where(odd, -sign, sign))


def _grid_pad(coord, size, padding_mode, align_corners):
    """A coordinate (or a bicubic tap's index) as padding puts it in the
    input: reflected (reflection), then clamped (border and reflection);
    with its derivative, the reflection's sign times the clamp's 0 or 1
    (None for zero padding, which moves nothing). A tap's caller drops the
    derivative: the traced graph loses what nothing reads."""
    slope = None
    if padding_mode == 2:
        coord, slope = _grid_reflect(coord, size, align_corners)
    if padding_mode in (1, 2):
        # The clamp's derivative: 1 inside the open range, 0 at and past
        # the ends.
        inside = ((coord > 0) & (coord < size - 1)).to(coord.dtype)
        slope = inside if slope is None else slope * inside
        coord = coord.clamp(0, size - 1)
    return coord, slope


def _cubic_taps(t):
    """PyTorch's bicubic weights of the taps at -1, 0, 1, 2 from floor(x)
    for the fraction t (cubic convolution, A = -0.75) and their derivatives
    along t (get_cubic_upsample_coefficients and, negated,
    get_cubic_coefficients_grad, as its kernels write them)."""
    A = -0.75
    x1, x2 = t, 1 - t
    weights = [((A * (x1 + 1) - 5 * A) * (x1 + 1) + 8 * A) * (x1 + 1) - 4 * A,
               ((A + 2) * x1 - (A + 3)) * x1 * x1 + 1,
               ((A + 2) * x2 - (A + 3)) * x2 * x2 + 1,
               ((A * (x2 + 1) - 5 * A) * (x2 + 1) + 8 * A) * (x2 + 1) - 4 * A]
    x = -1 - t
    slopes = [-((-3 * A * x - 10 * A) * x - 8 * A),
              -((-3 * (A + 2) * (x + 1) - 2 * (A + 3)) * (x + 1)),
              -((3 * (A + 2) * (x + 2) - 2 * (A + 3)) * (x + 2)),
              -((3 * A * (x + 3) - 10 * A) * (x + 3) + 8 * A)]
    return weights, slopes


def _grid_corners(input, grid, interpolation_mode, padding_mode, align_corners):
    """What F.grid_sample reads, as PyTorch's CPU kernel computes it, for a
    2-D or 3-D grid (its last dimension x, y[, z] indexes the input's last
    spatial dimensions, reversed): per spatial axis the unnormalized
    coordinate, its scale and, for border and reflection padding, the
    padding's derivative (0 where the clamp held it, -1 where a reflection
    turned it; bicubic pads each tap's index instead, and has none); per
    corner (4 or 8 for bilinear, 1 for nearest, 16 taps for bicubic) the
    derivatives of its weight's factors along their axes, its indices, the
    factors and whether it lies inside the input."""
    k = grid.shape[-1]
    sizes = input.shape[2:][::-1]                   # x, y[, z]: W, H[, D]
    axes = []
    for a in range(k):
        size = sizes[a]
        coord = grid[..., a]
        if align_corners:
            coord, scale = (coord + 1) / 2 * (size - 1), (size - 1) / 2
        else:
            coord, scale = ((coord + 1) * size - 1) / 2, size / 2
        slope = None
        if interpolation_mode != 2:
            coord, slope = _grid_pad(coord, size, padding_mode, align_corners)
        axes.append((coord, scale, slope))
    if interpolation_mode == 2:
        lows, taps = [], []
        for coord, _, _ in axes:
            lows.append(coord.floor())
            taps.append(_cubic_taps(coord - lows[-1]))
    corners = []
    choices = {0: (0, 1), 1: (0,), 2: (0, 1, 2, 3)}[interpolation_mode]
    for offsets in itertools.product(choices, repeat=k):
        indices, slopes, factors, valid = [], [], [], None
        for a, (coord, _, _) in enumerate(axes):
            size = sizes[a]
            if interpolation_mode == 0:
                low = coord.floor()
                position = low + offsets[a]
                frac = coord - low
                factors.append(frac if offsets[a] else 1 - frac)
                slopes.append(1 if offsets[a] else -1)
            elif interpolation_mode == 1:
                position = coord.round()
            else:
                position, _ = _grid_pad(lows[a] - 1 + offsets[a], size, padding_mode,
                                        align_corners)
                factors.append(taps[a][0][offsets[a]])
                slopes.append(taps[a][1][offsets[a]])
            inside = (position >= 0) & (position <= size - 1)
            valid = inside if valid is None else valid & inside
            indices.append(position.clamp(0, size - 1).to(torch.int64))
        corners.append((slopes, indices, factors, valid.to(input.dtype)))
    return axes, corners


def _grid_values(pixels, batch, indices, valid):
    """The pixels one corner reads ([N, *out, C]; zero outside the input)."""
    return pixels[(batch,) + tuple(indices[::-1])] * valid.unsqueeze(-1)


def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """F.grid_sample on volumes, and on images with reflection padding
    (whose core decomposition counts its reflections in int8, which the
    emitter does not have): bilinear/trilinear, nearest or (2-D) bicubic;
    zeros, border or reflection padding; the sum of the corners' values by
    their weights."""
    _, corners = _grid_corners(input, grid, interpolation_mode, padding_mode, align_corners)
    pixels = input.movedim(1, -1)                   # [N, *in, C]
    batch = torch.arange(input.shape[0], device=input.device).view(
        (-1,) + (1,) * grid.shape[-1])
    out = None
    for _, indices, factors, valid in corners:
        value = _grid_values(pixels, batch, indices, valid)
        for factor in factors:
            value = value * factor.unsqueeze(-1)
        out = value if out is None else out + value
    return out.movedim(-1, 1)


def _grid_sampler_backward(grad_output, input, grid, interpolation_mode, padding_mode,
                           align_corners, output_mask):
    """F.grid_sample's backward, 2-D and 3-D (bilinear/trilinear, nearest or
    2-D bicubic; zeros, border or reflection padding), as PyTorch's CPU
    kernel computes it: the input's gradient is each output gradient added,
    by its corner weights, to the input pixels it read (one accumulating
    index_put: a dense reduction); the grid's, per axis, the corner weights'
    derivatives along it times the pixels read, summed over channels, times
    the unnormalization's scale and the padding's derivative (zero where
    border padding clamped the coordinate, negated where reflection turned
    it; bicubic pads each tap's index, not the coordinate; zero for
    nearest)."""
    k = grid.shape[-1]
    axes, corners = _grid_corners(input, grid, interpolation_mode, padding_mode, align_corners)
    gout = grad_output.movedim(1, -1)               # [N, *out, C]
    pixels = input.movedim(1, -1)                   # [N, *in, C]
    batch = torch.arange(input.shape[0], device=input.device).view((-1,) + (1,) * k)
    grad_input = grad_grid = None
    if output_mask[0]:
        weights = []
        for _, _, factors, valid in corners:
            weight = valid
            for factor in factors:
                weight = weight * factor
            weights.append(weight)
        contributions = gout.unsqueeze(k + 1) * torch.stack(weights, k + 1).unsqueeze(-1)
        where = tuple(torch.stack([c[1][a] for c in corners], k + 1) for a in range(k))
        grad_input = pixels.new_zeros(pixels.shape).index_put(
            (batch.unsqueeze(-1),) + where[::-1], contributions,
            accumulate=True).movedim(-1, 1)
    if output_mask[1]:
        if interpolation_mode == 1:
            grad_grid = torch.zeros_like(grid)
        else:
            per_axis = [None] * k
            for slopes, indices, factors, valid in corners:
                value = (_grid_values(pixels, batch, indices, valid) * gout).sum(-1)
                for a in range(k):
                    term = value * slopes[a]
                    for b in range(k):
                        if b != a:
                            term = term * factors[b]
                    per_axis[a] = term if per_axis[a] is None else per_axis[a] + term
            parts = []
            for a, (_, scale, slope) in enumerate(axes):
                part = per_axis[a] * scale
                parts.append(part if slope is None else part * slope)
            grad_grid = torch.stack(parts, -1)
    return grad_input, grad_grid


class Step:
    """The traced training step: `graph` (an fx.GraphModule) and the names and
    kinds of its placeholders."""

    def __init__(self, gm, arg_names, arg_kinds, param_names):
        self.gm = gm
        self.arg_names = arg_names      # one per placeholder
        self.arg_kinds = arg_kinds      # 'param' | 'buffer' | 'batch'
        self.param_names = param_names
        # Buffers whose new values the step returns after the gradients
        # (trace_training_step's buffer_updates).
        self.updated_buffers = []
        # Random draws made arguments, after the batch (RandomInput).
        self.random_inputs = []


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def trace_training_step(model, loss_fn, example_inputs, num_model_inputs=1,
                        decompositions=None, buffer_updates=False):
    """Trace `loss = loss_fn(model(*example_inputs[:k]), *example_inputs[k:])` and
    its parameter gradients (k = num_model_inputs). With `buffer_updates`, the
    step also returns, after the gradients, the new value of each buffer the
    step updates (batch norm's running statistics and batch counter), in
    `model.named_buffers()` order; `step.updated_buffers` names them."""
    from torch.nn.utils.stateless import _reparametrize_module

    example_inputs = _as_tuple(example_inputs)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    buffers = [(n, b) for n, b in model.named_buffers()]
    np_, nb = len(params), len(buffers)
    names = [n for n, _ in params] + [n for n, _ in buffers]

    def step(*flat):
        state = dict(zip(names, flat[:np_ + nb]))
        batch = flat[np_ + nb:]
        ps = flat[:np_]
        # torch.func.functional_call's swap of the module's tensors, held through
        # the backward too: a checkpointed region that autograd re-enters in
        # the backward reads the traced parameters, not the module's own.
        with torch.enable_grad(), _reparametrize_module(model, state, tie_weights=True):
            out = model(*batch[:num_model_inputs])
            loss = loss_fn(out, *batch[num_model_inputs:])
            # A parameter the loss does not use (a frozen head, a branch the
            # forward skips) has a zero gradient, returned as zeros.
            grads = torch.autograd.grad(loss, ps, allow_unused=True)
        return (loss,) + tuple(torch.zeros_like(p) if g is None else g
                               for g, p in zip(grads, ps))

    flat = ([p.detach().requires_grad_(True) for _, p in params]
            + [b.detach() for _, b in buffers] + list(example_inputs))
    table = decomposition_table() if decompositions is None else decompositions
    was_training = model.training
    model.train()
    try:
        # SDPA in its math form, RNNs through their cells: the fused kernels
        # (flash attention for CPU, mkldnn_rnn_layer) have backward ops that
        # autograd records whole.
        import warnings
        from torch.nn.attention import SDPBackend, sdpa_kernel
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)   # mkldnn.flags on TF32
            with sdpa_kernel([SDPBackend.MATH]), torch.backends.mkldnn.flags(enabled=False):
                try:
                    gm = _make_fx(step, table, flat)
                except torch.fx.experimental.symbolic_shapes.GuardOnDataDependentSymNode as e:
                    raise ExportError(_data_dependent_message(model, e)) from None
    finally:
        model.train(was_training)
    final = _functionalize_inplace(gm)
    placeholders = [n for n in gm.graph.nodes if n.op == 'placeholder']
    returned = _buffer_outputs(gm, final,
                               placeholders[np_:np_ + nb] if buffer_updates else [])
    draws = _random_arguments(gm)
    arg_names = (names + ['input%d' % i for i in range(len(example_inputs))]
                 + [d.name for d in draws])
    kinds = (['param'] * np_ + ['buffer'] * nb + ['batch'] * len(example_inputs)
             + ['random'] * len(draws))
    step = Step(gm, arg_names, kinds, [n for n, _ in params])
    step.updated_buffers = [buffers[i][0] for i in returned]
    step.random_inputs = draws
    return step


class RandomInput:
    """A random draw of the step made an argument (_random_arguments): `name`
    (the argument's), `distribution` ('bernoulli': true with probability `p`, an
    i1 mask, as dropout's and stochastic depth's; 'uniform': [0, 1), as
    rand_like; 'normal': standard, as randn_like), `shape`, `dtype`, and
    `where`, the model's line that drew it."""

    def __init__(self, name, distribution, p, shape, dtype, where, source=None):
        self.name, self.distribution, self.p = name, distribution, p
        self.shape, self.dtype, self.where = shape, dtype, where
        # The name of the traced node it replaced.
        self.source = source

    def draw(self, generator=None):
        """A sample of this input, as PyTorch would have drawn it."""
        if self.distribution == 'bernoulli':
            return torch.empty(self.shape).bernoulli_(self.p, generator=generator).to(self.dtype)
        if self.distribution == 'uniform':
            return torch.rand(self.shape, dtype=self.dtype, generator=generator)
        return torch.randn(self.shape, dtype=self.dtype, generator=generator)

    def __repr__(self):
        return 'RandomInput(%s, %s%s, %s)' % (
            self.name, self.distribution,
            '(p=%g)' % self.p if self.p is not None else '', tuple(self.shape))


# Random ops whose draw depends on nothing the step computes (a shape, a
# constant probability): the caller can draw it.
_DRAWS = {'aten.bernoulli.p': 'bernoulli', 'aten.rand_like.default': 'uniform',
          'aten.rand.default': 'uniform', 'aten.randn_like.default': 'normal',
          'aten.randn.default': 'normal'}


def _random_arguments(gm, bool_masks=True):
    """Each random draw of the step (dropout's and stochastic depth's Bernoulli
    masks in training mode, rand_like / randn_like noise) becomes an argument
    after the batch, in trace order: the caller draws it (RandomInput.draw) and
    passes it. The step is then a function of its arguments, so a recompute
    reads the mask the forward used: re-running a random op in a recompute
    region would draw another one and give wrong gradients. With `bool_masks`
    a mask is an i1 argument; else (torch.compile's joint graph, whose program
    saves the draw itself) it keeps the draw's dtype. Returns the
    RandomInputs."""
    g = gm.graph
    last = [n for n in g.nodes if n.op == 'placeholder'][-1]
    draws = []
    for node in list(g.nodes):
        if node.op != 'call_function':
            continue
        distribution = _DRAWS.get(str(node.target))
        if distribution is None:
            continue
        val = node.meta['val']
        p = None
        if distribution == 'bernoulli':
            p = node.args[1] if len(node.args) > 1 else node.kwargs.get('p', 0.5)
        name = '%s%d' % ('mask' if distribution == 'bernoulli' else distribution,
                         len(draws))
        # A mask passes as i1 (a byte an element, as PyTorch's dropout keeps
        # it), converted where the draw was.
        dtype = torch.bool if distribution == 'bernoulli' and bool_masks else val.dtype
        with g.inserting_after(last):
            arg = g.placeholder(name)
        arg.meta['val'] = torch.empty(tuple(val.shape), dtype=dtype, device='meta')
        value = arg
        if dtype != val.dtype:
            with g.inserting_before(node):
                value = g.call_function(aten._to_copy.default, (arg,), {'dtype': val.dtype})
            value.meta['val'] = val
            value.meta['stack_trace'] = node.meta.get('stack_trace')
        draws.append(RandomInput(name, distribution, p, tuple(val.shape), dtype,
                                 user_frame(node), node.name))
        node.replace_all_uses_with(value)
        g.erase_node(node)
        last = arg
    if draws:
        g.eliminate_dead_code()
        gm.recompile()
    return draws


def _gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean'):
    """F.gaussian_nll_loss as PyTorch computes it (the variance one dim short or
    broadcast along one dim, cloned and clamped to eps outside autograd, the
    constant term with `full`), less its check that no variance is negative:
    that check branches on the data, which a traced step cannot (make_fx
    stops on it). A negative variance gives NaN in the exported step where
    PyTorch raises."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError('var has negative entry/entries')
        var = var * torch.ones_like(input)
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = torch.unsqueeze(var, -1)
        elif not (input.ndim == var.ndim and
                  sum(v for i, v in zip(input.size(), var.size()) if i != v) == 1):
            raise ValueError('var is of incorrect size')
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(reduction + ' is not valid')
    var = var.clone()
    with torch.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (torch.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    if reduction == 'mean':
        return loss.mean()
    return loss.sum() if reduction == 'sum' else loss


@contextlib.contextmanager
def _traceable_functionals():
    """torch.nn.functional's functions that make_fx cannot trace as PyTorch
    writes them, swapped for traceable twins while tracing (nn.GaussianNLLLoss
    calls the module's attribute, so it takes the twin too; a function
    imported by name before tracing does not)."""
    from unittest import mock
    with mock.patch.object(torch.nn.functional, 'gaussian_nll_loss', _gaussian_nll_loss):
        yield


def _data_dependent_message(model, error):
    """What to say when tracing read a tensor's value (fake tensors have none)."""
    from torch.nn.modules.batchnorm import _BatchNorm
    cumulative = [name for name, m in model.named_modules()
                  if isinstance(m, _BatchNorm) and m.momentum is None and m.track_running_stats]
    text = ('the step reads a tensor\'s value while tracing (%s); the exporter traces '
            'on fake tensors, with no values' % str(error).split('\n')[0])
    if cumulative:
        text += ('. Batch norm with momentum=None (%s) reads num_batches_tracked for its '
                 'cumulative average: give it a momentum (or track_running_stats=False)'
                 % ', '.join(cumulative))
    return text


def _make_fx(step, table, flat):
    with checkpoint_regions(), _traceable_functionals():
        return make_fx(step,
                       decomposition_table=table, tracing_mode='fake',
                       _allow_non_fake_inputs=True, record_stack_traces=True)(*flat)


# ---- torch.utils.checkpoint regions and selective-checkpoint policies ----
#
# Traced as they are, non-reentrant checkpoints would put a second copy of each
# region's forward into the backward (autograd's unpack hooks rerun it while
# make_fx records), reading the module's own parameters, not the placeholders.
# Under tracing, PyTorch's selective-checkpoint (SAC) dispatch mode instead
# caches every op's output, so the backward reads the forward's values and the
# graph holds one forward; it also tags each node it records with the op's
# policy (node.meta['recompute'], a CheckpointPolicy). checkpoint_regions()
# makes every non-reentrant checkpoint call take that path, as torch.compile's
# tag_activation_checkpoint does: a plain checkpoint gets the policy "prefer
# recompute" for every op, a user's context_fn keeps its own policy function.
# Each call's forward nodes get node.meta['remat_checkpoint'] (the call's
# number, from 0 in trace order; the innermost call for nested ones) and
# node.meta['remat_policy']: None for a plain checkpoint (the whole region is
# recomputed), else the CheckpointPolicy the user's function chose.

REMAT_CHECKPOINT, REMAT_POLICY = 'remat_checkpoint', 'remat_policy'


def _always_prefer_recompute(ctx, op, *args, **kwargs):
    from torch.utils.checkpoint import CheckpointPolicy
    return CheckpointPolicy.PREFER_RECOMPUTE


def _proxy_graph():
    from torch.fx.experimental.proxy_tensor import get_proxy_mode
    mode = get_proxy_mode()
    return None if mode is None else mode.tracer.graph


class _Region:
    def __init__(self, number, plain):
        self.number, self.plain = number, plain
        self.graph = _proxy_graph()
        self.mark = None if self.graph is None else next(iter(reversed(self.graph.nodes)), None)

    def tag(self):
        if self.graph is None:
            return
        node = self.mark.next if self.mark is not None else next(iter(self.graph.nodes), None)
        root = self.graph._root
        while node is not None and node is not root:
            if node.op == 'call_function' and REMAT_CHECKPOINT not in node.meta:
                node.meta[REMAT_CHECKPOINT] = self.number
                node.meta[REMAT_POLICY] = None if self.plain else node.meta.get(_OUTPUT_POLICY)
            node = node.next


_OUTPUT_POLICY = 'remat_output_policy'


def _recording_policy(policy_fn):
    """policy_fn, also writing the policy it returns into the meta of the nodes
    that hold the op's outputs. (PyTorch tags every node the op decomposed into;
    a policy is about the op's outputs, not the decomposition's inner values.)"""
    from torch.fx.experimental.proxy_tensor import get_proxy_slot
    from torch.utils._pytree import tree_leaves
    from torch.utils.checkpoint import CheckpointPolicy

    def policy(ctx, func, *args, **kwargs):
        chosen = policy_fn(ctx, func, *args, **kwargs)
        value = chosen
        if isinstance(value, bool):
            value = CheckpointPolicy.MUST_SAVE if value else CheckpointPolicy.PREFER_RECOMPUTE
        graph = _proxy_graph()
        if graph is not None and not ctx.is_recompute:
            from torch.fx.experimental.proxy_tensor import get_proxy_mode
            tracer = get_proxy_mode().tracer
            for t in tree_leaves(ctx.op_output):
                if isinstance(t, torch.Tensor):
                    node = get_proxy_slot(t, tracer, None, lambda p: p.proxy.node)
                    if node is not None and node.op == 'call_function':
                        node.meta[_OUTPUT_POLICY] = value
        return chosen
    return policy


@contextlib.contextmanager
def checkpoint_regions():
    """While tracing: non-reentrant torch.utils.checkpoint calls record one
    forward, tagged with their call's number and policy (see above)."""
    import torch.utils.checkpoint as cp
    orig = cp._checkpoint_without_reentrant_generator_impl
    numbers = itertools.count()

    def impl(fn, args, kwargs, *, context_fn=cp.noop_context_fn, **kw):
        plain = context_fn is cp.noop_context_fn
        if plain:
            context_fn = functools.partial(cp.create_selective_checkpoint_contexts,
                                           _always_prefer_recompute)
        kw['debug'] = False
        user_context_fn = context_fn

        def context_fn():
            fwd, recompute = user_context_fn()
            if not plain and isinstance(fwd, cp._CachingTorchDispatchMode):
                fwd.policy_fn = _recording_policy(fwd.policy_fn)
            if isinstance(recompute, cp._CachedTorchDispatchMode):
                # Traced, every op's output is cached (not only the saved ones, as
                # in eager); an in-place op of the region (ReLU(inplace=True))
                # updates a cached value, which the backward then reads as the
                # graph has it (_functionalize_inplace).
                recompute.allow_cache_entry_mutation = True
            return fwd, recompute

        gen = orig(fn, args, kwargs, context_fn=context_fn, **kw)
        next(gen)
        region = _Region(next(numbers), plain)
        try:
            yield
        except BaseException as e:
            gen.throw(e)
            raise
        region.tag()
        try:
            next(gen)
        except StopIteration:
            pass

    class Reentrant:
        @staticmethod
        def apply(function, *args):
            where = _frame_of(function)
            raise ExportError('torch.utils.checkpoint with use_reentrant=True (the default when '
                              'use_reentrant is not given) cannot be exported: it runs the '
                              'backward outside the traced torch.autograd.grad; pass '
                              'use_reentrant=False%s' % (', at ' + where if where else ''))

    import torch.fx.traceback as fx_traceback
    orig_reentrant = cp.CheckpointFunction
    # The SAC dispatch mode writes 'recompute' and 'ac_graph_id' into this global
    # dict, which a later torch.compile in the same process would copy into its nodes.
    saved_meta = fx_traceback.current_meta.copy()
    cp._checkpoint_without_reentrant_generator_impl = impl
    cp.CheckpointFunction = Reentrant
    try:
        yield
    finally:
        cp._checkpoint_without_reentrant_generator_impl = orig
        cp.CheckpointFunction = orig_reentrant
        fx_traceback.current_meta.clear()
        fx_traceback.current_meta.update(saved_meta)


def _frame_of(function):
    """The innermost frame of the model's own code on the stack, as user_frame says it."""
    import traceback
    skip = ('/torch/', '/remat/exporter/', '/functorch/')
    for frame in reversed(traceback.extract_stack()):
        if not any(s in frame.filename for s in skip):
            return '%s:%d: %s' % (frame.filename, frame.lineno, (frame.line or '').strip())
    return None


def _is_inplace(node):
    if node.op != 'call_function' or not hasattr(node.target, '_schema'):
        return False
    return node.target._schema.name.split('::')[-1].endswith('_')


def _functional_variant(target):
    """The out-of-place overload of an in-place op with the same arguments
    (`transpose_` -> `transpose.int`, `add_.Tensor` -> `add.Tensor`)."""
    packet = getattr(aten, target._schema.name.split('::')[-1][:-1], None)
    if packet is not None:
        names = [target._overloadname] + [o for o in packet.overloads()
                                          if o != target._overloadname]
        want = [a.name for a in target._schema.arguments]
        for name in names:
            overload = getattr(packet, name, None)
            if overload is not None and [a.name for a in overload._schema.arguments] == want:
                return overload
    raise ExportError('in-place op %s has no functional variant%s'
                              % (target, _random_hint(target)))


def _random_hint(target):
    if 'rrelu' in str(target):
        return (' (random: F.rrelu samples its negative slopes in training mode; '
                'export it with training=False, the mean slope (lower + upper) / 2, '
                'or use F.leaky_relu)')
    if any(k in str(target) for k in ('bernoulli', 'uniform', 'normal', 'rand',
                                      'multinomial', 'exponential', 'poisson', 'geometric')):
        return (' (random: the exporter makes arguments of Bernoulli masks of a constant '
                'probability, rand/randn(_like) draws and what decomposes into them, as '
                'dropout, stochastic depth and torch.bernoulli do; not of this draw)')
    return ''


def user_frame(node):
    """The innermost frame of the model's own code that produced `node`, as
    'file:line: code', or None (from the stack trace make_fx records)."""
    trace = node.meta.get('stack_trace') if hasattr(node, 'meta') else None
    if not trace:
        return None
    frames = []
    lines = trace.strip().splitlines()
    for i, line in enumerate(lines):
        line = line.strip()
        if line.startswith('File "'):
            path = line.split('"')[1]
            lineno = line.split(', line ')[1].split(',')[0] if ', line ' in line else '?'
            code = lines[i + 1].strip() if i + 1 < len(lines) else ''
            frames.append((path, lineno, code))
    skip = ('/torch/', '/remat/exporter/', '/functorch/')
    for path, lineno, code in reversed(frames):
        if not any(s in path for s in skip):
            return '%s:%s: %s' % (path, lineno, code)
    return None


_VIEWS = ('aten.as_strided.default', 'aten.view.default', 'aten._unsafe_view.default',
          'aten.reshape.default')
# Views that keep every element of their base in order: written through, the
# base's new value is the result reshaped back (when _covers_in_order).
_COVERING_VIEWS = _VIEWS + ('aten.alias.default', 'aten.squeeze.dim', 'aten.squeeze.dims',
                            'aten.squeeze.default', 'aten.unsqueeze.default')
# Views of a part of their base: written through, the base's new value is the
# result scattered back into it.
_SCATTERS = {'aten.slice.Tensor': aten.slice_scatter.default,
             'aten.select.int': aten.select_scatter.default,
             'aten.diagonal.default': aten.diagonal_scatter.default}


def _is_view(node):
    """Whether `node` is an ATen op whose result aliases its first argument
    without writing it (schema `Tensor(a) self -> Tensor(a)`)."""
    if node.op != 'call_function' or not hasattr(node.target, '_schema'):
        return False
    returns = node.target._schema.returns
    return (len(returns) == 1 and returns[0].alias_info is not None
            and not returns[0].alias_info.is_write)


def _functionalize_inplace(gm):
    """`x.relu_()`, `out += identity` on intermediates: use the functional op and
    let every later reader of x read its result instead. An update through a
    chain of views of a base b updates b too, and every tensor of the chain:
    through a slice or a select (`h[:, 0] = 0`, `m[:, -2:] = 1`, autograd's
    CopySlices in the backward) the new value of the viewed tensor is the
    result scattered back (`slice_scatter`, `select_scatter`); through a view
    that covers all of its base in order (`as_strided(b, b's shape-like,
    row-major strides)`, a reshape, an alias, a squeeze: decompositions write
    `zeros.as_strided(...).copy_(grad)`) it is the result reshaped back. Later
    readers of each tensor of the chain read its new value. Other views (a
    transpose, an expand, a partial as_strided) written through, and views
    taken before an update and read after it, are errors: the exporter does not
    track them, and dropping the update would give a wrong step silently.

    Updates of the step's arguments (batch norm's running statistics and batch
    counter, `copy_` and `add_` into the buffer placeholders) are made
    functional the same way: a later reader (the same batch norm module run
    again, as a shared encoder does on two inputs) reads the new value.
    Returns {placeholder: its final new value} for the arguments updated."""
    g = gm.graph
    nodes = list(g.nodes)
    order = {n: i for i, n in enumerate(nodes)}
    # New value -> (the new value of the tensor it views, the view op).
    view_of = {}
    # New value of an argument (or of a view of one) -> that argument, and
    # each argument's latest new value.
    argument_of, final = {}, {}

    def redirect(old, new):
        _redirect(old, new, order)
        arg = old if old.op == 'placeholder' else argument_of.get(old)
        if arg is not None:
            argument_of[new] = arg
            final[arg] = new

    for node in nodes:
        if not _is_inplace(node):
            continue
        target = node.args[0]
        where = user_frame(node)
        at = ', at ' + where if where else ''
        try:
            node.target = _functional_variant(node.target)
        except ExportError as e:
            raise ExportError('%s%s' % (e, at)) from None
        redirect(target, node)
        # Aliases of the target taken before the update (a checkpoint caches its
        # region's values as aliases) share its storage: later readers see the update.
        aliases = [u for u in target.users if u.op == 'call_function' and
                   str(u.target) == 'aten.alias.default' and order[u] < order[node]]
        while aliases:
            alias = aliases.pop()
            redirect(alias, node)
            aliases += [u for u in alias.users if u.op == 'call_function' and
                        str(u.target) == 'aten.alias.default' and order[u] < order[node]]
        # Up the chain of views: each one's base gets its new value.
        chain = [target]
        value = node
        view = target
        while True:
            if _is_view(view):
                base, spec = view.args[0], view
            elif view in view_of:      # a new value made by an earlier update
                base, spec = view_of[view]
            else:
                break
            kind = str(spec.target)
            if kind in _SCATTERS:
                args = (base, value) + tuple(spec.args[1:])
                make = _SCATTERS[kind]
            elif kind in _COVERING_VIEWS and _covers_in_order(spec, base):
                # Not aten.view: the new value must not look like a view of
                # `value` to a later update's walk (view_of says what it is).
                args = (value, list(base.meta['val'].shape))
                make = aten._unsafe_view.default
            else:
                # Harmless when nothing reads the base, or what it views, after.
                above, child = base, view
                while True:
                    if any(u is not child and order[u] > order[node] for u in above.users):
                        raise ExportError(
                            'in-place op %s writes through a view (%s) of another tensor '
                            'that is read after it; not supported%s' % (node.target, kind, at))
                    if not _is_view(above):
                        break
                    above, child = above.args[0], above
                break
            with g.inserting_after(value):
                back = g.call_function(make, args)
            back.meta['val'] = base.meta['val']
            order[back] = order[node]
            redirect(base, back)
            # The viewed tensor's new value is that view of the base's new one.
            view_of[value] = (back, spec)
            chain.append(base)
            value = back
            view = base
        # Views of the chain's tensors taken before the update and read after it
        # would read the old values.
        for tensor in chain:
            if any(_is_view(u) and u not in chain and order[u] < order[node] and
                   any(order[w] > order[node] for w in u.users) for u in tensor.users):
                raise ExportError('in-place op %s updates a tensor whose view is read after '
                                  'it; not supported%s' % (node.target, at))
    gm.recompile()
    return final


def _redirect(old, new, order):
    for user in list(old.users):
        if user is not new and order[user] > order[new]:
            user.replace_input_with(old, new)


def _covers_in_order(view, base):
    """Whether `view` reads every element of `base` once, in row-major order."""
    bval, vval = base.meta.get('val'), view.meta.get('val')
    if bval is None or vval is None or bval.numel() != vval.numel():
        return False
    if str(view.target) != 'aten.as_strided.default':
        return True
    if not bval.is_contiguous():
        return False
    size, stride = list(view.args[1]), list(view.args[2])
    offset = view.args[3] if len(view.args) > 3 and view.args[3] is not None else 0
    acc = 1
    for d, s in reversed(list(zip(size, stride))):
        if d != 1 and s != acc:
            return False
        acc *= d
    return offset == 0


def _buffer_outputs(gm, final, buffers):
    """Training-mode batch norm updates its running statistics and batch counter
    in place; _functionalize_inplace made the updates functional (`final`: each
    updated placeholder's new value). They affect neither the loss nor the
    gradients of this step. `buffers` (the buffer placeholders, in
    `model.named_buffers()` order) lists those whose new values the step also
    returns, after the gradients; the others' updates, and the ops that only fed
    them, are dropped. Returns the indices into `buffers` of those returned."""
    g = gm.graph
    out = [n for n in g.nodes if n.op == 'output'][0]
    returned = [i for i, b in enumerate(buffers) if b in final]
    if returned:
        out.args = (tuple(out.args[0]) + tuple(final[buffers[i]] for i in returned),)
    for node in reversed(list(g.nodes)):
        if (node.op == 'call_function' and not node.users
                and str(node.target) in ('aten.alias.default', 'aten.detach.default')):
            g.erase_node(node)   # e.g. a checkpoint's cached copy of a buffer update
    g.eliminate_dead_code()
    gm.recompile()
    return returned
