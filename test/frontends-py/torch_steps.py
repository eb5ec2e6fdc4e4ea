"""Training steps traced by make_fx and imported by torch-mlir's FX importer
to linalg on tensors (its linalg-on-tensors pipeline), and the same steps in
PyTorch for reference gradients.

Every step takes (*params, *batch) and returns (loss, *grads), the loss
first (remat's default).
"""
import torch
import torch.nn.functional as F


def mlp(layers=3, batch=512, width=128, inputs=64, outputs=10):
    """A tanh MLP with an MSE loss."""
    dims = [inputs] + [width] * (layers - 1) + [outputs]

    def loss(params, x, y):
        h = x
        for i in range(layers):
            w, b = params[2 * i], params[2 * i + 1]
            h = h @ w + b
            if i < layers - 1:
                h = torch.tanh(h)
        return ((h - y) ** 2).mean()

    params = []
    for a, b in zip(dims, dims[1:]):
        params += [torch.randn(a, b) * a ** -0.5, torch.randn(b) * 0.1]
    batch_args = [torch.randn(batch, inputs), torch.randn(batch, outputs)]
    return loss, params, batch_args


def gpt(blocks=1, vocab=64, width=32, tokens=16, batch=4, gelu='none'):
    """GPT-style blocks: a one-hot token embedding tied to the output layer,
    causal self-attention, layer norms, a GELU MLP (gelu='none' is the exact,
    erf GELU, torch's default), a cross-entropy loss through one-hot targets.
    One-hot products instead of F.embedding and F.cross_entropy, whose
    gradients torch-mlir imports as tm_tensor.scatter (docs/frontends.md)."""
    V, D, T, B = vocab, width, tokens, batch
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))

    def loss(params, tok, tgt):
        emb = params[0]
        h = (tok[..., None] == torch.arange(V)).to(emb.dtype) @ emb
        for i in range(blocks):
            wq, wk, wv, wo, w1, w2 = params[1 + 6 * i:7 + 6 * i]
            x = F.layer_norm(h, (D,))
            q, k, v = x @ wq, x @ wk, x @ wv
            s = (q @ k.transpose(-1, -2)) / D ** 0.5
            s = s.masked_fill(~mask, -1e9)
            h = h + (torch.softmax(s, dim=-1) @ v) @ wo
            x = F.layer_norm(h, (D,))
            h = h + F.gelu(x @ w1, approximate=gelu) @ w2
        logits = F.layer_norm(h, (D,)) @ emb.T
        onehot = (tgt[..., None] == torch.arange(V)).to(logits.dtype)
        return -(onehot * F.log_softmax(logits, -1)).sum(-1).mean()

    r = lambda *s: torch.randn(*s) * 0.1
    params = [r(V, D)]
    for _ in range(blocks):
        params += [r(D, D), r(D, D), r(D, D), r(D, D), r(D, 4 * D), r(4 * D, D)]
    batch_args = [torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))]
    return loss, params, batch_args


def step_of(loss, num_params):
    def step(*args):
        params, batch = args[:num_params], args[num_params:]
        grads, value = torch.func.grad_and_value(loss)(tuple(params), *batch)
        return (value, *grads)
    return step


def import_step(loss, params, batch_args):
    """The step as linalg on tensors (MLIR text), func.func @train_step."""
    from torch.fx.experimental.proxy_tensor import make_fx
    from torch_mlir import fx
    step = step_of(loss, len(params))
    gm = make_fx(step, decomposition_table=fx.get_decomposition_table())(
        *params, *batch_args)
    module = fx.stateless_fx_import(gm, output_type='linalg-on-tensors',
                                    model_name='train_step')
    return str(module)
