"""Self-checks of scripts/make_fixtures.py.

Run:  python3 -m pytest -q scripts/test_make_fixtures.py

The op implementations in the generator are checked against independent
facts: hand-computed seed values, numpy's own routines (np.einsum, np.matmul,
np.var, ...), structural identities (conv2d == GEMM over im2col, patchify ==
unfold^T, multi-head == concat of single heads), and the committed fixtures
are checked for schema, dtypes and drift (`--check`).
"""

import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parent / "make_fixtures.py"
_spec = importlib.util.spec_from_file_location("make_fixtures", SCRIPT)
mf = importlib.util.module_from_spec(_spec)
sys.modules["make_fixtures"] = mf
_spec.loader.exec_module(mf)

FIXTURES = mf.DEFAULT_OUT


@pytest.fixture(scope="module")
def manifest():
    return json.loads((FIXTURES / "manifest.json").read_text("utf-8"))


def load_case(case):
    ins = {i["name"]: np.load(FIXTURES / i["file"]) for i in case["inputs"]}
    outs = {o["name"]: np.load(FIXTURES / o["file"]) for o in case["outputs"]}
    return ins, outs


def cases_of(manifest, op):
    found = [c for c in manifest["cases"] if c["op"] == op]
    assert found, f"no {op} cases"
    return found


# --------------------------------------------------------------------------- seed values

def test_sum_seed_values():
    x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    assert float(mf.ref_sum(x, [0, 1, 2])) == 1770.0
    i, j, k = np.meshgrid(np.arange(3), np.arange(4), np.arange(5), indexing="ij")
    # dim 0: sum_i (20i + 5j + k) = 60 + 15j + 3k
    np.testing.assert_array_equal(mf.ref_sum(x, 0), 60 + 15 * j[0] + 3 * k[0])
    # dim 1: sum_j (20i + 5j + k) = 80i + 30 + 4k
    np.testing.assert_array_equal(mf.ref_sum(x, 1), 80 * i[:, 0, :] + 30 + 4 * k[:, 0, :])
    # dim 2: sum_k (20i + 5j + k) = 100i + 25j + 10
    np.testing.assert_array_equal(mf.ref_sum(x, -1), 100 * i[..., 0] + 25 * j[..., 0] + 10)
    kd = mf.ref_sum(x, [0, 2], keepdim=True)
    assert kd.shape == (1, 4, 1)
    np.testing.assert_array_equal(kd.ravel(), [300 + 75 * jj + 30 for jj in range(4)])


def test_sum_fixture_matches_seed(manifest):
    case = next(c for c in manifest["cases"] if c["name"] == "sum_arange_all_dims")
    ins, outs = load_case(case)
    np.testing.assert_array_equal(ins["x"], np.arange(60, dtype=np.float32).reshape(3, 4, 5))
    assert outs["out"].shape == () and float(outs["out"]) == 1770.0


def test_sqdist_seed():
    a = np.array([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]], dtype=np.float32)
    b = np.array([[0.5, 0.5], [2.5, 2.5], [10, 10]], dtype=np.float32)
    expected = [[0.5, 12.5, 200], [0.5, 4.5, 162], [4.5, 0.5, 128], [12.5, 0.5, 98], [24.5, 4.5, 72]]
    np.testing.assert_array_equal(mf.ref_sqdist(a, b), expected)
    _, outs = load_case({"inputs": [], "outputs": [{"name": "out", "file": "sqdist_seed/out.npy"}]})
    np.testing.assert_array_equal(outs["out"], expected)


def test_sqdist_large_offset_vs_direct():
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((5, 8)) + 1000).astype(np.float32)
    b = (rng.standard_normal((4, 8)) + 1000).astype(np.float32)
    direct = ((a.astype(np.float64)[:, None] - b.astype(np.float64)[None]) ** 2).sum(-1)
    np.testing.assert_allclose(mf.ref_sqdist(a, b), direct, rtol=1e-14)


def test_conv1d_seed():
    s = np.arange(10, 101, 10, dtype=np.float32)
    k = np.array([0.5, 1, 0.5], dtype=np.float32)
    np.testing.assert_array_equal(mf.ref_conv1d(s, k, 1), np.arange(40, 181, 20))
    np.testing.assert_array_equal(mf.ref_conv1d(s, k, 3), [40, 100, 160])
    rng = np.random.default_rng(1)
    s = rng.standard_normal(13)
    k = rng.standard_normal(4)
    np.testing.assert_allclose(mf.ref_conv1d(s, k, 2), np.correlate(s, k, "valid")[::2], rtol=1e-13)


def test_layernorm_printout():
    x = np.array(mf.LAYERNORM_PRINTED, dtype=np.float32).reshape(1, 5, 4)
    y = mf.ref_layernorm(x, np.ones(4, np.float32), np.zeros(4, np.float32), 1e-5, 1)
    np.testing.assert_allclose(y[0, 0], [0.8716, 0.5928, 0.2209, -1.6853], atol=1e-3)
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1), 1, atol=1e-4)  # eps makes it slightly < 1
    ins, outs = load_case({"inputs": [], "outputs": [
        {"name": "out", "file": "layernorm_printed_example/out.npy"}]})
    np.testing.assert_array_equal(outs["out"], y)


def test_layernorm_two_dims_vs_numpy():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4))
    w = rng.standard_normal((3, 4))
    b = rng.standard_normal((3, 4))
    m = x.mean(axis=(1, 2), keepdims=True)
    v = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(mf.ref_layernorm(x, w, b, 1e-5, 2), (x - m) / np.sqrt(v + 1e-5) * w + b,
                               rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- softmax

def test_softmax_rows_sum_to_one(manifest):
    for case in cases_of(manifest, "softmax"):
        ins, outs = load_case(case)
        x, y = ins["x"], outs["out"]
        dim = case["params"]["dim"]
        s = y.sum(axis=dim)
        all_neg_inf = np.all(np.isneginf(x), axis=dim)
        np.testing.assert_allclose(s[~all_neg_inf], 1.0, atol=1e-14, err_msg=case["name"])
        assert np.all(s[all_neg_inf] == 0.0), case["name"]
        assert np.all(y[np.broadcast_to(np.isneginf(x), y.shape)] == 0.0)
        assert np.all(y >= 0) and not np.isnan(y).any()


def test_softmax_cases_cover_required_situations(manifest):
    xs = {c["name"]: load_case(c)[0]["x"] for c in cases_of(manifest, "softmax")}
    assert np.abs(xs["softmax_extreme_logits"]).max() == 1e4
    x = xs["softmax_with_neg_inf"]
    assert np.all(np.isneginf(x), axis=-1).any()
    assert (np.isneginf(x).any(-1) & ~np.isneginf(x).all(-1)).any()
    assert any(c["params"]["dim"] not in (-1, c_ndim - 1)
               for c, c_ndim in ((c, xs[c["name"]].ndim) for c in cases_of(manifest, "softmax")))


def test_softmax_matches_naive_and_logsoftmax():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 5)) * 3
    for dim in (0, 1, -1):
        e = np.exp(x)
        np.testing.assert_allclose(mf.ref_softmax(x, dim), e / e.sum(dim, keepdims=True), rtol=1e-13)
        np.testing.assert_allclose(mf.ref_logsoftmax(x, dim), np.log(mf.ref_softmax(x, dim)),
                                   rtol=1e-12, atol=1e-13)
    row = np.array([[-np.inf, -np.inf], [1e4, -1e4]])
    np.testing.assert_array_equal(mf.ref_softmax(row, -1), [[0, 0], [1, 0]])
    np.testing.assert_array_equal(mf.ref_logsoftmax(row, -1), [[-np.inf, -np.inf], [0, -2e4]])


def test_logsoftmax_fixtures_consistent_with_softmax(manifest):
    soft = {c["name"].removeprefix("softmax_"): load_case(c)[1]["out"] for c in cases_of(manifest, "softmax")}
    for case in cases_of(manifest, "logsoftmax"):
        ins, outs = load_case(case)
        x, y = ins["x"], outs["out"]
        s = soft[case["name"].removeprefix("logsoftmax_")]
        # -inf exactly where the logit is -inf (the whole row if all are -inf);
        # underflowed softmax entries (e.g. -2e4) stay finite in log space.
        assert np.array_equal(np.isneginf(y), np.isneginf(x)), case["name"]
        np.testing.assert_allclose(np.exp(y), s, rtol=1e-13, atol=1e-300, err_msg=case["name"])


# --------------------------------------------------------------------------- einsum / matmul

EXTRA_EQUATIONS = [
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("bi,bi->b", [(3, 5), (3, 5)]),
    ("i,i", [(5,), (5,)]),
    ("...i->...", [(2, 3, 4)]),
    ("ba,ca", [(2, 3), (4, 3)]),
    ("iij->j", [(3, 3, 2)]),
]


def test_einsum_fixtures_vs_numpy(manifest):
    for case in cases_of(manifest, "einsum"):
        ins, outs = load_case(case)
        ops = [ins[f"a{i}"].astype(np.float64) for i in range(len(ins))]
        ref = np.einsum(case["params"]["equation"], *ops)
        assert outs["out"].shape == np.shape(ref), case["name"]
        np.testing.assert_allclose(outs["out"], ref, rtol=1e-12, atol=1e-12, err_msg=case["name"])


@pytest.mark.parametrize("equation,shapes", EXTRA_EQUATIONS)
def test_einsum_extra_vs_numpy(equation, shapes):
    rng = np.random.default_rng(4)
    ops = [rng.standard_normal(s) for s in shapes]
    ref = np.einsum(equation, *ops)
    got = mf.ref_einsum(equation, *ops)
    assert got.shape == np.shape(ref)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_einsum_exact_for_float32_inputs():
    # products of float32 values are exact in float64, fsum rounds once:
    # result must equal the exactly rounded value computed with fractions.
    from fractions import Fraction
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 7)).astype(np.float32)
    b = rng.standard_normal((7, 2)).astype(np.float32)
    got = mf.ref_einsum("ij,jk->ik", a, b)
    for i in range(3):
        for k in range(2):
            exact = sum(Fraction(float(a[i, j])) * Fraction(float(b[j, k])) for j in range(7))
            assert got[i, k] == float(exact)


def test_matmul_fixtures_vs_numpy(manifest):
    for case in cases_of(manifest, "matmul"):
        ins, outs = load_case(case)
        ref = np.matmul(ins["a"].astype(np.float64), ins["b"].astype(np.float64))
        assert outs["out"].shape == np.shape(ref), case["name"]
        np.testing.assert_allclose(outs["out"], ref, rtol=1e-12, atol=1e-12, err_msg=case["name"])


# --------------------------------------------------------------------------- reductions

def test_reduction_fixtures_vs_numpy(manifest):
    for op in ("sum", "mean", "var", "std"):
        for case in cases_of(manifest, op):
            ins, outs = load_case(case)
            x = ins["x"].astype(np.float64)
            p = case["params"]
            axis = tuple(p["dim"]) if isinstance(p["dim"], list) else p["dim"]
            kw = {"axis": axis, "keepdims": p["keepdim"]}
            if op in ("var", "std"):
                kw["ddof"] = 1 if p["unbiased"] else 0
            ref = getattr(np, op)(x, **kw)
            assert outs["out"].shape == np.shape(ref), case["name"]
            np.testing.assert_allclose(outs["out"], ref, rtol=1e-10, err_msg=case["name"])


# --------------------------------------------------------------------------- linear / conv

def test_linear_fixtures_vs_numpy(manifest):
    for case in cases_of(manifest, "linear"):
        ins, outs = load_case(case)
        x, w, b = (ins[k].astype(np.float64) for k in ("x", "weight", "bias"))
        np.testing.assert_allclose(outs["out"], x @ w.T + b, rtol=1e-12, atol=1e-12)


def test_conv2d_equals_gemm_over_im2col(manifest):
    for case in cases_of(manifest, "conv2d"):
        ins, outs = load_case(case)
        p = case["params"]
        x, w, b = ins["input"], ins["weight"].astype(np.float64), ins["bias"].astype(np.float64)
        cols = mf.ref_im2col(x, list(w.shape[2:]), p["stride"], p["padding"])
        y = np.einsum("ok,bkl->bol", w.reshape(w.shape[0], -1), cols) + b[None, :, None]
        out = outs["out"]
        np.testing.assert_allclose(out.reshape(out.shape[0], out.shape[1], -1), y, rtol=1e-12, atol=1e-12)


def test_im2col_known_layout():
    x = np.arange(1 * 2 * 3 * 3, dtype=np.float32).reshape(1, 2, 3, 3)
    cols = mf.ref_im2col(x, [2, 2], [1, 1], [0, 0])
    assert cols.shape == (1, 8, 4)
    # row c*4 + i*2 + j, column y*2 + x  ->  x[c, y+i, x+j]
    np.testing.assert_array_equal(cols[0, 0], [0, 1, 3, 4])
    np.testing.assert_array_equal(cols[0, 3], [4, 5, 7, 8])
    np.testing.assert_array_equal(cols[0, 5], [10, 11, 13, 14])
    padded = mf.ref_im2col(x[:, :1], [3, 3], [1, 1], [1, 1])
    assert padded.shape == (1, 9, 9)
    np.testing.assert_array_equal(padded[0, 4], np.arange(9))       # centre tap = the image
    np.testing.assert_array_equal(padded[0, 0], [0, 0, 0, 0, 0, 1, 0, 3, 4])


def test_patchify_equals_unfold_transposed(manifest):
    for case in cases_of(manifest, "patchify"):
        ins, outs = load_case(case)
        P = case["params"]["patch"]
        cols = mf.ref_im2col(ins["image"], [P, P], [P, P], [0, 0])
        np.testing.assert_array_equal(outs["out"], cols.transpose(0, 2, 1))


# --------------------------------------------------------------------------- activations / PE

def test_gelu_relu_known_values():
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(mf.ref_gelu(x, "none"),
                               [-0.15865525393145707, 0.0, 0.8413447460685429, 1.9544997361036416],
                               rtol=1e-15)
    np.testing.assert_allclose(mf.ref_gelu(x, "tanh"),
                               [-0.15880800939172324, 0.0, 0.8411919906082768, 1.954597694087775],
                               rtol=1e-14)
    np.testing.assert_array_equal(mf.ref_relu(x), [0, 0, 1, 2])


def test_positional_encoding_known_values():
    pe = mf.ref_positional_encoding(4, 6)
    np.testing.assert_array_equal(pe[0], [0, 1, 0, 1, 0, 1])
    assert pe[1, 0] == math.sin(1.0) and pe[1, 1] == math.cos(1.0)
    np.testing.assert_allclose(pe[3, 2], math.sin(3 / 10000 ** (2 / 6)), rtol=1e-15)
    np.testing.assert_allclose(pe[3, 5], math.cos(3 / 10000 ** (4 / 6)), rtol=1e-15)


# --------------------------------------------------------------------------- attention

def naive_sdpa(q, k, v, allowed_fn, bias=None, scale=None):
    """Row-by-row loop implementation; allowed_fn(b,h,i,j) -> bool."""
    q, k, v = (np.asarray(t, np.float64) for t in (q, k, v))
    B, H, Lq, D = q.shape
    Lk = k.shape[2]
    s = 1 / math.sqrt(D) if scale is None else scale
    out = np.zeros((B, H, Lq, v.shape[-1]))
    w = np.zeros((B, H, Lq, Lk))
    for b in range(B):
        for h in range(H):
            for i in range(Lq):
                sc = []
                for j in range(Lk):
                    val = float(q[b, h, i] @ k[b, h, j]) * s
                    if bias is not None:
                        val += float(np.broadcast_to(bias, (B, H, Lq, Lk))[b, h, i, j])
                    if not allowed_fn(b, h, i, j) or val == -math.inf:
                        continue
                    sc.append((j, val))
                if not sc:
                    continue
                m = max(val for _, val in sc)
                z = sum(math.exp(val - m) for _, val in sc)
                for j, val in sc:
                    w[b, h, i, j] = math.exp(val - m) / z
                out[b, h, i] = w[b, h, i] @ v[b, h]
    return out, w


def test_sdpa_fixtures_vs_naive(manifest):
    for case in cases_of(manifest, "sdpa"):
        ins, outs = load_case(case)
        p = case["params"]
        mask = ins.get("mask")
        kpm = ins.get("key_padding_mask")
        Lq, Lk = ins["query"].shape[2], ins["key"].shape[2]
        full = (ins["query"].shape[0], ins["query"].shape[1], Lq, Lk)
        bm = np.broadcast_to(mask, full) if p["mask_kind"] == "bool" else None

        def allowed(b, h, i, j):
            if bm is not None and not bm[b, h, i, j]:
                return False
            if kpm is not None and kpm[b, j]:
                return False
            if p["causal"] and j > i:
                return False
            return True

        bias = mask.astype(np.float64) if p["mask_kind"] == "float" else None
        out, w = naive_sdpa(ins["query"], ins["key"], ins["value"], allowed, bias, p["scale"])
        np.testing.assert_allclose(outs["weights"], w, rtol=1e-12, atol=1e-14, err_msg=case["name"])
        np.testing.assert_allclose(outs["out"], out, rtol=1e-12, atol=1e-13, err_msg=case["name"])


def test_sdpa_fully_masked_rows_are_exact_zeros(manifest):
    names = ["sdpa_fully_masked_rows", "sdpa_causal_key_padding", "sdpa_float_mask_full_row"]
    for name in names:
        case = next(c for c in manifest["cases"] if c["name"] == name)
        _, outs = load_case(case)
        dead = outs["weights"].sum(-1) == 0
        assert dead.any(), name
        assert np.all(outs["weights"][dead] == 0) and np.all(outs["out"][dead] == 0)
        np.testing.assert_allclose(outs["weights"].sum(-1)[~dead], 1, atol=1e-14)


def test_sdpa_causal_alignment_top_left():
    rng = np.random.default_rng(6)
    q = rng.standard_normal((1, 1, 2, 4))
    k = rng.standard_normal((1, 1, 5, 4))
    v = rng.standard_normal((1, 1, 5, 3))
    _, w = mf.ref_sdpa(q, k, v, causal=True)
    assert w[0, 0, 0, 0] == 1.0 and np.all(w[0, 0, 0, 1:] == 0)
    assert np.all(w[0, 0, 1, 2:] == 0) and w[0, 0, 1, :2].sum() == pytest.approx(1)


def heads_by_hand(query, key, value, w, H, kpm=None, attn_mask=None, causal=False):
    """Multi-head as a loop of single-head attentions on column slices, concat, out_proj."""
    f = lambda t: np.asarray(t, np.float64)
    E = query.shape[-1]
    hd = E // H
    (Wq, Wk, Wv), (bq, bk, bv) = mf.split_in_proj(w, E)
    q = f(query) @ Wq.T + bq
    k = f(key) @ Wk.T + bk
    v = f(value) @ Wv.T + bv
    Lq, Lk = q.shape[1], k.shape[1]
    heads, weights = [], []
    for h in range(H):
        sl = slice(h * hd, (h + 1) * hd)
        sc = np.einsum("bld,bmd->blm", q[..., sl], k[..., sl]) / math.sqrt(hd)
        ok = np.ones(sc.shape, bool)
        if kpm is not None:
            ok &= ~kpm[:, None, :]
        if attn_mask is not None:
            ok &= attn_mask[None]
        if causal:
            ok &= np.tril(np.ones((Lq, Lk), bool))[None]
        sc = np.where(ok, sc, -np.inf)
        m = sc.max(-1, keepdims=True)
        e = np.where(ok, np.exp(sc - np.where(np.isfinite(m), m, 0)), 0)
        z = e.sum(-1, keepdims=True)
        p = np.where(z > 0, e / np.where(z > 0, z, 1), 0)
        weights.append(p)
        heads.append(p @ v[..., sl])
    concat = np.concatenate(heads, axis=-1)
    out = concat @ f(w["out_proj.weight"]).T + f(w["out_proj.bias"])
    return out, np.mean(weights, axis=0)


def test_mha_equals_concat_of_single_heads(manifest):
    for case in cases_of(manifest, "mha"):
        ins, outs = load_case(case)
        w = {k: v for k, v in ins.items()
             if k not in ("query", "key", "value", "key_padding_mask", "attn_mask")}
        out, wavg = heads_by_hand(ins["query"], ins["key"], ins["value"], w, case["params"]["num_heads"],
                                  ins.get("key_padding_mask"), ins.get("attn_mask"), case["params"]["causal"])
        np.testing.assert_allclose(outs["out"], out, rtol=1e-11, atol=1e-12, err_msg=case["name"])
        np.testing.assert_allclose(outs["weights"], wavg, rtol=1e-11, atol=1e-13, err_msg=case["name"])


def test_mha_single_head_equals_sdpa():
    rng = np.random.default_rng(7)
    E = 6
    x = rng.standard_normal((2, 3, E))
    w = {"in_proj_weight": np.vstack([np.eye(E)] * 3), "in_proj_bias": np.zeros(3 * E),
         "out_proj.weight": np.eye(E), "out_proj.bias": np.zeros(E)}
    out, wavg = mf.ref_mha(x, x, x, w, 1)
    o2, w2 = mf.ref_sdpa(x[:, None], x[:, None], x[:, None])
    np.testing.assert_allclose(out, o2[:, 0], rtol=1e-13)
    np.testing.assert_allclose(wavg, w2[:, 0], rtol=1e-13)


def test_encoder_layer_vs_by_hand(manifest):
    for case in cases_of(manifest, "encoder_layer"):
        ins, outs = load_case(case)
        p = case["params"]
        f = lambda t: np.asarray(t, np.float64)
        x = f(ins["x"])
        aw = {k.removeprefix("self_attn."): v for k, v in ins.items() if k.startswith("self_attn.")}

        def ln(h, i):
            m = h.mean(-1, keepdims=True)
            v = h.var(-1, keepdims=True)
            return (h - m) / np.sqrt(v + p["eps"]) * f(ins[f"norm{i}.weight"]) + f(ins[f"norm{i}.bias"])

        def act(t):
            if p["activation"] == "relu":
                return np.maximum(t, 0)
            return 0.5 * t * (1 + np.vectorize(math.erf)(t / math.sqrt(2)))

        def ff(h):
            h1 = act(h @ f(ins["linear1.weight"]).T + f(ins["linear1.bias"]))
            return h1 @ f(ins["linear2.weight"]).T + f(ins["linear2.bias"])

        def sa(h):
            return heads_by_hand(h, h, h, aw, p["num_heads"])[0]

        if p["norm_first"]:
            x = x + sa(ln(x, 1))
            x = x + ff(ln(x, 2))
        else:
            x = ln(x + sa(x), 1)
            x = ln(x + ff(x), 2)
        np.testing.assert_allclose(outs["out"], x, rtol=1e-10, atol=1e-11, err_msg=case["name"])
        assert 0.1 < np.abs(outs["out"]).max() < 10  # O(1) outputs


def test_safetensors_match_npy_inputs(manifest):
    with_weights = [c for c in manifest["cases"] if "weights_file" in c]
    assert {c["op"] for c in with_weights} == {"mha", "encoder_layer"}
    assert len(with_weights) == len(cases_of(manifest, "mha")) + len(cases_of(manifest, "encoder_layer"))
    for case in with_weights:
        data = (FIXTURES / case["weights_file"]).read_bytes()
        (n,) = np.frombuffer(data[:8], "<u8")
        assert n % 8 == 0
        header = json.loads(data[8:8 + int(n)])
        names = list(header)
        assert names == sorted(names)
        end = 0
        for name in names:
            b, e = header[name]["data_offsets"]
            assert b == end and header[name]["dtype"] == "F32"
            end = e
        assert 8 + int(n) + end == len(data)
        tensors = mf.read_safetensors(data)
        ins, _ = load_case(case)
        skip = {"query", "key", "value", "key_padding_mask", "attn_mask", "x"}
        assert set(tensors) == set(ins) - skip, case["name"]
        for name, t in tensors.items():
            np.testing.assert_array_equal(t, ins[name])
            assert list(t.shape) == header[name]["shape"]


def test_mha_weight_names(manifest):
    for case in cases_of(manifest, "mha"):
        names = [i["name"] for i in case["inputs"]]
        assert names[:3] == ["query", "key", "value"]
        ins, _ = load_case(case)
        E = ins["query"].shape[-1]
        if ins["key"].shape[-1] == E and ins["value"].shape[-1] == E:
            assert "in_proj_weight" in names and ins["in_proj_weight"].shape == (3 * E, E)
        else:
            assert ins["q_proj_weight"].shape == (E, E)
            assert ins["k_proj_weight"].shape == (E, ins["key"].shape[-1])
            assert ins["v_proj_weight"].shape == (E, ins["value"].shape[-1])
        assert ins["in_proj_bias"].shape == (3 * E,)
        assert ins["out_proj.weight"].shape == (E, E) and ins["out_proj.bias"].shape == (E,)
        assert case["params"]["batch_first"] is True


# --------------------------------------------------------------------------- manifest / files

OPS = {"einsum", "matmul", "softmax", "logsoftmax", "sum", "mean", "std", "var", "sqdist", "linear",
       "conv1d", "conv2d", "im2col", "patchify", "layernorm", "gelu", "relu", "sdpa", "mha",
       "encoder_layer", "positional_encoding"}


def test_manifest_schema_and_dtypes(manifest):
    assert manifest["generator"] == "scripts/make_fixtures.py"
    assert manifest["numpy_version"].startswith("2.")
    names = [c["name"] for c in manifest["cases"]]
    assert len(names) == len(set(names))
    assert {c["op"] for c in manifest["cases"]} == OPS
    listed = {"manifest.json"}
    for c in manifest["cases"]:
        assert set(c) <= {"name", "op", "params", "inputs", "outputs", "note", "weights_file"}
        assert isinstance(c["note"], str) and c["note"] and "\n" not in c["note"]
        assert c["outputs"]
        for io_ in c["inputs"] + c["outputs"]:
            assert io_["file"].startswith(c["name"] + "/")
            listed.add(io_["file"])
        if "weights_file" in c:
            listed.add(c["weights_file"])
        for i in c["inputs"]:
            a = np.load(FIXTURES / i["file"])
            assert a.dtype.str in ("<f4", "|b1"), (c["name"], i["name"])
        for o in c["outputs"]:
            a = np.load(FIXTURES / o["file"])
            assert a.dtype.str == "<f8" and not np.isnan(a).any(), (c["name"], o["name"])
    assert listed == mf.existing_files(FIXTURES)


def test_npy_files_are_c_order():
    for rel in mf.existing_files(FIXTURES):
        if rel.endswith(".npy"):
            head = (FIXTURES / rel).read_bytes()[:128]
            assert b"'fortran_order': False" in head, rel


def test_fixture_folder_is_small():
    total = sum((FIXTURES / rel).stat().st_size for rel in mf.existing_files(FIXTURES))
    assert total < 1_500_000


# --------------------------------------------------------------------------- determinism / --check

def test_generation_is_deterministic():
    a = mf.generated_files()
    b = mf.generated_files()
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] for k in a)


def test_check_passes_on_committed_fixtures():
    r = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_check_detects_drift(tmp_path):
    out = tmp_path / "numeric"
    shutil.copytree(FIXTURES, out)
    target = out / "softmax_extreme_logits" / "out.npy"
    data = bytearray(target.read_bytes())
    data[-1] ^= 1
    target.write_bytes(bytes(data))
    (out / "stray.npy").write_bytes(b"x")
    (out / "relu" / "out.npy").unlink()
    r = subprocess.run([sys.executable, str(SCRIPT), "--check", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "differs: softmax_extreme_logits/out.npy" in r.stdout
    assert "extra (not generated): stray.npy" in r.stdout
    assert "missing: relu/out.npy" in r.stdout
