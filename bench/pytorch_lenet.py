#!/usr/bin/env python3
"""PyTorch peer for bench/train.ts: one epoch of LeNet-300-100 (784-300-100-10, ReLU), Adam 1.2e-3,
batch 60, `--steps` steps, dense or masked dense at a given density. Masked dense is what pruning
libraries do: torch.nn.utils.prune keeps weight_orig and a mask and multiplies them in every forward.

Fair settings (see the guide): one thread for torch and for OpenBLAS; OPENBLAS_CORETYPE unset by the
caller. Prints one JSON line: {"density", "steps", "seconds", "blas", "threads", "torch"}.

Install the peer: apt-get install -y python3-torch libopenblas0-pthread (Debian's torch runs on the
reference BLAS, 25-30x slower, unless OpenBLAS is installed). Run with /usr/bin/python3.
"""
import argparse, json, time

from torch_peer import loaded_blas, torch
import torch.nn.utils.prune as prune


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--density", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 300), torch.nn.ReLU(),
        torch.nn.Linear(300, 100), torch.nn.ReLU(),
        torch.nn.Linear(100, 10))
    if a.density < 1:
        for m in model:
            if isinstance(m, torch.nn.Linear):
                mask = (torch.rand_like(m.weight) < a.density).float()
                prune.custom_from_mask(m, "weight", mask)
    # foreach=True: the multi-tensor Adam, measurably faster on CPU in torch 1.13 (1.55 vs 2.19 ms per step here)
    opt = torch.optim.Adam(model.parameters(), lr=1.2e-3, foreach=True)
    n = 55000
    x_all = torch.rand(n, 784)
    y_all = torch.randint(0, 10, (n,))
    order = torch.randperm(n)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for step in range(a.steps):
        idx = order[(step * a.batch) % (n - a.batch):][: a.batch]
        x, y = x_all[idx], y_all[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    blas = loaded_blas()
    print(json.dumps({"density": a.density, "steps": a.steps, "seconds": seconds, "blas": blas,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "loss": float(loss)}))


if __name__ == "__main__":
    main()
