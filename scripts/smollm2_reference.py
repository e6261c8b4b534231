#!/usr/bin/env python3
"""An independent float64 NumPy reference for SmolLM2-135M-Instruct (GGUF Q4_1), written from the
formulas, that writes the fixture `Tests/Fixtures/models/smollm2.json` the Swift model tests check.

Independent of Attend: the `gguf` PyPI package is used only to *parse* the file (metadata values,
tensor names, shapes, byte ranges); the dequantization (Q8_0, Q4_1, Q4_0, F16, F32), the byte-level
BPE tokenizer (with the `regex` package for the split pattern), RMSNorm, rotary embedding (adjacent
pairs, as llama.cpp's converter permutes the Q and K rows), grouped-query attention and SwiGLU are
all written here, in float64.

    python3 scripts/smollm2_reference.py            # writes Tests/Fixtures/models/smollm2.json
    python3 scripts/smollm2_reference.py --model FILE.gguf --greedy [OUT.json] [--max-tokens 32]

`--greedy` does not touch the fixture: it prints (and with OUT.json writes) the float64 greedy ids
for the fixture's prompts (the same PROMPTS, up to --max-tokens new tokens, stopping at EOS), with
the top-2 logit margin of every step, for the cached Q4_1 file or any `--model` GGUF. Tensor types
the script does not dequantize itself (Q4_K, Q5_K, Q6_K, Q5_0, Q5_1, BF16 …) go through
`gguf.quants.dequantize` (gguf-py's NumPy port of ggml's, float32 values, widened to float64 —
for those types the reference is independent of Attend but not of gguf-py); F32, F16, Q8_0, Q4_1
and Q4_0 always go through this script's own dequantizers, so the Q4_1 default — and the fixture —
is unchanged. `scripts/check_gguf_greedy.py` compares these ids with `attend generate`.

When `transformers` is installed the script also checks its tokenizer ids against the tokenizer
Hugging Face builds from the same GGUF (a cross-check only; the fixture holds this script's ids).
Runtime: about a minute on 2 cores.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import regex

MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests" / "Fixtures" / "models" / "smollm2.json"


def model_path() -> Path:
    base = os.environ.get("ATTEND_CACHE")
    base = Path(base) if base else Path.home() / ".cache" / "attend"
    path = base / "models" / "smollm2" / MODEL
    if not path.exists():
        sys.exit(f"{path} is missing: run `python3 scripts/fetch_model.py smollm2` first")
    return path


OWN_KINDS = ("F32", "F16", "Q8_0", "Q4_1", "Q4_0")  # dequantized by this script; the rest by gguf.quants


# ---------------------------------------------------------------- dequantization (from the block layouts)

def f16(raw: np.ndarray) -> np.ndarray:
    """Little-endian IEEE half floats from a [..., 2] uint8 array."""
    return np.ascontiguousarray(raw).view("<f2")[..., 0].astype(np.float64)


def dequantize(kind: str, raw: np.ndarray, count: int) -> np.ndarray:
    raw = np.ascontiguousarray(raw).reshape(-1)
    if kind == "F32":
        return raw.view("<f4").astype(np.float64)[:count]
    if kind == "F16":
        return raw.view("<f2").astype(np.float64)[:count]
    if kind == "Q8_0":   # 34 bytes: f16 d, 32 int8 q; x = d·q
        blocks = raw.reshape(-1, 34)
        d = f16(blocks[:, 0:2])[:, None]
        q = blocks[:, 2:].view(np.int8).astype(np.float64)
        return (d * q).reshape(-1)[:count]
    if kind == "Q4_1":   # 20 bytes: f16 d, f16 m, 16 bytes; low nibbles → 0..15, high → 16..31; x = d·q + m
        blocks = raw.reshape(-1, 20)
        d = f16(blocks[:, 0:2])[:, None]
        m = f16(blocks[:, 2:4])[:, None]
        nib = blocks[:, 4:]
        q = np.concatenate([nib & 0x0F, nib >> 4], axis=1).astype(np.float64)
        return (d * q + m).reshape(-1)[:count]
    if kind == "Q4_0":   # 18 bytes: f16 d, 16 bytes; x = d·(q − 8)
        blocks = raw.reshape(-1, 18)
        d = f16(blocks[:, 0:2])[:, None]
        nib = blocks[:, 2:]
        q = np.concatenate([nib & 0x0F, nib >> 4], axis=1).astype(np.float64) - 8
        return (d * q).reshape(-1)[:count]
    raise ValueError(f"unsupported tensor type {kind}")


def self_check_dequantization():
    """Hand-made blocks, values computed by hand."""
    half = lambda x: np.array([x], dtype="<f2").view(np.uint8)
    block = np.concatenate([half(0.5), half(-1.0), np.array([0x21] + [0xF0] * 15, dtype=np.uint8)])
    x = dequantize("Q4_1", block, 32)
    assert x[0] == 0.5 * 1 - 1 and x[16] == 0.5 * 2 - 1 and x[1] == -1 and x[17] == 0.5 * 15 - 1, x
    block = np.concatenate([half(0.25), np.arange(-16, 16, dtype=np.int8).view(np.uint8)])
    x = dequantize("Q8_0", block, 32)
    assert x[0] == -4 and x[31] == 3.75, x


# ---------------------------------------------------------------- the GGUF file (parsed by `gguf`)

class Model:
    def __init__(self, path: Path):
        import gguf
        reader = gguf.GGUFReader(str(path))
        self.fields = reader.fields

        def value(key):
            field = self.fields[key]
            return field.contents()
        arch = value("general.architecture")
        assert arch == "llama", arch
        self.layers = int(value("llama.block_count"))
        self.dim = int(value("llama.embedding_length"))
        self.ffn = int(value("llama.feed_forward_length"))
        self.heads = int(value("llama.attention.head_count"))
        self.kv_heads = int(value("llama.attention.head_count_kv"))
        self.base = float(value("llama.rope.freq_base"))
        self.eps = float(value("llama.attention.layer_norm_rms_epsilon"))
        self.head_dim = self.dim // self.heads
        self.tokens = value("tokenizer.ggml.tokens")
        self.token_types = value("tokenizer.ggml.token_type")
        self.merges = value("tokenizer.ggml.merges")
        self.eos = int(value("tokenizer.ggml.eos_token_id"))
        self.template = value("tokenizer.chat_template")
        self.weights, self.types = {}, {}
        for t in reader.tensors:
            shape = [int(n) for n in t.shape]                     # GGUF order: ne0 (innermost) first
            count = int(np.prod(shape))
            if t.tensor_type.name in OWN_KINDS:
                x = dequantize(t.tensor_type.name, np.asarray(t.data).view(np.uint8), count)
            else:
                from gguf import quants
                x = quants.dequantize(t.data, t.tensor_type).astype(np.float64).reshape(-1)[:count]
            self.types[t.tensor_type.name] = self.types.get(t.tensor_type.name, 0) + 1
            self.weights[t.name] = x.reshape(list(reversed(shape)))   # row-major [ne1, ne0]

    def w(self, name):
        return self.weights[name]


# ---------------------------------------------------------------- tokenizer (byte-level BPE)

def bytes_to_unicode():
    """GPT-2's table: printable bytes map to themselves, the others to U+0100 onwards."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


GPT2_SPLIT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
DIGIT = regex.compile(r"\p{N}")


class Tokenizer:
    def __init__(self, model: Model):
        self.tokens = model.tokens
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.ranks = {tuple(m.split(" ")): r for r, m in enumerate(model.merges)}
        self.special = sorted((t for t, k in zip(self.tokens, model.token_types) if k == 3), key=len, reverse=True)
        self.byte_char = bytes_to_unicode()
        self.char_byte = {c: b for b, c in self.byte_char.items()}

    def bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            best = min(range(len(parts) - 1), key=lambda i: self.ranks.get((parts[i], parts[i + 1]), 1 << 30))
            if (parts[best], parts[best + 1]) not in self.ranks:
                break
            pair = (parts[best], parts[best + 1])
            merged, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == pair:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return [self.ids[p] for p in parts]

    def pretokenize(self, text):
        pieces = []
        # Digits(individual_digits=True): each digit is its own piece; the rest goes to the GPT-2 pattern.
        last = 0
        for m in DIGIT.finditer(text):
            if m.start() > last:
                pieces += GPT2_SPLIT.findall(text[last:m.start()])
            pieces.append(m.group())
            last = m.end()
        if last < len(text):
            pieces += GPT2_SPLIT.findall(text[last:])
        return pieces

    def encode(self, text):
        ids, i, start = [], 0, 0
        while i <= len(text):
            hit = next((s for s in self.special if text.startswith(s, i)), None) if i < len(text) else None
            if hit is None and i < len(text):
                i += 1
                continue
            for piece in self.pretokenize(text[start:i]):
                ids += self.bpe("".join(self.byte_char[b] for b in piece.encode("utf-8")))
            if hit is None:
                break
            ids.append(self.ids[hit])
            i += len(hit)
            start = i
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            token = self.tokens[i]
            if token in self.special:
                out += token.encode("utf-8")
            else:
                out += bytes(self.char_byte[c] for c in token)
        return out.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- the decoder (llama), float64

def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_adjacent(x, positions, base):
    """x [L, H, D]; pairs (x[2i], x[2i+1]) rotated by angle p·base^(−2i/D)."""
    d = x.shape[-1]
    inv = base ** (-np.arange(0, d, 2, dtype=np.float64) / d)          # [D/2]
    ang = positions[:, None] * inv[None, :]                              # [L, D/2]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


class Session:
    """One sequence with a key/value cache per layer."""

    def __init__(self, model: Model):
        self.m = model
        self.keys = [np.zeros((0, model.kv_heads, model.head_dim)) for _ in range(model.layers)]
        self.values = [np.zeros((0, model.kv_heads, model.head_dim)) for _ in range(model.layers)]

    def forward(self, ids):
        """Feeds `ids` after the cached history; returns the logits [len(ids), vocab]."""
        m = self.m
        past = self.keys[0].shape[0]
        n = len(ids)
        positions = np.arange(past, past + n, dtype=np.float64)
        x = m.w("token_embd.weight")[ids]                                # [L, d]
        group = m.heads // m.kv_heads
        for layer in range(m.layers):
            p = f"blk.{layer}."
            h = rms_norm(x, m.w(p + "attn_norm.weight"), m.eps)
            q = (h @ m.w(p + "attn_q.weight").T).reshape(n, m.heads, m.head_dim)
            k = (h @ m.w(p + "attn_k.weight").T).reshape(n, m.kv_heads, m.head_dim)
            v = (h @ m.w(p + "attn_v.weight").T).reshape(n, m.kv_heads, m.head_dim)
            q = rope_adjacent(q, positions, m.base)
            k = rope_adjacent(k, positions, m.base)
            self.keys[layer] = np.concatenate([self.keys[layer], k])
            self.values[layer] = np.concatenate([self.values[layer], v])
            K, V = self.keys[layer], self.values[layer]                 # [past+L, kvH, D]
            total = K.shape[0]
            out = np.empty((n, m.heads, m.head_dim))
            allowed = np.arange(total)[None, :] <= (past + np.arange(n))[:, None]   # causal, aligned at the end
            for head in range(m.heads):
                kv = head // group
                s = q[:, head, :] @ K[:, kv, :].T / np.sqrt(m.head_dim)   # [L, total]
                s = np.where(allowed, s, -np.inf)
                s = np.exp(s - s.max(axis=-1, keepdims=True))
                s /= s.sum(axis=-1, keepdims=True)
                out[:, head, :] = s @ V[:, kv, :]
            x = x + out.reshape(n, m.dim) @ m.w(p + "attn_output.weight").T
            h = rms_norm(x, m.w(p + "ffn_norm.weight"), m.eps)
            gate = h @ m.w(p + "ffn_gate.weight").T
            up = h @ m.w(p + "ffn_up.weight").T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ m.w(p + "ffn_down.weight").T
        x = rms_norm(x, m.w("output_norm.weight"), m.eps)
        return x @ m.w("token_embd.weight").T                           # tied output head


def greedy(model, prompt_ids, steps, record_top=0, margins=None):
    """Greedy ids after `prompt_ids`, stopping at EOS; the top-10 logits of the first `record_top`
    steps; when `margins` is a list, each step's top-1 minus top-2 logit (and top-2 id) is appended."""
    session = Session(model)
    logits = session.forward(prompt_ids)[-1]
    generated, tops = [], []
    for step in range(steps):
        if step < record_top:
            order = np.argsort(-logits, kind="stable")[:10]
            tops.append({"ids": [int(i) for i in order], "values": [float(logits[i]) for i in order]})
        token = int(np.argmax(logits))
        if margins is not None:
            second = np.argsort(-logits, kind="stable")[1]
            margins.append({"margin": float(logits[token] - logits[second]), "second": int(second)})
        generated.append(token)
        if token == model.eos:
            break
        logits = session.forward([token])[-1]
    return generated, tops


def chatml(user):
    return ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")


STRINGS = [
    "Hello, world!",
    "def add(a, b):\n    return a + b\n",
    "The year 2024 had 366 days; π ≈ 3.14159.",
    "  leading spaces and trailing   ",
    "Café déjà vu — naïve résumé",
    "日本語のテキストと中文",
    "Emoji: 🤗🚀👍🏽 done",
    "<|im_start|>user\nHi there<|im_end|>\n",
    "x=1234567890",
    "\t tabs\tand\nnew\r\nlines  \n\n",
    "Don't you'll we've they're I'm it's",
    "snake_case_name + camelCaseName != 0x1F",
]

PROMPTS = [
    chatml("What is the capital of France?"),
    "The quick brown fox",
    "def fibonacci(n):",
]


def greedy_report(path: Path, steps: int, out: Path | None):
    """The --greedy mode: greedy ids and top-2 margins for PROMPTS on the model at `path`."""
    started = time.time()
    self_check_dequantization()
    model = Model(path)
    tokenizer = Tokenizer(model)
    print(f"{path.name}: tensor types {dict(sorted(model.types.items()))}", flush=True)
    results = []
    for prompt in PROMPTS:
        ids = tokenizer.encode(prompt)
        margins = []
        generated, _ = greedy(model, ids, steps, margins=margins)
        results.append({"prompt": prompt, "prompt_ids": ids, "generated_ids": generated,
                        "margins": [m["margin"] for m in margins], "second_ids": [m["second"] for m in margins],
                        "text": tokenizer.decode(generated)})
        low = min(range(len(margins)), key=lambda i: margins[i]["margin"])
        print(f"{prompt!r} → {tokenizer.decode(generated)!r}\n  ids {generated}\n  smallest top-2 margin "
              f"{margins[low]['margin']:.2e} at step {low}; margins "
              + " ".join(f"{m['margin']:.3g}" for m in margins), flush=True)
    report = {"generator": "scripts/smollm2_reference.py --greedy (float64 NumPy)", "model": str(path),
              "tensor_types": model.types, "max_tokens": steps, "greedy": results}
    if out is not None:
        out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {out}")
    print(f"{time.time() - started:.0f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a SmolLM2 GGUF file (default: the cached Q4_1)")
    parser.add_argument("--greedy", nargs="?", const="-", metavar="OUT.json",
                        help="print (and write to OUT.json) greedy ids and top-2 margins for the fixture's prompts "
                             "instead of writing the fixture")
    parser.add_argument("--max-tokens", type=int, default=32, help="new tokens per prompt in --greedy (default 32)")
    args = parser.parse_args()
    if args.greedy is not None:
        path = args.model or model_path()
        if not path.exists():
            sys.exit(f"{path} is missing")
        greedy_report(path, args.max_tokens, None if args.greedy == "-" else Path(args.greedy))
        return
    if args.model is not None and args.model.resolve() != model_path().resolve():
        sys.exit("the fixture is made from the cached Q4_1 file only; use --greedy with --model")
    started = time.time()
    self_check_dequantization()
    model = Model(model_path())
    tokenizer = Tokenizer(model)
    tokens = []
    for s in STRINGS:
        ids = tokenizer.encode(s)
        assert tokenizer.decode(ids) == s, s
        tokens.append({"text": s, "ids": ids})
    try:
        from transformers import AutoTokenizer
        hf = AutoTokenizer.from_pretrained(str(model_path().parent), gguf_file=MODEL)
        for entry in tokens:
            theirs = hf.encode(entry["text"], add_special_tokens=False)
            if theirs != entry["ids"]:
                print(f"warning: transformers tokenizes {entry['text']!r} as {theirs}, this script as {entry['ids']}")
    except Exception as error:  # noqa: BLE001 - the cross-check is optional
        print(f"(transformers tokenizer cross-check skipped: {error})")

    logits, continuations = [], []
    for index, prompt in enumerate(PROMPTS):
        ids = tokenizer.encode(prompt)
        generated, tops = greedy(model, ids, 32, record_top=8 if index < 2 else 0)
        continuations.append({"prompt": prompt, "prompt_ids": ids, "generated_ids": generated,
                              "text": tokenizer.decode(generated)})
        if tops:
            logits.append({"prompt": prompt, "prompt_ids": ids, "steps": tops})
        print(f"{prompt!r} → {tokenizer.decode(generated)!r}")
    fixture = {
        "generator": "scripts/smollm2_reference.py (float64 NumPy, independent of Attend)",
        "model": MODEL,
        "chat_template": model.template,
        "tokens": tokens,
        "logits": logits,
        "greedy": continuations,
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {FIXTURE.relative_to(ROOT)} in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
