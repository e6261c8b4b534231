#!/usr/bin/env python3
"""Sentence embeddings side by side: `attend` against sentence-transformers' `encode()` on CPU.

    python3 scripts/bench_embeddings.py [--threads 2] [--rounds 3] [--attend .build/release/attend]

Two workloads, the same text for both (written to temporary files, one sentence a line):
  batch32x20  — one batch of 32 sentences of 20 tokens ([CLS] and [SEP] included);
  mixed1000   — 1,000 sentences of 5–100 tokens (each side batches 32 at a time after sorting by length).
Sentences are whole-word vocabulary entries drawn with a fixed seed, so every word is one token.

Each library runs in its OWN process (never two in one), with the same thread count (Attend's
--threads; torch.set_num_threads and OMP/MKL_NUM_THREADS for PyTorch). Rounds alternate which
goes first; the best of the rounds is reported, with every round's ratio, because the machine is
shared and other work moves absolute times. Peak memory is each process's VmHWM after the case.
Needs `pip install sentence-transformers` (and torch) and `python3 scripts/fetch_model.py minilm`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ["batch32x20", "mixed1000"]


def model_dir() -> Path:
    env = os.environ.get("ATTEND_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "attend"
    return base / "models" / "minilm"


def workloads(directory: Path) -> dict[str, list[str]]:
    import numpy as np

    words = [w for w in (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")
             if len(w) >= 3 and all("a" <= c <= "z" for c in w)]
    rng = np.random.default_rng(11)

    def sentence(tokens: int) -> str:
        return " ".join(words[i] for i in rng.integers(0, len(words), tokens - 2))

    return {
        "batch32x20": [sentence(20) for _ in range(32)],
        "mixed1000": [sentence(int(t)) for t in rng.integers(5, 101, 1000)],
    }


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def torch_worker(args: argparse.Namespace) -> int:
    """Runs in its own process: sentence-transformers on the given files, one JSON line per case."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(str(model_dir()), device="cpu")
    load_peak = peak_mb()
    for case, path in zip(CASES, [args.batch, args.mixed]):
        sentences = Path(path).read_text(encoding="utf-8").split("\n")
        model.encode(sentences[:32], batch_size=32)  # warm-up
        runs = args.repeats if args.repeats else (1 if len(sentences) > 100 else 5)
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            model.encode(sentences, batch_size=32, convert_to_numpy=True)
            samples.append(time.perf_counter() - start)
        seconds = sorted(samples)[len(samples) // 2]
        print(json.dumps({"case": case, "sentences": len(sentences), "seconds": seconds,
                          "sentences_per_s": len(sentences) / seconds, "peak_rss_mb": peak_mb(),
                          "load_peak_rss_mb": load_peak, "threads": torch.get_num_threads()}), flush=True)
    return 0


def run_attend(binary: str, threads: int, files: dict[str, str]) -> dict[str, dict]:
    out = subprocess.run(
        [binary, "bench", "--case", "embed", "--skip-sgemm", "--skip-long", "--json", "--threads", str(threads),
         "--embed-batch", files["batch32x20"], "--embed-mixed", files["mixed1000"]],
        check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {row["case"].removeprefix("embed "): row for row in rows}


def run_torch(threads: int, files: dict[str, str]) -> dict[str, dict]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false")
    out = subprocess.run(
        [sys.executable, __file__, "--torch-worker", "--threads", str(threads),
         "--batch", files["batch32x20"], "--mixed", files["mixed1000"]],
        check=True, capture_output=True, text=True, env=env).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {row["case"]: row for row in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--attend", default=str(ROOT / ".build" / "release" / "attend"))
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", help=argparse.SUPPRESS)
    parser.add_argument("--mixed", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        return torch_worker(args)

    directory = model_dir()
    if not (directory / "model.safetensors").is_file():
        print(f"bench_embeddings: no model in {directory}; run `python3 scripts/fetch_model.py minilm`", file=sys.stderr)
        return 2
    if not Path(args.attend).is_file():
        print(f"bench_embeddings: no {args.attend}; build it with `swift build -c release --product attend`", file=sys.stderr)
        return 2
    try:
        import sentence_transformers
        import torch
    except ImportError:
        print("bench_embeddings: needs `pip install sentence-transformers` (and torch)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="attend-bench-embeddings-") as tmp:
        files = {}
        for name, sentences in workloads(directory).items():
            files[name] = str(Path(tmp) / f"{name}.txt")
            Path(files[name]).write_text("\n".join(sentences), encoding="utf-8")
        attend_runs, torch_runs = [], []
        for r in range(args.rounds):
            order = [("attend", run_attend), ("torch", run_torch)]
            if r % 2:
                order.reverse()
            for name, runner in order:
                result = runner(args.attend, args.threads, files) if name == "attend" else runner(args.threads, files)
                (attend_runs if name == "attend" else torch_runs).append(result)
                print(f"round {r + 1} {name:6}: " + ", ".join(
                    f"{c} {result[c]['sentences_per_s']:.1f}/s" for c in CASES), file=sys.stderr, flush=True)

    load = os.getloadavg()
    print(f"sentence embeddings side by side — all-MiniLM-L6-v2, {args.threads} threads, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, "
          f"{args.rounds} rounds interleaved (best shown), load average {load[0]:.1f}")
    print(f"{'case':12} {'attend s/s':>11} {'torch s/s':>10} {'ratio':>7}  {'per-round ratios':22} {'attend MB':>9} {'torch MB':>8}")
    for case in CASES:
        best_a = max(run[case]["sentences_per_s"] for run in attend_runs)
        best_t = max(run[case]["sentences_per_s"] for run in torch_runs)
        rounds = " ".join(f"{a[case]['sentences_per_s'] / t[case]['sentences_per_s']:.2f}" for a, t in zip(attend_runs, torch_runs))
        peak_a = max(run[case]["peak_rss_mb"] for run in attend_runs)
        peak_t = max(run[case]["peak_rss_mb"] for run in torch_runs)
        print(f"{case:12} {best_a:11.1f} {best_t:10.1f} {best_a / best_t:6.2f}×  {rounds:22} {peak_a:9.0f} {peak_t:8.0f}")
    print("ratio = attend sentences/s ÷ sentence-transformers sentences/s (> 1: attend is faster); "
          "MB = peak resident memory of each process (model load included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
