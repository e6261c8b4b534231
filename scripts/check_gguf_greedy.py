#!/usr/bin/env python3
"""Greedy ids of `attend generate --model FILE` against the float64 NumPy reference
(scripts/smollm2_reference.py --model FILE --greedy) on the same SmolLM2 GGUF file, for the
reference fixture's prompts (Tests/Fixtures/models/smollm2.json's greedy prompts).

    python3 scripts/check_gguf_greedy.py FILE.gguf [ATTEND] [--max-tokens 32] [--reference REF.json]
    python3 scripts/check_gguf_greedy.py ~/.cache/attend/models/smollm2/SmolLM2-135M-Instruct.Q4_K_M.gguf \
        .build/release/attend

Both sides stop at the end-of-sequence id (as the fixture does) and use the prompt exactly as
written (special tokens included). For each prompt it reports whether the prompt ids agree, how
many generated ids agree, and, where they part, the reference's top-1 minus top-2 logit margin at
that step: a margin below --near-tie (default 1e-3) is a near tie, where float32 and float64 may
fairly pick different ids; a larger one is a real disagreement. Also the first near tie of the
reference run and its smallest margin. The reference takes about a minute per file on 2 cores;
`--reference` reuses a file that `smollm2_reference.py --greedy OUT.json` (or `--save` here) wrote.
Exit status 1 when some prompt parts from the reference at a step that is not a near tie (or the
prompt ids differ).

`--llama-cpp` also runs llama.cpp's greedy ids (llama-cpp-python, as scripts/bench_generate.py
runs it: the same prompt ids, argmax of the logits, cut after the first EOS) and reports where they
part from the reference, for comparison only (it does not change the exit status): llama.cpp
quantizes the activations to 8 bits for its quantized dot products and keeps an F16 KV cache, so
it is expected to part from the float64 reference earlier than Attend, which computes in float32.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def reference(model: Path, max_tokens: int, save: Path | None):
    with tempfile.TemporaryDirectory() as scratch:
        out = save or Path(scratch) / "reference.json"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "smollm2_reference.py"), "--model", str(model),
                        "--greedy", str(out), "--max-tokens", str(max_tokens)], check=True, stdout=sys.stderr)
        return json.loads(out.read_text())


def attend(binary: Path, model: Path, prompt: str, max_tokens: int, threads: int | None):
    command = [str(binary), "generate", prompt, "--model", str(model), "--max-tokens", str(max_tokens), "--json"]
    if threads:
        command += ["--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"attend generate failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def llama_cpp(model: Path, entry, max_tokens: int):
    """llama.cpp's greedy ids for the entry's prompt ids, cut after the first EOS (id 2, SmolLM2's)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_generate
    ids = bench_generate.llama_run(model, entry["prompt_ids"], max_tokens, os.cpu_count() or 1)["ids"]
    eos = 2
    return {"prompt_ids": entry["prompt_ids"], "generated_ids": ids[: ids.index(eos) + 1] if eos in ids else ids}


def compare(ref, ours, near_tie, who="attend"):
    """One prompt's verdict."""
    r, a, margins = ref["generated_ids"], ours["generated_ids"], ref["margins"]
    n = 0
    while n < min(len(r), len(a)) and r[n] == a[n]:
        n += 1
    tie = next((i for i, m in enumerate(margins) if m < near_tie), None)
    out = {"prompt": ref["prompt"], "prompt_ids_equal": ref["prompt_ids"] == ours["prompt_ids"],
           "reference_ids": r, "attend_ids": a, "common": n, "reference_len": len(r), "attend_len": len(a),
           "first_near_tie": tie, "first_near_tie_margin": margins[tie] if tie is not None else None,
           "smallest_margin": min(margins) if margins else None,
           "smallest_margin_step": min(range(len(margins)), key=margins.__getitem__) if margins else None}
    if n == len(r) == len(a):
        out["verdict"], out["ok"] = f"equal ({n} ids)", True
    elif n == min(len(r), len(a)):  # one stopped (EOS) where the other did not: cannot happen with identical prefixes
        out["verdict"], out["ok"] = f"equal for {n} ids, then lengths differ ({len(r)} vs {len(a)})", False
    else:
        m = margins[n]
        at = f"step {n}: reference {r[n]} (top-2 {ref['second_ids'][n]}), {who} {a[n]}; reference margin {m:.3g}"
        if m < near_tie:
            out["verdict"], out["ok"] = f"equal up to a near tie, then diverge at {at}", True
        else:
            out["verdict"], out["ok"] = f"DIVERGE (not a near tie) at {at}", False
        out["divergence_margin"] = m
        out["picked_reference_second"] = a[n] == ref["second_ids"][n]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="a SmolLM2 GGUF file")
    parser.add_argument("attend", type=Path, nargs="?", default=ROOT / ".build" / "release" / "attend",
                        help="the attend binary (default: .build/release/attend)")
    parser.add_argument("--max-tokens", type=int, default=32, help="new tokens per prompt (default 32, the fixture's)")
    parser.add_argument("--near-tie", type=float, default=1e-3, help="top-2 margin below which a step is a near tie")
    parser.add_argument("--threads", type=int, help="attend's threads (default: its own)")
    parser.add_argument("--reference", type=Path, help="reuse the reference ids written by smollm2_reference.py --greedy")
    parser.add_argument("--save", type=Path, help="write the reference ids here (for --reference later)")
    parser.add_argument("--json", type=Path, help="write the comparison here")
    parser.add_argument("--llama-cpp", action="store_true", help="also compare llama.cpp's greedy ids (informative)")
    args = parser.parse_args()
    if not args.model.exists():
        sys.exit(f"{args.model} is missing")
    if not args.attend.exists():
        sys.exit(f"{args.attend} is missing: swift build -c release --product attend")
    ref = json.loads(args.reference.read_text()) if args.reference else reference(args.model, args.max_tokens, args.save)
    if ref["max_tokens"] != args.max_tokens:
        sys.exit(f"the reference was made with --max-tokens {ref['max_tokens']}")
    types = ", ".join(f"{k} {v}" for k, v in sorted(ref["tensor_types"].items()))
    print(f"{args.model.name} ({types}); attend {args.attend}; near tie: margin < {args.near_tie:g}")
    results = []
    for entry in ref["greedy"]:
        result = compare(entry, attend(args.attend, args.model, entry["prompt"], args.max_tokens, args.threads),
                         args.near_tie)
        results.append(result)
        tie = (f"first near tie at step {result['first_near_tie']} (margin {result['first_near_tie_margin']:.2e})"
               if result["first_near_tie"] is not None else "no near tie")
        print(f"{entry['prompt'][-40:]!r}: {result['verdict']}; prompt ids equal: {result['prompt_ids_equal']}; "
              f"reference: {tie}, smallest margin {result['smallest_margin']:.2e} at step {result['smallest_margin_step']}")
        if not result["ok"] or result["common"] < result["reference_len"]:
            print(f"  reference ids {result['reference_ids']}\n  attend ids    {result['attend_ids']}")
        if args.llama_cpp:
            result["llama_cpp"] = theirs = compare(entry, llama_cpp(args.model, entry, args.max_tokens), args.near_tie,
                                                      "llama.cpp")
            print(f"  llama.cpp: {theirs['verdict']}")
    ok = all(r["ok"] and r["prompt_ids_equal"] for r in results)
    if args.json:
        args.json.write_text(json.dumps({"model": str(args.model), "tensor_types": ref["tensor_types"],
                                         "near_tie": args.near_tie, "ok": ok, "prompts": results}, indent=1))
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
