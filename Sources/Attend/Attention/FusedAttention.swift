import RealModule

/// Which algorithm ``scaledDotProductAttention(queries:keys:values:mask:scale:returnWeights:algorithm:)`` uses.
public enum AttentionAlgorithm: String, Sendable, CaseIterable {
    /// Fused unless the weights are requested or dropout is on (those need the full matrix).
    case automatic
    /// Tiled, with an online softmax: O(L) memory, blocks above a causal diagonal skipped.
    case fused
    /// Q·Kᵀ materialized as `[..., Lq, Lk]`, then softmax, then ·V — what `attend explain` shows.
    case materialized
}

/// Block sizes of the sgemm-tiled schedule (Double): a 256 × 256 score tile (512 KB in Double)
/// plus the Q, K and V blocks at D = 64 stay in a 1 MB L2.
enum FusedAttentionTiling {
    static let queryBlock = 256
    static let keyBlock = 256
}

/// The fused, tiled attention kernel (FlashAttention's schedule on a CPU). Float runs the kernel
/// family's micro-kernel on the active ``KernelPath`` (`FusedAttention+MicroKernel.swift`);
/// Double runs this sgemm-tiled form of the same recurrence:
///
/// ```
/// for each (batch…, query block Q_b):                      // one work item
///     m = −∞, l = 0, O_b = 0                               // running row max, row sum, output
///     for each key block (K_j, V_j), skipping blocks above a causal diagonal:
///         S = scale · Q_b·K_jᵀ                             // sgemm, transB, [bq, bk] scratch
///         S = mask(S)
///         m' = max(m, rowmax S);  P = exp(S − m');  c = exp(m − m')
///         l = c·l + rowsum P;     O_b = c·O_b + P·V_j     // sgemm with beta = 1
///         m = m'
///     O_b /= l                                             // l = 0 (all keys masked) → 0
/// ```
///
/// Memory is one score tile per worker instead of B·H·Lq·Lk. With a single key block (Lk ≤ 256)
/// this is exactly the two-pass softmax.
struct FusedAttention<Scalar: TensorScalar> {
    let batchShape: [Int]
    let lq: Int, lk: Int, dk: Int, dv: Int
    let scale: Scalar
    /// Batch strides (broadcast: 0) and row strides; the last dimension has stride 1.
    let qBatch: [Int], kBatch: [Int], vBatch: [Int]
    let qRow: Int, kRow: Int, vRow: Int
    let terms: [MaskTerm]

    /// One component of the mask, resolved against the scores' shape `[batch…, Lq, Lk]`.
    enum MaskTerm {
        /// Query i may attend key j iff j ≤ i + offset (0: `.causal`, top-left; Lk − Lq: bottom-right).
        case causal(offset: Int)
        /// Masked where the flag equals `maskedWhen`.
        case flags(UnsafePointer<Bool>, batch: [Int], row: Int, column: Int, maskedWhen: Bool)
        case additive(UnsafePointer<Scalar>, batch: [Int], row: Int, column: Int)
    }

    /// Runs the kernel; `output` is contiguous `[batch…, Lq, Dv]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run(
        q: UnsafePointer<Scalar>, k: UnsafePointer<Scalar>, v: UnsafePointer<Scalar>,
        output: UnsafeMutablePointer<Scalar>
    ) {
        let bq = Swift.min(FusedAttentionTiling.queryBlock, lq)
        let bk = Swift.min(FusedAttentionTiling.keyBlock, lk)
        let queryBlocks = (lq + bq - 1) / bq
        let batchCount = batchShape.product
        if Scalar.self == Float.self {
            runMicroKernel(
                kernels: KernelPath.active.kernels,
                q: UnsafeRawPointer(q).assumingMemoryBound(to: Float.self),
                k: UnsafeRawPointer(k).assumingMemoryBound(to: Float.self),
                v: UnsafeRawPointer(v).assumingMemoryBound(to: Float.self),
                output: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self))
            return
        }
        let causal = causalOffset != nil
        // Useful flops: 2·Lq·Lk·(Dk + Dv) per batch entry, about half of that when causal.
        let flops = 2 * Double(batchCount) * Double(lq) * Double(lk) * Double(dk + dv) * (causal ? 0.5 : 1)
        let batchStrides = contiguousStrides(for: batchShape)
        let pointers = UncheckedSendable((q, k, v, output))
        Parallelism.forEach(
            items: batchCount * queryBlocks, flops: flops,
            setUp: { _ in TileScratch<Scalar>(queryBlock: bq, keyBlock: bk) },
            { scratch, item in
                let (q, k, v, output) = pointers.value
                let batchIndex = item / queryBlocks
                let q0 = (item % queryBlocks) * bq
                // Batch multi-index → each operand's offset.
                var (qo, ko, vo) = (0, 0, 0)
                var index = [Int](repeating: 0, count: batchShape.count)
                var rest = batchIndex
                for axis in batchShape.indices {
                    index[axis] = rest / batchStrides[axis]
                    rest %= batchStrides[axis]
                    qo += index[axis] * qBatch[axis]
                    ko += index[axis] * kBatch[axis]
                    vo += index[axis] * vBatch[axis]
                }
                block(
                    q: q + qo + q0 * qRow, k: k + ko, v: v + vo,
                    out: output + (batchIndex * lq + q0) * dv,
                    q0: q0, rows: Swift.min(bq, lq - q0), batchIndex: index, scratch: &scratch)
            },
            tearDown: { $0.deallocate() })
    }

    /// The most restrictive causal offset among the terms (nil: no causal term).
    var causalOffset: Int? {
        terms.compactMap { if case .causal(let offset) = $0 { offset } else { nil } }.min()
    }

    /// One query block against all (unskipped) key blocks.
    @inline(__always)
    func block(
        q: UnsafePointer<Scalar>, k: UnsafePointer<Scalar>, v: UnsafePointer<Scalar>, out: UnsafeMutablePointer<Scalar>,
        q0: Int, rows: Int, batchIndex: [Int], scratch: inout TileScratch<Scalar>
    ) {
        let bk = scratch.keyBlock
        let s = scratch.scores
        let m = scratch.rowMax
        let l = scratch.rowSum
        for i in 0..<rows {
            m[i] = -.infinity
            l[i] = 0
        }
        let causalOffset = self.causalOffset
        let routine = GEMM.routine(for: Scalar.self)
        var first = true
        var k0 = 0
        while k0 < lk {
            // Causal: query i sees keys ≤ i + offset, so a block starting after the last row's
            // limit is fully masked — and so is every later one.
            if let offset = causalOffset, k0 > q0 + rows - 1 + offset { break }
            let cols = Swift.min(bk, lk - k0)
            GEMM.call(
                GEMMCall(
                    routine: routine, m: rows, n: cols, k: dk, transA: false, transB: true,
                    lda: qRow, ldb: kRow, ldc: bk, batchCount: 1, alpha: Double(scale), beta: 0),
                a: q, b: k + k0 * kRow, c: s)
            applyMask(s, rows: rows, cols: cols, q0: q0, k0: k0, batchIndex: batchIndex, ld: bk)
            for i in 0..<rows {
                let row = s + i * bk
                // IEEE propagation, as the materialized softmax: the row max and the vector exp drop
                // NaN, so a NaN score (from a NaN input, ∞·0 or ∞ − ∞) is carried in the row sum
                // instead, which makes exactly this query's output NaN.
                if Self.containsNaN(row, cols) {
                    l[i] = .nan
                    for j in 0..<cols { row[j] = 0 }
                    continue
                }
                let blockMax = Self.maximum(row, cols)
                let newMax = Swift.max(m[i], blockMax)
                if newMax == .infinity {
                    // exp(+∞ − ∞) is NaN in the materialized softmax: the same here.
                    l[i] = .nan
                    for j in 0..<cols { row[j] = 0 }
                    continue
                }
                if newMax == -.infinity {
                    // Every key so far is masked for this row: P = 0, nothing accumulates.
                    for j in 0..<cols { row[j] = 0 }
                    continue
                }
                let correction = Scalar.exp(m[i] - newMax)  // 0 when m was −∞
                let blockSum = Self.exponentiate(row, cols, shift: newMax)
                l[i] = l[i] * Double(correction) + blockSum
                if !first, correction != 1 {
                    let o = out + i * dv
                    for d in 0..<dv { o[d] *= correction }
                }
                m[i] = newMax
            }
            GEMM.call(
                GEMMCall(
                    routine: routine, m: rows, n: dv, k: cols, transA: false, transB: false,
                    lda: bk, ldb: vRow, ldc: dv, batchCount: 1, alpha: 1, beta: first ? 0 : 1),
                a: s, b: v + k0 * vRow, c: out)
            first = false
            k0 += cols
        }
        for i in 0..<rows {
            let o = out + i * dv
            if first || l[i] == 0 {
                for d in 0..<dv { o[d] = 0 }  // fully masked row (or no key block at all)
            } else {
                let inverse = Scalar(1 / l[i])
                for d in 0..<dv { o[d] *= inverse }
            }
        }
    }

    /// Applies every mask term to a score tile (rows q0…, columns k0…).
    @inline(__always)
    private func applyMask(
        _ s: UnsafeMutablePointer<Scalar>, rows: Int, cols: Int, q0: Int, k0: Int, batchIndex: [Int], ld: Int
    ) {
        for term in terms {
            switch term {
            case .causal(let offset):
                for i in 0..<rows {
                    let first = Swift.max(q0 + i + 1 + offset - k0, 0)
                    if first < cols { for j in first..<cols { s[i * ld + j] = -.infinity } }
                }
            case .flags(let flags, let batch, let row, let column, let maskedWhen):
                var base = 0
                for axis in batch.indices { base += batchIndex[axis] * batch[axis] }
                for i in 0..<rows {
                    let r = base + (q0 + i) * row + k0 * column
                    for j in 0..<cols where flags[r + j * column] == maskedWhen { s[i * ld + j] = -.infinity }
                }
            case .additive(let values, let batch, let row, let column):
                var base = 0
                for axis in batch.indices { base += batchIndex[axis] * batch[axis] }
                for i in 0..<rows {
                    let r = base + (q0 + i) * row + k0 * column
                    for j in 0..<cols { s[i * ld + j] += values[r + j * column] }
                }
            }
        }
    }

    @inline(__always)
    /// Whether any of row[0..<count] is NaN (a branch-free loop the compiler vectorizes).
    private static func containsNaN(_ row: UnsafeMutablePointer<Scalar>, _ count: Int) -> Bool {
        var unordered: UInt8 = 0
        for j in 0..<count { unordered |= row[j] != row[j] ? 1 : 0 }
        return unordered != 0
    }

    private static func maximum(_ row: UnsafeMutablePointer<Scalar>, _ count: Int) -> Scalar {
        var m = -Scalar.infinity
        for j in 0..<count { m = Swift.max(m, row[j]) }
        return m
    }

    /// row ← exp(row − shift); returns the sum in Double.
    @inline(__always)
    private static func exponentiate(_ row: UnsafeMutablePointer<Scalar>, _ count: Int, shift: Scalar) -> Double {
        var total = 0.0
        for j in 0..<count {
            row[j] = Scalar.exp(row[j] - shift)
            total += Double(row[j])
        }
        return total
    }
}

/// Per-worker scratch: one score tile and the running row statistics, allocated once per call
/// per worker.
struct TileScratch<Scalar: TensorScalar> {
    let keyBlock: Int
    let scores: UnsafeMutablePointer<Scalar>
    let rowMax: UnsafeMutablePointer<Scalar>
    let rowSum: UnsafeMutablePointer<Double>

    init(queryBlock: Int, keyBlock: Int) {
        self.keyBlock = keyBlock
        scores = .allocate(capacity: queryBlock * keyBlock)
        rowMax = .allocate(capacity: queryBlock)
        rowSum = .allocate(capacity: queryBlock)
    }

    func deallocate() {
        scores.deallocate()
        rowMax.deallocate()
        rowSum.deallocate()
    }
}
