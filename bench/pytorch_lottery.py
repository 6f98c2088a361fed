#!/usr/bin/env python3
"""PyTorch peer for bench/lottery.ts: an open_lth-style lottery run of the same protocol as winnow's.

LeNet-300-100 (Glorot normal init, zero biases), Adam, batch 60, `--iterations` steps per level,
`--levels` pruning levels after the dense level 0, layer-wise magnitude pruning (20% of the
remaining fc weights per level, 10% for the output layer), survivors reset to their initial values,
evaluation on the validation and test sets every `--eval-every` steps. Masks are applied the way
PyTorch pruning libraries do: torch.nn.utils.prune keeps weight_orig and a mask and multiplies
them in every forward, so a 2%-dense layer costs what a dense one does.

Data: the IDX files in --data (gzipped), --validation training images held out at random.
Fair settings: one torch thread, one OpenBLAS thread, OPENBLAS_CORETYPE unset by the caller. With two threads
allowed, the caller (bench/lottery.ts) times the ways of spending them (torch intra-op threads via --threads,
OpenBLAS threads via OPENBLAS_NUM_THREADS, OMP_WAIT_POLICY) and runs the fastest; the output names the one used.
Prints one JSON line: {"seconds", "levels", "iterations", "accuracy": [...per level...]}.
"""
import argparse, gzip, json, os, struct, time

from torch_peer import loaded_blas, torch
import numpy as np
import torch.nn.utils.prune as prune


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic, = struct.unpack(">I", raw[:4])
    dims = struct.unpack(">" + "I" * (magic & 0xFF), raw[4:4 + 4 * (magic & 0xFF)])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def find(data, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(data, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"{data}: {stem}[.gz] not found")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--levels", type=int, default=15)
    ap.add_argument("--iterations", type=int, default=1000)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--validation", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--controls", default="", help="comma-separated: reinit, random-prune (trained at every level >= 1)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (OpenBLAS threads: OPENBLAS_NUM_THREADS, read when torch loads)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    controls = [c for c in a.controls.split(",") if c]
    torch.manual_seed(a.seed)
    xtr = torch.tensor(read_idx(find(a.data, "train-images-idx3-ubyte")).reshape(-1, 784), dtype=torch.float32) / 255
    ytr = torch.tensor(read_idx(find(a.data, "train-labels-idx1-ubyte")), dtype=torch.long)
    xte = torch.tensor(read_idx(find(a.data, "t10k-images-idx3-ubyte")).reshape(-1, 784), dtype=torch.float32) / 255
    yte = torch.tensor(read_idx(find(a.data, "t10k-labels-idx1-ubyte")), dtype=torch.long)
    # A seeded random validation split (the embedded subset is stored grouped by class).
    perm = torch.randperm(len(xtr), generator=torch.Generator().manual_seed(a.seed))
    xtr, ytr = xtr[perm], ytr[perm]
    xva, yva, xtr, ytr = xtr[:a.validation], ytr[:a.validation], xtr[a.validation:], ytr[a.validation:]

    layers = [torch.nn.Linear(784, 300), torch.nn.Linear(300, 100), torch.nn.Linear(100, 10)]
    for l in layers:
        torch.nn.init.xavier_normal_(l.weight)
        torch.nn.init.zeros_(l.bias)
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    init = {k: v.clone() for k, v in model.state_dict().items()}
    for l in layers:
        prune.identity(l, "weight")  # weight = weight_orig * weight_mask in every forward
    loss_fn = torch.nn.CrossEntropyLoss()

    def evaluate(x, y):
        with torch.no_grad():
            out = model(x)
            return float(loss_fn(out, y)), float((out.argmax(1) == y).float().mean())

    def train(masks, weights, seed):
        """One branch: these masks and starting weights, Adam from scratch; test accuracy at early stop."""
        with torch.no_grad():
            for i, l in enumerate(layers):
                l.weight_mask.copy_(masks[i])
                l.weight_orig.copy_(weights[f"{2 * i}.weight"])
                l.bias.copy_(weights[f"{2 * i}.bias"])
        opt = torch.optim.Adam(model.parameters(), lr=1.2e-3, foreach=True)  # the faster multi-tensor Adam
        best = (float("inf"), 0.0)
        g = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(xtr), generator=g)
        for it in range(1, a.iterations + 1):
            pos = (it - 1) % per_epoch
            if pos == 0 and it > 1:
                order = torch.randperm(len(xtr), generator=g)
            idx = order[pos * 60:(pos + 1) * 60]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
            if it % a.eval_every == 0:
                vl, _ = evaluate(xva, yva)
                _, ta = evaluate(xte, yte)
                if vl < best[0]:
                    best = (vl, ta)
        return best[1]

    def fresh_init():
        w = {}
        for i, l in enumerate(layers):
            t = torch.empty_like(l.weight_orig)
            torch.nn.init.xavier_normal_(t)
            w[f"{2 * i}.weight"], w[f"{2 * i}.bias"] = t, torch.zeros_like(l.bias)
        return w

    t0 = time.perf_counter()
    accuracy, control_accuracy = [], {c: [] for c in controls}
    per_epoch = len(xtr) // 60
    masks = [torch.ones_like(l.weight_orig) for l in layers]
    trained = None
    for level in range(a.levels + 1):
        if level > 0:  # prune the previous ticket's trained weights, layer-wise
            for i, l in enumerate(layers):
                rate = 0.1 if i == len(layers) - 1 else 0.2
                w, m = trained[i].abs(), masks[i]
                k = round(rate * int(m.sum()))
                scores = torch.where(m.bool(), w, torch.full_like(w, float("inf")))
                new = m.clone().flatten()
                new[torch.argsort(scores.flatten())[:k]] = 0
                masks[i] = new.view_as(m)
        accuracy.append(train(masks, init, a.seed))  # survivors reset to their initial values
        trained = [l.weight_orig.detach() * l.weight_mask for l in layers]
        trained = [t.clone() for t in trained]
        if level > 0:
            for c in controls:
                if c == "reinit":
                    control_accuracy[c].append(train(masks, fresh_init(), a.seed))
                elif c == "random-prune":
                    rnd = []
                    for m in masks:
                        flat = torch.zeros(m.numel())
                        flat[torch.randperm(m.numel())[:int(m.sum())]] = 1
                        rnd.append(flat.view_as(m))
                    control_accuracy[c].append(train(rnd, init, a.seed))
                else:
                    raise SystemExit(f"--controls: unknown control {c}")
    print(json.dumps({"seconds": time.perf_counter() - t0, "levels": a.levels, "iterations": a.iterations,
                      "accuracy": accuracy, "controls": control_accuracy, "threads": a.threads,
                      "blasThreads": os.environ.get("OPENBLAS_NUM_THREADS"), "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY"),
                      "blas": loaded_blas(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
