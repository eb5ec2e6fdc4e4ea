"""The looped examples' gradients against PyTorch float64 autograd.

The generator's numpy evaluation of examples/loops (the hand-written backward,
through the loops and unrolled) must give the loss and gradients that autograd
gives for the same model written plainly in PyTorch. Skips without torch.

Run: python3 -m pytest test/examples-py/test_loops_torch.py
"""

import math
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip('torch')
F = torch.nn.functional

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'examples'))

import gen_examples  # noqa: E402


def transformer_stack_loss(p, heads):
    """mean(h_L^2) of the pre-LN blocks of gen_examples.block_forward."""
    x = p['x']
    layers = p['wq'].shape[0]
    bsz, seq, d = x.shape
    dh = d // heads
    h = x.reshape(bsz * seq, d)
    for i in range(layers):
        a1 = F.layer_norm(h, (d,), p['ln1_g'][i], p['ln1_b'][i], gen_examples.LN_EPS)

        def heads_of(v):
            return v.reshape(bsz, seq, heads, dh).transpose(1, 2)
        q, k, v = (heads_of(a1 @ p[w][i]) for w in ('wq', 'wk', 'wv'))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(bsz * seq, d)
        r1 = h + ctx @ p['wo'][i]
        a2 = F.layer_norm(r1, (d,), p['ln2_g'][i], p['ln2_b'][i], gen_examples.LN_EPS)
        u = a2 @ p['w1'][i] + p['b1'][i]
        h = r1 + F.gelu(u, approximate='tanh') @ p['w2'][i] + p['b2'][i]
    return (h * h).mean()


def rnn_loss(p):
    """The Elman RNN of gen_examples.rnn_step, mean squared error at every step."""
    h, loss = p['h0'], 0.0
    for t in range(p['x'].shape[0]):
        h = torch.tanh(p['x'][t] @ p['wx'] + h @ p['wh'] + p['bh'])
        loss = loss + ((h @ p['wy'] + p['by'] - p['y'][t]) ** 2).sum()
    return loss / p['y'].numel()


CASES = [
    ('transformer_stack_loop', lambda p: transformer_stack_loss(p, heads=2)),
    ('transformer_stack_unrolled', lambda p: transformer_stack_loss(p, heads=2)),
    ('rnn_loop', rnn_loss),
    ('rnn_unrolled', rnn_loss),
]


@pytest.mark.parametrize('name,torch_loss', CASES, ids=[c[0] for c in CASES])
def test_gradients_match_torch_autograd(name, torch_loss):
    example = gen_examples.BY_NAME[name]
    inputs = example.random_inputs(seed=5, dtype=np.float64)
    loss, grads = example.loss_and_grads(inputs)
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in inputs.items()}
    want = torch_loss(params)
    want.backward()
    assert abs(loss - want.item()) <= 1e-12 * max(1.0, abs(want.item()))
    for pname in example.param_names:
        ref = params[pname].grad.numpy()
        np.testing.assert_allclose(grads[pname], ref, rtol=0,
                                   atol=1e-10 * max(np.abs(ref).max(), 1e-30),
                                   err_msg=pname)
