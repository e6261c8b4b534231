import AttendReference
import AttendVerification
import Foundation
import Testing
import _AttendKernels

@testable import Attend

/// The fused kernel on every ``KernelPath`` this CPU runs (each test once per path, in one
/// process), against the reference within the documented bound (Support/AttentionSupport.swift)
/// and against the materialized path. Paths the CPU lacks: KernelFamilyTests reports them skipped.
@Suite("Fused attention kernel paths")
struct FusedAttentionKernelTests {
    @Test(
        "matches the reference at head dims 32, 40, 64, 80, 96, 128 and lengths 1, 7, 129, including Lq ≠ Lk and Dk ≠ Dv",
        arguments: KernelPath.supported, [32, 40, 64, 80, 96, 128])
    func headDimsAndLengths(path: KernelPath, d: Int) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 600 + UInt64(d))
            for (lq, lk, dv) in [(1, 129, d), (7, 7, d), (129, 129, d), (7, 129, d / 2 + 3), (129, 1, d), (1, 7, 5)] {
                for mask in [AttentionMask<Float>.none, .causal] {
                    let q: Tensor<Float> = factory.randn([2, lq, d])
                    let k: Tensor<Float> = factory.randn([2, lk, d])
                    let v: Tensor<Float> = factory.randn([2, lk, dv])
                    try expectAttentionMatchesReference(
                        q, k, v, mask: mask, algorithm: .fused,
                        "\(KernelPath.active) D=\(d) Lq=\(lq) Lk=\(lk) Dv=\(dv) \(mask.summary)")
                }
            }
        }
    }

    @Test(
        "matches the reference at length 1000 (eight 128-key blocks, 32 query blocks), causal and not",
        arguments: KernelPath.supported)
    func longSequence(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 610)
            // D = 16 keeps the Double reference (L²·D in a debug build) quick; the head dims have their own test.
            let q: Tensor<Float> = factory.randn([1, 1000, 16])
            let k: Tensor<Float> = factory.randn([1, 1000, 16])
            let v: Tensor<Float> = factory.randn([1, 1000, 16])
            try expectAttentionMatchesReference(q, k, v, algorithm: .fused, "\(KernelPath.active) L=1000")
            try expectAttentionMatchesReference(
                q, k, v, mask: .causal, algorithm: .fused, "\(KernelPath.active) L=1000 causal")
        }
    }

    @Test(
        "decode (one query against a long history) matches the reference with every mask kind, at Dk ≠ Dv not multiples of 8",
        arguments: KernelPath.supported, ScaledDotProductAttentionTests.MaskKind.allCases)
    func decode(path: KernelPath, kind: ScaledDotProductAttentionTests.MaskKind) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 620 + UInt64(kind.rawValue.count))
            for (lk, dk, dv) in [(300, 64, 64), (129, 13, 37), (1, 8, 3)] {
                let q: Tensor<Float> = factory.randn([2, 3, 1, dk])
                let k: Tensor<Float> = factory.randn([2, 3, lk, dk], .transposed)
                let v: Tensor<Float> = factory.randn([2, 3, lk, dv], .strided)
                let mask = ScaledDotProductAttentionTests.mask(kind, b: 2, lq: 1, lk: lk, factory: &factory)
                try expectAttentionMatchesReference(
                    q, k, v, mask: mask, algorithm: .fused, "\(KernelPath.active) decode \(kind) Lk=\(lk)")
            }
        }
    }

    @Test(
        "batches that broadcast (queries per head, keys and values shared) match the reference",
        arguments: KernelPath.supported)
    func broadcastBatches(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 630)
            let q: Tensor<Float> = factory.randn([2, 1, 40, 32])
            let k: Tensor<Float> = factory.randn([1, 3, 150, 32], .expanded)
            let v: Tensor<Float> = factory.randn([3, 150, 24])
            try expectAttentionMatchesReference(
                q, k, v, mask: .causal, scale: 0.2, algorithm: .fused, "\(KernelPath.active) broadcast")
            let single: Tensor<Float> = factory.randn([2, 1, 1, 32])
            try expectAttentionMatchesReference(
                single, k, v, algorithm: .fused, "\(KernelPath.active) broadcast decode")
        }
    }

    @Test(
        "fused and materialized paths agree within the fused bound for every mask kind at length 129",
        arguments: KernelPath.supported, ScaledDotProductAttentionTests.MaskKind.allCases)
    func agreesWithMaterialized(path: KernelPath, kind: ScaledDotProductAttentionTests.MaskKind) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 640 + UInt64(kind.rawValue.count))
            let q: Tensor<Float> = factory.randn([2, 2, 129, 40])
            let k: Tensor<Float> = factory.randn([2, 2, 140, 40])
            let v: Tensor<Float> = factory.randn([2, 2, 140, 24])
            let mask = ScaledDotProductAttentionTests.mask(kind, b: 2, lq: 129, lk: 140, factory: &factory)
            let fused = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: mask, algorithm: .fused)
                .output
            let materialized = try scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: mask, algorithm: .materialized
            ).output
            // Both are within their bounds of the exact result, so within the sum of the bounds of each other.
            let bound = try AttentionBound(
                queries: q.reference, keys: k.reference, values: v.reference, scale: 1 / Double(40).squareRoot(),
                mask: mask
            )
            let report = ErrorReport(
                actual: fused.scalars.map(Double.init), expected: materialized.scalars.map(Double.init),
                bound: zip(bound.output, bound.fusedOutput).map(+))
            #expect(report.worstRatio <= 1, "\(KernelPath.active) \(kind): \(report)")
            #expect(!fused.scalars.contains { $0.isNaN })
        }
    }

    @Test(
        "a causal diagonal offset: query i sees keys j ≤ i + offset, for offset 0 and Lk − Lq (bottom-right), Lq < Lk and Lq > Lk",
        arguments: KernelPath.supported)
    func causalOffset(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 650)
            for (lq, lk) in [(40, 300), (1, 300), (300, 40), (33, 33)] {
                for offset in [0, lk - lq] {
                    let q: Tensor<Float> = factory.randn([2, lq, 16])
                    let k: Tensor<Float> = factory.randn([2, lk, 16])
                    let v: Tensor<Float> = factory.randn([2, lk, 8])
                    let allowed = try BoolTensor(
                        shape: [lq, lk], elements: (0..<(lq * lk)).map { $0 % lk <= $0 / lk + offset })
                    let out = try fusedAttention(
                        queries: q, keys: k, values: v, mask: .none, scale: nil, causalOffset: offset)
                    let exact = try Reference.scaledDotProductAttention(
                        queries: q.reference, keys: k.reference, values: v.reference,
                        mask: AttentionMask<Float>.mayAttend(allowed).reference(Double.self),
                        scale: 1 / 4)
                    let bound = try AttentionBound(
                        queries: q.reference, keys: k.reference, values: v.reference, scale: 1 / 4,
                        mask: .mayAttend(allowed))
                    expectWithinBound(
                        out, exact.output, bound: bound.fusedOutput,
                        "\(KernelPath.active) Lq=\(lq) Lk=\(lk) offset \(offset)")
                    // Rows with no visible key (i + offset < 0) are zero.
                    for i in 0..<lq where i + offset < 0 {
                        #expect((0..<8).allSatisfy { out[0, i, $0] == 0 }, "row \(i) offset \(offset)")
                    }
                }
            }
        }
    }

    @Test(
        "a NaN or ±Inf score poisons exactly the rows the materialized path makes NaN, and no other bit changes",
        arguments: KernelPath.supported, [Float.nan, .infinity, -.infinity])
    func nonFiniteScores(path: KernelPath, value: Float) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 680)
            // Lq = 40: three 16-query tiles of one 32-query block and a second block; Lq = 1: decode.
            for lq in [40, 1] {
                let q: Tensor<Float> = factory.randn([2, 3, lq, 24])
                let k: Tensor<Float> = factory.randn([2, 3, 150, 24])
                let v: Tensor<Float> = factory.randn([2, 3, 150, 8])
                let mask: Tensor<Float> = factory.randn([2, 1, lq, 150])
                let row = lq - 1  // the last query: a tile's padded lanes sit beside it
                // A query entry (one row), a key entry (one head: every row), an additive mask entry
                // (one row of every head of batch entry 1), each in a fresh copy.
                let cases: [(String, Tensor<Float>, Tensor<Float>, Tensor<Float>)] = [
                    ("query", try poked(q, [1, 2, row, 5], value), k, mask),
                    ("key", q, try poked(k, [0, 1, 140, 3], value), mask),
                    ("mask", q, k, try poked(mask, [1, 0, row, 7], value)),
                ]
                let clean = try scaledDotProductAttention(
                    queries: q, keys: k, values: v, mask: .additive(mask), algorithm: .fused
                ).output
                for (name, q, k, mask) in cases {
                    let fused = try scaledDotProductAttention(
                        queries: q, keys: k, values: v, mask: .additive(mask), algorithm: .fused
                    ).output
                    let materialized = try scaledDotProductAttention(
                        queries: q, keys: k, values: v, mask: .additive(mask), algorithm: .materialized
                    ).output
                    let context = "\(KernelPath.active) Lq=\(lq) \(value) in \(name)"
                    #expect(fused.scalars.map(\.isNaN) == materialized.scalars.map(\.isNaN), "\(context): NaN pattern")
                    if value.isNaN || value == .infinity {
                        #expect(materialized.scalars.contains { $0.isNaN }, "\(context): the materialized path has NaN")
                    }
                    // Rows the poked entry does not reach keep the clean run's bits.
                    for b in 0..<2 {
                        for h in 0..<3 {
                            for i in 0..<lq {
                                let reached =
                                    switch name {
                                    case "query": (b, h, i) == (1, 2, row)
                                    case "key": (b, h) == (0, 1)
                                    default: (b, i) == (1, row)
                                    }
                                if reached { continue }
                                #expect(
                                    (0..<8).allSatisfy {
                                        fused[b, h, i, $0].bitPattern == clean[b, h, i, $0].bitPattern
                                    },
                                    "\(context): row [\(b), \(h), \(i)] changed")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test(
        "the caller's MXCSR (FTZ/DAZ and rounding control) is unchanged after a call, whatever it was",
        arguments: KernelPath.supported)
    func mxcsrRestored(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            #if arch(x86_64)
                var factory = TensorFactory(seed: 660)
                let q: Tensor<Float> = factory.randn([1, 2, 200, 64])
                let k: Tensor<Float> = factory.randn([1, 2, 200, 64])
                let v: Tensor<Float> = factory.randn([1, 2, 200, 64])
                let decode: Tensor<Float> = factory.randn([1, 2, 1, 64])
                let saved = attend_read_mxcsr()
                defer { attend_write_mxcsr(saved) }
                let controlBits: UInt32 = 0xFFC0  // bits 0–5 are sticky exception flags that any arithmetic may set
                for control: UInt32 in [0x1F80, 0x1F80 | 0x8040] {  // default; FTZ + DAZ already on
                    attend_write_mxcsr(control)
                    _ = try scaledDotProductAttention(queries: q, keys: k, values: v, mask: .causal, algorithm: .fused)
                    #expect(
                        attend_read_mxcsr() & controlBits == control & controlBits,
                        "after a tiled call, starting from \(String(control, radix: 16))")
                    _ = try scaledDotProductAttention(queries: decode, keys: k, values: v, algorithm: .fused)
                    #expect(
                        attend_read_mxcsr() & controlBits == control & controlBits,
                        "after a decode call, starting from \(String(control, radix: 16))")
                }
            #endif
        }
    }

    @Test(
        "scores whose exps underflow (causal, large logits) give the reference's result, not denormal noise or NaN",
        arguments: KernelPath.supported)
    func underflowingExps(path: KernelPath) throws {
        try KernelPath.withKernels(path) {
            var factory = TensorFactory(seed: 670)
            // Scale 8: score gaps of hundreds, so most exps are below Float's smallest normal.
            let q: Tensor<Float> = factory.randn([1, 150, 16])
            let k: Tensor<Float> = factory.randn([1, 150, 16])
            let v: Tensor<Float> = factory.randn([1, 150, 4])
            try expectAttentionMatchesReference(
                q, k, v, mask: .causal, scale: 8, algorithm: .fused, "\(KernelPath.active) scale 8")
        }
    }
}
