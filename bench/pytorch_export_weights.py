"""PyTorch peer for `winnow import-weights`: trains two small networks on the embedded Fashion-MNIST
subset with PyTorch, saves their state dicts as safetensors (written by hand: F32, little-endian, the
standard layout, so no safetensors package is needed) and the logits PyTorch computes for the first
16 test images. The files go to test/fixtures/pytorch-import/; the tests import the weights into
winnow and compare its logits with these (no torch at test time).

Run: /usr/bin/python3 bench/pytorch_export_weights.py
Networks (state-dict names as PyTorch gives them, weights [out, in] / [out, in, kh, kw]):
  mlp.safetensors   fc1 784→16, out 16→10                           = winnow mlp:784-16-10
  conv.safetensors  conv1 3×3 pad 1 1→4, 2×2 max-pool, fc1 784→16, out 16→10  = winnow conv:4-pool/16
"""
import gzip, json, os, struct
from torch_peer import torch

import numpy as np
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "data", "embedded", "fashion-mnist-mini")
OUT = os.path.join(ROOT, "test", "fixtures", "pytorch-import")


def idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        b = f.read()
    ndim = b[3]
    dims = struct.unpack(">" + "I" * ndim, b[4:4 + 4 * ndim])
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 16)
        self.out = nn.Linear(16, 10)

    def forward(self, x):
        return self.out(F.relu(self.fc1(x.flatten(1))))


class Conv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.fc1 = nn.Linear(4 * 14 * 14, 16)
        self.out = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return self.out(F.relu(self.fc1(x.flatten(1))))


def save_safetensors(path, tensors, metadata):
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    torch.manual_seed(0)
    xtr = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
    ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
    yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, net, spec in (("mlp", Mlp(), "mlp:784-16-10"), ("conv", Conv(), "conv:4-pool/16")):
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        for epoch in range(2):
            perm = torch.randperm(len(xtr))
            for i in range(0, len(xtr), 60):
                b = perm[i:i + 60]
                opt.zero_grad()
                F.cross_entropy(net(xtr[b]), ytr[b]).backward()
                opt.step()
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
            logits = net(xte[:16])
        save_safetensors(os.path.join(OUT, f"{name}.safetensors"), net.state_dict(),
                         {"spec": spec, "trained_by": f"torch {torch.__version__}, bench/pytorch_export_weights.py"})
        expected[name] = {"spec": spec, "testAccuracy": acc, "logits": logits.tolist()}
        print(f"{name}: test accuracy {acc:.4f}")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
