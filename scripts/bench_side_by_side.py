#!/usr/bin/env python3
"""Runs the `attend bench` grid next to NumPy and PyTorch with the same thread count and prints
Attend's time as a ratio to each (ratio > 1: Attend is faster).

    python3 scripts/bench_side_by_side.py [--threads 2] [--skip-long] [--case sdpa]

- Attend: `scripts/attend bench --json` (release build; installs OpenBLAS if needed).
- NumPy: hand-written attention, what the seeds write: softmax(q @ kᵀ · scale) @ v, and for MHA the
  four projections around it. Always available.
- PyTorch: `F.scaled_dot_product_attention` and `nn.MultiheadAttention(batch_first=True)` in eval
  mode with `need_weights=False`, under `torch.inference_mode()`, when torch is installed
  (`pip install torch`; the CPU build is enough).
Timing: median of repeated runs after a warm-up, like `attend bench`. Thread counts are set before
NumPy/PyTorch load (OMP/OPENBLAS/MKL_NUM_THREADS, torch.set_num_threads).
"""
import argparse
import json
import os
import subprocess
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--skip-long", action="store_true", help="skip the (1, 8, 16384, 64) case")
parser.add_argument("--case", default=None, help="only cases whose name contains this")
parser.add_argument("--budget", type=float, default=0.5, help="seconds of timed runs per case")
args = parser.parse_args()

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread settings)

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402

    torch.set_num_threads(args.threads)
except ImportError:
    torch = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_ms(work):
    work()
    samples, spent = [], 0.0
    while len(samples) < 3 or (spent < args.budget and len(samples) < 200):
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        samples.append(elapsed * 1000)
        spent += elapsed
    samples.sort()
    return samples[len(samples) // 2]


def numpy_case(kind, b, h, l, d):
    rng = np.random.default_rng(1)
    if kind == "mha":
        e = h * d
        x = rng.standard_normal((b, l, e), dtype=np.float32)
        w = [rng.standard_normal((e, e), dtype=np.float32) / np.sqrt(e) for _ in range(4)]

        def work():
            q, k, v = (x @ wi.T for wi in w[:3])
            q, k, v = (t.reshape(b, l, h, d).transpose(0, 2, 1, 3) for t in (q, k, v))
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)
            s = np.exp(s - s.max(-1, keepdims=True))
            o = (s / s.sum(-1, keepdims=True)) @ v
            return o.transpose(0, 2, 1, 3).reshape(b, l, e) @ w[3].T
        return work
    q, k, v = (rng.standard_normal((b, h, l, d), dtype=np.float32) for _ in range(3))
    causal = np.triu(np.full((l, l), -np.inf, dtype=np.float32), 1) if kind == "causal" else None

    def work():
        s = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d))
        if causal is not None:
            s = s + causal
        s = np.exp(s - s.max(-1, keepdims=True))
        return (s / s.sum(-1, keepdims=True)) @ v
    return work


def torch_case(kind, b, h, l, d):
    g = torch.Generator().manual_seed(1)
    if kind == "mha":
        e = h * d
        layer = torch.nn.MultiheadAttention(e, h, batch_first=True).eval()
        x = torch.randn(b, l, e, generator=g)

        def work():
            with torch.inference_mode():
                return layer(x, x, x, need_weights=False)
        return work
    q, k, v = (torch.randn(b, h, l, d, generator=g) for _ in range(3))

    def work():
        with torch.inference_mode():
            return F.scaled_dot_product_attention(q, k, v, is_causal=(kind == "causal"))
    return work


# ATTEND_BIN names an already built `attend` (skips the build); otherwise scripts/attend builds it.
attend = os.environ.get("ATTEND_BIN") or os.path.join(ROOT, "scripts", "attend")


def attend_bench(*extra):
    command = [attend, "bench", "--json", "--threads", str(args.threads), *extra]
    lines = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# The case list (and the sgemm reference, measured once); then each case is timed by Attend,
# NumPy and PyTorch back to back, so a noisy neighbour on a shared machine hits all three alike.
listing = attend_bench("--repeats", "1", *(["--skip-long"] if args.skip_long else []), *(["--case", args.case] if args.case else []))
sgemm = next(r for r in listing if r["case"] == "sgemm")
print(f"side by side — {args.threads} threads, {time.strftime('%Y-%m-%d')}, numpy {np.__version__}, "
      f"torch {torch.__version__ if torch else 'not installed'}; attend sgemm 2048³ {sgemm['gflops']:.0f} GFLOPS")
print(f"{'case':<24}{'attend ms':>11}{'numpy ms':>11}{'torch ms':>11}{'vs numpy':>10}{'vs torch':>10}{'%sgemm':>8}{'peak MB':>9}")
for entry in listing:
    if entry["case"] == "sgemm":
        continue
    kind, b, h, l, d = entry["case"], entry["b"], entry["h"], entry["l"], entry["d"]
    name = f"{kind} ({b},{h},{l},{d})"
    long_case = l > 4096
    r = attend_bench("--skip-sgemm", "--case", name, *(["--repeats", "1"] if long_case else []))[0]
    np_ms = None if long_case else median_ms(numpy_case(kind, b, h, l, d))
    t_ms = median_ms(torch_case(kind, b, h, l, d)) if torch else None
    fmt = lambda x: f"{x:11.3f}" if x is not None else f"{'—':>11}"
    ratio = lambda x: f"{x / r['ms']:9.2f}×" if x is not None else f"{'—':>10}"
    percent = 100 * r["gflops"] / sgemm["gflops"]
    print(f"{name:<24}{r['ms']:11.3f}{fmt(np_ms)}{fmt(t_ms)}{ratio(np_ms)}{ratio(t_ms)}{percent:7.0f}%{r['peak_rss_mb']:9.0f}")
    sys.stdout.flush()
