#!/usr/bin/env python3
"""Writes Tests/Fixtures/gguf/blocks.json: GGUF blocks of every type Attend reads, with the values
the `gguf` package (llama.cpp's own Python reader, an independent implementation of the layouts)
dequantizes them to.

    pip install gguf numpy && python3 scripts/make_gguf_block_fixtures.py

Per type: 6 blocks of random bytes whose f16 scale fields are set to values across the range —
ordinary ones, negative ones, zero, the smallest subnormal, the largest finite half (65504) —
so that the tests see extreme scales as well as typical ones. The expected values are float32 bit
patterns (exact comparison). The JSON holds, per type: the ggml name, the block bytes as hex, and
the expected values' bits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "gguf" / "blocks.json"

# (type, block bytes, byte offsets of its f16 scale fields)
TYPES = [
    (T.Q4_0, 18, [0]),
    (T.Q4_1, 20, [0, 2]),
    (T.Q5_0, 22, [0]),
    (T.Q5_1, 24, [0, 2]),
    (T.Q8_0, 34, [0]),
    (T.Q4_K, 144, [0, 2]),
    (T.Q5_K, 176, [0, 2]),
    (T.Q6_K, 210, [208]),
]
SCALES = [0.0123, -0.5, 3.75e-3, 0.0, 5.96e-8, 65504.0]


def main() -> int:
    rng = np.random.default_rng(2026)
    cases = []
    for qtype, size, scale_offsets in TYPES:
        blocks = rng.integers(0, 256, size=(len(SCALES), size), dtype=np.uint8)
        for b, scale in enumerate(SCALES):
            for k, offset in enumerate(scale_offsets):
                value = scale if k == 0 else -scale * 0.37  # Q4_1/Q5_1's m, the K-quants' dmin
                blocks[b, offset:offset + 2] = np.frombuffer(np.float16(value).tobytes(), dtype=np.uint8)
        values = quants.dequantize(blocks.reshape(-1), qtype).astype(np.float32).reshape(-1)
        cases.append({"type": qtype.name, "bytes": blocks.tobytes().hex(),
                      "bits": values.view(np.uint32).tolist()})
    bf16 = rng.integers(0, 1 << 16, size=64, dtype=np.uint16)
    bf16[:4] = [0x0000, 0x8000, 0x7F80, 0x0001]  # 0, −0, +∞, the smallest subnormal
    values = quants.dequantize(bf16.view(np.uint8), T.BF16).astype(np.float32).reshape(-1)
    cases.append({"type": "BF16", "bytes": bf16.tobytes().hex(), "bits": values.view(np.uint32).tolist()})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "scripts/make_gguf_block_fixtures.py", "cases": cases}) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {', '.join(c['type'] for c in cases)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
