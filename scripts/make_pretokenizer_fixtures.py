#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizers/pretokenizer_splits.json: how llama.cpp's byte-level BPE
pre-tokenizers `gpt2` (GGUF value "gpt-2"), `smollm`, `llama-bpe` and `qwen2` cut ~50 hostile
texts into pieces, for Attend's pre-tokenizer tests.

    pip install regex && python3 scripts/make_pretokenizer_fixtures.py     # a second or two

Independent of Attend. The split patterns are copied from llama.cpp's `src/llama-vocab.cpp`
(`llm_tokenizer_bpe::llm_tokenizer_bpe`, the `switch (vocab.get_pre_type())` that fills
`regex_exprs`) and applied with the Python `regex` package the way llama.cpp's
`unicode_regex_split` (`src/unicode.cpp`) applies them:

* the expressions run in sequence; each one splits every piece the previous one produced;
* within a piece, every match is a piece and so is every stretch of text between matches (text
  no alternative matches is kept, never dropped), so the pieces always concatenate to the text;
* a lookahead such as `(?!\\S)` sees only the piece being split (the piece's end is "not \\S").

The JSON holds the pieces before GPT-2's byte-to-character mapping (raw text, not `Ġ`-spelled).
Checks made here: the pieces concatenate to the text; llama.cpp's spelling of each pattern gives
the same pieces as Hugging Face's original spelling (`(?i:…)` contractions, GPT-2's trailing
`|\\s+`); and, when the `tokenizers` package is installed, Hugging Face's own pre-tokenizers
(`ByteLevel`, `Digits` + `ByteLevel`, `Split` + `ByteLevel`) give the same pieces.
"""

from __future__ import annotations

import json
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizers" / "pretokenizer_splits.json"

# ---------------------------------------------------------------- the patterns

GPT2_LLAMA_CPP = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
GPT2_HF = GPT2_LLAMA_CPP + r"|\s+"
CONTRACTIONS_LLAMA_CPP = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
CONTRACTIONS_HF = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
LLAMA3_TAIL = r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_TAIL = r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

VOCAB_CPP = "src/llama-vocab.cpp, llm_tokenizer_bpe constructor"
PRETOKENIZERS = {
    "gpt2": {
        "gguf_pre": ["gpt-2", "phi-2", "jina-es", "jina-de", "…"],
        "llama_cpp_pre_type": "LLAMA_VOCAB_PRE_TYPE_GPT2",
        "source": f"{VOCAB_CPP}, case LLAMA_VOCAB_PRE_TYPE_GPT2 (with MPT, OLMO, JAIS, …); "
                  "run by unicode_regex_split_custom_gpt2 (src/unicode.cpp)",
        "patterns": [GPT2_LLAMA_CPP],
        "hugging_face": "pre_tokenizers.ByteLevel(add_prefix_space=false, use_regex=true), whose regex is "
                        "GPT-2's with a final |\\s+ (llama.cpp leaves it out: the text it would match is "
                        "kept as a piece anyway, and its custom implementation has the \\s+ branch)",
        "hugging_face_patterns": [GPT2_HF],
    },
    "smollm": {
        "gguf_pre": ["smollm"],
        "llama_cpp_pre_type": "LLAMA_VOCAB_PRE_TYPE_SMOLLM",
        "source": f"{VOCAB_CPP}, case LLAMA_VOCAB_PRE_TYPE_SMOLLM (shared with STARCODER, REFACT, COMMAND_R, "
                  "CODESHELL, EXAONE, MINERVA, …); \\p{N} by std::regex on the category-collapsed text, then "
                  "unicode_regex_split_custom_gpt2",
        "patterns": [r"\p{N}", GPT2_LLAMA_CPP],
        "hugging_face": "pre_tokenizers.Sequence([Digits(individual_digits=true), ByteLevel(add_prefix_space=false, "
                        "use_regex=true)]) (SmolLM/SmolLM2 tokenizer.json)",
        "hugging_face_patterns": [r"\p{N}", GPT2_HF],
    },
    "llama-bpe": {
        "gguf_pre": ["llama-bpe", "llama3", "llama-v3", "falcon3", "…"],
        "llama_cpp_pre_type": "LLAMA_VOCAB_PRE_TYPE_LLAMA3",
        "source": f"{VOCAB_CPP}, case LLAMA_VOCAB_PRE_TYPE_LLAMA3 (the comment there gives tokenizer.json's "
                  "original; DBRX and SMAUG use the same pattern); run by unicode_regex_split_custom_llama3",
        "patterns": [CONTRACTIONS_LLAMA_CPP + LLAMA3_TAIL],
        "hugging_face": "pre_tokenizers.Sequence([Split(pattern, behavior=isolated), ByteLevel(add_prefix_space="
                        "false, use_regex=false)]) (Llama 3 tokenizer.json)",
        "hugging_face_patterns": [CONTRACTIONS_HF + LLAMA3_TAIL],
    },
    "qwen2": {
        "gguf_pre": ["qwen2", "…"],
        "llama_cpp_pre_type": "LLAMA_VOCAB_PRE_TYPE_QWEN2",
        "source": f"{VOCAB_CPP}, case LLAMA_VOCAB_PRE_TYPE_QWEN2 (with STABLELM2, HUNYUAN, …); no custom "
                  "implementation: std::regex on the category-collapsed text",
        "patterns": [CONTRACTIONS_LLAMA_CPP + QWEN2_TAIL],
        "hugging_face": "pre_tokenizers.Sequence([Split(pattern, behavior=isolated), ByteLevel(add_prefix_space="
                        "false, use_regex=false)]) after the NFC normalizer (Qwen2 tokenizer.json); llama.cpp "
                        "does not normalize, and neither do these pieces",
        "hugging_face_patterns": [CONTRACTIONS_HF + QWEN2_TAIL],
    },
}

NOTE = (
    "Pieces before GPT-2's byte-to-character mapping. llama.cpp (src/unicode.cpp, unicode_regex_split) applies "
    "a pre-tokenizer's expressions in order, each splitting every piece of the previous one; within a piece "
    "each match is a piece and so is any text between matches (nothing is dropped), so the pieces concatenate "
    "to the text. A lookahead sees only the piece being split. \\s is Unicode White_Space (U+0009–000D, "
    "U+0020, U+0085, U+00A0, U+1680, U+2000–200A, U+2028, U+2029, U+202F, U+205F, U+3000), \\p{L} and \\p{N} "
    "the general categories L* and N*; marks (M*), format characters (ZWJ, VS16) and symbols are neither. The "
    "GPT-2 and Llama 3 patterns run through hand-written scanners (unicode_regex_split_custom_gpt2/_llama3); "
    "other patterns through std::regex on a copy of the text where every non-ASCII code point is replaced by "
    "one byte standing for its category (whitespace → \\x0B). Special tokens are cut out of the text before "
    "any of this; GGUF's tokenizer.ggml.pre for GPT-2 is \"gpt-2\" (llama.cpp rejects \"gpt2\"). Hugging Face "
    "writes the Llama 3 / Qwen2 contractions as (?i:'s|…); llama.cpp as '[sS]|… (the same for these texts). "
    "Qwen2's tokenizer.json also NFC-normalizes before splitting; llama.cpp does not and these pieces are "
    "not normalized."
)

# ---------------------------------------------------------------- the texts

CASES = [
    "I'M here, YOU'RE there",
    "don'T stop, they'LL go, we'Ve been, she'D say, it'S fine",
    "I'm sure they're fine, you've seen it, we'll see, he'd go, it's done, can't won't",
    "'s 't 're at the start",
    "O'Neil's ALLCAPS'S WORD'LL",
    "'''''",
    "'sup y'all 'Twas rock 'n' roll x'",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "abc123def 4567xyz x1 2y",
    "v2.0.1-rc3 build#4521",
    "3.14159 and 1,000,000 and -42",
    "line1\r\nline2\r\n",
    "a\n\n\nb",
    "\n\n\n",
    "   \n  \n",
    "\ttab\tseparated\t\tcolumns",
    "a  \tb",
    "trailing spaces   ",
    "   hello   world  ",
    "hello ,world . ! ? ;",
    " (parenthesized) [brackets] {braces}",
    "...!!!???---===",
    "中文分词测试，你好世界！",
    "日本語のテキストです。カタカナ",
    "한국어 텍스트",
    "مرحبا بالعالم ١٢٣",
    "हिन्दी भाषा",
    "emoji 😀😃 and 🦙🦙",
    "family 👨\u200d👩\u200d👧\u200d👦 ZWJ",
    "thumbs 👍🏽 up ❤\ufe0f",
    "flags 🇺🇸🇬🇧",
    "café vs cafe\u0301",
    "Z\u0324\u0354\u0367\u0311a\u0308\u0356l\u036e\u0312g\u0306o\u0319",
    "non\u00a0breaking\u00a0space",
    "\u3000ideographic\u3000space",
    "x\u2028y\u2029z",
    "Ⅻ chapters, x² + y³, ٣ apples, ½ cup",
    "٣٤٥٦٧ and ١٢",
    "def f(x):\n    return x**2  # square\n",
    "if (a != b) { return a->c[0]; }",
    "<|im_start|>user\nhi<|im_end|>",
    "Mr. O'Reilly's 2nd-floor office (#42B) opened at 9:30am!!!",
    "",
]

# ---------------------------------------------------------------- splitting


def split(text: str, patterns: list[str]) -> list[str]:
    """llama.cpp's unicode_regex_split over code points: each pattern splits each piece; the text
    between matches is kept as pieces too."""
    pieces = [text] if text else []
    for pattern in patterns:
        compiled = regex.compile(pattern)
        out = []
        for piece in pieces:
            last = 0
            for m in compiled.finditer(piece):
                assert m.end() > m.start(), f"empty match of {pattern!r} in {piece!r}"
                if m.start() > last:
                    out.append(piece[last:m.start()])
                out.append(m.group())
                last = m.end()
            if last < len(piece):
                out.append(piece[last:])
        pieces = out
    return pieces


from smollm2_reference import bytes_to_unicode  # GPT-2's byte → character table


def hugging_face_pieces(name: str, text: str):
    """The pieces Hugging Face's `tokenizers` pre-tokenizers make (None when it is not installed)."""
    try:
        from tokenizers import Regex, pre_tokenizers as pt
    except ImportError:
        return None
    byte_level = pt.ByteLevel(add_prefix_space=False, use_regex=True)
    if name == "gpt2":
        pre = byte_level
    elif name == "smollm":
        pre = pt.Sequence([pt.Digits(individual_digits=True), byte_level])
    else:
        pattern = PRETOKENIZERS[name]["hugging_face_patterns"][0]
        pre = pt.Sequence([pt.Split(Regex(pattern), behavior="isolated", invert=False),
                           pt.ByteLevel(add_prefix_space=False, use_regex=False)])
    char_byte = {c: b for b, c in bytes_to_unicode().items()}
    return [bytes(char_byte[c] for c in piece).decode("utf-8") for piece, _ in pre.pre_tokenize_str(text)]


def main() -> int:
    document = {"generator": "scripts/make_pretokenizer_fixtures.py", "note": NOTE, "pretokenizers": {}}
    hf_checked = 0
    for name, spec in PRETOKENIZERS.items():
        cases = []
        for text in CASES:
            pieces = split(text, spec["patterns"])
            assert "".join(pieces) == text, (name, text, pieces)
            original = split(text, spec["hugging_face_patterns"])
            assert original == pieces, f"{name}: llama.cpp's and HF's spellings differ on {text!r}: {pieces} vs {original}"
            hf = hugging_face_pieces(name, text)
            if hf is not None:
                assert hf == pieces, f"{name}: tokenizers gives {hf} for {text!r}, the regex {pieces}"
                hf_checked += 1
            cases.append({"text": text, "pieces": pieces})
        document["pretokenizers"][name] = {**spec, "cases": cases}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    names = ", ".join(PRETOKENIZERS)
    checked = f"; Hugging Face tokenizers agrees on all {hf_checked}" if hf_checked else \
        " (tokenizers not installed: no Hugging Face cross-check)"
    print(f"wrote {OUT.relative_to(ROOT)}: {names} × {len(CASES)} texts{checked}")
    for name in PRETOKENIZERS:
        sample = next(c for c in document["pretokenizers"][name]["cases"] if c["text"] == "1234567")
        print(f"  {name:10} {sample['text']!r} → {sample['pieces']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
