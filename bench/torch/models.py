"""The models behind bench/graphs/*.mlir and test/exporter-py, with their example
batches and losses. Random initialization (seeded); no weights are downloaded.

GPT-2 and BERT are written out here, parameter for parameter as Hugging Face's
GPT2LMHeadModel and BertForMaskedLM define them (same shapes, same ops, dropout
off, no attention-mask input), so that the trace has no dependence on the
`transformers` version. The vision models come from torchvision when it is
installed.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def cross_entropy(logits, target):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


# ---- GPT-2 ----

class Conv1D(nn.Module):
    """GPT-2's linear layer: y = x @ W + b with W [in, out]."""

    def __init__(self, nin, nout):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nin, nout) * 0.02)
        self.bias = nn.Parameter(torch.zeros(nout))

    def forward(self, x):
        shape = x.shape[:-1] + (self.weight.shape[1],)
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(shape)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, d, heads, ctx):
        super().__init__()
        self.h = heads
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)
        self.register_buffer('bias', torch.tril(torch.ones(ctx, ctx, dtype=torch.bool))
                             .view(1, 1, ctx, ctx), persistent=False)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q = q.view(b, t, self.h, d // self.h).transpose(1, 2)
        k = k.view(b, t, self.h, d // self.h).transpose(1, 2)
        v = v.view(b, t, self.h, d // self.h).transpose(1, 2)
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // self.h)
        mask = self.bias[:, :, :t, :t]
        w = torch.where(mask, w, torch.finfo(w.dtype).min)
        w = F.softmax(w, dim=-1)
        y = torch.matmul(w, v).transpose(1, 2).contiguous().view(b, t, d)
        return self.c_proj(y)


class GPT2MLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = Conv1D(d, 4 * d)
        self.c_proj = Conv1D(4 * d, d)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, d, heads, ctx):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = GPT2Attention(d, heads, ctx)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = GPT2MLP(d)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    """GPT2LMHeadModel without dropout; lm_head is tied to wte."""

    def __init__(self, vocab=50257, ctx=1024, d=768, layers=12, heads=12):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList(GPT2Block(d, heads, ctx) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.wte(ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        return torch.matmul(x, self.wte.weight.t())


# ---- BERT ----

class BertLayer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.h = heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.attn_out = nn.Linear(d, d)
        self.attn_ln = nn.LayerNorm(d, eps=1e-12)
        self.intermediate = nn.Linear(d, ffn)
        self.output = nn.Linear(ffn, d)
        self.out_ln = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x):
        b, t, d = x.shape

        def heads(y):
            return y.view(b, t, self.h, d // self.h).transpose(1, 2)
        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        w = F.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // self.h), dim=-1)
        ctx = torch.matmul(w, v).transpose(1, 2).reshape(b, t, d)
        x = self.attn_ln(x + self.attn_out(ctx))
        return self.out_ln(x + self.output(F.gelu(self.intermediate(x))))


class Bert(nn.Module):
    """BertForMaskedLM (bert-base-uncased shapes) without dropout; the decoder is
    tied to the word embeddings; every position is a prediction target."""

    def __init__(self, vocab=30522, ctx=512, d=768, layers=12, heads=12, ffn=3072):
        super().__init__()
        self.word = nn.Embedding(vocab, d)
        self.position = nn.Embedding(ctx, d)
        self.token_type = nn.Embedding(2, d)
        self.emb_ln = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(d, heads, ffn) for _ in range(layers))
        self.head_dense = nn.Linear(d, d)
        self.head_ln = nn.LayerNorm(d, eps=1e-12)
        self.decoder_bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, ids):
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device)
        x = self.word(ids) + self.position(pos) + self.token_type.weight[0]
        x = self.emb_ln(x)
        for layer in self.layers:
            x = layer(x)
        x = self.head_ln(F.gelu(self.head_dense(x)))
        return torch.matmul(x, self.word.weight.t()) + self.decoder_bias


# ---- U-Net ----

class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """The standard U-Net (Ronneberger et al.; as milesial/Pytorch-UNet with
    transposed-convolution upsampling): `depth` levels of 2x2 max pool + double
    conv, then transposed conv 2x2/2 + skip concatenation + double conv."""

    def __init__(self, cin=3, classes=2, base=64, depth=4):
        super().__init__()
        chans = [base * 2 ** i for i in range(depth + 1)]
        self.inc = DoubleConv(cin, chans[0])
        self.downs = nn.ModuleList(DoubleConv(chans[i], chans[i + 1]) for i in range(depth))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2)
                                 for i in reversed(range(depth)))
        self.up_convs = nn.ModuleList(DoubleConv(chans[i + 1], chans[i])
                                      for i in reversed(range(depth)))
        self.outc = nn.Conv2d(chans[0], classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(F.max_pool2d(skips[-1], 2)))
        x = skips.pop()
        for up, conv in zip(self.ups, self.up_convs):
            x = conv(torch.cat([skips.pop(), up(x)], dim=1))
        return self.outc(x)


def pixel_cross_entropy(logits, target):
    c = logits.shape[1]
    return F.cross_entropy(logits.permute(0, 2, 3, 1).reshape(-1, c), target.reshape(-1))


# ---- the fixtures ----

def _ids(vocab, batch, seq, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, vocab, (batch, seq), generator=g),
            torch.randint(0, vocab, (batch, seq), generator=g))


def _images(batch, ch, hw, classes, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, ch, hw, hw, generator=g),
            torch.randint(0, classes, (batch,), generator=g))


def gpt2_small(batch=4, seq=256, layers=12):
    torch.manual_seed(0)
    return GPT2(layers=layers), _ids(50257, batch, seq, 1), cross_entropy, \
        'GPT-2 small (124M; %d layers, d 768, 12 heads), batch %d, seq %d' % (layers, batch, seq)


def bert_base(batch=32, seq=128, layers=12):
    torch.manual_seed(0)
    return Bert(layers=layers), _ids(30522, batch, seq, 2), cross_entropy, \
        'BERT-base (110M; %d layers, d 768, 12 heads, ffn 3072), MLM on every position, ' \
        'batch %d, seq %d' % (layers, batch, seq)


def _torchvision(name, batch, hw, classes=1000, **kw):
    import torchvision
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None, num_classes=classes, **kw)
    for m in model.modules():      # dropout off (deterministic, pure step)
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    return model, _images(batch, 3, hw, classes, 3), F.cross_entropy


def resnet50(batch=8, hw=224):
    m, data, loss = _torchvision('resnet50', batch, hw)
    return m, data, loss, 'ResNet-50 (torchvision, 25.6M), batch %d, %dx%d' % (batch, hw, hw)


def vgg16(batch=32, hw=224):
    m, data, loss = _torchvision('vgg16', batch, hw)
    return m, data, loss, 'VGG-16 (torchvision, 138M, dropout off), batch %d, %dx%d' % (batch, hw, hw)


def mobilenet_v2(batch=8, hw=224):
    m, data, loss = _torchvision('mobilenet_v2', batch, hw)
    return m, data, loss, 'MobileNetV2 (torchvision, 3.5M, dropout off), batch %d, %dx%d' % (
        batch, hw, hw)


def unet(batch=4, hw=256):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(4)
    data = (torch.randn(batch, 3, hw, hw, generator=g),
            torch.randint(0, 2, (batch, hw, hw), generator=g))
    return UNet(), data, pixel_cross_entropy, \
        'U-Net (31M; 4 levels, base 64 channels, transposed-conv upsampling, BN), ' \
        '2 classes, batch %d, %dx%d' % (batch, hw, hw)


def regnet_y_400mf(batch=4, hw=64):
    m, data, loss = _torchvision('regnet_y_400mf', batch, hw, classes=10)
    return m, data, loss, 'RegNetY-400MF (torchvision), 10 classes, batch %d, %dx%d' % (
        batch, hw, hw)


def efficientnet_b0(batch=4, hw=64):
    m, data, loss = _torchvision('efficientnet_b0', batch, hw, classes=10,
                                 stochastic_depth_prob=0.0)
    return m, data, loss, 'EfficientNet-B0 (torchvision, dropout and stochastic depth off), ' \
        '10 classes, batch %d, %dx%d' % (batch, hw, hw)


# Measured against PyTorch with no bundled fixture (bench/torch/unbundled.py
# exports their steps): the "up to 1.23x worse" models.
UNBUNDLED_MODELS = {
    'regnet_y_400mf': regnet_y_400mf,
    'efficientnet_b0': efficientnet_b0,
}


MODELS = {
    'gpt2_small': gpt2_small,
    'bert_base': bert_base,
    'resnet50': resnet50,
    'vgg16': vgg16,
    'mobilenet_v2': mobilenet_v2,
    'unet': unet,
}


# ---- tiny models for the correctness tests ----

class TinyMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = nn.Linear(8, 16), nn.Linear(16, 4)

    def forward(self, x):
        return self.l2(torch.tanh(self.l1(x)))


class TinyConvNet(nn.Module):
    """conv+BN+ReLU, max pool (overlapping, padded), strided depthwise conv, conv
    without bias, max pool (non-overlapping), global average pool, linear."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.c2 = nn.Conv2d(8, 6, 1, bias=False)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.c1(x))), 3, 2, 1)
        x = F.max_pool2d(F.relu(self.c2(self.dw(x))), 2)
        return self.fc(x.mean(dim=(2, 3)))


def tiny_models():
    """name -> (model, example inputs, loss_fn)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(5)
    return {
        'mlp': (TinyMLP(), (torch.randn(4, 8, generator=g),
                            torch.randint(0, 4, (4,), generator=g)), F.cross_entropy),
        'convnet': (TinyConvNet(), (torch.randn(2, 3, 8, 8, generator=g),
                                    torch.randint(0, 5, (2,), generator=g)), F.cross_entropy),
        'unet': (UNet(cin=2, classes=3, base=4, depth=1),
                 (torch.randn(2, 2, 8, 8, generator=g),
                  torch.randint(0, 3, (2, 8, 8), generator=g)), pixel_cross_entropy),
        'gpt_block': (GPT2(vocab=50, ctx=16, d=16, layers=1, heads=2),
                      (torch.randint(0, 50, (2, 8), generator=g),
                       torch.randint(0, 50, (2, 8), generator=g)), cross_entropy),
    }


# ---- small graphs, where remat's exact solver can prove optimality ----

def _tiny(name, title):
    def make():
        model, data, loss = tiny_models()[name]
        return model, data, loss, title
    return make


def gpt2_mini(batch=2, seq=32):
    torch.manual_seed(0)
    return GPT2(vocab=512, ctx=64, d=64, layers=2, heads=4), _ids(512, batch, seq, 6), \
        cross_entropy, 'GPT-2 architecture, mini (2 layers, d 64, 4 heads, vocab 512), ' \
        'batch %d, seq %d' % (batch, seq)


SMALL_MODELS = {
    'tiny_mlp': _tiny('mlp', '2-layer tanh MLP 8-16-4, batch 4'),
    'tiny_convnet': _tiny('convnet', 'conv+BN+ReLU, max pools, depthwise conv, 1x1 conv, '
                                     'linear; batch 2, 3x8x8'),
    'tiny_unet': _tiny('unet', 'one-level U-Net, base 4 channels; batch 2, 2x8x8'),
    'tiny_gpt_block': _tiny('gpt_block', 'GPT-2 architecture, 1 layer, d 16, 2 heads, vocab 50; '
                                         'batch 2, seq 8'),
    'gpt2_mini': gpt2_mini,
}


# ---- recurrent models (issue 10: the planner against min-cut on RNN steps) ----

class LSTMLM(nn.Module):
    """Embedding, `nn.LSTM`, a linear head on every position. The exporter
    traces nn.LSTM through its cells (PyTorch's decomposition: one input
    projection for the whole sequence, then a matmul and the gate pointwise
    ops per step)."""

    def __init__(self, vocab=1024, d=256, hidden=512, layers=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.rnn = nn.LSTM(d, hidden, num_layers=layers)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):          # ids [seq, batch]
        y, _ = self.rnn(self.emb(ids))
        return self.head(y)


class LSTMCellLM(nn.Module):
    """Embedding, `nn.LSTMCell` stepped by a Python loop (both projections
    per step), a linear head on every step's hidden state."""

    def __init__(self, vocab=1024, d=256, hidden=512):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.cell = nn.LSTMCell(d, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):          # ids [seq, batch]
        x = self.emb(ids)
        h = x.new_zeros(x.shape[1], self.cell.hidden_size)
        c = h
        outs = []
        for t in range(x.shape[0]):
            h, c = self.cell(x[t], (h, c))
            outs.append(h)
        return self.head(torch.stack(outs))


def lstm(batch=16, seq=64, layers=2):
    torch.manual_seed(0)
    return LSTMLM(layers=layers), _ids(1024, seq, batch, 7), cross_entropy, \
        'nn.LSTM language model (%d layers, d 256, hidden 512, vocab 1024), seq %d, batch %d' % (
            layers, seq, batch)


def lstm_cell(batch=16, seq=64):
    torch.manual_seed(0)
    return LSTMCellLM(), _ids(1024, seq, batch, 8), cross_entropy, \
        'nn.LSTMCell loop language model (d 256, hidden 512, vocab 1024), seq %d, batch %d' % (
            seq, batch)


RECURRENT_MODELS = {
    'lstm': lstm,
    'lstm_cell': lstm_cell,
}


# ---- the exporter's model families (test/exporter-py/families.py), small ----

def _family(name):
    def make():
        import os
        import sys
        tests = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), 'test', 'exporter-py')
        if tests not in sys.path:
            sys.path.insert(0, tests)
        import families
        model, data, loss = families.families()[name]()
        return model, data, loss, 'test/exporter-py/families.py: %s' % name
    return make


FAMILY_MODELS = {'family_' + n: _family(n) for n in (
    'pooling', 'sdpa_transformer', 'vit', 'densenet', 'convnext', 'moe_top2', 'gru', 'lstm',
    'swin')}
