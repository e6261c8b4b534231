#!/usr/bin/env python3
"""Attend, NumPy and PyTorch on the `attend bench` grid, each library in its own process.

    python3 scripts/bench_side_by_side.py [--threads 2] [--rounds 3] [--quick] [--skip-long] [--case sdpa] [--install]

How it keeps one library (or one noisy moment) from deciding a row:
- Every measurement is a fresh process of one library for one case: `attend bench --case NAME`,
  or this script with `--worker numpy|torch`. NumPy's OpenBLAS threads, which spin after each
  call, never share a process (or its cores' spare time) with PyTorch's OpenMP threads.
- The same thread count is pinned for everyone: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
  MKL_NUM_THREADS in every child's environment, `torch.set_num_threads`, `attend --threads`.
- Cases are interleaved: each round runs every case once per library, back to back (the
  library order rotating), and a row keeps each library's best median over the rounds.
- %peak is Attend's GFLOPS over the FMA peak of its worker threads that `attend doctor` measures
  for the ISA of the table (thread CPU time: the peak does not move with the machine's load).

One table per Attend kernel path the machine has (`attend doctor`'s kernel_path under
ATTEND_KERNELS=avx512|avx2|portable tells which): avx512 where the CPU has AVX-512 F/BW/DQ/VL,
avx2, and with --path all also portable. Attend runs each table with ATTEND_KERNELS set to its
path, so its own kernels and the FMA peak of %peak are that path's.
- The widest path is the native one: NumPy with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
  from its environment, so a current NumPy picks its own kernels; PyTorch with ATEN_CPU_CAPABILITY
  and MKL_ENABLE_INSTRUCTIONS removed; Attend's OpenBLAS left to Attend (or the user's
  OPENBLAS_CORETYPE).
- A narrower path pins every library to its ISA: avx2 (on an AVX-512 machine) with
  OPENBLAS_CORETYPE=Haswell for Attend and NumPy, ATEN_CPU_CAPABILITY=avx2 and
  MKL_ENABLE_INSTRUCTIONS=AVX2 for PyTorch; portable with OPENBLAS_CORETYPE=Nehalem (SSE, no AVX),
  ATEN_CPU_CAPABILITY=default and MKL_ENABLE_INSTRUCTIONS=SSE4_2.
On an AVX2 machine the native path is the avx2 path: one table, and a note.

- Attend: ATTEND_BIN, or the release build (`swift build -c release --product attend` is run once).
- NumPy: hand-written attention, what the seeds write: softmax(q @ kᵀ · scale) @ v, and for MHA the
  four projections around it.
- PyTorch (when installed): `F.scaled_dot_product_attention` and
  `nn.MultiheadAttention(batch_first=True)` in eval mode, `need_weights=False`, under
  `torch.inference_mode()`.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
KERNEL_PATHS = ("avx512", "avx2", "portable")   # Attend's kernel paths, widest first
# What pins OpenBLAS (OPENBLAS_CORETYPE), PyTorch (ATEN_CPU_CAPABILITY) and MKL to a path's ISA
# when the path is not the machine's widest.
PINS = {
    "avx512": ("SkylakeX", "avx512", "AVX512"),
    "avx2": ("Haswell", "avx2", "AVX2"),
    "portable": ("Nehalem", "default", "SSE4_2"),
}
QUICK_CASES = ("sdpa (2,4,10,32)", "mha (2,4,10,32)", "causal (1,8,128,64)", "decode (1,8,512,64)")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every case (best median kept)")
    parser.add_argument("--budget", type=float, default=0.5, help="seconds of timed runs per case and process")
    parser.add_argument("--skip-long", action="store_true", help="skip the (1, 8, 16384, 64) case")
    parser.add_argument("--case", default=None, help="only cases whose name contains this")
    parser.add_argument("--quick", action="store_true", help=f"smoke test: {', '.join(QUICK_CASES)}; 1 round, 0.1 s budget")
    parser.add_argument("--path", choices=("auto", "all", "native") + KERNEL_PATHS, default="auto",
                        help="auto: every Attend kernel path this machine has but portable (avx512 where present, "
                             "avx2); all: portable too; native: the widest only; or one path")
    parser.add_argument("--install", action="store_true",
                        help="pip-install the anchors when missing (torch, numpy, threadpoolctl); never run by CI")
    parser.add_argument("--worker", choices=("numpy", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    return parser.parse_args()


# MARK: - Workers (one library, one case, one process)

def median_ms(work, budget):
    work()
    samples, spent = [], 0.0
    while len(samples) < 3 or (spent < budget and len(samples) < 200):
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        samples.append(elapsed * 1000)
        spent += elapsed
    samples.sort()
    return samples[len(samples) // 2]


def numpy_case(np, kind, b, h, lq, l, d):
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
    q = rng.standard_normal((b, h, lq, d), dtype=np.float32)
    k, v = (rng.standard_normal((b, h, l, d), dtype=np.float32) for _ in range(2))
    causal = np.triu(np.full((lq, l), -np.inf, dtype=np.float32), 1) if kind == "causal" else None

    def work():
        s = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d))
        if causal is not None:
            s = s + causal
        s = np.exp(s - s.max(-1, keepdims=True))
        return (s / s.sum(-1, keepdims=True)) @ v
    return work


def torch_case(torch, kind, b, h, lq, l, d):
    g = torch.Generator().manual_seed(1)
    if kind == "mha":
        e = h * d
        layer = torch.nn.MultiheadAttention(e, h, batch_first=True).eval()
        x = torch.randn(b, l, e, generator=g)

        def work():
            with torch.inference_mode():
                return layer(x, x, x, need_weights=False)
        return work
    q = torch.randn(b, h, lq, d, generator=g)
    k, v = (torch.randn(b, h, l, d, generator=g) for _ in range(2))
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def work():
        with torch.inference_mode():
            return sdpa(q, k, v, is_causal=(kind == "causal"))
    return work


def peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def blas_pools():
    """What threadpoolctl sees in this process: each BLAS/OpenMP library, version, kernel core."""
    try:
        import threadpoolctl
    except ImportError:
        return "threadpoolctl not installed"
    pools = []
    for pool in threadpoolctl.threadpool_info():
        text = f"{pool.get('internal_api')} {pool.get('version') or ''}".strip()
        if pool.get("architecture"):
            text += f" core {pool['architecture']}"
        pools.append(f"{text} ({pool.get('num_threads')} threads)")
    return ", ".join(pools) or "no BLAS pool found"


def worker(args):
    """Runs one case (or, with the spec "probe", describes the library) and prints one JSON line."""
    spec = json.loads(args.spec)
    if args.worker == "numpy":
        import numpy as np
        if spec == "probe":
            result = {"version": np.__version__, "blas": blas_pools()}
        else:
            ms = median_ms(numpy_case(np, spec["case"], spec["b"], spec["h"], spec["lq"], spec["l"], spec["d"]), args.budget)
            result = {"ms": ms, "peak_rss_mb": peak_rss_mb()}
    else:
        import torch
        torch.set_num_threads(args.threads)
        if spec == "probe":
            capability = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "?"
            result = {"version": torch.__version__, "capability": capability, "threads": torch.get_num_threads(),
                      "blas": blas_pools()}
        else:
            ms = median_ms(torch_case(torch, spec["case"], spec["b"], spec["h"], spec["lq"], spec["l"], spec["d"]), args.budget)
            result = {"ms": ms, "peak_rss_mb": peak_rss_mb()}
    print(json.dumps(result))


# MARK: - Driver (imports neither library)

def child_environment(library, path, threads, native=False):
    """The environment of one library's process for the table of Attend kernel path `path`
    (avx512, avx2, portable). `native`: the path is the machine's widest, so every library picks
    its own kernels; otherwise each is pinned to the path's ISA (PINS)."""
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    coretype, capability, mkl = PINS[path]
    if library == "numpy":
        # A current NumPy picks its own kernels; variables set for an older OpenBLAS slow it down.
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
        if not native:
            env["OPENBLAS_CORETYPE"] = coretype
    elif library == "torch":
        env.pop("ATEN_CPU_CAPABILITY", None)
        env.pop("MKL_ENABLE_INSTRUCTIONS", None)
        if not native:
            env["ATEN_CPU_CAPABILITY"] = capability
            env["MKL_ENABLE_INSTRUCTIONS"] = mkl
    elif library == "attend":
        # Attend's own kernels and the FMA peak %peak is taken of: the path's. Natively its
        # OpenBLAS core is left to Attend (or the user's OPENBLAS_CORETYPE); otherwise pinned.
        env.pop("ATTEND_PORTABLE_KERNELS", None)
        env["ATTEND_KERNELS"] = path
        if not native:
            env["OPENBLAS_CORETYPE"] = coretype
    return env


def supported_paths(attend):
    """Attend's kernel paths this machine runs, widest first: a path the CPU lacks falls back (with a
    message on stderr), so doctor's kernel_path under ATTEND_KERNELS=path says whether it runs."""
    supported = []
    for path in KERNEL_PATHS:
        env = dict(os.environ, ATTEND_KERNELS=path)
        if run_json_lines([attend, "doctor", "--json", "--skip-peak"], env)[0]["kernel_path"] == path:
            supported.append(path)
    return supported


def tables(choice, supported):
    """The paths to print a table for: --path auto (every supported path but portable, or portable
    alone on a CPU without AVX2 + FMA), all, native (the widest) or one path (none if unsupported)."""
    if choice == "auto":
        return [path for path in supported if path != "portable"] or ["portable"]
    if choice == "all":
        return list(supported)
    if choice == "native":
        return supported[:1]
    return [choice] if choice in supported else []


def run_json_lines(command, env):
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {completed.returncode}: {completed.stderr.strip()}")
    return [json.loads(line) for line in completed.stdout.splitlines() if line.strip().startswith("{")]


def attend_binary():
    if os.environ.get("ATTEND_BIN"):
        return os.environ["ATTEND_BIN"]
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh")], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "attend"], cwd=ROOT, check=True,
                   stdout=sys.stderr)
    return os.path.join(ROOT, ".build", "release", "attend")


def torch_available():
    try:
        import importlib.util
        return importlib.util.find_spec("torch") is not None
    except ImportError:
        return False


class Runner:
    def __init__(self, args, attend, native):
        self.args, self.attend, self.native = args, attend, native
        self.libraries = ["attend", "numpy"] + (["torch"] if torch_available() else [])

    def python_worker(self, library, path, spec, budget):
        command = [sys.executable, os.path.abspath(__file__), "--worker", library, "--threads", str(self.args.threads),
                   "--budget", str(budget), "--spec", json.dumps(spec)]
        return run_json_lines(command, self.environment(library, path))[0]

    def environment(self, library, path):
        return child_environment(library, path, self.args.threads, native=path == self.native)

    def attend_case(self, path, case, budget_repeats):
        command = [self.attend, "bench", "--json", "--skip-sgemm", "--skip-peak", "--threads", str(self.args.threads),
                   "--case", case["name"], *budget_repeats]
        lines = run_json_lines(command, self.environment("attend", path))
        return next(line for line in lines if Runner.name(line) == case["name"])

    @staticmethod
    def name(line):
        return f"{line['case']} ({line['b']},{line['h']},{line['l']},{line['d']})"

    def measure(self, library, path, case):
        long_case = case["l"] > 4096
        if library == "attend":
            repeats = ["--repeats", "1"] if long_case else (["--repeats", "3"] if self.args.quick else [])
            return self.attend_case(path, case, repeats)
        if library == "numpy" and long_case:
            return None   # the materialized scores alone would need B·H·L²·4 bytes (8.6 GB)
        return self.python_worker(library, path, case, 0.0 if long_case else self.args.budget)

    def table(self, path, cases):
        native = path == self.native
        env = self.environment("attend", path)
        doctor = run_json_lines([self.attend, "doctor", "--json", "--threads", str(self.args.threads)], env)[0]
        probes = {library: self.python_worker(library, path, "probe", 0) for library in self.libraries if library != "attend"}
        peak = doctor["peak_gflops_workers"]
        print(f"\n{path} path{' (native: every library picks its own kernels)' if native else ''}; Attend: OpenBLAS "
              f"{doctor['openblas_version']} core {doctor['openblas_core']} ({doctor['openblas_action']}), kernels "
              f"{doctor['kernel_path']}, FMA peak {doctor['peak_isa']} on {min(self.args.threads, doctor['cores'])} workers "
              f"{peak:.0f} GFLOPS")
        if doctor.get("openblas_coretype_env") and native:
            print(f"  note: OPENBLAS_CORETYPE={doctor['openblas_coretype_env']} is set in this environment; Attend keeps it "
                  "(the user's choice), NumPy runs without it")
        print(f"  NumPy {probes['numpy']['version']}: {probes['numpy']['blas']}")
        if "torch" in probes:
            t = probes["torch"]
            print(f"  PyTorch {t['version']}: capability {t['capability']}, {t['threads']} threads; {t['blas']}")
        else:
            print("  PyTorch: not installed (pip install torch)")

        best = {}   # (case name, library) → best result over rounds
        for round_index in range(self.args.rounds):
            for case_index, case in enumerate(cases):
                if case["l"] > 4096 and round_index > 0:
                    continue   # seconds per run: one round is enough
                shift = (round_index + case_index) % len(self.libraries)
                for library in self.libraries[shift:] + self.libraries[:shift]:
                    result = self.measure(library, path, case)
                    key = (case["name"], library)
                    if result is not None and (key not in best or result["ms"] < best[key]["ms"]):
                        best[key] = result
            print(f"  round {round_index + 1}/{self.args.rounds} done", file=sys.stderr)

        print(f"{'case':<24}{'attend ms':>11}{'numpy ms':>11}{'torch ms':>11}{'vs numpy':>10}{'vs torch':>10}"
              f"{'GFLOPS':>9}{'%peak':>7}{'peak MB':>9}")
        for case in cases:
            a = best[(case["name"], "attend")]
            n = best.get((case["name"], "numpy"))
            t = best.get((case["name"], "torch"))
            fmt = lambda r: f"{r['ms']:11.3f}" if r else f"{'—':>11}"
            ratio = lambda r: f"{r['ms'] / a['ms']:9.2f}×" if r else f"{'—':>10}"
            percent = 100 * a["gflops"] / peak if peak else float("nan")
            print(f"{case['name']:<24}{a['ms']:11.3f}{fmt(n)}{fmt(t)}{ratio(n)}{ratio(t)}{a['gflops']:9.1f}{percent:6.0f}%"
                  f"{a['peak_rss_mb']:9.0f}")
            sys.stdout.flush()


ANCHOR_PACKAGES = ("torch", "numpy", "threadpoolctl")


def install_anchors():
    import importlib.util
    missing = [p for p in ANCHOR_PACKAGES if importlib.util.find_spec(p) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", *missing], check=True)


def main():
    args = parse_arguments()
    if args.worker:
        worker(args)
        return
    if args.install:
        install_anchors()
    if args.quick:
        args.rounds, args.budget, args.skip_long = 1, 0.1, True
    attend = attend_binary()
    listing = run_json_lines([attend, "bench", "--list", *(["--skip-long"] if args.skip_long else [])], dict(os.environ))
    cases = [c for c in listing if (not args.case or args.case in c["name"]) and (not args.quick or c["name"] in QUICK_CASES)]
    if not cases:
        sys.exit(f"no case matches --case {args.case}")
    doctor = run_json_lines([attend, "doctor", "--json", "--skip-peak"], dict(os.environ))[0]
    supported = supported_paths(attend)
    native = supported[0]
    load = os.getloadavg()
    print(f"side by side — {time.strftime('%Y-%m-%d %H:%M')} · {doctor['cpu']} ({doctor['vendor']} family {doctor['family']} "
          f"model {doctor['model']}), {doctor['cores']} cores · {args.threads} threads for every library · "
          f"best of {args.rounds} round{'s' if args.rounds > 1 else ''} of medians, each library in its own process per case")
    print(f"load average at start {load[0]:.1f} (cores {doctor['cores']})"
          + (" — the machine is busy: absolute times are inflated, ratios from interleaved runs less so"
             if load[0] > 0.5 * doctor["cores"] else ""))
    print("ratios: their time / Attend's (> 1: Attend is faster); %peak: Attend's GFLOPS / FMA peak of its workers; "
          "peak MB: Attend's process")

    runner = Runner(args, attend, native)
    paths = tables(args.path, supported)
    if not paths:
        sys.exit(f"this machine cannot run Attend's {args.path} path (it has {', '.join(supported)})")
    for path in paths:
        runner.table(path, cases)
    if args.path in ("auto", "all") and "avx512" not in supported:
        print(f"\nThis machine's widest Attend kernel path is {native}, so its {native} table is the native one; "
              "the avx512 table needs a CPU with AVX-512 F, BW, DQ and VL.")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
