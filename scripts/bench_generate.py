#!/usr/bin/env python3
"""SmolLM2-135M generation speed: `attend generate` and Hugging Face transformers' `generate`
(CPU, the same GGUF dequantized to float32 through `gguf_file=`), each in its own process with the
same thread count, greedy, never stopping at EOS.

    python3 scripts/bench_generate.py [--threads 2] [--repeats 3]

Cases: a 16-token prompt + 128 new tokens (prompt and decode tokens/s, peak RSS), a 512-token
prompt (prompt tokens/s), and decode step 512 vs step 16 (16-token prompt + 512 new tokens).
Timings on a shared machine are noisy: each case is repeated and the best run is reported.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / ".build" / "release" / "attend"
CACHE = Path(os.environ.get("ATTEND_CACHE") or Path.home() / ".cache" / "attend") / "models" / "smollm2"
MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT16 = "The history of the city begins in the Roman era, when a small settlement grew along the"
WORDS = ("the river carried boats and traders from distant towns to the market square where people met "
         "to sell grain wine cloth and tools ").split()


def long_prompt(tokens):
    return " ".join(WORDS[i % len(WORDS)] for i in range(tokens))


def attend(prompt, new, threads, extra=()):
    started = time.time()
    run = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", str(BINARY), "generate", prompt, "--max-tokens", str(new), "--ignore-eos", "--json",
                          "--threads", str(threads), *extra], capture_output=True, text=True, check=True)
    ids = json.loads(run.stdout)
    lines = run.stderr.strip().splitlines()
    line = next(l for l in lines if l.startswith("prompt:"))
    rss = int(next(l for l in lines if l.startswith("maxrss_kb=")).split("=")[1]) / 1024
    m = re.search(r"prompt: (\d+) tokens, ([\d.]+) tokens/s; decode: (\d+) tokens, ([\d.]+) tokens/s", line)
    steps = dict((int(a), float(b)) for a, b in re.findall(r"step (\d+) ([\d.]+) ms", line))
    return {"prompt_tokens": int(m.group(1)), "prompt_tps": float(m.group(2)), "decode_tps": float(m.group(4)),
            "steps_ms": steps, "ids": ids["generated_ids"], "wall_s": time.time() - started, "peak_rss_mb": rss}


HF_SCRIPT = r"""
import json, sys, time, resource, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
threads, prompt, new = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
tok = AutoTokenizer.from_pretrained(sys.argv[4], gguf_file=sys.argv[5])
model = AutoModelForCausalLM.from_pretrained(sys.argv[4], gguf_file=sys.argv[5], torch_dtype=torch.float32).eval()
ids = torch.tensor([tok.encode(prompt, add_special_tokens=False)])
with torch.inference_mode():
    t0 = time.time(); model(ids); prefill = time.time() - t0
    t0 = time.time()
    out = model.generate(ids, max_new_tokens=new, min_new_tokens=new, do_sample=False)
    total = time.time() - t0
gen = out[0, ids.shape[1]:].tolist()
decode = max(total - prefill, 1e-9)
print(json.dumps({"prompt_tokens": ids.shape[1], "prompt_tps": ids.shape[1] / prefill, "decode_tps": (len(gen) - 1) / decode,
                  "ids": gen, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def hf(prompt, new, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    run = subprocess.run([sys.executable, "-c", HF_SCRIPT, str(threads), prompt, str(new), str(CACHE), MODEL],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(run.stdout.strip().splitlines()[-1])


def best(runs, key):
    return max(runs, key=lambda r: r[key])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-hf", action="store_true")
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit(f"{BINARY} missing: run `swift build -c release --product attend` first")
    rows = []
    for label, extra in [("attend (Q4_1/Q8_0 blocks)", ()), ("attend --dequantize (float32)", ("--dequantize",))]:
        short = [attend(PROMPT16, 128, args.threads, extra) for _ in range(args.repeats)]
        longer = [attend(long_prompt(512), 1, args.threads, extra) for _ in range(args.repeats)]
        rows.append((label, best(short, "decode_tps"), best(longer, "prompt_tps")))
    steps = [attend(PROMPT16, 513, args.threads) for _ in range(max(1, args.repeats - 1))]
    if not args.skip_hf:
        short = [hf(PROMPT16, 128, args.threads) for _ in range(args.repeats)]
        longer = [hf(long_prompt(512), 1, args.threads) for _ in range(max(1, args.repeats - 1))]
        rows.append(("HF transformers generate (float32)", best(short, "decode_tps"), best(longer, "prompt_tps")))
        same = short[0]["ids"] == rows[0][1]["ids"]
        print(f"greedy ids identical (attend vs HF, 128 tokens): {same}")
    print(f"{args.threads} threads, best of {args.repeats}")
    print(f"{'':36} {'prompt16 tok/s':>14} {'decode tok/s':>12} {'prompt512 tok/s':>15} {'peak MB':>8}")
    for label, s, l in rows:
        print(f"{label:36} {s['prompt_tps']:14.1f} {s['decode_tps']:12.1f} {l['prompt_tps']:15.1f} {s['peak_rss_mb']:8.0f}")
    for r in steps:
        s = r["steps_ms"]
        print(f"decode step 16: {s.get(16, float('nan')):.2f} ms, step 128: {s.get(128, float('nan')):.2f} ms, "
              f"step 512: {s.get(512, float('nan')):.2f} ms, ratio 512/16 = {s.get(512, 0) / s.get(16, 1):.2f}")


if __name__ == "__main__":
    main()
