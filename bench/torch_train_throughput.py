"""PyTorch's side of `npm run bench:train` (bench/train-throughput.ts runs it and parses its JSON).

  train: HPC Studio's mlp or cnn, rebuilt layer for layer, trained on Fashion-MNIST with Adam,
         fp32, timed over windows of a fixed number of samples after a warm-up.
  sgemm: the best fp32 FLOP/s of a square matmul, the machine's practical peak.

Prints one JSON object on stdout (schema: shared/torch-benchmark-output.ts). Runs under PyTorch 2.x
(.cache/torch-venv) and Debian's 1.13 (/usr/bin/python3) alike, so it uses nothing newer than 1.13.
"""

import argparse
import gzip
import json
import os
import platform
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_mnist(data_dir):
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    # Pixels in [0, 1]: the app standardises them too, which changes nothing about speed.
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def mlp():
    """trainer/models/mlp.ts: 784 → 256 ReLU → 128 ReLU → 10."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def cnn():
    """trainer/models/cnn.ts: conv 3×3×32 valid ReLU → pool 2 → conv 3×3×64 valid ReLU → pool 2 → 128 ReLU → 10.

    PyTorch's native NCHW layout; the app's is NHWC. Same layer shapes and arithmetic."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(5 * 5 * 64, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def build_info():
    config = torch.__config__.show()
    blas = next((part.split("=", 1)[1] for line in config.splitlines() for part in line.replace(",", " ").split() if part.startswith("BLAS_INFO=")), "unknown")
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "numThreads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "blas": blas,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "blasLibraries": blas_libraries(),
        "threadEnv": {k: v for k, v in os.environ.items() if k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }


def blas_libraries():
    """The BLAS shared libraries this process mapped: Debian's torch takes whichever libblas.so.3 the alternatives pick.

    numpy's wheel brings its own OpenBLAS, which torch does not call; it is left out."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "/" in line}
    return sorted(p for p in paths if "blas" in os.path.basename(p).lower() and "numpy.libs" not in p)


def train(args):
    x, y = fashion_mnist(args.data_dir)
    if args.model == "cnn":
        x = x.reshape(-1, 1, 28, 28)
    torch.manual_seed(args.seed)
    model = mlp() if args.model == "mlp" else cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(args.seed))
    batch = args.batch_size
    total = args.warmup_samples + args.windows * args.window_samples
    if total > x.shape[0]:
        raise SystemExit(f"warm-up plus windows ({total} samples) exceed the training set ({x.shape[0]})")

    def step(offset):
        index = order[offset : offset + batch]
        xb, yb = x[index], y[index]
        optimizer.zero_grad(set_to_none=True)
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        optimizer.step()
        # The app reads the loss and the batch's hits back every step; so does this loop.
        correct = (out.detach().argmax(1) == yb).sum()
        return loss.item(), correct.item()

    offset = 0
    while offset < args.warmup_samples:
        step(offset)
        offset += batch
    windows = []
    loss = None
    for _ in range(args.windows):
        started = time.perf_counter()
        end = offset + args.window_samples
        while offset < end:
            loss, _ = step(offset)
            offset += batch
        windows.append({"samples": args.window_samples, "seconds": time.perf_counter() - started})
    return {
        "kind": "train",
        "model": args.model,
        "batchSize": batch,
        "warmupSamples": args.warmup_samples,
        "parameters": sum(p.numel() for p in model.parameters()),
        "windows": windows,
        "lastLoss": loss,
    }


def sgemm(args):
    n = args.size
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    c = torch.empty(n, n)
    for _ in range(2):
        torch.mm(a, b, out=c)
    seconds = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        torch.mm(a, b, out=c)
        seconds.append(time.perf_counter() - started)
    return {"kind": "sgemm", "size": n, "flopPerCall": 2 * n**3, "seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, required=True, help="torch.set_num_threads")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--model", choices=["mlp", "cnn"], required=True)
    t.add_argument("--data-dir", required=True)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--warmup-samples", type=int, required=True)
    t.add_argument("--window-samples", type=int, required=True)
    t.add_argument("--windows", type=int, required=True)
    t.add_argument("--seed", type=int, default=42)
    g = sub.add_parser("sgemm")
    g.add_argument("--size", type=int, default=2048)
    g.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = train(args) if args.command == "train" else sgemm(args)
    print(json.dumps({"build": build_info(), **result}))


if __name__ == "__main__":
    main()
