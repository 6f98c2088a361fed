#!/usr/bin/env python3
"""PyTorch peer for bench/rigl.ts: RigL on LeNet-300-100 the way the public implementations run it — dense weight
tensors multiplied by dense 0/1 masks (google-research/rigl; rigl-torch), so a 2%-dense layer costs a dense one.

ERK masks at --density (output layer dense when ERK says so), Adam 1.2e-3, batch 60, --steps steps on batches of random
inputs (speed only) drawn from --samples of them in a fresh order each epoch; every 100 steps until 75% of training: drop floor(f·active) smallest |w| per layer,
f = 0.3/2·(1 + cos(π t / T_end)), grow as many at the largest |∂L/∂W| (the dense gradient, which masked-dense
training has at every step) outside the kept set, grown weights and Adam state at zero. Gradients are masked before
the optimizer step, weights re-masked after it. One torch thread, one BLAS thread.
Prints one JSON line: {"seconds", "steps", "updates"}.
"""
import argparse, json, math, time

from torch_peer import torch, loaded_blas
import torch.nn.functional as F


def erk(shapes, density):
    dense = set()
    while True:
        rhs, div = 0.0, 0.0
        for i, (o, n) in enumerate(shapes):
            if i in dense:
                rhs -= o * n * (1 - density)
            else:
                rhs += o * n * density
                div += (o + n) / (o * n) * o * n
        eps = rhs / div
        raw = {i: (o + n) / (o * n) for i, (o, n) in enumerate(shapes) if i not in dense}
        mx = max(raw.values())
        if mx * eps <= 1:
            return [1.0 if i in dense else eps * raw[i] for i in range(len(shapes))]
        dense |= {i for i, r in raw.items() if r == mx}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--density", type=float, default=0.02)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", type=int, default=10000)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    shapes = [(300, 784), (100, 300), (10, 100)]
    dens = erk(shapes, a.density)
    W = [torch.nn.Parameter(torch.randn(o, n) * math.sqrt(2 / (o + n))) for o, n in shapes]
    B = [torch.nn.Parameter(torch.zeros(o)) for o, _ in shapes]
    M = []
    for (o, n), d in zip(shapes, dens):
        m = torch.zeros(o * n)
        m[torch.randperm(o * n)[: max(1, round(d * o * n))]] = 1
        M.append(m.view(o, n))
    with torch.no_grad():
        for w, m in zip(W, M):
            w.mul_(m)
    opt = torch.optim.Adam(W + B, lr=1.2e-3)
    # Mini-batches drawn from a training set of --samples images in a fresh order each epoch, as winnow's trainer does
    # (its batch assembly is inside its timed steps, so this peer's is too); the orders are drawn before timing on
    # both sides.
    X = torch.rand(a.samples, 784)
    Y = torch.randint(0, 10, (a.samples,))
    per_epoch = a.samples // 60
    orders = [torch.randperm(a.samples) for _ in range((a.steps + per_epoch - 1) // per_epoch)]
    t_end = int(0.75 * a.steps)
    updates = 0
    t0 = time.perf_counter()
    for step in range(1, a.steps + 1):
        e, pos = divmod(step - 1, per_epoch)
        idx = orders[e][pos * 60:(pos + 1) * 60]
        x, y = X.index_select(0, idx), Y.index_select(0, idx)
        h = F.relu(F.linear(x, W[0] * M[0], B[0]))
        h = F.relu(F.linear(h, W[1] * M[1], B[1]))
        loss = F.cross_entropy(F.linear(h, W[2] * M[2], B[2]), y)
        opt.zero_grad()
        loss.backward()
        due = step % 100 == 0 and step <= t_end and step < a.steps
        dense_grads = [w.grad.clone() for w in W] if due else None
        for w, m in zip(W, M):
            w.grad.mul_(m)
        opt.step()
        with torch.no_grad():
            for w, m in zip(W, M):
                w.mul_(m)
            if due:
                updates += 1
                f = 0.3 / 2 * (1 + math.cos(math.pi * step / t_end))
                for i, (w, m) in enumerate(zip(W, M)):
                    active = int(m.sum().item())
                    if active == m.numel():
                        continue
                    k = int(f * active)
                    if k == 0:
                        continue
                    score = torch.where(m > 0, w.abs(), torch.full_like(w, float("inf"))).flatten()
                    drop = torch.topk(score, k, largest=False).indices
                    mf = m.flatten().clone()
                    mf[drop] = 0
                    g = torch.where(mf.view_as(m) > 0, torch.full_like(w, -1.0), dense_grads[i].abs()).flatten()
                    grow = torch.topk(g, k).indices
                    mf[grow] = 1
                    new = (mf.view_as(m) > 0) & (m == 0)
                    w[new] = 0
                    st = opt.state[w]
                    st["exp_avg"][new] = 0
                    st["exp_avg_sq"][new] = 0
                    M[i] = mf.view_as(m)
    secs = time.perf_counter() - t0
    print(json.dumps({"seconds": secs, "steps": a.steps, "updates": updates, "loss": loss.item(), "blas": loaded_blas(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
