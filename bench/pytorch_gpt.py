#!/usr/bin/env python3
"""PyTorch peer of winnow's gpt:L-H-D-T (nanoGPT's model.py layout, tanh-GELU as GPT-2, no dropout).

Modes:
  fixture  write test/fixtures/gpt-peer/: a tiny model's weights (seeded), a batch, and in float64 the
           loss, the logits and every parameter's gradient, as safetensors (F32 values, F64 truth
           rounded once); test/nn/gpt-peer.test.ts compares winnow against them without torch.
  bench    time per training iteration (forward, backward, clipping, AdamW) for a configuration,
           one thread; prints one JSON line. bench/gpt.ts runs it interleaved with winnow.
  train    nanoGPT's character-level Shakespeare recipe (AdamW β=(0.9, 0.99), wd 0.1 on matrices,
           clip 1.0, warmup 100, cosine lr → min-lr), printing the validation loss; the peer of
           `winnow train --model gpt:4-4-128-64 --dataset shakespeare-char`.
A --model ending in -nobias has no biases in the linear layers and LayerNorms (nanoGPT's bias=False), as winnow's.
"""
import argparse, json, math, os, struct, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def layer_norm(D, bias):
    ln = nn.LayerNorm(D)
    if not bias:  # nanoGPT's LayerNorm(bias=False) (torch 1.13's nn.LayerNorm has no such flag)
        ln.bias = None
    return ln


class Block(nn.Module):
    def __init__(self, D, H, bias=True):
        super().__init__()
        self.H = H
        self.ln_1 = layer_norm(D, bias)
        self.c_attn = nn.Linear(D, 3 * D, bias=bias)
        self.c_proj = nn.Linear(D, D, bias=bias)
        self.ln_2 = layer_norm(D, bias)
        self.c_fc = nn.Linear(D, 4 * D, bias=bias)
        self.mlp_proj = nn.Linear(4 * D, D, bias=bias)

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q, k, v = [t.view(B, T, self.H, D // self.H).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float('-inf')).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, D)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate='tanh'))


class GPT(nn.Module):
    def __init__(self, L, H, D, T, V, tied=True, bias=True):
        super().__init__()
        self.wte = nn.Embedding(V, D)
        self.wpe = nn.Embedding(T, D)
        self.h = nn.ModuleList([Block(D, H, bias) for _ in range(L)])
        self.ln_f = layer_norm(D, bias)
        self.lm_head = None if tied else nn.Linear(D, V, bias=False)
        for name, p in self.named_parameters():  # nanoGPT's initialization
            if name.endswith('c_proj.weight') or name.endswith('mlp_proj.weight'):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))
            elif p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith('bias'):
                nn.init.zeros_(p)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for b in self.h:
            x = b(x)
        x = self.ln_f(x)
        logits = x @ self.wte.weight.t() if self.lm_head is None else self.lm_head(x)
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


def winnow_name(n):
    """torch parameter name -> winnow's (h.N.attn.c_attn.weight, h.N.mlp.c_proj.bias, …)."""
    parts = n.split('.')
    if parts[0] == 'h':
        i, rest = parts[1], '.'.join(parts[2:])
        rest = {'c_attn.weight': 'attn.c_attn.weight', 'c_attn.bias': 'attn.c_attn.bias', 'c_proj.weight': 'attn.c_proj.weight',
                'c_proj.bias': 'attn.c_proj.bias', 'c_fc.weight': 'mlp.c_fc.weight', 'c_fc.bias': 'mlp.c_fc.bias',
                'mlp_proj.weight': 'mlp.c_proj.weight', 'mlp_proj.bias': 'mlp.c_proj.bias'}.get(rest, rest)
        return f'h.{i}.{rest}'
    return n


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {'__metadata__': metadata}, 0, []
    for name, t in tensors:
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def fixture(out):
    os.makedirs(out, exist_ok=True)
    for name, (L, H, D, T, V, tied, B) in {'tied': (2, 2, 16, 8, 11, True, 3), 'untied': (1, 4, 12, 5, 7, False, 2)}.items():
        torch.manual_seed(1234)
        m = GPT(L, H, D, T, V, tied)
        with torch.no_grad():  # non-trivial LayerNorm and biases, so their gradients are tested too
            for n, p in m.named_parameters():
                if p.dim() == 1:
                    p.add_(0.1 * torch.randn_like(p))
                else:
                    p.mul_(10.0)  # std 0.2: attention far from uniform
        g = torch.Generator().manual_seed(99)
        idx = torch.randint(0, V, (B, T), generator=g)
        tgt = torch.randint(0, V, (B, T), generator=g)
        m64 = m.double()
        logits, loss = m64(idx, tgt)
        loss.backward()
        tensors = [(winnow_name(n), p) for n, p in m64.named_parameters()]
        tensors += [('grad.' + winnow_name(n), p.grad) for n, p in m64.named_parameters()]
        tensors += [('tokens', idx.double()), ('targets', tgt.double()), ('loss', loss.detach().reshape(1)),
                    ('logits', logits.detach())]
        write_safetensors(os.path.join(out, f'{name}.safetensors'), tensors,
                          {'spec': f'gpt:{L}-{H}-{D}-{T}' + ('' if tied else '-untied'), 'vocab': str(V), 'batch': str(B),
                           'torch': torch.__version__, 'note': 'values float32; loss, logits and gradients computed in float64'})
        print(f'{name}: loss {loss.item():.6f}', file=sys.stderr)


def get_lr(it, lr, min_lr, warmup, decay):
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay:
        return min_lr
    r = (it - warmup) / (decay - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * r)) * (lr - min_lr)


def optimizer(m, lr):
    decay = [p for p in m.parameters() if p.dim() >= 2]
    other = [p for p in m.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': other, 'weight_decay': 0.0}], lr=lr, betas=(0.9, 0.99))


def step(m, opt, x, y, lr):
    for g in opt.param_groups:
        g['lr'] = lr
    _, loss = m(x, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss.item()


def spec_of(s):
    L, H, D, T = map(int, s.split(':')[1].split('-')[:4])
    return L, H, D, T


def bias_of(s):
    """gpt:…-nobias: no biases in the linear layers and LayerNorms (nanoGPT's bias=False)."""
    return not s.endswith('-nobias')


def bench(a):
    L, H, D, T = spec_of(a.model)
    torch.manual_seed(a.seed)
    m = GPT(L, H, D, T, 65, bias=bias_of(a.model))
    opt = optimizer(m, 1e-3)
    g = torch.Generator().manual_seed(a.seed)
    xs = torch.randint(0, 65, (a.steps + a.warmup, a.batch, T), generator=g)
    for i in range(a.warmup):
        step(m, opt, xs[i], xs[i], 1e-3)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(a.steps):
        step(m, opt, xs[a.warmup + i], xs[a.warmup + i], 1e-3)
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    cpu_ms = (time.process_time() - c0) * 1000 / a.steps  # CPU time: less sensitive to a loaded machine's waits
    print(json.dumps({'msPerIteration': ms, 'cpuMsPerIteration': cpu_ms, 'torch': torch.__version__, 'threads': torch.get_num_threads(),
                      'parameters': sum(p.numel() for p in m.parameters())}))


def train(a):
    L, H, D, T = spec_of(a.model)
    text = open(a.data, encoding='utf-8').read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    tr, va = data[:n], data[n:]
    torch.manual_seed(a.seed)
    m = GPT(L, H, D, T, len(chars), bias=bias_of(a.model))
    opt = optimizer(m, a.lr)

    def batch(d):
        ix = torch.randint(len(d) - T, (a.batch,))
        return torch.stack([d[i:i + T] for i in ix]), torch.stack([d[i + 1:i + 1 + T] for i in ix])

    @torch.no_grad()
    def estimate(d):
        return sum(m(*batch(d))[1].item() for _ in range(a.eval_iters)) / a.eval_iters

    t0 = time.perf_counter()
    for it in range(a.iterations):
        if it % 250 == 0:
            print(json.dumps({'iteration': it, 'valLoss': estimate(va)}), flush=True)
        step(m, opt, *batch(tr), get_lr(it, a.lr, a.lr / 10, 100, a.iterations))
    sec = time.perf_counter() - t0

    @torch.no_grad()
    def full(d):  # non-overlapping windows, as winnow's whole-split loss
        W = (len(d) - 1) // T
        s = 0.0
        for w0 in range(0, W, a.batch):
            ids = range(w0, min(W, w0 + a.batch))
            x = torch.stack([d[i * T:i * T + T] for i in ids]); y = torch.stack([d[i * T + 1:i * T + 1 + T] for i in ids])
            s += m(x, y)[1].item() * x.numel()
        return s / (W * T)
    print(json.dumps({'iteration': a.iterations, 'estValLoss': estimate(va), 'valLoss': full(va), 'seconds': sec,
                      'msPerIteration': sec * 1000 / a.iterations}))


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['fixture', 'bench', 'train'])
    p.add_argument('--out', default='test/fixtures/gpt-peer')
    p.add_argument('--model', default='gpt:4-4-128-64')
    p.add_argument('--batch', type=int, default=12)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--data', default='data/embedded/shakespeare-char/input.txt')
    p.add_argument('--iterations', type=int, default=2000)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--eval-iters', type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(1)
    {'fixture': lambda: fixture(a.out), 'bench': lambda: bench(a), 'train': lambda: train(a)}[a.mode]()
