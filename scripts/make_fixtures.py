#!/usr/bin/env python3
"""Golden-fixture generator for Attend's numeric tests.

What it generates
-----------------
For every case defined in ``build_cases()`` a subfolder
``<out>/<case name>/`` holding the case's inputs and expected outputs as
``.npy`` files, plus ``<out>/manifest.json`` describing all cases (op, params,
ordered inputs, outputs, a one-line note).  Multi-head attention and encoder
layer cases additionally get ``<case>/weights.safetensors`` (hand-written
safetensors, F32, names sorted) referenced by the case's ``weights_file`` key.

* Inputs are float32 (``'<f4'``) or bool masks (``'|b1'``), drawn from
  ``np.random.default_rng(seed)`` with a fixed per-case seed (CRC32 of the case
  name, so adding a case never changes another one).
* Expected outputs are float64 (``'<f8'``), computed FROM THE float32 INPUTS
  cast to float64, by an implementation of each op written here from its
  formula (PyTorch semantics, plus Attend's documented choice that fully
  masked softmax rows give zeros instead of NaN).  It does not call
  ``np.einsum``/``np.matmul``/BLAS: every reduction uses ``math.fsum``
  (correctly rounded sums) and transcendental functions come from Python's
  ``math`` module, so the outputs do not depend on the CPU's SIMD/BLAS paths.
* Only numpy and the standard library are used.  Output is deterministic:
  running the generator twice gives byte-identical files.

How to run
----------
    python3 scripts/make_fixtures.py                 # (re)write Tests/Fixtures/numeric
    python3 scripts/make_fixtures.py --out DIR       # write somewhere else
    python3 scripts/make_fixtures.py --check         # regenerate into a temp dir and
                                                     # compare byte-for-byte with the
                                                     # committed files; exit 1 + list
                                                     # of differences on drift
    python3 -m pytest -q scripts/test_make_fixtures.py   # self-checks of the generator

The rule
--------
The fixtures are the reference the Swift code is checked against.
Regenerating them is legitimate ONLY when the generator or a case definition
is changed on purpose (new case, fixed generator bug, deliberate semantic
change, reviewed in the same change).  NEVER regenerate to make a failing
Swift test pass: a failing fixture test means the Swift code (or the case
definition) is wrong, and that has to be understood first.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

GENERATOR = "scripts/make_fixtures.py"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "Tests" / "Fixtures" / "numeric"
MANIFEST = "manifest.json"
WEIGHTS_FILE = "weights.safetensors"

NEG_INF = -math.inf


# ---------------------------------------------------------------------------
# Float64 building blocks (deterministic, platform independent)
# ---------------------------------------------------------------------------

def f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _elementwise(fn):
    vec = np.vectorize(fn, otypes=[np.float64])

    def apply(x):
        x = f64(x)
        if x.size == 0:
            return x.copy()
        return np.asarray(vec(x), dtype=np.float64).reshape(x.shape)

    apply.__name__ = getattr(fn, "__name__", "elementwise")
    return apply


def _log_scalar(v: float) -> float:
    if v == 0.0:
        return NEG_INF
    return math.log(v)


exp = _elementwise(math.exp)
log = _elementwise(_log_scalar)
tanh = _elementwise(math.tanh)
erf = _elementwise(math.erf)


def _norm_axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = [int(axis)]
    axes = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} out of range for ndim {ndim}")
        a %= max(ndim, 1)
        if a in axes:
            raise ValueError(f"repeated axis {a}")
        axes.append(a)
    return tuple(sorted(axes))


def fsum(x, axis=None, keepdims: bool = False) -> np.ndarray:
    """Correctly rounded sum (math.fsum) over the given axes."""
    x = f64(x)
    axes = _norm_axes(axis, x.ndim)
    keep = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, keep + list(axes))
    out_shape = tuple(x.shape[d] for d in keep)
    n = 1
    for d in axes:
        n *= x.shape[d]
    rows = int(np.prod(out_shape, dtype=np.int64)) if out_shape else 1
    flat = np.ascontiguousarray(moved).reshape(rows, n)
    res = np.array([math.fsum(r) for r in flat.tolist()], dtype=np.float64)
    res = res.reshape(out_shape)
    if keepdims:
        res = res.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])
    return res


def _count(x: np.ndarray, axis) -> int:
    n = 1
    for d in _norm_axes(axis, x.ndim):
        n *= x.shape[d]
    return n


# ---------------------------------------------------------------------------
# Reference ops (all return float64 arrays)
# ---------------------------------------------------------------------------

def ref_einsum(equation: str, *operands) -> np.ndarray:
    """einsum from its definition: broadcast every operand onto the space of
    all labels, multiply, sum (fsum) over the labels not in the output."""
    ops = [f64(o) for o in operands]
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) != len(ops):
        raise ValueError("operand count does not match equation")

    # Tokenize; ellipsis dims get labels ('...', k) with k counted from the right.
    parsed = []
    ell_ndim = 0
    for term, op in zip(terms, ops):
        if "..." in term:
            pre, post = term.split("...")
            n_ell = op.ndim - len(pre) - len(post)
            if n_ell < 0:
                raise ValueError("too few dims for ellipsis")
            labels = list(pre) + [("...", n_ell - 1 - i) for i in range(n_ell)] + list(post)
            ell_ndim = max(ell_ndim, n_ell)
        else:
            labels = list(term)
        if len(labels) != op.ndim:
            raise ValueError(f"term {term!r} does not match operand of ndim {op.ndim}")
        parsed.append(labels)

    ell_labels = [("...", ell_ndim - 1 - i) for i in range(ell_ndim)]
    if rhs is None:
        counts = {}
        for labels in parsed:
            for lab in labels:
                if isinstance(lab, str):
                    counts[lab] = counts.get(lab, 0) + 1
        out_labels = ell_labels + sorted(l for l, c in counts.items() if c == 1)
    else:
        if "..." in rhs:
            pre, post = rhs.split("...")
            out_labels = list(pre) + ell_labels + list(post)
        else:
            out_labels = list(rhs)

    sizes = {}
    for labels, op in zip(parsed, ops):
        for lab, n in zip(labels, op.shape):
            if lab not in sizes or sizes[lab] == 1:
                sizes[lab] = n
            elif n != 1 and n != sizes[lab]:
                raise ValueError(f"size mismatch for label {lab!r}")
    for lab in ell_labels:
        sizes.setdefault(lab, 1)

    contracted = []
    for labels in parsed:
        for lab in labels:
            if lab not in out_labels and lab not in contracted:
                contracted.append(lab)
    all_labels = out_labels + contracted
    full_shape = tuple(sizes[l] for l in all_labels)
    nd = len(all_labels)

    product = np.ones(full_shape, dtype=np.float64)
    for labels, op in zip(parsed, ops):
        index = []
        for lab, n in zip(labels, op.shape):
            pos = all_labels.index(lab)
            idx = np.arange(sizes[lab]) if n != 1 else np.zeros(sizes[lab], dtype=np.int64)
            shape = [1] * nd
            shape[pos] = sizes[lab]
            index.append(idx.reshape(shape))
        gathered = op[tuple(index)] if index else op
        product = product * np.broadcast_to(gathered, full_shape)

    if contracted:
        return fsum(product, axis=list(range(len(out_labels), nd)))
    return product.copy()


def ref_matmul(a, b) -> np.ndarray:
    """torch.matmul: 1-D operands are promoted (and the dim removed again),
    batch dims broadcast."""
    a = f64(a)
    b = f64(b)
    a_vec = a.ndim == 1
    b_vec = b.ndim == 1
    if a_vec:
        a = a[None, :]
    if b_vec:
        b = b[:, None]
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("inner dimensions differ")
    prod = a[..., :, :, None] * b[..., None, :, :]
    out = fsum(prod, axis=-2)
    if a_vec:
        out = out[..., 0, :]
    if b_vec:
        out = out[..., 0]
    return out


def _shifted(x, dim):
    x = f64(x)
    m = np.max(x, axis=dim, keepdims=True)
    finite = np.isfinite(m)
    shifted = np.where(finite, x - np.where(finite, m, 0.0), NEG_INF)
    e = exp(shifted)
    s = fsum(e, axis=dim, keepdims=True)
    return shifted, e, s


def ref_softmax(x, dim: int) -> np.ndarray:
    """softmax; a row that is entirely -inf gives zeros (Attend's choice)."""
    _, e, s = _shifted(x, dim)
    return np.where(s > 0, e / np.where(s > 0, s, 1.0), 0.0)


def ref_logsoftmax(x, dim: int) -> np.ndarray:
    """log-softmax; a row that is entirely -inf gives -inf."""
    shifted, _, s = _shifted(x, dim)
    return np.where(s > 0, shifted - log(np.where(s > 0, s, 1.0)), NEG_INF)


def ref_sum(x, dim, keepdim=False):
    return fsum(x, axis=dim, keepdims=keepdim)


def ref_mean(x, dim, keepdim=False):
    x = f64(x)
    return fsum(x, axis=dim, keepdims=keepdim) / _count(x, dim)


def ref_var(x, dim, keepdim=False, unbiased=True):
    x = f64(x)
    n = _count(x, dim)
    mean = fsum(x, axis=dim, keepdims=True) / n
    d = x - mean
    return fsum(d * d, axis=dim, keepdims=keepdim) / (n - 1 if unbiased else n)


def ref_std(x, dim, keepdim=False, unbiased=True):
    return np.sqrt(ref_var(x, dim, keepdim, unbiased))


def ref_sqdist(a, b) -> np.ndarray:
    a = f64(a)
    b = f64(b)
    d = a[:, None, :] - b[None, :, :]
    return fsum(d * d, axis=-1)


def ref_linear(x, weight, bias=None) -> np.ndarray:
    """y = x W^T + b, each output one correctly rounded sum (bias included)."""
    x = f64(x)
    w = f64(weight)
    prod = x[..., None, :] * w  # [..., out, in]
    if bias is not None:
        bb = np.broadcast_to(f64(bias), prod.shape[:-1])[..., None]
        prod = np.concatenate([prod, bb], axis=-1)
    return fsum(prod, axis=-1)


def ref_conv1d(signal, kernel, stride: int) -> np.ndarray:
    s = f64(signal)
    k = f64(kernel)
    n_out = (s.shape[0] - k.shape[0]) // stride + 1
    return np.array(
        [math.fsum((s[i * stride: i * stride + k.shape[0]] * k).tolist()) for i in range(n_out)],
        dtype=np.float64)


def _pad2d(x, ph, pw):
    x = f64(x)
    B, C, H, W = x.shape
    xp = np.zeros((B, C, H + 2 * ph, W + 2 * pw), dtype=np.float64)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    return xp


def _out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def ref_conv2d(x, weight, bias, stride, padding) -> np.ndarray:
    """Cross-correlation with zero padding, out[b,o,y,x] =
    bias[o] + sum_{c,i,j} xpad[b,c,y*sh+i,x*sw+j] * w[o,c,i,j]."""
    sh, sw = stride
    ph, pw = padding
    w = f64(weight)
    O, C, kh, kw = w.shape
    xp = _pad2d(x, ph, pw)
    B, _, Hp, Wp = xp.shape
    oh = (Hp - kh) // sh + 1
    ow = (Wp - kw) // sw + 1
    out = np.zeros((B, O, oh, ow), dtype=np.float64)
    for b in range(B):
        for o in range(O):
            for y in range(oh):
                for xx in range(ow):
                    window = xp[b, :, y * sh:y * sh + kh, xx * sw:xx * sw + kw]
                    terms = (window * w[o]).ravel().tolist()
                    if bias is not None:
                        terms.append(float(f64(bias)[o]))
                    out[b, o, y, xx] = math.fsum(terms)
    return out


def ref_im2col(x, kernel, stride, padding) -> np.ndarray:
    """torch.nn.functional.unfold layout: [B, C*kh*kw, oh*ow],
    row = c*kh*kw + i*kw + j, column = y*ow + x."""
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    xp = _pad2d(x, ph, pw)
    B, C, Hp, Wp = xp.shape
    oh = (Hp - kh) // sh + 1
    ow = (Wp - kw) // sw + 1
    out = np.zeros((B, C * kh * kw, oh * ow), dtype=np.float64)
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                row = c * kh * kw + i * kw + j
                for y in range(oh):
                    for xx in range(ow):
                        out[:, row, y * ow + xx] = xp[:, c, y * sh + i, xx * sw + j]
    return out


def ref_patchify(img, patch: int) -> np.ndarray:
    """[B,C,H,W] -> [B, (H/P)(W/P), C*P*P]; patches row-major, features c,i,j."""
    x = f64(img)
    B, C, H, W = x.shape
    P = patch
    if H % P or W % P:
        raise ValueError("image size not divisible by patch")
    t = x.reshape(B, C, H // P, P, W // P, P).transpose(0, 2, 4, 1, 3, 5)
    return np.ascontiguousarray(t).reshape(B, (H // P) * (W // P), C * P * P)


def ref_layernorm(x, weight, bias, eps: float, normalized_dims: int) -> np.ndarray:
    x = f64(x)
    axes = list(range(x.ndim - normalized_dims, x.ndim))
    n = _count(x, axes)
    mean = fsum(x, axis=axes, keepdims=True) / n
    d = x - mean
    var = fsum(d * d, axis=axes, keepdims=True) / n
    y = d / np.sqrt(var + eps)
    if weight is not None:
        y = y * f64(weight)
    if bias is not None:
        y = y + f64(bias)
    return y


def ref_gelu(x, approximate: str = "none") -> np.ndarray:
    x = f64(x)
    if approximate == "none":
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))
    raise ValueError(approximate)


def ref_relu(x) -> np.ndarray:
    x = f64(x)
    return np.where(x > 0, x, 0.0)


def ref_sdpa(query, key, value, mask=None, mask_kind="none", key_padding_mask=None,
             causal=False, scale=None):
    """Scaled dot-product attention.  Bool mask: True = may attend.  Float
    mask: added to the scaled scores.  key_padding_mask [B,Lk]: True = ignore.
    causal: top-left aligned, query i sees key j iff j <= i.  Rows with every
    key masked give zero weights and zero output.  Returns (out, weights)."""
    q = f64(query)
    k = f64(key)
    v = f64(value)
    dk = q.shape[-1]
    s = 1.0 / math.sqrt(dk) if scale is None else float(scale)
    scores = ref_matmul(q, np.swapaxes(k, -1, -2)) * s
    allowed = np.ones(scores.shape, dtype=bool)
    if mask_kind == "bool":
        allowed &= np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
    elif mask_kind == "float":
        scores = scores + f64(mask)
    elif mask_kind != "none":
        raise ValueError(mask_kind)
    if key_padding_mask is not None:
        kpm = np.asarray(key_padding_mask, dtype=bool)
        shape = (kpm.shape[0],) + (1,) * (scores.ndim - 2) + (kpm.shape[1],)
        allowed &= ~kpm.reshape(shape)
    if causal:
        lq, lk = scores.shape[-2], scores.shape[-1]
        allowed &= np.arange(lk)[None, :] <= np.arange(lq)[:, None]
    scores = np.where(allowed, scores, NEG_INF)
    weights = ref_softmax(scores, -1)
    out = ref_matmul(weights, v)
    return out, weights


def split_in_proj(w: dict, E: int):
    b = f64(w["in_proj_bias"])
    bq, bk, bv = b[:E], b[E:2 * E], b[2 * E:]
    if "in_proj_weight" in w:
        W = f64(w["in_proj_weight"])
        return (W[:E], W[E:2 * E], W[2 * E:]), (bq, bk, bv)
    return (f64(w["q_proj_weight"]), f64(w["k_proj_weight"]), f64(w["v_proj_weight"])), (bq, bk, bv)


def ref_mha(query, key, value, weights: dict, num_heads: int, key_padding_mask=None,
            attn_mask=None, causal=False):
    """nn.MultiheadAttention (batch_first, eval).  attn_mask: bool [Lq,Lk],
    True = may attend (Attend's convention).  Returns (out [B,Lq,E],
    head-averaged weights [B,Lq,Lk])."""
    query = f64(query)
    E = query.shape[-1]
    H = num_heads
    hd = E // H
    (Wq, Wk, Wv), (bq, bk, bv) = split_in_proj(weights, E)
    q = ref_linear(query, Wq, bq)
    k = ref_linear(key, Wk, bk)
    v = ref_linear(value, Wv, bv)
    B, Lq, _ = q.shape
    Lk = k.shape[1]
    qh = q.reshape(B, Lq, H, hd).transpose(0, 2, 1, 3)
    kh = k.reshape(B, Lk, H, hd).transpose(0, 2, 1, 3)
    vh = v.reshape(B, Lk, H, hd).transpose(0, 2, 1, 3)
    out_h, w_h = ref_sdpa(qh, kh, vh,
                          mask=attn_mask,
                          mask_kind="bool" if attn_mask is not None else "none",
                          key_padding_mask=key_padding_mask,
                          causal=causal,
                          scale=1.0 / math.sqrt(hd))
    concat = np.ascontiguousarray(out_h.transpose(0, 2, 1, 3)).reshape(B, Lq, E)
    out = ref_linear(concat, weights["out_proj.weight"], weights["out_proj.bias"])
    w_avg = fsum(w_h, axis=1) / H
    return out, w_avg


def ref_encoder_layer(x, w: dict, num_heads: int, activation: str, norm_first: bool,
                      eps: float) -> np.ndarray:
    x = f64(x)
    attn_w = {
        "in_proj_weight": w["self_attn.in_proj_weight"],
        "in_proj_bias": w["self_attn.in_proj_bias"],
        "out_proj.weight": w["self_attn.out_proj.weight"],
        "out_proj.bias": w["self_attn.out_proj.bias"],
    }
    act = ref_relu if activation == "relu" else (lambda t: ref_gelu(t, "none"))

    def sa(h):
        return ref_mha(h, h, h, attn_w, num_heads)[0]

    def ff(h):
        return ref_linear(act(ref_linear(h, w["linear1.weight"], w["linear1.bias"])),
                          w["linear2.weight"], w["linear2.bias"])

    def norm(h, i):
        return ref_layernorm(h, w[f"norm{i}.weight"], w[f"norm{i}.bias"], eps, 1)

    if norm_first:
        x = x + sa(norm(x, 1))
        x = x + ff(norm(x, 2))
    else:
        x = norm(x + sa(x), 1)
        x = norm(x + ff(x), 2)
    return x


def ref_positional_encoding(length: int, dim: int) -> np.ndarray:
    out = np.zeros((length, dim), dtype=np.float64)
    for p in range(length):
        for i in range(0, dim, 2):
            angle = p / math.pow(10000.0, i / dim)
            out[p, i] = math.sin(angle)
            if i + 1 < dim:
                out[p, i + 1] = math.cos(angle)
    return out


# ---------------------------------------------------------------------------
# Serialization
# ---------------------------------------------------------------------------

def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    # copy(order="C"), not np.ascontiguousarray: the latter turns 0-d into 1-d.
    np.save(buf, np.asarray(arr).copy(order="C"), allow_pickle=False)
    return buf.getvalue()


def safetensors_bytes(tensors: dict) -> bytes:
    """Minimal safetensors writer: u64 LE header length, JSON header with the
    names sorted and data packed in that order, header space-padded to 8."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        data = a.tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": [int(s) for s in a.shape],
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(blobs)


def read_safetensors(data: bytes) -> dict:
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(info["shape"])
    return out


class Fixtures:
    """Collects cases (manifest entries) and file contents (relpath -> bytes)."""

    def __init__(self):
        self.cases = []
        self.files = {}

    def add(self, name, op, params, inputs, outputs, note, weights=None):
        if any(c["name"] == name for c in self.cases):
            raise ValueError(f"duplicate case {name}")
        entry = {"name": name, "op": op, "params": params, "inputs": [], "outputs": []}
        seen = set()
        for iname, arr in inputs:
            arr = np.asarray(arr)
            if arr.dtype == np.bool_:
                arr = arr.astype("|b1")
            elif arr.dtype == np.float32:
                arr = arr.astype("<f4")
            else:
                raise TypeError(f"{name}/{iname}: inputs must be float32 or bool, got {arr.dtype}")
            entry["inputs"].append({"name": iname, "file": self._put(name, iname, arr, seen)})
        for oname, arr in outputs:
            arr = np.asarray(arr)
            if arr.dtype != np.float64:
                raise TypeError(f"{name}/{oname}: outputs must be float64")
            if np.isnan(arr).any():
                raise ValueError(f"{name}/{oname}: NaN in expected output")
            entry["outputs"].append({"name": oname,
                                     "file": self._put(name, oname, arr.astype("<f8"), seen)})
        if weights is not None:
            rel = f"{name}/{WEIGHTS_FILE}"
            self.files[rel] = safetensors_bytes(weights)
            entry["weights_file"] = rel
        entry["note"] = note
        self.cases.append(entry)

    def _put(self, case, name, arr, seen):
        if name in seen:
            raise ValueError(f"{case}: duplicate tensor name {name}")
        seen.add(name)
        rel = f"{case}/{name}.npy"
        self.files[rel] = npy_bytes(arr)
        return rel

    def manifest_bytes(self) -> bytes:
        manifest = {"generator": GENERATOR, "numpy_version": np.__version__,
                    "cases": self.cases}
        return (json.dumps(manifest, indent=2, allow_nan=False) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------
# Case definitions
# ---------------------------------------------------------------------------

def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def randn(rng, *shape, scale=1.0, offset=0.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale + offset).astype(np.float32)


def uniform(rng, shape, bound) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def add_einsum_cases(fx: Fixtures):
    specs = [
        ("einsum_attention_scores", "bhld,bhmd->bhlm", [(2, 2, 4, 8), (2, 2, 5, 8)],
         "attention scores Q.K^T over batch and heads"),
        ("einsum_attention_values", "bhlm,bhmd->bhld", [(2, 2, 4, 5), (2, 2, 5, 3)],
         "attention-weighted values"),
        ("einsum_implicit_matmul", "ij,jk", [(3, 4), (4, 5)],
         "implicit output (labels appearing once, alphabetical) = matrix product"),
        ("einsum_ellipsis_broadcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)],
         "ellipsis batch dims broadcast (2,1) with (5,) -> (2,5)"),
        ("einsum_diagonal", "ii->i", [(4, 4)], "repeated label in one operand takes the diagonal"),
        ("einsum_trace", "ii", [(5, 5)], "implicit trace, 0-d output"),
        ("einsum_transpose", "ij->ji", [(3, 5)], "pure permutation, no summation"),
        ("einsum_outer", "i,j->ij", [(4,), (3,)], "outer product, no summation"),
        ("einsum_three_operands", "bij,bjk,bkl->bil", [(2, 3, 4), (2, 4, 5), (2, 5, 3)],
         "three-operand chain product with batch label"),
        ("einsum_matvec", "ij,j->i", [(4, 6), (6,)], "matrix-vector product"),
    ]
    for name, eq, shapes, note in specs:
        rng = rng_for(name)
        ins = [(f"a{i}", randn(rng, *s)) for i, s in enumerate(shapes)]
        out = ref_einsum(eq, *[a for _, a in ins])
        fx.add(name, "einsum", {"equation": eq}, ins, [("out", out)], note)


def add_matmul_cases(fx: Fixtures):
    specs = [
        ("matmul_2d", (3, 4), (4, 5), "plain matrix product"),
        ("matmul_1d_1d", (6,), (6,), "vector.vector -> 0-d dot product"),
        ("matmul_1d_2d", (4,), (4, 3), "1-D left operand is promoted to a row and the dim removed"),
        ("matmul_2d_1d", (3, 4), (4,), "1-D right operand is promoted to a column and the dim removed"),
        ("matmul_batch_broadcast", (2, 1, 3, 4), (5, 4, 2), "batch dims (2,1) and (5,) broadcast to (2,5)"),
        ("matmul_batched_2d", (2, 3, 4), (4, 5), "batched left operand times a single matrix"),
        ("matmul_batched_1d", (2, 3, 4), (4,), "batched matrix times a vector -> (2,3)"),
        ("matmul_1d_batched", (4,), (2, 4, 3), "vector times a batch of matrices -> (2,3)"),
    ]
    for name, sa, sb, note in specs:
        rng = rng_for(name)
        a = randn(rng, *sa)
        b = randn(rng, *sb)
        fx.add(name, "matmul", {}, [("a", a), ("b", b)], [("out", ref_matmul(a, b))], note)


def _softmax_inputs():
    inf = np.float32(np.inf)
    extreme = np.array([
        [1e4, -1e4, 0.0, 1.0, 1e4, -5.0],
        [-1e4, -1e4, -1e4, -1e4 + 1.0, -1e4 + 2.0, -1e4],
        [1e4, 1e4 - 1.0, 1e4 - 2.0, 0.0, -1e4, 1e4 - 0.5],
        [-1e4, 1e4, -1e4, 1e4, -1e4, 1e4],
    ], dtype=np.float32)
    rng = rng_for("softmax_with_neg_inf")
    neg = randn(rng, 5, 6, scale=2.0)
    neg[0, [1, 4]] = -inf
    neg[1, :] = -inf           # entirely -inf row
    neg[2, :5] = -inf          # only one finite entry
    neg[3, 0] = -inf
    neg[3, 2] = 1e4
    rng = rng_for("softmax_dim1_3d")
    dim1 = randn(rng, 2, 5, 3, scale=3.0)
    dim1[0, :, 1] = -inf       # a fiber along dim 1 that is entirely -inf
    dim1[1, [0, 3], 2] = -inf
    dim1[1, 2, 0] = -1e4
    rng = rng_for("softmax_dim0")
    dim0 = randn(rng, 4, 3, scale=2.0)
    dim0[1, 2] = 1e4
    rng = rng_for("softmax_random")
    plain = randn(rng, 2, 3, 7)
    return extreme, neg, dim1, dim0, plain


def add_softmax_cases(fx: Fixtures):
    extreme, neg, dim1, dim0, plain = _softmax_inputs()
    defs = [
        ("extreme_logits", extreme, -1, "logits of +-1e4 (overflow/underflow without max-shift)"),
        ("with_neg_inf", neg, -1, "rows with some -inf, one entirely -inf row"),
        ("dim1_3d", dim1, 1, "along a non-last dim (1 of 3), including an all -inf fiber"),
        ("dim0", dim0, 0, "along dim 0 of a matrix (columns)"),
        ("random", plain, -1, "ordinary random logits along the last dim"),
    ]
    for suffix, x, dim, note in defs:
        fx.add(f"softmax_{suffix}", "softmax", {"dim": dim}, [("x", x)],
               [("out", ref_softmax(x, dim))],
               note + ("; all -inf rows give zeros" if "inf" in note else ""))
    for suffix, x, dim, note in defs[:4]:
        fx.add(f"logsoftmax_{suffix}", "logsoftmax", {"dim": dim}, [("x", x)],
               [("out", ref_logsoftmax(x, dim))],
               note + ("; -inf entries and all -inf rows give -inf" if "inf" in note else ""))


def add_reduction_cases(fx: Fixtures):
    arange = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    for dim, keepdim, suffix in [(0, False, "dim0"), (-1, False, "dim_neg1"),
                                 ([0, 2], True, "dims02_keepdim"), ([0, 1, 2], False, "all_dims")]:
        fx.add(f"sum_arange_{suffix}", "sum", {"dim": dim, "keepdim": keepdim},
               [("x", arange)], [("out", ref_sum(arange, dim, keepdim))],
               f"sum of arange(60).reshape(3,4,5) over dim={dim}, keepdim={keepdim}")

    specs = [
        ("mean_dim1", "mean", (3, 4, 5), 1, False, None, 0.0, "mean over the middle dim"),
        ("mean_last2_keepdim", "mean", (2, 3, 4), [-1, -2], True, None, 0.0,
         "mean over two negative dims with keepdim"),
        ("var_unbiased_dim2", "var", (3, 4, 5), 2, False, True, 0.0, "unbiased (n-1) variance, last dim"),
        ("var_biased_dim0_keepdim", "var", (3, 4, 5), 0, True, False, 0.0, "biased (n) variance, dim 0, keepdim"),
        ("var_large_offset", "var", (4, 16), -1, False, True, 1e4,
         "values ~1e4 + N(0,1): catches E[x^2]-E[x]^2 cancellation"),
        ("std_unbiased_dims01", "std", (3, 4, 5), [0, 1], False, True, 0.0, "unbiased std over dims [0,1]"),
        ("std_biased_keepdim", "std", (2, 3, 6), -1, True, False, 0.0, "biased std, last dim, keepdim"),
    ]
    fns = {"mean": ref_mean, "var": ref_var, "std": ref_std}
    for name, op, shape, dim, keepdim, unbiased, offset, note in specs:
        x = randn(rng_for(name), *shape, offset=offset)
        params = {"dim": dim, "keepdim": keepdim}
        if op in ("var", "std"):
            params["unbiased"] = unbiased
            out = fns[op](x, dim, keepdim, unbiased)
        else:
            out = fns[op](x, dim, keepdim)
        fx.add(name, op, params, [("x", x)], [("out", out)], note)


def add_sqdist_cases(fx: Fixtures):
    a = np.array([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]], dtype=np.float32)
    b = np.array([[0.5, 0.5], [2.5, 2.5], [10, 10]], dtype=np.float32)
    fx.add("sqdist_seed", "sqdist", {}, [("a", a), ("b", b)], [("out", ref_sqdist(a, b))],
           "seed 5x3 distance matrix [[0.5,12.5,200],...]")
    rng = rng_for("sqdist_random")
    a = randn(rng, 6, 4)
    b = randn(rng, 3, 4)
    fx.add("sqdist_random", "sqdist", {}, [("a", a), ("b", b)], [("out", ref_sqdist(a, b))],
           "random points, N=6 M=3 D=4")
    rng = rng_for("sqdist_large_offset")
    a = randn(rng, 5, 8, scale=0.5, offset=1000.0)
    b = randn(rng, 4, 8, scale=0.5, offset=1000.0)
    b[0] = a[1]  # an exact zero distance
    fx.add("sqdist_large_offset", "sqdist", {}, [("a", a), ("b", b)], [("out", ref_sqdist(a, b))],
           "points ~1e3 apart from the origin but close together: |a|^2+|b|^2-2ab cancellation; one exact 0")


def add_linear_cases(fx: Fixtures):
    for name, xshape, out_f, note in [
        ("linear_2d", (4, 5), 3, "x [4,5], W [3,5], b [3]"),
        ("linear_3d", (2, 3, 6), 4, "leading batch dims x [2,3,6]"),
        ("linear_1d", (5,), 2, "1-D input x [5] -> [2]"),
    ]:
        rng = rng_for(name)
        fin = xshape[-1]
        x = randn(rng, *xshape)
        w = uniform(rng, (out_f, fin), 1 / math.sqrt(fin))
        b = uniform(rng, (out_f,), 1 / math.sqrt(fin))
        fx.add(name, "linear", {}, [("x", x), ("weight", w), ("bias", b)],
               [("out", ref_linear(x, w, b))], note)


def add_conv_cases(fx: Fixtures):
    signal = np.arange(10, 101, 10, dtype=np.float32)
    kernel = np.array([0.5, 1.0, 0.5], dtype=np.float32)
    fx.add("conv1d_seed_stride1", "conv1d", {"stride": 1}, [("signal", signal), ("kernel", kernel)],
           [("out", ref_conv1d(signal, kernel, 1))], "seed: 10..100 * [0.5,1,0.5] -> [40,60,...,180]")
    fx.add("conv1d_seed_stride3", "conv1d", {"stride": 3}, [("signal", signal), ("kernel", kernel)],
           [("out", ref_conv1d(signal, kernel, 3))], "seed with stride 3 -> [40,100,160]")
    rng = rng_for("conv1d_random_stride2")
    s = randn(rng, 13)
    k = randn(rng, 4)
    fx.add("conv1d_random_stride2", "conv1d", {"stride": 2}, [("signal", s), ("kernel", k)],
           [("out", ref_conv1d(s, k, 2))], "N=13, K=4, stride 2 (last window partially unused)")

    for name, (B, C, H, W), (O, kh, kw), stride, padding, note in [
        ("conv2d_basic", (1, 2, 5, 5), (3, 3, 3), [1, 1], [0, 0], "3x3 kernel, stride 1, no padding"),
        ("conv2d_stride_pad", (2, 3, 7, 6), (4, 3, 2), [2, 1], [1, 2],
         "rectangular kernel, stride (2,1), zero padding (1,2), batch 2"),
    ]:
        rng = rng_for(name)
        x = randn(rng, B, C, H, W)
        bound = 1 / math.sqrt(C * kh * kw)
        w = uniform(rng, (O, C, kh, kw), bound)
        b = uniform(rng, (O,), bound)
        fx.add(name, "conv2d", {"stride": stride, "padding": padding},
               [("input", x), ("weight", w), ("bias", b)],
               [("out", ref_conv2d(x, w, b, stride, padding))], note)

    for name, shape, kernel_, stride, padding, note in [
        ("im2col_3x3_pad1", (1, 2, 4, 5), [3, 3], [1, 1], [1, 1], "3x3 kernel, stride 1, padding 1 (same size)"),
        ("im2col_rect_stride", (2, 3, 6, 7), [2, 3], [2, 2], [0, 1], "2x3 kernel, stride 2, padding (0,1), batch 2"),
    ]:
        x = randn(rng_for(name), *shape)
        fx.add(name, "im2col", {"kernel": kernel_, "stride": stride, "padding": padding},
               [("input", x)], [("out", ref_im2col(x, kernel_, stride, padding))], note)

    for name, shape, P, note in [
        ("patchify_p4", (2, 3, 8, 8), 4, "8x8 RGB image into 4 patches of 4x4"),
        ("patchify_p2_rect", (1, 2, 4, 6), 2, "non-square 4x6 image, 2x2 patches (6 patches)"),
    ]:
        x = randn(rng_for(name), *shape)
        fx.add(name, "patchify", {"patch": P}, [("image", x)], [("out", ref_patchify(x, P))], note)


LAYERNORM_PRINTED = [[1.9269, 1.4873, 0.9007, -2.1055],
                     [-0.7581, 1.0783, 0.8008, 1.6806],
                     [0.3559, -0.6866, -0.4934, 0.2415],
                     [-0.2316, 0.0418, -0.2516, 0.8599],
                     [-0.3097, -0.3957, 0.8034, -0.6216]]


def add_layernorm_cases(fx: Fixtures):
    x = np.array(LAYERNORM_PRINTED, dtype=np.float32).reshape(1, 5, 4)
    w = np.ones(4, dtype=np.float32)
    b = np.zeros(4, dtype=np.float32)
    fx.add("layernorm_printed_example", "layernorm", {"eps": 1e-5, "normalized_dims": 1},
           [("x", x), ("weight", w), ("bias", b)], [("out", ref_layernorm(x, w, b, 1e-5, 1))],
           "the printed LayerNorm example (1,5,4), weight ones, bias zeros")
    for name, shape, k, offset, eps, note in [
        ("layernorm_affine", (2, 3, 8), 1, 0.0, 1e-5, "random weight and bias, last dim"),
        ("layernorm_two_dims", (2, 3, 4), 2, 0.0, 1e-5, "normalized over the last 2 dims, weight/bias [3,4]"),
        ("layernorm_large_offset", (3, 16), 1, 1000.0, 1e-6, "rows ~1e3 + N(0,1): mean/variance cancellation"),
    ]:
        rng = rng_for(name)
        x = randn(rng, *shape, offset=offset)
        w = randn(rng, *shape[-k:], scale=0.2, offset=1.0)
        b = randn(rng, *shape[-k:], scale=0.2)
        fx.add(name, "layernorm", {"eps": eps, "normalized_dims": k},
               [("x", x), ("weight", w), ("bias", b)], [("out", ref_layernorm(x, w, b, eps, k))], note)


def add_activation_cases(fx: Fixtures):
    grid = np.concatenate([np.linspace(-6.0, 6.0, 25), [-10.0, -3.5, -1e-3, 0.0, 1e-3, 3.5, 10.0]])
    rng = rng_for("activations")
    x = np.concatenate([grid, rng.standard_normal(16) * 2.0]).astype(np.float32).reshape(6, 8)
    fx.add("gelu_exact", "gelu", {"approximate": "none"}, [("x", x)], [("out", ref_gelu(x, "none"))],
           "erf GELU on a grid [-6,6], +-10, tiny values and random values")
    fx.add("gelu_tanh", "gelu", {"approximate": "tanh"}, [("x", x)], [("out", ref_gelu(x, "tanh"))],
           "tanh-approximated GELU on the same inputs")
    fx.add("relu", "relu", {}, [("x", x)], [("out", ref_relu(x))], "ReLU including exact 0 and tiny values")


def add_sdpa_cases(fx: Fixtures):
    def make(name, B, H, Lq, Lk, Dk, Dv, causal=False, scale=None, mask_kind="none",
             mask_fn=None, kpm_fn=None, note=""):
        rng = rng_for(name)
        q = randn(rng, B, H, Lq, Dk)
        k = randn(rng, B, H, Lk, Dk)
        v = randn(rng, B, H, Lk, Dv)
        ins = [("query", q), ("key", k), ("value", v)]
        mask = mask_fn(rng) if mask_fn else None
        kpm = kpm_fn(rng) if kpm_fn else None
        if mask is not None:
            ins.append(("mask", mask))
        if kpm is not None:
            ins.append(("key_padding_mask", kpm))
        out, w = ref_sdpa(q, k, v, mask=mask, mask_kind=mask_kind, key_padding_mask=kpm,
                          causal=causal, scale=scale)
        fx.add(name, "sdpa", {"causal": causal, "scale": scale, "mask_kind": mask_kind},
               ins, [("out", out), ("weights", w)], note)

    def bool_mask(rng):
        m = rng.random((4, 5)) < 0.6
        m[np.arange(4), rng.integers(0, 5, 4)] = True  # every row can attend somewhere
        return m

    def float_mask(rng):
        m = (rng.standard_normal((2, 1, 4, 5)) * 2.0).astype(np.float32)
        m[0, 0, 0, [1, 3]] = -np.inf
        m[0, 0, 2, 0] = -np.inf
        m[1, 0, 1, [0, 1, 2, 4]] = -np.inf
        m[1, 0, 3, 2] = -1e4
        return m

    def float_mask_full_row(rng):
        m = np.zeros((4, 5), dtype=np.float32)
        m[1, :] = -np.inf
        m[2, [0, 4]] = -np.inf
        return m

    def kpm(rng):
        p = np.zeros((2, 6), dtype=bool)
        p[0, 5] = True
        p[1, 3:] = True
        return p

    def kpm_first_key(rng):
        p = np.zeros((2, 5), dtype=bool)
        p[1, 0] = True   # with causal: batch 1, query 0 sees only key 0 -> fully masked
        p[0, 4] = True
        return p

    def fully_masked(rng):
        m = rng.random((2, 2, 5, 4)) < 0.7
        m[:, :, :, 0] = True
        m[0, 1, 2, :] = False
        m[1, 0, 0, :] = False
        m[1, 0, 4, :] = False
        return m

    make("sdpa_no_mask", 2, 2, 4, 4, 8, 8, note="plain attention, default scale 1/sqrt(Dk)")
    make("sdpa_causal_square", 2, 2, 5, 5, 8, 8, causal=True, note="causal, Lq == Lk")
    make("sdpa_causal_lq_lt_lk", 1, 2, 3, 6, 8, 8, causal=True,
         note="causal top-left aligned with Lq < Lk: query i sees keys 0..i only")
    make("sdpa_causal_lq_gt_lk", 1, 2, 6, 3, 8, 8, causal=True,
         note="causal top-left aligned with Lq > Lk: queries >= Lk-1 see all keys")
    make("sdpa_bool_mask", 2, 2, 4, 5, 8, 8, mask_kind="bool", mask_fn=bool_mask,
         note="bool mask [Lq,Lk] broadcast over batch/heads, True = may attend")
    make("sdpa_float_mask", 2, 2, 4, 5, 8, 8, mask_kind="float", mask_fn=float_mask,
         note="additive float mask [B,1,Lq,Lk] with some -inf and a -1e4 entry")
    make("sdpa_float_mask_full_row", 1, 2, 4, 5, 8, 8, mask_kind="float", mask_fn=float_mask_full_row,
         note="additive float mask with one row entirely -inf -> zero weights and output for it")
    make("sdpa_key_padding", 2, 2, 4, 6, 8, 8, kpm_fn=kpm,
         note="key_padding_mask [B,Lk], True = ignore that key")
    make("sdpa_causal_key_padding", 2, 2, 5, 5, 8, 8, causal=True, kpm_fn=kpm_first_key,
         note="causal + key padding; batch 1 query 0 ends up fully masked -> zeros")
    make("sdpa_dk_ne_dv", 2, 2, 3, 4, 8, 5, note="Dk=8 != Dv=5")
    make("sdpa_explicit_scale", 1, 2, 4, 4, 8, 8, scale=0.3, note="explicit scale 0.3 instead of 1/sqrt(Dk)")
    make("sdpa_fully_masked_rows", 2, 2, 5, 4, 6, 6, mask_kind="bool", mask_fn=fully_masked,
         note="bool mask [B,H,Lq,Lk] where some query rows have every key masked -> weights and out exactly 0")


def _mha_weights(rng, E, kdim, vdim):
    bound = 1 / math.sqrt(E)
    w = {}
    if kdim == E and vdim == E:
        w["in_proj_weight"] = uniform(rng, (3 * E, E), bound)
    else:
        w["q_proj_weight"] = uniform(rng, (E, E), 1 / math.sqrt(E))
        w["k_proj_weight"] = uniform(rng, (E, kdim), 1 / math.sqrt(kdim))
        w["v_proj_weight"] = uniform(rng, (E, vdim), 1 / math.sqrt(vdim))
    w["in_proj_bias"] = uniform(rng, (3 * E,), 0.1)
    w["out_proj.weight"] = uniform(rng, (E, E), bound)
    w["out_proj.bias"] = uniform(rng, (E,), 0.1)
    return w


def add_mha_cases(fx: Fixtures):
    def make(name, B, Lq, Lk, E, H, kdim=None, vdim=None, self_attn=False, causal=False,
             kpm=None, attn_mask=None, note=""):
        kdim = kdim or E
        vdim = vdim or E
        rng = rng_for(name)
        if self_attn:
            x = randn(rng, B, Lq, E)
            q = k = v = x
        else:
            q = randn(rng, B, Lq, E)
            k = randn(rng, B, Lk, kdim)
            v = randn(rng, B, Lk, vdim)
        w = _mha_weights(rng, E, kdim, vdim)
        ins = [("query", q), ("key", k), ("value", v)]
        if kpm is not None:
            ins.append(("key_padding_mask", kpm))
        if attn_mask is not None:
            ins.append(("attn_mask", attn_mask))
        ins += list(w.items())
        out, wavg = ref_mha(q, k, v, w, H, key_padding_mask=kpm, attn_mask=attn_mask, causal=causal)
        fx.add(name, "mha", {"num_heads": H, "causal": causal, "batch_first": True},
               ins, [("out", out), ("weights", wavg)], note, weights=w)

    make("mha_self_attention", 2, 5, 5, 16, 4, self_attn=True,
         note="self-attention: query = key = value (same array), E=16, H=4, packed in_proj")
    make("mha_cross_kdim_vdim", 2, 3, 6, 16, 4, kdim=6, vdim=10,
         note="cross-attention kdim=6, vdim=10, Lq=3 != Lk=6: separate q/k/v_proj_weight")
    kp = np.zeros((2, 5), dtype=bool)
    kp[0, 4] = True
    kp[1, 2:] = True
    make("mha_key_padding", 2, 4, 5, 12, 3, kpm=kp,
         note="key_padding_mask [B,Lk] True = ignore, E=12, H=3, Lq=4 != Lk=5")
    make("mha_causal", 2, 5, 5, 16, 4, self_attn=True, causal=True,
         note="causal self-attention (top-left aligned)")
    am = np.array([[1, 0, 1, 1, 0],
                   [1, 1, 0, 0, 0],
                   [0, 0, 0, 1, 1],
                   [1, 1, 1, 1, 1]], dtype=bool)
    make("mha_attn_mask", 1, 4, 5, 8, 2, attn_mask=am,
         note="bool attn_mask [Lq,Lk] with True = MAY attend (Attend convention; inverse of nn.MultiheadAttention's bool mask)")


def add_encoder_cases(fx: Fixtures):
    for name, activation, norm_first, note in [
        ("encoder_post_norm_relu", "relu", False, "post-norm (norm_first=False) encoder layer with ReLU"),
        ("encoder_pre_norm_gelu", "gelu", True, "pre-norm (norm_first=True) encoder layer with exact GELU"),
    ]:
        B, L, E, H, F = 2, 5, 16, 4, 32
        eps = 1e-5
        rng = rng_for(name)
        x = randn(rng, B, L, E)
        w = {
            "self_attn.in_proj_weight": uniform(rng, (3 * E, E), 1 / math.sqrt(E)),
            "self_attn.in_proj_bias": uniform(rng, (3 * E,), 0.1),
            "self_attn.out_proj.weight": uniform(rng, (E, E), 1 / math.sqrt(E)),
            "self_attn.out_proj.bias": uniform(rng, (E,), 0.1),
            "linear1.weight": uniform(rng, (F, E), 1 / math.sqrt(E)),
            "linear1.bias": uniform(rng, (F,), 1 / math.sqrt(E)),
            "linear2.weight": uniform(rng, (E, F), 1 / math.sqrt(F)),
            "linear2.bias": uniform(rng, (E,), 1 / math.sqrt(F)),
            "norm1.weight": randn(rng, E, scale=0.1, offset=1.0),
            "norm1.bias": randn(rng, E, scale=0.1),
            "norm2.weight": randn(rng, E, scale=0.1, offset=1.0),
            "norm2.bias": randn(rng, E, scale=0.1),
        }
        out = ref_encoder_layer(x, w, H, activation, norm_first, eps)
        fx.add(name, "encoder_layer",
               {"num_heads": H, "activation": activation, "norm_first": norm_first, "eps": eps},
               [("x", x)] + list(w.items()), [("out", out)],
               f"{note}; B=2 L=5 E=16 H=4 F=32", weights=w)


def add_positional_cases(fx: Fixtures):
    for length, dim, note in [(16, 8, "sinusoidal PE, 16 positions x 8 dims"),
                              (50, 32, "sinusoidal PE, 50 positions x 32 dims (larger angles)")]:
        fx.add(f"positional_encoding_{length}x{dim}", "positional_encoding",
               {"length": length, "dim": dim}, [], [("out", ref_positional_encoding(length, dim))], note)


def build_cases() -> Fixtures:
    fx = Fixtures()
    add_einsum_cases(fx)
    add_matmul_cases(fx)
    add_softmax_cases(fx)
    add_reduction_cases(fx)
    add_sqdist_cases(fx)
    add_linear_cases(fx)
    add_conv_cases(fx)
    add_layernorm_cases(fx)
    add_activation_cases(fx)
    add_sdpa_cases(fx)
    add_mha_cases(fx)
    add_encoder_cases(fx)
    add_positional_cases(fx)
    return fx


# ---------------------------------------------------------------------------
# Writing and checking
# ---------------------------------------------------------------------------

def generated_files() -> dict:
    fx = build_cases()
    files = dict(fx.files)
    files[MANIFEST] = fx.manifest_bytes()
    return files


def _is_our_fixture_dir(out: Path) -> bool:
    try:
        return json.loads((out / MANIFEST).read_text("utf-8")).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def existing_files(root: Path) -> set:
    if not root.is_dir():
        return set()
    found = set()
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n == ".DS_Store":
                continue
            found.add(Path(dirpath, n).relative_to(root).as_posix())
    return found


def write(out: Path) -> int:
    out = Path(out)
    files = generated_files()
    stale = set()
    if _is_our_fixture_dir(out):
        stale = existing_files(out) - set(files)
    for rel, data in files.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)
    for rel in sorted(stale):
        (out / rel).unlink()
    for dirpath, dirnames, names in sorted(os.walk(out), key=lambda t: -len(t[0])):
        if Path(dirpath) != out and not os.listdir(dirpath):
            os.rmdir(dirpath)
    total = sum(len(d) for d in files.values())
    print(f"wrote {len(files)} files ({total} bytes) to {out}"
          + (f", removed {len(stale)} stale files" if stale else ""))
    return 0


def compare_dirs(expected: Path, actual: Path) -> list:
    exp = existing_files(expected)
    act = existing_files(actual)
    diffs = []
    for rel in sorted(exp | act):
        if rel not in act:
            diffs.append(f"missing: {rel}")
        elif rel not in exp:
            diffs.append(f"extra (not generated): {rel}")
        elif (expected / rel).read_bytes() != (actual / rel).read_bytes():
            diffs.append(f"differs: {rel}")
    return diffs


def check(out: Path) -> int:
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="attend-fixtures-") as tmp:
        tmp = Path(tmp)
        for rel, data in generated_files().items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        diffs = compare_dirs(tmp, out)
    if not diffs:
        print(f"OK: {out} matches the generator")
        return 0
    print(f"DRIFT: {len(diffs)} difference(s) between the generator and {out}:")
    for d in diffs:
        print(f"  {d}")
    try:
        committed = json.loads((out / MANIFEST).read_text("utf-8")).get("numpy_version")
        if committed and committed != np.__version__:
            print(f"note: fixtures were generated with numpy {committed}, this is numpy {np.__version__}")
    except (OSError, ValueError):
        pass
    print("Regenerate only if the generator or a case definition changed on purpose, "
          "never to make a failing Swift test pass.")
    return 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"fixture folder (default: {DEFAULT_OUT})")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and compare byte-for-byte with --out; exit 1 on drift")
    args = ap.parse_args(argv)
    if args.check:
        return check(args.out)
    return write(args.out)


if __name__ == "__main__":
    sys.exit(main())
