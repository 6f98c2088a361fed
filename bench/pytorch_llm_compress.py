#!/usr/bin/env python3
"""PyTorch peer of winnow's one-shot LLM compression (src/llmcompress/), written from the papers' algorithms:

  Wanda (Sun et al. 2023): score |W_ij| * ||X_j||_2 over the calibration tokens, prune per output row.
  SparseGPT (Frantar & Alistarh 2023): H = 2 X X^T / nsamples, 1% mean-diagonal damping, H^-1 through Cholesky,
      its upper Cholesky factor U; columns in blocks of 128, an adaptive mask per block (w^2 / U_jj^2), N:M masks
      every M columns, error compensation of the later columns (lazy batch updates).
  GPTQ (Frantar et al. 2023): the same pass rounding each column onto the quantization grid instead of masking;
      the grid is winnow's int4-channel format (symmetric, q in [-7, 7], scale = max|w| / 7 per row, stored fp32).

Every layer is compressed in order (blocks in order; c_attn, c_proj, c_fc, mlp c_proj inside each), calibrated on the
inputs it receives from the model with all earlier layers already compressed. Everything runs in float64.

  fixture  trains a tiny gpt:2-2-32-16 on the embedded Shakespeare for a few hundred steps (seeded), picks calibration
           windows and a validation stretch, compresses it with each method and writes
           test/fixtures/llm-compress/peer.safetensors: the dense weights, the tokens, the Wanda masks, the SparseGPT
           and GPTQ weights and every validation loss. test/llmcompress/peer.test.ts runs winnow on the same weights and
           tokens (no torch needed) and requires identical Wanda masks and losses within 0.01 nats.
"""
import argparse, math, os, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_gpt import GPT, winnow_name, write_safetensors, optimizer, step, get_lr  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def linears(m):
    """(winnow name, module) of every block linear layer in forward order."""
    out = []
    for i, b in enumerate(m.h):
        out += [(f'h.{i}.attn.c_attn', b.c_attn), (f'h.{i}.attn.c_proj', b.c_proj), (f'h.{i}.mlp.c_fc', b.c_fc), (f'h.{i}.mlp.c_proj', b.mlp_proj)]
    return out


@torch.no_grad()
def inputs_of(m, layer, calib):
    """The inputs [tokens x cols] `layer` receives when the model runs the calibration windows."""
    got = []
    h = layer.register_forward_pre_hook(lambda mod, args: got.append(args[0].reshape(-1, args[0].shape[-1]).clone()))
    m(calib)
    h.remove()
    return torch.cat(got, 0)


def wanda_mask(W, X, nseq, sparsity=None, nm=None):
    norm = torch.sqrt((X ** 2).sum(0) / nseq)
    score = W.abs() * norm.reshape(1, -1)
    keep = torch.ones_like(W, dtype=torch.bool)
    if nm is None:
        k = int(W.shape[1] * sparsity)
        idx = torch.sort(score, dim=1, stable=True)[1][:, :k]
        keep.scatter_(1, idx, False)
    else:
        n, mm = nm
        for g in range(0, W.shape[1], mm):
            idx = torch.sort(score[:, g:g + mm], dim=1, stable=True)[1][:, :mm - n]
            keep.scatter_(1, g + idx, False)
    return keep


def upper_hinv(H, percdamp=0.01):
    H = H.clone()
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    H += torch.eye(H.shape[0], dtype=H.dtype) * percdamp * torch.mean(torch.diag(H))
    L = torch.linalg.cholesky(H)
    Hinv = torch.cholesky_inverse(L)
    return torch.linalg.cholesky(Hinv, upper=True), dead


def int4_channel_quantizer(W):
    s = (W.abs().amax(1) / 7).to(torch.float32).to(torch.float64)  # the scale as stored (fp32)
    def q(col, rows=None):
        out = torch.clamp(torch.round(col / s), -7, 7) * s
        return torch.where(s == 0, torch.zeros_like(col), out)
    return q


def obs(W, H, sparsity=0.0, nm=None, quantize=None, blocksize=128):
    """SparseGPT / GPTQ column pass on W [rows x cols] (float64); returns the new W."""
    W = W.clone()
    rows, cols = W.shape
    U, dead = upper_hinv(H)
    W[:, dead] = 0
    for i1 in range(0, cols, blocksize):
        i2 = min(i1 + blocksize, cols)
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        U1 = U[i1:i2, i1:i2]
        d = torch.diag(U1)
        if nm is None and sparsity > 0:
            tmp = W1 ** 2 / d.reshape(1, -1) ** 2
            thresh = torch.sort(tmp.flatten())[0][int(tmp.numel() * sparsity)]
            pruned = tmp <= thresh
        else:
            pruned = torch.zeros_like(W1, dtype=torch.bool)
        for i in range(i2 - i1):
            if nm is not None and i % nm[1] == 0:
                n, mm = nm
                tmp = W1[:, i:i + mm] ** 2 / d[i:i + mm].reshape(1, -1) ** 2
                idx = torch.sort(tmp, dim=1, stable=True)[1][:, :mm - n]
                pruned.scatter_(1, i + idx, True)
            w = W1[:, i]
            q = w.clone()
            q[pruned[:, i]] = 0
            if quantize is not None:
                q = quantize(q)
            Q1[:, i] = q
            err = (w - q) / U1[i, i]
            W1[:, i:] -= err.unsqueeze(1) @ U1[i, i:].unsqueeze(0)
            Err1[:, i] = err
        W[:, i1:i2] = Q1
        W[:, i2:] -= Err1 @ U[i1:i2, i2:]
    return W


@torch.no_grad()
def compress(m, calib, method, sparsity=None, nm=None):
    nseq = calib.shape[0]
    masks = {}
    for name, lin in linears(m):
        X = inputs_of(m, lin, calib)
        W = lin.weight.data
        if method == 'wanda':
            keep = wanda_mask(W, X, nseq, sparsity, nm)
            masks[name] = keep
            lin.weight.data = W * keep
        else:
            H = 2 * X.t() @ X / nseq
            quant = int4_channel_quantizer(W) if method == 'gptq' else None
            lin.weight.data = obs(W, H, sparsity or 0.0, nm, quant)
    return masks


@torch.no_grad()
def val_loss(m, val, T):
    W = (len(val) - 1) // T
    x = torch.stack([val[w * T:(w + 1) * T] for w in range(W)])
    y = torch.stack([val[w * T + 1:(w + 1) * T + 1] for w in range(W)])
    logits, _ = m(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()


def fixture(a):
    text = open(os.path.join(ROOT, 'data/embedded/shakespeare-char/input.txt'), encoding='utf-8').read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    tr, va = data[:n], data[n:]
    L, Hh, D, T = 2, 2, 32, 16
    torch.manual_seed(a.seed)
    m = GPT(L, Hh, D, T, len(chars))
    opt = optimizer(m, 3e-3)
    g = torch.Generator().manual_seed(a.seed)
    for it in range(a.iterations):
        ix = torch.randint(len(tr) - T, (32,), generator=g)
        x = torch.stack([tr[i:i + T] for i in ix]); y = torch.stack([tr[i + 1:i + 1 + T] for i in ix])
        step(m, opt, x, y, get_lr(it, 3e-3, 3e-4, 50, a.iterations))
    # the weights as winnow will hold them (float32), then everything in float64
    for p in m.parameters():
        p.data = p.data.to(torch.float32)
    m = m.double()
    ix = torch.randint(len(tr) - T, (a.calibration,), generator=g)
    calib = torch.stack([tr[i:i + T] for i in ix])
    val = va[:a.val + 1]
    dense = {winnow_name(k): v.clone() for k, v in m.state_dict().items()}
    tensors = [(k, v) for k, v in dense.items()]
    tensors += [('calibration', calib.double()), ('validation', val.double())]
    losses = {'dense': val_loss(m, val, T)}
    runs = {'wanda50': ('wanda', 0.5, None), 'wanda24': ('wanda', None, (2, 4)), 'sparsegpt50': ('sparsegpt', 0.5, None),
            'sparsegpt24': ('sparsegpt', None, (2, 4)), 'gptq': ('gptq', None, None)}
    for key, (method, s, nm) in runs.items():
        m.load_state_dict({k: dense[winnow_name(k)] for k in m.state_dict()})
        masks = compress(m, calib, method, s, nm)
        losses[key] = val_loss(m, val, T)
        for name, lin in linears(m):
            if method == 'wanda':
                tensors.append((f'{key}.{name}.mask', masks[name].double()))
            elif key in ('sparsegpt50', 'gptq'):
                tensors.append((f'{key}.{name}.weight', lin.weight.data.clone()))
        print(f'{key}: validation loss {losses[key]:.5f} (dense {losses["dense"]:.5f})', file=sys.stderr)
    tensors += [(f'loss.{k}', torch.tensor([v], dtype=torch.float64)) for k, v in losses.items()]
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    write_safetensors(a.out, tensors, {'spec': f'gpt:{L}-{Hh}-{D}-{T}', 'vocab': ''.join(chars), 'torch': torch.__version__,
                                        'note': 'weights float32; compression and losses computed in float64'})


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('mode', choices=['fixture'])
    p.add_argument('--out', default=os.path.join(ROOT, 'test/fixtures/llm-compress/peer.safetensors'))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--iterations', type=int, default=400)
    p.add_argument('--calibration', type=int, default=32)
    p.add_argument('--val', type=int, default=4096)
    a = p.parse_args()
    fixture(a)
