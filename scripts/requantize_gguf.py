#!/usr/bin/env python3
"""Writes a copy of a GGUF model with its 2-D weights re-quantized to another block type, with the
`gguf` package (llama.cpp's Python reader and writer): every 2-D tensor whose rows fit the type's
blocks is dequantized by `gguf.quants.dequantize` and quantized again by `gguf.quants.quantize`;
the other tensors (norms, F32) and all metadata are copied as they are.

    pip install gguf numpy
    python3 scripts/requantize_gguf.py IN.gguf OUT.gguf --type Q5_0   # or Q8_0, Q4_0, Q5_1, F16, BF16

It makes local test files of other quantizations from the cached SmolLM2 (the gguf package cannot
write the K-quants; llama.cpp's quantizer, see scripts/bench_generate.py --install, can). The
output is written to a temporary file and renamed, so a failure leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import gguf
from gguf import quants


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--type", default="Q8_0", choices=["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "F16", "BF16"])
    args = parser.parse_args()
    target = gguf.GGMLQuantizationType[args.type]
    block, _ = gguf.GGML_QUANT_SIZES[target]
    reader = gguf.GGUFReader(args.input)
    architecture = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    out = Path(args.output)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name + ".", suffix=".tmp")
    os.close(fd)
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
