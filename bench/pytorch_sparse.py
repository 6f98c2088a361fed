#!/usr/bin/env python3
"""PyTorch peer of src/sparsetrain: SNIP, GraSP and SynFlow scores and one RigL mask update, computed the way the
official code computes them (autograd; GraSP's Hessian-gradient product by double backward as in
alecwangcq/GraSP; SynFlow with |θ| and an all-ones input as in ganguli-lab/Synaptic-Flow; RigL's grow gradient
as the dense gradient of the masked weights as in google-research/rigl), on small networks built like winnow's
(fully connected [out × in] weights; 3×3 convolutions, pad 1, 2×2 max-pool, flatten in C×H×W order).

It draws the weights, biases, masks and batch itself (seeded), and writes them together with its results to
test/fixtures/sparse-peer/<case>.json; test/sparsetrain/peer.test.ts loads the same weights and batch into winnow
and compares: scores to 1e-5 relative (both in float64), RigL gradients in float32 and masks identical.

Ranking rules shared with winnow: global top-k, ties by (layer, index); RigL drops the floor(f·active) smallest
|w| (ties by index) and grows as many at the largest |∂L/∂W| among positions not kept after the drop (ties by
index). The official RigL breaks ties with random noise, SynFlow's official code by a <= threshold test.

Run: /usr/bin/python3 bench/pytorch_sparse.py [--out test/fixtures/sparse-peer]
"""
import argparse, json, math, os

from torch_peer import torch
import torch.nn.functional as F

CASES = {
    # name: (spec, input shape (C, H, W), classes, batch)
    "mlp": ("mlp:16-12-8-4", (16, 1, 1), 4, 10),
    "conv": ("conv:3-pool/6", (1, 6, 6), 4, 8),
}


def layers_of(spec, shape, classes):
    """Weight layers as (name, kind, out, in, conv geometry) in winnow's order, and the op list."""
    c, h, w = shape
    ops, out = [], []
    if spec.startswith("mlp:"):
        sizes = [int(s) for s in spec[4:].split("-")]
        for i in range(1, len(sizes)):
            name = "out" if i == len(sizes) - 1 else f"fc{i}"
            out.append((name, "fc", sizes[i], sizes[i - 1]))
            ops.append(("fc", name, i < len(sizes) - 1))
        return out, ops
    conv_part, fc_part = spec[5:].split("/")
    ci = 0
    for item in conv_part.split("-"):
        if item == "pool":
            ops.append(("pool",)); h //= 2; w //= 2
        else:
            ci += 1; k = int(item)
            out.append((f"conv{ci}", "conv", k, c * 9)); ops.append(("conv", f"conv{ci}", True)); c = k
    ops.append(("flatten",))
    width = c * h * w
    for i, hdim in enumerate([int(s) for s in fc_part.split("-")] if fc_part else []):
        out.append((f"fc{i + 1}", "fc", hdim, width)); ops.append(("fc", f"fc{i + 1}", True)); width = hdim
    out.append(("out", "fc", classes, width)); ops.append(("fc", "out", False))
    return out, ops


def forward(ops, W, B, x, shapes):
    a = x
    for op in ops:
        if op[0] == "pool":
            a = F.max_pool2d(a, 2)
        elif op[0] == "flatten":
            a = a.flatten(1)
        else:
            name, relu = op[1], op[2]
            if op[0] == "conv":
                out_c, cols = shapes[name]
                a = F.conv2d(a, W[name].view(out_c, cols // 9, 3, 3), B[name], padding=1)
            else:
                if a.dim() > 2:
                    a = a.flatten(1)
                a = F.linear(a, W[name], B[name])
            if relu:
                a = F.relu(a)
    return a


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "sparse-peer"))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    g = torch.Generator().manual_seed(args.seed)
    for case, (spec, shape, classes, n) in CASES.items():
        layers, ops = layers_of(spec, shape, classes)
        shapes = {name: (o, i) for name, _, o, i in layers}
        W = {name: (torch.randn(o, i, generator=g, dtype=torch.float64) * math.sqrt(2.0 / (o + i))).float().double() for name, _, o, i in layers}
        B = {name: (0.1 * torch.randn(o, generator=g, dtype=torch.float64)).float().double() for name, _, o, i in layers}
        x = torch.rand((n,) + shape, generator=g, dtype=torch.float64).float().double()
        y = torch.randint(0, classes, (n,), generator=g)
        names = [l[0] for l in layers]

        # SNIP: |w ⊙ ∂L/∂w|, L the mean cross-entropy on the batch.
        Wg = {k: v.clone().requires_grad_(True) for k, v in W.items()}
        loss = F.cross_entropy(forward(ops, Wg, B, x, shapes), y)
        grads = torch.autograd.grad(loss, [Wg[k] for k in names])
        snip = [(W[k] * gk).abs() for k, gk in zip(names, grads)]

        # GraSP: −w ⊙ Hg at temperature T = 200 (double backward, as the official code does).
        T = 200.0
        Wg = {k: v.clone().requires_grad_(True) for k, v in W.items()}
        loss = F.cross_entropy(forward(ops, Wg, B, x, shapes) / T, y)
        g1 = torch.autograd.grad(loss, [Wg[k] for k in names])
        g1 = [t.detach() for t in g1]
        Wg2 = {k: v.clone().requires_grad_(True) for k, v in W.items()}
        loss2 = F.cross_entropy(forward(ops, Wg2, B, x, shapes) / T, y)
        g2 = torch.autograd.grad(loss2, [Wg2[k] for k in names], create_graph=True)
        z = sum((a * b).sum() for a, b in zip(g1, g2))
        hg = torch.autograd.grad(z, [Wg2[k] for k in names])
        grasp = [-W[k] * h for k, h in zip(names, hg)]

        # SynFlow: every parameter made positive, R = sum of the outputs for an all-ones input, |w ⊙ ∂R/∂w|.
        def synflow_scores(masks):
            Wa = {k: (W[k].abs() * masks[i]).requires_grad_(True) for i, k in enumerate(names)}
            Ba = {k: B[k].abs() for k in names}
            r = forward(ops, Wa, Ba, torch.ones((1,) + shape, dtype=torch.float64), shapes).sum()
            gr = torch.autograd.grad(r, [Wa[k] for k in names])
            return [(Wa[k] * gk).abs().detach() for k, gk in zip(names, gr)]

        def keep_top(scores, keep, within):
            flat = []
            for li, s in enumerate(scores):
                for j, v in enumerate(s.flatten().tolist()):
                    if within is None or within[li].flatten()[j] > 0:
                        flat.append((-v, li, j))
            flat.sort()
            masks = [torch.zeros_like(s) for s in scores]
            for v, li, j in flat[:keep]:
                masks[li].view(-1)[j] = 1
            return masks

        synflow = synflow_scores([torch.ones_like(W[k]) for k in names])
        total = sum(W[k].numel() for k in names)
        density, rounds = 0.2, 10
        masks = None
        for r in range(1, rounds + 1):
            s = synflow_scores(masks if masks is not None else [torch.ones_like(W[k]) for k in names])
            masks = keep_top(s, max(1, round(density ** (r / rounds) * total)), masks)

        # RigL: a random mask at 30% per layer; dense gradient of the masked weights (float32, as trained);
        # drop floor(f·active) smallest |w|, grow as many at the largest |grad| outside the kept set.
        fraction = 0.3
        rmask = {k: (torch.rand(W[k].shape, generator=g) < 0.3).double() for k in names}
        Wf = {k: (W[k] * rmask[k]).float().requires_grad_(True) for k in names}
        Bf = {k: B[k].float() for k in names}
        lossf = F.cross_entropy(forward(ops, Wf, Bf, x.float(), shapes), y)
        gf = torch.autograd.grad(lossf, [Wf[k] for k in names])
        new_masks = []
        for k, gk in zip(names, gf):
            m = rmask[k].flatten()
            wv = (W[k] * rmask[k]).float().flatten()
            active = [i for i in range(m.numel()) if m[i] > 0]
            kdrop = math.floor(fraction * len(active))
            order = sorted(active, key=lambda i: (abs(wv[i].item()), i))
            kept = set(active) - set(order[:kdrop])
            cand = sorted([i for i in range(m.numel()) if i not in kept], key=lambda i: (-abs(gk.flatten()[i].item()), i))
            kept |= set(cand[:kdrop])
            nm = torch.zeros(m.numel())
            for i in kept:
                nm[i] = 1
            new_masks.append(nm)

        out = {
            "spec": spec, "shape": list(shape), "classes": classes, "n": n,
            "layers": names,
            "weights": [W[k].flatten().tolist() for k in names], "biases": [B[k].tolist() for k in names],
            "x": x.flatten().tolist(), "labels": y.tolist(),
            "snip": [s.flatten().tolist() for s in snip], "grasp": [s.flatten().tolist() for s in grasp],
            "synflow": [s.flatten().tolist() for s in synflow],
            "synflowDensity": density, "synflowRounds": rounds, "synflowMasks": [m.flatten().int().tolist() for m in masks],
            "rigl": {"fraction": fraction, "masks": [rmask[k].flatten().int().tolist() for k in names],
                     "grad": [t.flatten().tolist() for t in gf], "newMasks": [m.int().tolist() for m in new_masks]},
            "torch": torch.__version__,
        }
        with open(os.path.join(args.out, f"{case}.json"), "w") as f:
            json.dump(out, f)
        print(json.dumps({"case": case, "weights": total, "loss": loss.item()}))


if __name__ == "__main__":
    main()
