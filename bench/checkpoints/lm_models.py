"""LLaMA-style and T5-style models for the checkpoint-scheme benchmark (issue 16),
written out as their reference implementations define them (random weights,
seeded; nothing is downloaded), at sizes that plan in seconds on two cores.

- LLaMA-style decoder: RMSNorm (pre-norm), rotary position embeddings on q and
  k, causal F.scaled_dot_product_attention, SwiGLU MLP, no biases, untied head.
- T5-style encoder-decoder: RMSNorm without mean or bias (pre-norm), relative
  position bias (bucketed, computed once as a buffer of bucket indices, shared
  by every layer of the stack as in T5), unscaled attention, ReLU MLP, decoder
  with causal self-attention and cross-attention, untied head.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


# ---- LLaMA-style ----

def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaBlock(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.h = heads
        self.attn_norm, self.mlp_norm = RMSNorm(d), RMSNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate, self.up = nn.Linear(d, ffn, bias=False), nn.Linear(d, ffn, bias=False)
        self.down = nn.Linear(ffn, d, bias=False)

    def forward(self, x, cos, sin):
        b, t, d = x.shape
        h = self.attn_norm(x)

        def heads(y):
            return y.view(b, t, self.h, d // self.h).transpose(1, 2)
        q, k, v = heads(self.q(h)), heads(self.k(h)), heads(self.v(h))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o(y.transpose(1, 2).reshape(b, t, d))
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(nn.Module):
    def __init__(self, vocab=8000, d=512, layers=8, heads=8, ffn=1408, ctx=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(LlamaBlock(d, heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        hd = d // heads
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        ang = torch.outer(torch.arange(ctx).float(), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.register_buffer('cos', ang.cos()[None, None], persistent=False)
        self.register_buffer('sin', ang.sin()[None, None], persistent=False)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids)
        cos, sin = self.cos[:, :, :t], self.sin[:, :, :t]
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.head(self.norm(x))


# ---- T5-style ----

def relative_buckets(q_len, k_len, bidirectional, num_buckets=32, max_distance=128):
    """T5's relative position buckets (as Hugging Face's T5Attention computes them)."""
    rel = torch.arange(k_len)[None, :] - torch.arange(q_len)[:, None]
    buckets = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        buckets += (rel > 0).long() * num_buckets
        rel = rel.abs()
    else:
        rel = -torch.clamp(rel, max=0)
    exact = num_buckets // 2
    large = exact + (torch.log(rel.float().clamp(min=1) / exact) / math.log(max_distance / exact)
                     * (num_buckets - exact)).long()
    large = torch.clamp(large, max=num_buckets - 1)
    return buckets + torch.where(rel < exact, rel, large)


class T5Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))

    def forward(self, x, kv, bias):
        b, t, d = x.shape
        s = kv.shape[1]
        q = self.q(x).view(b, t, self.h, d // self.h).transpose(1, 2)
        k = self.k(kv).view(b, s, self.h, d // self.h).transpose(1, 2)
        v = self.v(kv).view(b, s, self.h, d // self.h).transpose(1, 2)
        w = F.softmax(torch.matmul(q, k.transpose(-1, -2)) + bias, dim=-1)
        return self.o(torch.matmul(w, v).transpose(1, 2).reshape(b, t, d))


class T5FF(nn.Module):
    def __init__(self, d, ffn):
        super().__init__()
        self.norm = RMSNorm(d)
        self.wi, self.wo = nn.Linear(d, ffn, bias=False), nn.Linear(ffn, d, bias=False)

    def forward(self, x):
        return x + self.wo(F.relu(self.wi(self.norm(x))))


class T5EncoderBlock(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.norm = RMSNorm(d)
        self.attn = T5Attention(d, heads)
        self.ff = T5FF(d, ffn)

    def forward(self, x, bias):
        h = self.norm(x)
        return self.ff(x + self.attn(h, h, bias))


class T5DecoderBlock(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.norm, self.cross_norm = RMSNorm(d), RMSNorm(d)
        self.attn, self.cross = T5Attention(d, heads), T5Attention(d, heads)
        self.ff = T5FF(d, ffn)

    def forward(self, x, enc, bias, cross_bias):
        h = self.norm(x)
        x = x + self.attn(h, h, bias)
        x = x + self.cross(self.cross_norm(x), enc, cross_bias)
        return self.ff(x)


class T5(nn.Module):
    def __init__(self, vocab=8000, d=512, layers=6, heads=8, ffn=2048, src=128, tgt=128,
                 num_buckets=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.enc_rel = nn.Embedding(num_buckets, heads)
        self.dec_rel = nn.Embedding(num_buckets, heads)
        self.encoder = nn.ModuleList(T5EncoderBlock(d, heads, ffn) for _ in range(layers))
        self.enc_norm = RMSNorm(d)
        self.decoder = nn.ModuleList(T5DecoderBlock(d, heads, ffn) for _ in range(layers))
        self.dec_norm = RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.register_buffer('enc_buckets', relative_buckets(src, src, True, num_buckets),
                             persistent=False)
        self.register_buffer('dec_buckets', relative_buckets(tgt, tgt, False, num_buckets),
                             persistent=False)
        causal = torch.tril(torch.ones(tgt, tgt, dtype=torch.bool))
        self.register_buffer('causal', causal, persistent=False)

    def forward(self, src, tgt):
        enc_bias = self.enc_rel(self.enc_buckets).permute(2, 0, 1)[None]
        dec_bias = self.dec_rel(self.dec_buckets).permute(2, 0, 1)[None]
        dec_bias = torch.where(self.causal, dec_bias, torch.finfo(dec_bias.dtype).min)
        x = self.embed(src)
        for block in self.encoder:
            x = block(x, enc_bias)
        enc = self.enc_norm(x)
        y = self.embed(tgt)
        for block in self.decoder:
            y = block(y, enc, dec_bias, 0.0)
        return self.head(self.dec_norm(y))


def lm_loss(logits, target):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def llama(batch=4, seq=256, layers=8):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(7)
    model = Llama(layers=layers, ctx=seq)
    data = (torch.randint(0, 8000, (batch, seq), generator=g),
            torch.randint(0, 8000, (batch, seq), generator=g))
    return model, data, lm_loss, ('LLaMA-style decoder (%d layers, d 512, 8 heads, SwiGLU 1408, '
                                  'vocab 8000, %.1fM), batch %d, seq %d' % (
                                      layers, sum(p.numel() for p in model.parameters()) / 1e6,
                                      batch, seq))


def t5(batch=8, seq=128, layers=6):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(8)
    model = T5(layers=layers, src=seq, tgt=seq)
    data = (torch.randint(0, 8000, (batch, seq), generator=g),
            torch.randint(0, 8000, (batch, seq), generator=g),
            torch.randint(0, 8000, (batch, seq), generator=g))
    return model, data, lm_loss, ('T5-style encoder-decoder (%d+%d layers, d 512, 8 heads, '
                                  'ffn 2048, vocab 8000, %.1fM), batch %d, seq %d' % (
                                      layers, layers,
                                      sum(p.numel() for p in model.parameters()) / 1e6,
                                      batch, seq))
