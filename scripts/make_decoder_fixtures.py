#!/usr/bin/env python3
"""Writes tiny random-weight decoder models as GGUF files, with the logits an independent float64
NumPy reference computes for them, for Attend's decoder tests: `Tests/Fixtures/decoders/NAME.gguf`
and `NAME.json` for

* `llama_mixed_types` — llama, tied head, 2 layers, GQA (4 query / 2 key-value heads), weight
  matrices spread over F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (token_embd Q4_0);
* `llama_untied_linear_rope` — llama, untied `output.weight`, `llama.rope.scaling.type = linear`
  with factor 4 (angle = (p/4)·θᵢ), multi-head attention (4/4);
* `llama3_rope_freqs` — llama with a `rope_freqs.weight` tensor of per-pair divisors computed as
  llama.cpp's convert_hf_to_gguf.py does for `rope_type: llama3` (angle = p·θᵢ / rope_freqs[i]),
  multi-query attention (4/1);
* `qwen2_bias` — qwen2 (keys `qwen2.*`): Q/K/V biases, untied head, NEOX rotary pairs (x[i], x[i+D/2]);
* `llama_kquants` — llama, d 256, FFN 512, head dim 64, matrices in Q4_K, Q5_K and Q6_K written as
  random but valid blocks (the `gguf` package cannot quantize K types), token_embd Q8_0.

    pip install gguf numpy && python3 scripts/make_decoder_fixtures.py     # ~3 s, ~1.4 MB

The vocabulary (shared) is byte-level BPE as llama.cpp's "gpt2" tokenizer model reads it: 104 tokens
(the printable ASCII bytes, Ġ for space, Ċ for newline, six merge results such as "Ġthe", then
<|endoftext|> = EOS and <|begin_of_text|> = BOS as control tokens), merges "Ġ t", "h e", "Ġt he", ….

Deterministic (fixed seed; GGUFWriter writes no timestamps), so rerunning gives the same bytes.
Independent of Attend. The `gguf` package writes the files, quantizes float weights to the non-K
block types (`gguf.quants.quantize`) and turns every written block back into values
(`gguf.quants.dequantize`, an independent implementation of the block layouts — the reference runs
on exactly the weights in the file); each file is also read back with `gguf.GGUFReader` and compared.
All of the model math — RMSNorm, the rotary variants, causal grouped-query attention, SwiGLU, the
greedy loop — is written here in float64 from the formulas (llama.cpp's semantics):

    x = token_embd[ids]
    per layer:  h = RMSNorm(x)·attn_norm;  q, k, v = h·Wᵀ (+ bias for qwen2)
                RoPE on q and k per head at positions 0…L−1:
                  llama: pairs (x[2i], x[2i+1]) (llama.cpp's converter permutes Q/K rows so that
                         GGUF rows rotate in adjacent pairs), qwen2: pairs (x[i], x[i+D/2]) (NEOX);
                  angle = p · θᵢ · freq_scale / rope_freqs[i],  θᵢ = base^(−2i/D),
                  freq_scale = 1/factor for linear scaling, rope_freqs = 1 when absent
                attention: softmax(q·kᵀ/√D) over keys ≤ the query's position, query head h reading
                  key/value head h // (H/Hkv);  x += attn·Woᵀ
                x += Wdown·(silu(Wgate·RMSNorm(x)·ffn_norm) ⊙ Wup·RMSNorm(x)·ffn_norm)
    logits = RMSNorm(x)·output_norm · Eᵀ, E = output.weight, or token_embd when absent

Each JSON holds the model's description and configuration, the tensor types, `prompt_ids`, the
float64 `logits` at every prompt position ([position][token]), `greedy_ids` (10 tokens chosen by
argmax after the prompt, each step computed with a KV cache and checked against recomputing the
whole sequence), `min_top2_margin` (the smallest gap between the two best logits over those
steps), rope details, and `sensitivity`: how far the prompt logits move when one feature is
ignored (scaling, rope_freqs, NEOX pairing, biases) — a fixture that an engine could pass while
ignoring the feature would be worthless.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "decoders"
GENERATOR = "scripts/make_decoder_fixtures.py"
SEED = 20_260_601
CONTEXT = 256
PROMPT_LENGTH = 9      # BOS + 8 tokens
NEW_TOKENS = 10
MARGIN_WANTED = 0.2    # the prompt is chosen so that greedy's top-2 gaps stay at least this …
DISTINCT_WANTED = 5    # … and its 10 tokens hold at least this many different ids (if possible)
RESIDUAL_GAIN = 3.0    # attn_output and ffn_down outweigh the token's own embedding in the residual

# ---------------------------------------------------------------- vocabulary (byte-level BPE)


from smollm2_reference import bytes_to_unicode  # GPT-2's byte → character table


MERGES = ["Ġ t", "h e", "Ġt he", "i n", "e r", "Ġ a"]


@dataclass
class Vocabulary:
    tokens: list[str]
    types: list[int]      # 1 normal, 3 control
    merges: list[str]
    bos: int
    eos: int

    @property
    def normal_ids(self) -> list[int]:
        return [i for i, t in enumerate(self.types) if t == 1]


def build_vocabulary() -> Vocabulary:
    """104 tokens: the printable ASCII bytes, space (Ġ) and newline (Ċ) as byte-level characters,
    the results of six merges, then two control tokens (EOS, BOS)."""
    table = bytes_to_unicode()
    tokens = [table[b] for b in range(0x21, 0x7F)] + [table[0x20], table[0x0A]]
    for merge in MERGES:
        left, right = merge.split(" ")
        assert left in tokens and right in tokens, merge
        tokens.append(left + right)
    tokens += ["<|endoftext|>", "<|begin_of_text|>"]
    assert len(set(tokens)) == len(tokens)
    types = [1] * (len(tokens) - 2) + [3, 3]
    return Vocabulary(tokens, types, list(MERGES), bos=len(tokens) - 1, eos=len(tokens) - 2)


# ---------------------------------------------------------------- model descriptions


@dataclass
class Spec:
    name: str
    arch: str
    description: str
    layers: int
    dim: int
    ffn: int
    heads: int
    kv_heads: int
    eps: float
    base: float
    pre: str                                   # tokenizer.ggml.pre
    types: dict[str, T]                        # tensor name (without .weight) → block type
    neox: bool = False
    tied: bool = True
    qkv_bias: bool = False
    linear_factor: float | None = None         # llama.rope.scaling.type = linear
    llama3: dict | None = None                 # rope_type llama3 parameters → rope_freqs.weight

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    @property
    def file_eps(self) -> float:
        """eps as the file holds it (GGUF stores it as float32: 1e-5 becomes 9.99999974738e-06)."""
        return float(np.float32(self.eps))

    @property
    def file_base(self) -> float:
        return float(np.float32(self.base))


def layer_types(*per_layer: list[T]) -> dict[str, T]:
    names = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
    return {f"blk.{b}.{n}": t for b, types in enumerate(per_layer) for n, t in zip(names, types, strict=True)}


def specs() -> list[Spec]:
    small = dict(dim=64, ffn=128, heads=4)
    return [
        Spec(
            "llama_mixed_types", "llama",
            "llama, tied head (no output.weight), 2 layers, d 64, FFN 128, 4 query / 2 key-value heads "
            "(head dim 16), RoPE base 10000; weight matrices in F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1 "
            "and Q8_0, token_embd in Q4_0 (used for the embedding lookup and the tied head)",
            layers=2, kv_heads=2, eps=1e-5, base=10_000.0, pre="smollm", **small,
            types={"token_embd": T.Q4_0, **layer_types(
                [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1],
                [T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.BF16, T.F16])}),
        Spec(
            "llama_untied_linear_rope", "llama",
            "llama, untied output.weight (F16, unrelated to token_embd), 2 layers, d 64, 4 heads with "
            "4 key-value heads (no grouping), linear RoPE scaling: llama.rope.scaling.type = \"linear\", "
            "llama.rope.scaling.factor = 4, so the angle is (p/4)·θᵢ",
            layers=2, kv_heads=4, eps=1e-5, base=10_000.0, pre="llama-bpe", **small,
            tied=False, linear_factor=4.0,
            types={"token_embd": T.F32, "output": T.F16, **layer_types([T.F32] * 7, [T.F16] * 7)}),
        Spec(
            "llama3_rope_freqs", "llama",
            "llama with rope_freqs.weight (F32, head_dim/2 per-pair divisors from llama.cpp's converter for "
            "rope_type llama3: factor 8, low_freq_factor 1, high_freq_factor 4, original context 64, "
            "base 10000, head dim 16), tied head, 1 layer, 4 query heads sharing 1 key-value head",
            layers=1, kv_heads=1, eps=1e-5, base=10_000.0, pre="llama-bpe", **small,
            llama3=dict(factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original_max_position_embeddings=64),
            types={"token_embd": T.F16, **layer_types([T.F32] * 7)}),
        Spec(
            "qwen2_bias", "qwen2",
            "qwen2: Q/K/V biases (F32, nonzero), untied output.weight (Q8_0), NEOX rotary pairs "
            "(x[i], x[i+D/2]) with Q/K rows not permuted, 2 layers, d 64, 4 query / 2 key-value heads, "
            "RoPE base 1e6, RMSNorm eps 1e-6",
            layers=2, kv_heads=2, eps=1e-6, base=1_000_000.0, pre="qwen2", **small,
            neox=True, tied=False, qkv_bias=True,
            types={"token_embd": T.F32, "output": T.Q8_0,
                   **layer_types([T.F32] * 4 + [T.F16] * 3, [T.F16] * 4 + [T.F32] * 3)}),
        Spec(
            "llama_kquants", "llama",
            "llama, d 256, FFN 512, 4 query / 2 key-value heads (head dim 64), 1 layer, RoPE base 500000; "
            "matrices in Q4_K, Q5_K and Q6_K (random valid blocks), token_embd Q8_0, untied output.weight Q6_K",
            layers=1, dim=256, ffn=512, heads=4, kv_heads=2, eps=1e-5, base=500_000.0, pre="smollm",
            tied=False,
            types={"token_embd": T.Q8_0, "output": T.Q6_K, **layer_types(
                [T.Q4_K, T.Q5_K, T.Q6_K, T.Q4_K, T.Q5_K, T.Q4_K, T.Q6_K])}),
    ]


# ---------------------------------------------------------------- rope_freqs (llama3)


def llama3_rope_freqs(head_dim: int, base: float, factor: float, low_freq_factor: float,
                      high_freq_factor: float, original_max_position_embeddings: int) -> tuple[np.ndarray, list[str]]:
    """The per-pair divisors llama.cpp's convert_hf_to_gguf.py writes as rope_freqs.weight for
    rope_type llama3: with θᵢ = base^(−2i/D) and wavelength λᵢ = 2π/θᵢ,
    λ < original/high → 1;  λ > original/low → factor;
    otherwise 1 / ((1 − s)/factor + s), s = (original/λ − low) / (high − low)."""
    low_wavelen = original_max_position_embeddings / low_freq_factor
    high_wavelen = original_max_position_embeddings / high_freq_factor
    divisors, classes = [], []
    for i in range(head_dim // 2):
        theta = base ** (-2 * i / head_dim)
        wavelen = 2 * math.pi / theta
        if wavelen < high_wavelen:
            divisors.append(1.0)
            classes.append("unscaled (1)")
        elif wavelen > low_wavelen:
            divisors.append(factor)
            classes.append("full factor")
        else:
            s = (original_max_position_embeddings / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            divisors.append(1 / ((1 - s) / factor + s))
            classes.append("smoothed")
    return np.array(divisors, dtype=np.float32), classes


# ---------------------------------------------------------------- weights: random values, then blocks


def quant_block(qtype: T) -> tuple[int, int]:
    return quants.GGML_QUANT_SIZES[qtype]


K_TYPES = {T.Q4_K, T.Q5_K, T.Q6_K}


def kquant_blocks(qtype: T, rows: int, cols: int, target_std: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Random but valid K-quant blocks whose dequantized values have about `target_std`.

    Q4_K / Q5_K: x = d·scale·q − dmin·min with 6-bit scales and mins from random bytes; dmin is
    set near d·mean(q) so that the values are roughly centred. Q6_K: x = d·scale·(q − 32) with int8
    scales drawn from [−48, 48). d and dmin are f16, positive, with a ±25 % jitter per block.
    Returns (bytes as [rows, bytes per row], values as float64 [rows, cols])."""
    block_values, block_bytes = quant_block(qtype)
    assert cols % block_values == 0, (qtype, cols)
    count = rows * cols // block_values
    raw = rng.integers(0, 256, size=(count, block_bytes), dtype=np.uint8)
    jitter = rng.uniform(0.75, 1.25, size=(count, 2))
    if qtype == T.Q6_K:
        raw[:, 192:208] = rng.integers(-48, 48, size=(count, 16), dtype=np.int8).view(np.uint8)

    def set_scale(c: float) -> np.ndarray:
        def put(offset, values):
            raw[:, offset:offset + 2] = values.astype("<f2").view(np.uint8).reshape(count, 2)
        if qtype == T.Q6_K:
            put(208, c * jitter[:, 0])
        else:
            mean_q = 7.5 if qtype == T.Q4_K else 15.5
            put(0, c * jitter[:, 0])
            put(2, c * mean_q * jitter[:, 1])
        return quants.dequantize(raw, qtype).astype(np.float64).reshape(rows, cols)

    trial = set_scale(1e-3)
    values = set_scale(1e-3 * target_std / trial.std())
    return raw.reshape(rows, -1), values


def encode(w: np.ndarray, qtype: T, rng) -> tuple[np.ndarray, np.ndarray]:
    """(data for GGUFWriter, the float64 values the file holds) for float32 weights `w` [out, in]."""
    if qtype == T.F32:
        data = w.astype(np.float32)
        return data, data.astype(np.float64)
    if qtype == T.F16:
        data = w.astype(np.float16)
        return data, data.astype(np.float64)
    if qtype in K_TYPES:
        return kquant_blocks(qtype, w.shape[0], w.shape[1], float(w.std()), rng)
    data = quants.quantize(w.astype(np.float32), qtype)   # BF16 and Q4_0 … Q8_0: uint8 blocks
    return data, quants.dequantize(data, qtype).astype(np.float64).reshape(w.shape)


@dataclass
class Model:
    spec: Spec
    vocab: Vocabulary
    weights: dict[str, np.ndarray] = field(default_factory=dict)   # float64, row-major [out, in]
    written: dict[str, tuple[np.ndarray, T]] = field(default_factory=dict)
    rope_freqs: np.ndarray | None = None
    rope_classes: list[str] | None = None

    def w(self, name: str) -> np.ndarray:
        return self.weights[name]


def build_model(spec: Spec, vocab: Vocabulary, rng) -> Model:
    """Random weights of a useful scale: token_embd/output rows give logits of a few units after
    the final RMSNorm, Q and K give attention scores of O(1), and the layers' outputs (attn_output,
    ffn_down, RESIDUAL_GAIN) outweigh the token's own embedding, so that a tied head does not just
    predict the current token again."""
    model = Model(spec, vocab)
    V, E, F = len(vocab.tokens), spec.dim, spec.ffn
    D, H, Hkv = spec.head_dim, spec.heads, spec.kv_heads

    def matrix(name: str, rows: int, cols: int, std: float):
        qtype = spec.types[name]
        data, values = encode(rng.standard_normal((rows, cols)).astype(np.float32) * np.float32(std), qtype, rng)
        model.written[name + ".weight"] = (data, qtype)
        model.weights[name + ".weight"] = values

    def vector(name: str, n: int, mean: float, std: float):
        data = (mean + std * rng.standard_normal(n)).astype(np.float32)
        model.written[name] = (data, T.F32)
        model.weights[name] = data.astype(np.float64)

    head_std = 3.2 / math.sqrt(E)
    matrix("token_embd", V, E, head_std if spec.tied else 1.0)
    for b in range(spec.layers):
        p = f"blk.{b}."
        vector(p + "attn_norm.weight", E, 1.0, 0.1)
        matrix(p + "attn_q", H * D, E, 1.4 / math.sqrt(E))
        matrix(p + "attn_k", Hkv * D, E, 1.4 / math.sqrt(E))
        matrix(p + "attn_v", Hkv * D, E, 1.0 / math.sqrt(E))
        if spec.qkv_bias:
            vector(p + "attn_q.bias", H * D, 0.0, 0.3)
            vector(p + "attn_k.bias", Hkv * D, 0.0, 0.3)
            vector(p + "attn_v.bias", Hkv * D, 0.0, 0.3)
        matrix(p + "attn_output", E, H * D, RESIDUAL_GAIN / math.sqrt(H * D))
        vector(p + "ffn_norm.weight", E, 1.0, 0.1)
        matrix(p + "ffn_gate", F, E, 1.0 / math.sqrt(E))
        matrix(p + "ffn_up", F, E, 1.0 / math.sqrt(E))
        matrix(p + "ffn_down", E, F, RESIDUAL_GAIN / math.sqrt(F))
    vector("output_norm.weight", E, 1.0, 0.1)
    if not spec.tied:
        matrix("output", V, E, head_std)
    if spec.llama3:
        model.rope_freqs, model.rope_classes = llama3_rope_freqs(D, spec.base, **spec.llama3)
        model.written["rope_freqs.weight"] = (model.rope_freqs, T.F32)
        model.weights["rope_freqs.weight"] = model.rope_freqs.astype(np.float64)
    return model


# ---------------------------------------------------------------- the GGUF file


def write_gguf(model: Model, path: Path) -> None:
    spec, vocab = model.spec, model.vocab
    w = gguf.GGUFWriter(str(path), spec.arch)             # writes general.architecture
    w.add_name(spec.name)
    w.add_context_length(CONTEXT)
    w.add_embedding_length(spec.dim)
    w.add_block_count(spec.layers)
    w.add_feed_forward_length(spec.ffn)
    w.add_head_count(spec.heads)
    w.add_head_count_kv(spec.kv_heads)
    w.add_rope_freq_base(spec.base)
    w.add_layer_norm_rms_eps(spec.eps)
    w.add_rope_dimension_count(spec.head_dim)
    w.add_vocab_size(len(vocab.tokens))
    if spec.linear_factor is not None:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(spec.linear_factor)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(spec.pre)
    w.add_token_list(vocab.tokens)
    w.add_token_types(vocab.types)
    w.add_token_merges(vocab.merges)
    w.add_bos_token_id(vocab.bos)
    w.add_eos_token_id(vocab.eos)
    for name, (data, qtype) in model.written.items():
        if qtype in (T.F32, T.F16):
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# What each metadata-only file (no tensors) changes from a valid small llama header, and the words
# the error a loader gives must contain. The Swift tests read this table from invalid/cases.json.
INVALID = {
    "unsupported_architecture": ({"arch": "gptneox"}, ["gptneox", "llama", "qwen2"]),
    "rope_scaling_yarn": ({"scaling": "yarn", "factor": 4.0}, ["rope.scaling.type", "yarn", "linear"]),
    "unknown_pretokenizer": ({"pre": "tekken"}, ["tekken", "llama-bpe", "qwen2"]),
    "heads_not_dividing_width": ({"heads": 5}, ["5 query heads", "embedding_length 64"]),
    "partial_rotary": ({"rope_dims": 8}, ["rope.dimension_count 8", "head dimension 16"]),
}

# Metadata-only headers a loader must accept, with the linear rotary factor it must read (1: none),
# as llama.cpp reads the keys: the type defaults to linear, the factor may sit under the older
# rope.scale_linear key, and a factor of 0 means none.
SCALING_VARIANTS = {
    "rope_factor_without_type": ({"factor": 4.0}, 4.0),
    "rope_scale_linear_key": ({"scale_linear": 2.0}, 2.0),
    "rope_factor_zero": ({"scaling": "linear", "factor": 0.0}, 1.0),
    "rope_type_none_with_factor": ({"scaling": "none", "factor": 8.0}, 1.0),
}


def write_header(path: Path, vocab: Vocabulary, change: dict) -> None:
    """A metadata-only GGUF header (no tensors) of a small llama model, with `change` applied."""
    arch = change.get("arch", "llama")
    w = gguf.GGUFWriter(str(path), arch)
    w.add_context_length(CONTEXT)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(change.get("heads", 4))
    w.add_head_count_kv(change.get("heads", 4))
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(change.get("rope_dims", 16))
    if "scaling" in change:
        w.add_string(f"{arch}.rope.scaling.type", change["scaling"])
    if "factor" in change:
        w.add_rope_scaling_factor(change["factor"])
    if "scale_linear" in change:
        w.add_float32(f"{arch}.rope.scale_linear", change["scale_linear"])
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(change.get("pre", "smollm"))
    w.add_token_list(vocab.tokens)
    w.add_token_types(vocab.types)
    w.add_token_merges(vocab.merges)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_headers(out: Path, vocab: Vocabulary, table: dict, entry) -> int:
    """One metadata-only header per `table` row (name → (change, expected)) in `out`, and
    `out/cases.json` mapping each name to {"file", **entry(expected)}."""
    out.mkdir(parents=True, exist_ok=True)
    cases, total = {}, 0
    for name, (change, expected) in table.items():
        path = out / f"{name}.gguf"
        write_header(path, vocab, change)
        cases[name] = {"file": path.name, **entry(expected)}
        total += path.stat().st_size
    (out / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    return total


def check_gguf(model: Model, path: Path) -> None:
    """Reads the file back: the keys hold what was meant and every tensor dequantizes to the
    reference's values."""
    reader = gguf.GGUFReader(str(path))
    arch = model.spec.arch
    value = lambda key: reader.fields[key].contents()
    assert value("general.architecture") == arch
    assert value(f"{arch}.rope.dimension_count") == model.spec.head_dim
    assert value(f"{arch}.attention.layer_norm_rms_epsilon") == model.spec.file_eps
    assert value(f"{arch}.rope.freq_base") == model.spec.file_base
    assert value("tokenizer.ggml.tokens") == model.vocab.tokens
    assert reader.fields["tokenizer.ggml.token_type"].types[-1] == gguf.GGUFValueType.INT32
    if model.spec.linear_factor is not None:
        assert value(f"{arch}.rope.scaling.type") == "linear"
        assert value(f"{arch}.rope.scaling.factor") == model.spec.linear_factor
    else:
        assert not any(".rope.scaling." in k for k in reader.fields), "unexpected rope scaling keys"
    names = {t.name for t in reader.tensors}
    assert names == set(model.weights), names ^ set(model.weights)
    for t in reader.tensors:
        expected = model.weights[t.name]
        assert t.tensor_type == model.written[t.name][1], t.name
        assert [int(n) for n in t.shape] == list(reversed(expected.shape)), (t.name, t.shape)   # ne0 = in
        got = quants.dequantize(np.asarray(t.data), t.tensor_type).astype(np.float64).reshape(expected.shape)
        assert np.array_equal(got, expected), t.name


# ---------------------------------------------------------------- the float64 reference


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1 + np.exp(-x))


@dataclass
class Rope:
    """angle(p, i) = p · θᵢ · scale / divisor[i], θᵢ = base^(−2i/D); NEOX or adjacent pairs."""
    head_dim: int
    base: float
    neox: bool = False
    scale: float = 1.0                        # 1/factor for linear scaling
    divisors: np.ndarray | None = None        # rope_freqs

    def angles(self, positions: np.ndarray) -> np.ndarray:
        half = self.head_dim // 2
        theta = self.base ** (-2.0 * np.arange(half) / self.head_dim)
        divisors = np.ones(half) if self.divisors is None else np.asarray(self.divisors, dtype=np.float64)
        return positions[:, None].astype(np.float64) * self.scale * theta[None, :] / divisors[None, :]

    def apply(self, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """x: [L, heads, D] rotated at `positions` [L]."""
        angle = self.angles(positions)[:, None, :]
        cos, sin = np.cos(angle), np.sin(angle)
        half = self.head_dim // 2
        if self.neox:
            a, b = x[..., :half], x[..., half:]
        else:
            a, b = x[..., 0::2], x[..., 1::2]
        ra, rb = a * cos - b * sin, a * sin + b * cos
        out = np.empty_like(x)
        if self.neox:
            out[..., :half], out[..., half:] = ra, rb
        else:
            out[..., 0::2], out[..., 1::2] = ra, rb
        return out


def rope_of(model: Model, *, neox: bool | None = None, scaling: bool = True) -> Rope:
    spec = model.spec
    return Rope(spec.head_dim, spec.file_base, spec.neox if neox is None else neox,
                scale=1.0 / spec.linear_factor if (scaling and spec.linear_factor) else 1.0,
                divisors=model.rope_freqs if scaling else None)


class Cache:
    """Per layer, the keys (after RoPE) and values of every position so far: [T, Hkv, D]."""

    def __init__(self, layers: int):
        self.keys: list[np.ndarray | None] = [None] * layers
        self.values: list[np.ndarray | None] = [None] * layers
        self.length = 0


def forward(model: Model, ids: list[int], cache: Cache, rope: Rope, biases: bool = True) -> np.ndarray:
    """Logits [len(ids), V] for `ids` at positions cache.length …, appending to the cache."""
    spec, w = model.spec, model.w
    H, Hkv, D = spec.heads, spec.kv_heads, spec.head_dim
    L, start = len(ids), cache.length
    positions = np.arange(start, start + L)
    x = w("token_embd.weight")[ids]
    for b in range(spec.layers):
        p = f"blk.{b}."
        h = rms_norm(x, w(p + "attn_norm.weight"), spec.file_eps)
        q, k, v = (h @ w(p + f"attn_{n}.weight").T for n in "qkv")
        if spec.qkv_bias and biases:
            q, k, v = q + w(p + "attn_q.bias"), k + w(p + "attn_k.bias"), v + w(p + "attn_v.bias")
        q = rope.apply(q.reshape(L, H, D), positions)
        k = rope.apply(k.reshape(L, Hkv, D), positions)
        v = v.reshape(L, Hkv, D)
        if cache.keys[b] is not None:
            k = np.concatenate([cache.keys[b], k])
            v = np.concatenate([cache.values[b], v])
        cache.keys[b], cache.values[b] = k, v
        visible = np.arange(start + L)[None, :] <= positions[:, None]            # [L, T] causal
        heads = []
        for head in range(H):
            kv = head // (H // Hkv)
            scores = q[:, head, :] @ k[:, kv, :].T / math.sqrt(D)
            scores = np.where(visible, scores, -np.inf)
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            heads.append((scores / scores.sum(axis=1, keepdims=True)) @ v[:, kv, :])
        x = x + np.concatenate(heads, axis=1) @ w(p + "attn_output.weight").T
        h = rms_norm(x, w(p + "ffn_norm.weight"), spec.file_eps)
        x = x + (silu(h @ w(p + "ffn_gate.weight").T) * (h @ w(p + "ffn_up.weight").T)) @ w(p + "ffn_down.weight").T
    cache.length += L
    head = model.weights.get("output.weight", w("token_embd.weight"))
    return rms_norm(x, w("output_norm.weight"), spec.file_eps) @ head.T


def logits_of(model: Model, ids: list[int], **variant) -> np.ndarray:
    biases = variant.pop("biases", True)
    return forward(model, ids, Cache(model.spec.layers), rope_of(model, **variant), biases)


def greedy(model: Model, prompt: list[int], steps: int) -> tuple[list[int], float]:
    """`steps` argmax tokens after `prompt`, each step one cached position (checked against
    recomputing the whole sequence), and the smallest top-2 gap over the steps."""
    rope = rope_of(model)
    cache = Cache(model.spec.layers)
    last = forward(model, prompt, cache, rope)[-1]
    ids, margin = list(prompt), math.inf
    for _ in range(steps):
        full = logits_of(model, ids)[-1]
        assert np.allclose(last, full, rtol=0, atol=1e-10), np.abs(last - full).max()
        top2 = np.sort(last)[-2:]
        margin = min(margin, float(top2[1] - top2[0]))
        ids.append(int(np.argmax(last)))
        last = forward(model, [ids[-1]], cache, rope)[-1]
    return ids[len(prompt):], margin


def choose_prompt(model: Model, rng) -> tuple[list[int], list[int], float]:
    """BOS + 8 random ordinary tokens: the first of up to 48 candidates whose greedy continuation
    has no control token, at least DISTINCT_WANTED different ids and top-2 gaps ≥ MARGIN_WANTED;
    failing that, the best candidate by (enough different ids, gap)."""
    best, best_score = None, None
    for _ in range(48):
        prompt = [model.vocab.bos] + [int(i) for i in rng.choice(model.vocab.normal_ids, PROMPT_LENGTH - 1)]
        new, margin = greedy(model, prompt, NEW_TOKENS)
        if any(model.vocab.types[i] != 1 for i in new):
            continue
        score = (len(set(new)) >= DISTINCT_WANTED, margin)
        if best_score is None or score > best_score:
            best, best_score = (prompt, new, margin), score
        if score[0] and margin >= MARGIN_WANTED:
            break
    assert best is not None, "every candidate prompt generated a control token"
    return best


# ---------------------------------------------------------------- checks of the reference itself


def check_rope() -> None:
    """The rotation against the complex-number form, and the scaling identities."""
    rng = np.random.default_rng(0)
    D, base = 16, 10_000.0
    x = rng.standard_normal((5, 2, D))
    positions = np.arange(3, 8)
    theta = base ** (-2.0 * np.arange(D // 2) / D)
    turn = np.exp(1j * positions[:, None, None] * theta)
    adjacent = (x[..., 0::2] + 1j * x[..., 1::2]) * turn
    got = Rope(D, base).apply(x, positions)
    assert np.allclose(got[..., 0::2], adjacent.real) and np.allclose(got[..., 1::2], adjacent.imag)
    neox = (x[..., :D // 2] + 1j * x[..., D // 2:]) * turn
    got = Rope(D, base, neox=True).apply(x, positions)
    assert np.allclose(got[..., :D // 2], neox.real) and np.allclose(got[..., D // 2:], neox.imag)
    assert not np.allclose(Rope(D, base).apply(x, positions), got)            # the pairings differ
    # linear factor 4 at p is the unscaled rotation at p/4; factor 1 and divisors of 1 change nothing
    assert np.allclose(Rope(D, base, scale=0.25).apply(x, positions), Rope(D, base).apply(x, positions / 4))
    assert np.array_equal(Rope(D, base, scale=1.0).apply(x, positions), Rope(D, base).apply(x, positions))
    assert np.array_equal(Rope(D, base, divisors=np.ones(D // 2)).apply(x, positions),
                          Rope(D, base).apply(x, positions))
    # a rotation keeps each pair's length, and position 0 is the identity
    assert np.allclose(np.abs(adjacent), np.hypot(x[..., 0::2], x[..., 1::2]))
    assert np.array_equal(Rope(D, base).apply(x, np.zeros(5)), x)


def check_attention_and_cache(model: Model, prompt: list[int]) -> None:
    """Prompt logits computed in one pass equal those computed a token at a time (KV cache), and a
    prefix's logits do not depend on later tokens (causality)."""
    full = logits_of(model, prompt)
    cache, rope = Cache(model.spec.layers), rope_of(model)
    stepwise = np.concatenate([forward(model, [i], cache, rope) for i in prompt])
    assert np.allclose(full, stepwise, rtol=0, atol=1e-10)
    assert np.allclose(logits_of(model, prompt[:4]), full[:4], rtol=0, atol=1e-12)


def sensitivity(model: Model, prompt: list[int], logits: np.ndarray) -> dict[str, float]:
    """max |Δlogit| over the prompt when a feature is ignored (each should be clearly nonzero)."""
    spec, out = model.spec, {}
    diff = lambda other: float(np.abs(other - logits).max())
    if spec.linear_factor is not None:
        out["ignoring_linear_scaling"] = diff(logits_of(model, prompt, scaling=False))
    if spec.llama3:
        out["ignoring_rope_freqs"] = diff(logits_of(model, prompt, scaling=False))
    if spec.neox:
        out["adjacent_pairs_instead_of_neox"] = diff(logits_of(model, prompt, neox=False))
    else:
        out["neox_pairs_instead_of_adjacent"] = diff(logits_of(model, prompt, neox=True))
    if spec.qkv_bias:
        out["ignoring_qkv_biases"] = diff(logits_of(model, prompt, biases=False))
    if "output.weight" in model.weights:
        tied = replace(spec, tied=True)
        swapped = Model(tied, model.vocab, {k: v for k, v in model.weights.items() if k != "output.weight"},
                        rope_freqs=model.rope_freqs)
        out["token_embd_instead_of_output"] = diff(logits_of(swapped, prompt))
    return out


# ---------------------------------------------------------------- the fixture


def rope_info(model: Model) -> dict:
    spec = model.spec
    info = {
        "type": "neox" if spec.neox else "norm",
        "pairs": "(x[i], x[i + D/2])" if spec.neox else "(x[2i], x[2i+1])",
        "freq_base": spec.file_base,
        "dimension_count": spec.head_dim,
        "angle": "p · base^(−2i/D)" + (f" / {spec.linear_factor:g}" if spec.linear_factor else "")
                 + (" / rope_freqs[i]" if spec.llama3 else ""),
    }
    if spec.linear_factor is not None:
        info["scaling"] = {"type": "linear", "factor": spec.linear_factor,
                           "gguf_keys": {f"{spec.arch}.rope.scaling.type": "linear",
                                         f"{spec.arch}.rope.scaling.factor": spec.linear_factor}}
    if spec.llama3:
        info["llama3"] = dict(spec.llama3)
        info["rope_freqs"] = [float(f) for f in model.rope_freqs]
        info["rope_freqs_classes"] = model.rope_classes
        info["rope_freqs_formula"] = (
            "θᵢ = base^(−2i/D), λᵢ = 2π/θᵢ; λ < original/high_freq_factor → 1; λ > original/low_freq_factor "
            "→ factor; otherwise 1/((1 − s)/factor + s), s = (original/λ − low_freq_factor)/(high_freq_factor − "
            "low_freq_factor); stored as F32 (convert_hf_to_gguf.py, LlamaModel.generate_extra_tensors, which "
            "computes in float32 and takes `original` from config.json's top level, default 8192, not from its "
            "rope_scaling block)")
        info["gguf_rope_scaling_keys"] = (
            "none: for rope_type llama3 convert_hf_to_gguf.py writes only the rope_freqs.weight tensor (its "
            "rope-scaling switch says 'Handled in generate_extra_tensors'), so a Llama-3.1 GGUF has no "
            "llama.rope.scaling.* keys; llama.cpp divides each pair's angle by rope_freqs[i] (ggml_rope_ext's "
            "freq_factors)")
    return info


def fixture(model: Model, prompt: list[int], logits: np.ndarray, new: list[int], margin: float,
            moved: dict[str, float]) -> dict:
    spec = model.spec
    return {
        "generator": GENERATOR,
        "file": f"{spec.name}.gguf",
        "architecture": spec.arch,
        "description": spec.description,
        "config": {"block_count": spec.layers, "embedding_length": spec.dim, "feed_forward_length": spec.ffn,
                   "head_count": spec.heads, "head_count_kv": spec.kv_heads, "head_dim": spec.head_dim,
                   "context_length": CONTEXT, "rms_norm_eps": spec.file_eps, "vocab_size": len(model.vocab.tokens),
                   "tied_output": "output.weight" not in model.weights, "qkv_bias": spec.qkv_bias,
                   "tokenizer_pre": spec.pre, "bos_id": model.vocab.bos, "eos_id": model.vocab.eos},
        "tensor_types": {name: qtype.name for name, (_, qtype) in model.written.items()},
        "dequantization": "gguf.quants.dequantize of the written blocks (F32/F16 values as written), "
                          "then float64",
        "rope": rope_info(model),
        "prompt_ids": prompt,
        "logits": logits.tolist(),
        "greedy_ids": new,
        "min_top2_margin": margin,
        "sensitivity": moved,
    }


def main() -> int:
    started = time.perf_counter()
    check_rope()
    rng = np.random.default_rng(SEED)
    vocab = build_vocabulary()
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    for spec in specs():
        model = build_model(spec, vocab, rng)
        gguf_path, json_path = OUT / f"{spec.name}.gguf", OUT / f"{spec.name}.json"
        write_gguf(model, gguf_path)
        check_gguf(model, gguf_path)
        prompt, new, margin = choose_prompt(model, rng)
        check_attention_and_cache(model, prompt)
        logits = logits_of(model, prompt)
        moved = sensitivity(model, prompt, logits)
        assert all(v > 0.05 for v in moved.values()), moved
        json_path.write_text(json.dumps(fixture(model, prompt, logits, new, margin, moved)) + "\n")
        size = gguf_path.stat().st_size + json_path.stat().st_size
        total += size
        print(f"{spec.name}: {size / 1024:.0f} KiB, logits in [{logits.min():.2f}, {logits.max():.2f}] "
              f"(std {logits.std():.2f}), prompt {prompt}, greedy {new}, min top-2 margin {margin:.3f}")
        print(f"    sensitivity {', '.join(f'{k} {v:.2f}' for k, v in moved.items())}")
        if model.rope_classes:
            for i, (f, c) in enumerate(zip(model.rope_freqs, model.rope_classes)):
                print(f"    rope_freqs[{i}] = {f:.6f}  {c}")
    # Headers a loader must refuse with an error naming the problem, and scaling keys it must read.
    total += write_headers(OUT / "invalid", vocab, INVALID, lambda words: {"error_mentions": words})
    total += write_headers(OUT / "scaling", vocab, SCALING_VARIANTS, lambda factor: {"linear_factor": factor})
    print(f"wrote {OUT.relative_to(ROOT)}: {total / 1024:.0f} KiB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
