"""Shared set-up of the PyTorch peer scripts: one BLAS/OpenMP thread before torch loads, a clear
message when torch is missing, and which BLAS library the process really mapped."""
import json, os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:
    import torch  # noqa: F401  (re-exported to the scripts)
except ImportError:
    print(json.dumps({"error": "PyTorch is not installed: apt-get install -y python3-torch libopenblas0-pthread, then run with /usr/bin/python3"}))
    raise SystemExit(3)
torch.set_num_threads(1)


def loaded_blas():
    """Which BLAS library the process actually mapped (Debian's torch links the libblas.so.3 alternative)."""
    with open("/proc/self/maps") as f:
        maps = f.read()
    for name in ("openblas", "mkl", "blis", "atlas"):
        if name in maps:
            return name
    return "reference" if "libblas.so" in maps else "unknown"
