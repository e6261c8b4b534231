#!/usr/bin/env python3
"""Seed inputs for the fuzz harnesses that read GGUF files and tokenizers (FuzzTarget gguf,
wordpiece, bpe), written by hand from the formats' specifications (GGUF: llama.cpp's
docs/gguf.md; vocab.txt: one token a line; tokenizer.json: Hugging Face's layout), so the seeds do
not come from Attend's own writers.

    python3 scripts/make_fuzz_seeds.py     writes Tests/Fixtures/fuzz/{gguf,wordpiece,bpe}/seed-*

Each harness's input layout is documented on its FuzzTarget case. libFuzzer grows the corpus from
these seeds; `scripts/fuzz.sh merge TARGET` minimizes it back into the same folders.
"""
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "fuzz"

# GGUF value type ids
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<?",
          U64: "<Q", I64: "<q", F64: "<d"}


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_value(kind, value):
    if kind == STRING:
        return gguf_string(value)
    if kind == ARRAY:
        element, items = value
        return struct.pack("<IQ", element, len(items)) + b"".join(gguf_value(element, v) for v in items)
    return struct.pack(SCALAR[kind], value)


def gguf(metadata, tensors=(), alignment=32):
    """metadata: [(key, type, value)]; tensors: [(name, ggml type, ne list, data bytes)]."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, value in metadata:
        out += gguf_string(key) + struct.pack("<I", kind) + gguf_value(kind, value)
    offset, blobs = 0, b""
    for name, ggml_type, ne, data in tensors:
        out += gguf_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        out += struct.pack("<IQ", ggml_type, offset)
        padded = data + b"\0" * (-len(data) % alignment)
        blobs += padded
        offset += len(padded)
    out += b"\0" * (-len(out) % alignment)
    return out + blobs


def q8_0_block(scale, values):
    return struct.pack("<e", scale) + struct.pack("<32b", *values)


def q4_block(values, scale, minimum=None):
    head = struct.pack("<e", scale) + (b"" if minimum is None else struct.pack("<e", minimum))
    return head + bytes((values[j] & 15) | (values[j + 16] & 15) << 4 for j in range(16))


def write(target, name, data):
    folder = ROOT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed-{name}").write_bytes(data)


def gguf_seeds():
    metadata = [
        ("general.architecture", STRING, "llama"),
        ("general.alignment", U32, 32),
        ("llama.block_count", U32, 2),
        ("llama.rope.freq_base", F32, 10000.0),
        ("general.flag", BOOL, True),
        ("general.small", I8, -3),
        ("general.u8", U8, 200),
        ("general.i16", I16, -300),
        ("general.u16", U16, 60000),
        ("general.i32", I32, -70000),
        ("general.u64", U64, 1 << 40),
        ("general.i64", I64, -(1 << 40)),
        ("general.f64", F64, 0.5),
        ("general.tags", ARRAY, (STRING, ["a", "bc", "ünï"])),
        ("general.nested", ARRAY, (ARRAY, [(U8, [1, 2]), (U8, [3])])),
    ]
    tensors = [
        ("f32", 0, [3, 2], struct.pack("<6f", 1, -2, 3.5, 0, -0.0, 1e-40)),
        ("f16", 1, [4], struct.pack("<4e", 1, -2, 0.5, 65504)),
        ("q4_0", 2, [32], q4_block(list(range(16)) * 2, 0.25)),
        ("q4_1", 3, [32, 1], q4_block(list(range(15, -1, -1)) * 2, 0.5, -1.0)),
        ("q8_0", 8, [64], q8_0_block(0.125, range(-16, 16)) + q8_0_block(-2.0, range(32))),
        ("empty", 0, [0, 5], b""),
    ]
    write("gguf", "all-types", gguf(metadata, tensors))
    write("gguf", "metadata-only-v3", gguf(metadata[:3]))
    write("gguf", "align-64", gguf([("general.alignment", U32, 64)], tensors[:2], alignment=64))


# A small byte-level vocabulary: the printable ASCII bytes map to themselves in GPT-2's byte table,
# the space to "Ġ" (U+0120), the newline to "Ċ" (U+010A).
BPE_BASE = [chr(c) for c in range(33, 127)] + ["Ġ", "Ċ"]
BPE_MERGES = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "Ġ w", "o r", "l l", "Ġw or", "Ġa n", "Ġan d"]


def bpe_gguf(pre="gpt2", special=("<|im_start|>", "<|im_end|>")):
    tokens = list(BPE_BASE)
    for merge in BPE_MERGES:
        tokens.append(merge.replace(" ", ""))
    tokens += list(special)
    types = [1] * (len(tokens) - len(special)) + [3] * len(special)
    metadata = [
        ("tokenizer.ggml.model", STRING, "gpt2"),
        ("tokenizer.ggml.pre", STRING, pre),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, tokens)),
        ("tokenizer.ggml.token_type", ARRAY, (I32, types)),
        ("tokenizer.ggml.merges", ARRAY, (STRING, BPE_MERGES)),
    ]
    return gguf(metadata)


def bpe_seed(text, file):
    encoded = text.encode("utf-8")
    return struct.pack("<H", len(encoded)) + encoded + file


def bpe_seeds():
    write("bpe", "gpt2", bpe_seed("the world and the rest, we'll see 42!\n", bpe_gguf()))
    write("bpe", "smollm-special", bpe_seed("<|im_start|>user\nhello 2024 ünïcode<|im_end|>", bpe_gguf("smollm")))
    write("bpe", "empty-text", bpe_seed("", bpe_gguf()))


WORDPIECE_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "the", "world",
                   "hello", "##s", ",", "!", "a", "##b", "é", "中"]


def wordpiece_seeds():
    vocab = ("\n".join(WORDPIECE_VOCAB) + "\n").encode("utf-8")
    write("wordpiece", "defaults", vocab + b"\0" + "Hello, unaffable WORLDS! Ünï 中文 ab".encode("utf-8"))
    tokenizer_json = {
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100},
        "post_processor": {"single": [{"SpecialToken": {"id": "[CLS]"}}, {"Sequence": {"id": "A"}},
                                      {"SpecialToken": {"id": "[SEP]"}}]},
        "padding": {"pad_token": "[PAD]"},
        "truncation": {"max_length": 8},
    }
    write("wordpiece", "tokenizer-json",
          vocab + b"\0" + "the world, the world, the world!".encode("utf-8") + b"\0"
          + json.dumps(tokenizer_json).encode("utf-8"))
    write("wordpiece", "crlf", vocab.replace(b"\n", b"\r\n") + b"\0" + b"un\taffable\r\n")


if __name__ == "__main__":
    gguf_seeds()
    bpe_seeds()
    wordpiece_seeds()
