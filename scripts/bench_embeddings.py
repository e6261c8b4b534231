#!/usr/bin/env python3
"""Sentence embeddings side by side: `attend` against sentence-transformers' `encode()` and
ONNX Runtime, on CPU.

    python3 scripts/bench_embeddings.py [--threads 2] [--rounds 3] [--attend .build/release/attend]
                                        [--libraries attend,torch,onnx] [--install]

Two workloads, the same text for every library (written to temporary files, one sentence a line):
  batch32x20  — one batch of 32 sentences of 20 tokens ([CLS] and [SEP] included);
  mixed1000   — 1,000 sentences of 5–100 tokens (each side batches 32 at a time after sorting by length).
Sentences are whole-word vocabulary entries drawn with a fixed seed, so every word is one token.

Three libraries (`--libraries` picks a subset, comma-separated; default all three):
  attend — `attend bench --case embed` on the release binary;
  torch  — sentence-transformers' `SentenceTransformer(folder).encode(batch_size=32)` (PyTorch);
  onnx   — ONNX Runtime (CPUExecutionProvider, ORT_ENABLE_ALL, intra-op threads = --threads,
           inter-op 1) on the folder's BertModel exported once with `torch.onnx.export` (TorchScript
           exporter, opset 17, dynamic batch and sequence axes; in its own process) to
           $ATTEND_CACHE/onnx/minilm-<sha256 of model.safetensors, 16 hex>.onnx, re-used while
           present. Its `encode` does what sentence-transformers does, timed as a whole: sort by
           length, batches of 32 padded to their longest, the folder's fast HF tokenizer
           truncating at max_seq_length (256), mean pooling under the attention mask and L2
           normalization in NumPy. That process blocks `import torch` (transformers 5 would load it
           even for a tokenizer); its outputs are checked to be [N, 384] and finite (outside the
           timing).

Each library runs in its OWN process (never two in one), with the same thread count (Attend's
--threads; torch.set_num_threads and OMP/MKL_NUM_THREADS for PyTorch; intra_op_num_threads for
ONNX Runtime). Every round runs each library once, the order rotating from round to round; the
best of the rounds is reported, with every round's ratio, because the machine is shared and other
work moves absolute times. The load average is printed before the first round and with the table;
a 1-minute load average before the first round above half the core count (about 1 on 2 cores)
prints "LOADED MACHINE" (the reading after the rounds includes the benchmark's own threads, so it
is shown, not judged). Peak memory
is each process's VmHWM after the case.

Needs `python3 scripts/fetch_model.py minilm`, and for the anchors
`pip install sentence-transformers torch` (torch) and `pip install onnxruntime onnx transformers
torch` (onnx; torch and onnx only for the one-time export). `--install` pip-installs the missing
ones for the chosen libraries, then goes on; it is never run in CI. Without it, a missing module
exits 2 with the pip command that brings it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
CASES = ["batch32x20", "mixed1000"]
LIBRARIES = ["attend", "torch", "onnx"]
BATCH_SIZE = 32
OPSET = 17
# Python modules each anchor needs (module → pip package); the export ones only while no export is cached.
TORCH_MODULES = {"torch": "torch", "sentence_transformers": "sentence-transformers"}
ONNX_MODULES = {"onnxruntime": "onnxruntime", "transformers": "transformers", "numpy": "numpy"}
EXPORT_MODULES = {"torch": "torch", "onnx": "onnx", "transformers": "transformers"}


def cache_dir() -> Path:
    env = os.environ.get("ATTEND_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "attend"


def model_dir() -> Path:
    return cache_dir() / "models" / "minilm"


def onnx_path() -> Path:
    """The exported model's cache file, keyed by the weights it was exported from."""
    digest = hashlib.sha256()
    with open(model_dir() / "model.safetensors", "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return cache_dir() / "onnx" / f"minilm-{digest.hexdigest()[:16]}.onnx"


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


def time_cases(args: argparse.Namespace, encode: Callable[[list[str]], object], threads: int,
               load_peak: float, check: Callable[[object, int], None] | None = None) -> None:
    """The workers' shared timing: warm-up on 32 sentences, then the median of the repeats, one JSON line per case."""
    for case, path in zip(CASES, [args.batch, args.mixed]):
        sentences = Path(path).read_text(encoding="utf-8").split("\n")
        encode(sentences[:32])  # warm-up
        runs = args.repeats if args.repeats else (1 if len(sentences) > 100 else 5)
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            embeddings = encode(sentences)
            samples.append(time.perf_counter() - start)
        if check:
            check(embeddings, len(sentences))
        seconds = sorted(samples)[len(samples) // 2]
        print(json.dumps({"case": case, "sentences": len(sentences), "seconds": seconds,
                          "sentences_per_s": len(sentences) / seconds, "peak_rss_mb": peak_mb(),
                          "load_peak_rss_mb": load_peak, "threads": threads}), flush=True)


def torch_worker(args: argparse.Namespace) -> int:
    """Runs in its own process: sentence-transformers on the given files, one JSON line per case."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(str(model_dir()), device="cpu")
    load_peak = peak_mb()
    time_cases(args, lambda s: model.encode(s, batch_size=BATCH_SIZE, convert_to_numpy=True),
               torch.get_num_threads(), load_peak)
    return 0


def onnx_worker(args: argparse.Namespace) -> int:
    """Runs in its own process (never importing torch): ONNX Runtime on the exported model, with
    sentence-transformers' encode() done by hand around it, one JSON line per case."""
    # transformers imports torch whenever it is installed (5.x, even for a tokenizer); a None entry
    # makes every `import torch` here fail, which transformers takes as "no PyTorch".
    sys.modules["torch"] = None  # type: ignore[assignment]
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    directory = model_dir()
    max_seq_length = json.loads((directory / "sentence_bert_config.json").read_text())["max_seq_length"]
    tokenizer = AutoTokenizer.from_pretrained(str(directory), use_fast=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.onnx_model, options, providers=["CPUExecutionProvider"])
    inputs = [i.name for i in session.get_inputs()]
    load_peak = peak_mb()

    def encode(sentences: list[str]) -> np.ndarray:
        # As SentenceTransformer.encode: longest first, batches of 32, each padded to its longest.
        order = np.argsort([-len(s) for s in sentences])
        out = np.empty((len(sentences), 0), dtype=np.float32)
        for start in range(0, len(sentences), BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            features = tokenizer([sentences[i].strip() for i in rows], padding=True, truncation="longest_first",
                                 max_length=max_seq_length, return_tensors="np")
            hidden = session.run(None, {name: features[name].astype(np.int64, copy=False) for name in inputs})[0]
            mask = features["attention_mask"].astype(np.float32)[:, :, None]
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if out.shape[1] != pooled.shape[1]:
                out = np.empty((len(sentences), pooled.shape[1]), dtype=np.float32)
            out[rows] = pooled
        return out

    def check(embeddings: np.ndarray, count: int) -> None:
        if embeddings.shape != (count, 384) or not np.isfinite(embeddings).all():
            raise SystemExit(f"bench_embeddings: ONNX embeddings are {embeddings.shape}, finite: "
                             f"{bool(np.isfinite(embeddings).all())}; expected ({count}, 384), all finite")

    time_cases(args, encode, options.intra_op_num_threads, load_peak, check)
    return 0


def export_worker(args: argparse.Namespace) -> int:
    """Runs in its own process: torch.onnx.export of the folder's BertModel to args.export_onnx."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    directory = model_dir()
    tokenizer = AutoTokenizer.from_pretrained(str(directory), use_fast=True)
    bert = AutoModel.from_pretrained(str(directory), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # Two lengths, so the traced graph keeps the attention mask's padding path.
    sample = tokenizer(["a short one", "a somewhat longer sentence for the export to trace"],
                       padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in names + ["last_hidden_state"]}
    target = Path(args.export_onnx)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}.onnx")
    with torch.no_grad():
        torch.onnx.export(LastHiddenState(bert), tuple(sample[n] for n in names), str(partial),
                          input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    os.replace(partial, target)
    return 0


def run_worker(command: list[str], env: dict[str, str]) -> list[dict]:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench_embeddings: `{' '.join(command)}` exited {done.returncode}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def worker_env(threads: int) -> dict[str, str]:
    return dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false")


def run_attend(args: argparse.Namespace, files: dict[str, str]) -> dict[str, dict]:
    rows = run_worker(
        [args.attend, "bench", "--case", "embed", "--skip-sgemm", "--skip-long", "--json", "--threads", str(args.threads),
         "--embed-batch", files["batch32x20"], "--embed-mixed", files["mixed1000"]], dict(os.environ))
    return {row["case"].removeprefix("embed "): row for row in rows}


def run_torch(args: argparse.Namespace, files: dict[str, str]) -> dict[str, dict]:
    rows = run_worker(
        [sys.executable, __file__, "--torch-worker", "--threads", str(args.threads),
         "--batch", files["batch32x20"], "--mixed", files["mixed1000"]], worker_env(args.threads))
    return {row["case"]: row for row in rows}


def run_onnx(args: argparse.Namespace, files: dict[str, str]) -> dict[str, dict]:
    rows = run_worker(
        [sys.executable, __file__, "--onnx-worker", "--onnx-model", args.onnx_model, "--threads", str(args.threads),
         "--batch", files["batch32x20"], "--mixed", files["mixed1000"]], worker_env(args.threads))
    return {row["case"]: row for row in rows}


GEMM_SHAPES = [(m, k, n) for m in (640, 2048) for k, n in ((384, 1152), (384, 384), (384, 1536), (1536, 384))]


def torch_gemm_worker(args: argparse.Namespace) -> int:
    """Own process: PyTorch's F.linear (x [M, K], weight [N, K], bias) on the encoder's shapes."""
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(7)
    for m, k, n in GEMM_SHAPES:
        x, w, b = torch.randn(m, k), torch.randn(n, k), torch.randn(n)
        torch.nn.functional.linear(x, w, b)
        samples = []
        while len(samples) < 5 or (sum(samples) < 0.5 and len(samples) < 200):
            start = time.perf_counter()
            torch.nn.functional.linear(x, w, b)
            samples.append(time.perf_counter() - start)
        seconds = sorted(samples)[len(samples) // 2]
        print(json.dumps({"case": "gemm", "m": m, "k": k, "n": n, "ms": seconds * 1000,
                          "gflops": 2 * m * k * n / seconds / 1e9}), flush=True)
    return 0


def gemm_table(args: argparse.Namespace) -> int:
    """--gemm: the encoder's GEMM shapes, Attend (OpenBLAS sgemm in row slabs) against PyTorch."""
    attend_runs, torch_runs = [], []
    for r in range(args.rounds):
        order = ["attend", "torch"] if r % 2 == 0 else ["torch", "attend"]
        for name in order:
            if name == "attend":
                rows = run_worker([args.attend, "bench", "--case", "gemm", "--skip-sgemm", "--json", "--threads",
                                   str(args.threads)], dict(os.environ))
                attend_runs.append(rows)
            else:
                torch_runs.append(run_worker([sys.executable, __file__, "--torch-gemm-worker", "--threads",
                                              str(args.threads)], worker_env(args.threads)))
    peak = next(row["gflops"] for row in attend_runs[0] if row["case"] == "fma_peak")
    import torch
    print(f"encoder GEMMs — linear(x [M, K], W [N, K], b), {args.threads} threads, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"torch {torch.__version__} ({torch.backends.mkldnn.is_available() and 'oneDNN/MKL' or 'BLAS'}), "
          f"FMA peak {peak:.1f} GFLOPS, best of {args.rounds} rounds, load average {load_text(os.getloadavg())}")
    print(f"{'M K N':18} {'attend GFLOPS':>13} {'%peak':>6} {'torch GFLOPS':>12} {'%peak':>6} {'ratio':>6}")
    for m, k, n in GEMM_SHAPES:
        def best(runs: list[list[dict]]) -> float:
            return max(row["gflops"] for run in runs for row in run
                       if row["case"] == "gemm" and (row["m"], row["k"], row["n"]) == (m, k, n))
        a, t = best(attend_runs), best(torch_runs)
        print(f"{f'{m} {k} {n}':18} {a:13.1f} {100 * a / peak:5.0f}% {t:12.1f} {100 * t / peak:5.0f}% {a / t:5.2f}×")
    return 0


RUNNERS: dict[str, Callable[[argparse.Namespace, dict[str, str]], dict[str, dict]]] = {
    "attend": run_attend, "torch": run_torch, "onnx": run_onnx}


def needed_modules(libraries: list[str], export: bool) -> dict[str, str]:
    modules: dict[str, str] = {}
    if "torch" in libraries:
        modules |= TORCH_MODULES
    if "onnx" in libraries:
        modules |= ONNX_MODULES | (EXPORT_MODULES if export else {})
    return modules


def missing_packages(modules: dict[str, str]) -> list[str]:
    return sorted({package for module, package in modules.items() if importlib.util.find_spec(module) is None})


def install(libraries: list[str]) -> None:
    """--install: pip-install the anchors the chosen libraries miss (the TorchScript exporter needs no onnxscript)."""
    modules = needed_modules(libraries, export="onnx" in libraries)
    missing = missing_packages(modules)
    if not missing:
        print("bench_embeddings: --install: nothing missing", file=sys.stderr)
        return
    start = time.perf_counter()
    print(f"bench_embeddings: --install: pip install {' '.join(missing)}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", *missing], check=True, stdout=sys.stderr)
    importlib.invalidate_caches()
    print(f"bench_embeddings: --install took {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


def ensure_onnx_export(threads: int) -> str:
    """The cached export, made first (in its own process) when absent."""
    target = onnx_path()
    if target.is_file():
        print(f"bench_embeddings: ONNX model {target} (cached)", file=sys.stderr, flush=True)
        return str(target)
    print(f"bench_embeddings: exporting {model_dir()} to {target}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--export-onnx", str(target)], env=worker_env(threads),
                          capture_output=True, text=True)
    if done.returncode != 0 or not target.is_file():
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench_embeddings: the ONNX export failed (exit {done.returncode})")
    print(f"bench_embeddings: export took {time.perf_counter() - start:.0f} s "
          f"({target.stat().st_size / 1e6:.0f} MB)", file=sys.stderr, flush=True)
    return str(target)


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def load_text(load: tuple[float, float, float]) -> str:
    return f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"


def print_table(args: argparse.Namespace, libraries: list[str], runs: dict[str, list[dict[str, dict]]],
                load_before: tuple[float, float, float]) -> None:
    load = os.getloadavg()
    cores = os.cpu_count() or 1
    libraries = [lib for lib in LIBRARIES if lib in libraries]  # columns in one order, whatever ran first
    versions = []
    if "torch" in libraries:
        versions.append(f"sentence-transformers {version('sentence-transformers')}")
    if "torch" in libraries or "onnx" in libraries:
        versions.append(f"torch {version('torch')}" + ("" if "torch" in libraries else " (export)"))
    if "onnx" in libraries:
        versions += [f"onnxruntime {version('onnxruntime')}", f"transformers {version('transformers')} (tokenizer)"]
    print(f"sentence embeddings side by side — all-MiniLM-L6-v2, {args.threads} threads, {time.strftime('%Y-%m-%d %H:%M')}, "
          + ", ".join(versions) + (", " if versions else "")
          + f"{args.rounds} rounds interleaved (best shown), load average {load_text(load)} ({cores} cores)")
    if load_before[0] > cores / 2:
        print(f"LOADED MACHINE: ratios below are not a result (1-minute load average {load_before[0]:.2f} before "
              f"the first round, {cores} cores; rerun when it is below {cores / 2:g})")
    # Ratios: attend against each other library; without attend, onnx against torch.
    pairs = [("attend", other) for other in ("torch", "onnx") if "attend" in libraries and other in libraries]
    if not pairs and {"torch", "onnx"} <= set(libraries):
        pairs = [("onnx", "torch")]
    header = ["case"] + [f"{lib} s/s" for lib in libraries] + [f"{a}/{b}" for a, b in pairs] \
        + [f"{a}/{b} per round" for a, b in pairs] + [f"{lib} MB" for lib in libraries]
    rows = []
    for case in CASES:
        best = {lib: max(run[case]["sentences_per_s"] for run in runs[lib]) for lib in libraries}
        row = [case] + [f"{best[lib]:.1f}" for lib in libraries]
        row += [f"{best[a] / best[b]:.2f}×" for a, b in pairs]
        row += [" ".join(f"{x[case]['sentences_per_s'] / y[case]['sentences_per_s']:.2f}" for x, y in zip(runs[a], runs[b]))
                for a, b in pairs]
        row += [f"{max(run[case]['peak_rss_mb'] for run in runs[lib]):.0f}" for lib in libraries]
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for r in [header] + rows:
        print(f"{r[0]:{widths[0]}}  " + "  ".join(f"{cell:>{w}}" for cell, w in zip(r[1:], widths[1:])))
    names = {"attend": "attend", "torch": "sentence-transformers (PyTorch)", "onnx": "ONNX Runtime"}
    print("; ".join(f"{a}/{b} = {names[a]} sentences/s ÷ {names[b]} sentences/s (> 1: {a} is faster)" for a, b in pairs)
          + ("; " if pairs else "") + "MB = peak resident memory of each process (model load included)")


def parse_libraries(text: str) -> list[str]:
    libraries = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in libraries if name not in LIBRARIES]
    if unknown or not libraries:
        raise argparse.ArgumentTypeError(f"choose from {','.join(LIBRARIES)} (got {text!r})")
    return libraries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--attend", default=str(ROOT / ".build" / "release" / "attend"))
    parser.add_argument("--libraries", type=parse_libraries, default=list(LIBRARIES),
                        help="comma-separated subset of attend,torch,onnx (default: all three)")
    parser.add_argument("--install", action="store_true",
                        help="pip-install the missing anchors for the chosen libraries, then go on; never run by CI")
    parser.add_argument("--gemm", action="store_true",
                        help="time the encoder's GEMM shapes instead (attend bench --case gemm against torch F.linear)")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--torch-gemm-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--onnx-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--onnx-model", help=argparse.SUPPRESS)
    parser.add_argument("--export-onnx", help=argparse.SUPPRESS)
    parser.add_argument("--batch", help=argparse.SUPPRESS)
    parser.add_argument("--mixed", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1 or args.threads < 1:
        parser.error("--rounds and --threads must be at least 1")
    if args.torch_worker:
        return torch_worker(args)
    if args.torch_gemm_worker:
        return torch_gemm_worker(args)
    if args.gemm:
        print(f"load average before round 1: {load_text(os.getloadavg())} ({os.cpu_count()} cores)", flush=True)
        return gemm_table(args)
    if args.onnx_worker:
        return onnx_worker(args)
    if args.export_onnx:
        return export_worker(args)

    libraries: list[str] = args.libraries
    if args.install:
        install(libraries)
    directory = model_dir()
    if not (directory / "model.safetensors").is_file():
        print(f"bench_embeddings: no model in {directory}; run `python3 scripts/fetch_model.py minilm`", file=sys.stderr)
        return 2
    if "attend" in libraries and not Path(args.attend).is_file():
        print(f"bench_embeddings: no {args.attend}; build it with `swift build -c release --product attend` "
              "(or leave attend out of --libraries)", file=sys.stderr)
        return 2
    missing = missing_packages(needed_modules(libraries, export="onnx" in libraries and not onnx_path().is_file()))
    if missing:
        print(f"bench_embeddings: needs `pip install {' '.join(missing)}` for --libraries {','.join(libraries)} "
              "(or run with --install)", file=sys.stderr)
        return 2
    if "onnx" in libraries:
        args.onnx_model = ensure_onnx_export(args.threads)

    load_before = os.getloadavg()
    print(f"load average before round 1: {load_text(load_before)} ({os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory(prefix="attend-bench-embeddings-") as tmp:
        files = {}
        for name, sentences in workloads(directory).items():
            files[name] = str(Path(tmp) / f"{name}.txt")
            Path(files[name]).write_text("\n".join(sentences), encoding="utf-8")
        runs: dict[str, list[dict[str, dict]]] = {lib: [] for lib in libraries}
        for r in range(args.rounds):
            shift = r % len(libraries)
            for name in libraries[shift:] + libraries[:shift]:
                result = RUNNERS[name](args, files)
                runs[name].append(result)
                print(f"round {r + 1} {name:6}: " + ", ".join(
                    f"{c} {result[c]['sentences_per_s']:.1f}/s" for c in CASES), file=sys.stderr, flush=True)

    print_table(args, libraries, runs, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
