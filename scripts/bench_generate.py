#!/usr/bin/env python3
"""SmolLM2-135M generation speed: `attend generate` (weights in their GGUF blocks, and
`--dequantize` float32) and Hugging Face transformers' `generate` (CPU, the same GGUF dequantized
to float32 through `gguf_file=`), each run in its own process with the same thread count, greedy,
never stopping at EOS; against the machine's read bandwidth.

    python3 scripts/bench_generate.py [--threads 2] [--repeats 3] [--skip-hf] [--install]

`--install` pip-installs what the Hugging Face side needs (torch, transformers, gguf, accelerate —
`gguf_file=` loading requires accelerate); it is never run in CI. Build Attend first:
`swift build -c release --product attend`.

Cases: a 16-token prompt + 128 new tokens and a 512-token prompt + 128 new tokens (prompt and
decode tokens/s, peak RSS of the process), decode step 512 vs step 16 (16-token prompt + 513 new
tokens), Hugging Face's greedy ids for the committed reference fixture's prompts
(Tests/Fixtures/models/smollm2.json), the read bandwidth of this machine (a streaming-read C loop
on the same thread count) and the bytes a decode step reads (every weight once in its stored
format, the KV cache up to the step's history), so decode tokens/s is reported as % of the
bandwidth bound. Timings on a shared machine are noisy: every case is repeated and the best run
(highest tokens/s, lowest step time) is reported.
"""
import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / ".build" / "release" / "attend"
FIXTURE = ROOT / "Tests" / "Fixtures" / "models" / "smollm2.json"
CACHE = Path(os.environ.get("ATTEND_CACHE") or Path.home() / ".cache" / "attend") / "models" / "smollm2"
MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT16 = "The history of the city begins in the Roman era, when a small settlement grew along the"
WORDS = ("the river carried boats and traders from distant towns to the market square where people met "
         "to sell grain wine cloth and tools ").split()
HF_PACKAGES = ["torch", "transformers", "gguf", "accelerate"]


def long_prompt(tokens):
    """Words of WORDS, as many as make `tokens` SmolLM2 tokens (counted by `attend tokenize`)."""
    words = tokens
    while words > 0:
        text = " ".join(WORDS[i % len(WORDS)] for i in range(words))
        count = len(json.loads(subprocess.run([str(BINARY), "tokenize", "--model", "smollm2", "--json", text],
                                              capture_output=True, text=True, check=True).stdout)["ids"])
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
        sys.exit(f"{' '.join(map(str, command[:3]))} … failed ({process.returncode}):\n{stderr[-2000:]}")
    return stdout, stderr, usage.ru_maxrss / 1024


# MARK: - Attend

def attend(prompt, new, threads, extra=()):
    stdout, stderr, rss = run_measured([str(BINARY), "generate", prompt, "--max-tokens", str(new), "--ignore-eos",
                                        "--json", "--threads", str(threads), *extra])
    # "prompt: 16 tokens, 210.3 tokens/s; decode: 128 tokens, 95.1 tokens/s; step 16 9.80 ms …"
    line = next(l for l in stderr.splitlines() if l.startswith("prompt:"))
    m = re.search(r"prompt: (\d+) tokens, ([\d.]+) tokens/s; decode: (\d+) tokens, ([\d.]+) tokens/s", line)
    steps = {int(a): float(b) for a, b in re.findall(r"step (\d+) ([\d.]+) ms", line)}
    return {"prompt_tokens": int(m.group(1)), "prompt_tps": float(m.group(2)), "decode_tps": float(m.group(4)),
            "steps_ms": steps, "ids": json.loads(stdout)["generated_ids"], "peak_rss_mb": rss}


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


def install_hf_packages():
    missing = [p for p in HF_PACKAGES if importlib.util.find_spec(p) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", *missing], check=True)


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


def bytes_per_token(history, dequantized):
    """Bytes one decode step reads: every weight once as stored in memory (the GGUF blocks, or
    float32 with --dequantize; the tied embedding is the output head, read whole, plus one
    embedding row) and the float32 KV cache of `history` positions in every layer."""
    from gguf import GGUFReader
    reader = GGUFReader(str(CACHE / MODEL))

    def field(key):
        f = reader.fields[key]
        return int(f.parts[f.data[0]][0])

    layers, heads, kv_heads = field("llama.block_count"), field("llama.attention.head_count"), field("llama.attention.head_count_kv")
    head_dim = field("llama.embedding_length") // heads
    weights = sum(4 * int(t.n_elements) if dequantized else int(t.n_bytes) for t in reader.tensors)
    kv = layers * 2 * kv_heads * head_dim * 4 * history
    return weights + field("llama.embedding_length") * 4 + kv


# MARK: - Report

def log(label, run):
    """Prints one run as it completes (so a long session shows progress) and returns it."""
    print(f"  {label}: " + ", ".join(f"{k} {v:.1f}" for k, v in run.items() if isinstance(v, float)) +
          (f", steps {run['steps_ms']}" if run.get("steps_ms") else ""), flush=True)
    return run


def best(runs, key, lowest=False):
    return (min if lowest else max)(runs, key=lambda r: r[key])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hf-repeats", type=int, help="repeats of the (slower) Hugging Face cases (default: --repeats)")
    parser.add_argument("--skip-hf", action="store_true", help="time Attend only")
    parser.add_argument("--install", action="store_true", help="pip-install torch, transformers, gguf, accelerate when missing")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit(f"{BINARY} missing: run `swift build -c release --product attend` first")
    if not (CACHE / MODEL).exists():
        sys.exit(f"{CACHE / MODEL} missing: run `python3 scripts/fetch_model.py smollm2` first")
    if args.install:
        install_hf_packages()
    fixture = json.loads(FIXTURE.read_text())
    prompt512 = long_prompt(512)
    report = {"threads": args.threads, "repeats": args.repeats}
    report["bandwidth_gbps"] = bandwidth = read_bandwidth(args.threads, args.repeats)
    print(f"streaming read: {bandwidth:.2f} GB/s", flush=True)

    rows = []
    for label, extra in [("attend (Q4_1/Q8_0 blocks)", ()), ("attend --dequantize (float32)", ("--dequantize",))]:
        runs16, runs512 = [], []
        for _ in range(args.repeats):  # interleaved, so a busy spell hits both cases
            runs16.append(log(f"{label} 16", attend(PROMPT16, 128, args.threads, extra)))
            runs512.append(log(f"{label} 512", attend(prompt512, 128, args.threads, extra)))
        rows.append({"label": label, "dequantized": bool(extra), "runs16": runs16, "runs512": runs512})
    if runs512[0]["prompt_tokens"] != 512:
        print(f"note: the long prompt is {runs512[0]['prompt_tokens']} tokens")
    steps = [log("steps", attend(PROMPT16, 513, args.threads))["steps_ms"] for _ in range(args.repeats)]
    if not args.skip_hf:
        runs16, runs512 = [], []
        for _ in range(args.hf_repeats or args.repeats):
            runs16.append(log("HF 16", hf(args.threads, "time", PROMPT16, 128)))
            runs512.append(log("HF 512", hf(args.threads, "time", prompt512, 128)))
        rows.append({"label": "HF transformers generate (float32)", "dequantized": True, "runs16": runs16, "runs512": runs512})
        check = hf(args.threads, "check", json.dumps(fixture["greedy"]))
        report["hf_greedy_equals_fixture"] = [c["ids"] == g["generated_ids"] for c, g in zip(check, fixture["greedy"])]
        report["hf_prompt_ids_equal_fixture"] = [c["encoded"] == g["prompt_ids"] for c, g in zip(check, fixture["greedy"])]
        report["hf_ids_equal_attend_128"] = runs16[0]["ids"] == rows[0]["runs16"][0]["ids"]

    print(f"{args.threads} threads, best of {args.repeats}; streaming read bandwidth {bandwidth:.1f} GB/s")
    header = ("| | prompt 16: prompt tok/s | decode tok/s | prompt 512: prompt tok/s | decode tok/s "
              "| peak RSS MB | MB read per token | decode % of bound |")
    print(header)
    print("|" + " --- |" * 8)
    report["rows"] = []
    for row in rows:
        s16, s512 = best(row["runs16"], "decode_tps"), best(row["runs16"], "prompt_tps")
        l512, p512 = best(row["runs512"], "decode_tps"), best(row["runs512"], "prompt_tps")
        # history averaged over the 128 steps of the short case: 16 + 64 positions
        read = bytes_per_token(s16["prompt_tokens"] + 64, row["dequantized"])
        bound = bandwidth * 1e9 / read
        rss = max(r["peak_rss_mb"] for r in row["runs16"] + row["runs512"])
        print(f"| {row['label']} | {s512['prompt_tps']:.0f} | {s16['decode_tps']:.1f} | {p512['prompt_tps']:.0f} | "
              f"{l512['decode_tps']:.1f} | {rss:.0f} | {read / 1e6:.1f} | {100 * s16['decode_tps'] / bound:.0f} % |")
        report["rows"].append({"label": row["label"], "prompt16_tps": s512["prompt_tps"], "decode16_tps": s16["decode_tps"],
                               "prompt512_tps": p512["prompt_tps"], "decode512_tps": l512["decode_tps"],
                               "peak_rss_mb": rss, "bytes_per_token": read, "bound_tps": bound})
    if not args.skip_hf:
        attend_decode, hf_decode = report["rows"][0]["decode16_tps"], report["rows"][-1]["decode16_tps"]
        print(f"attend / HF decode tok/s: {attend_decode / hf_decode:.2f}x (16-token prompt), "
              f"{report['rows'][0]['decode512_tps'] / report['rows'][-1]['decode512_tps']:.2f}x (512-token prompt)")
        print(f"HF greedy ids equal the reference fixture's: {report['hf_greedy_equals_fixture']} "
              f"(HF tokenizer ids equal the fixture's prompt ids: {report['hf_prompt_ids_equal_fixture']}); "
              f"HF ids equal attend's for the 128-token run: {report['hf_ids_equal_attend_128']}")
    s16 = min(s.get(16, float("inf")) for s in steps)
    s512 = min(s.get(512, float("inf")) for s in steps)
    report["step16_ms"], report["step512_ms"] = s16, s512
    print(f"decode step 16: {s16:.2f} ms, step 512: {s512:.2f} ms (best of {len(steps)}), ratio 512/16 = {s512 / s16:.2f}; "
          f"bytes read: step 16 {bytes_per_token(16 + 15, False) / 1e6:.1f} MB, step 512 {bytes_per_token(16 + 511, False) / 1e6:.1f} MB")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
