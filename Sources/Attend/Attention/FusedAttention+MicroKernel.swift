import _AttendKernels

/// The micro-kernel schedule of ``FusedAttention`` on ``KernelPath/avx2`` (Float only): one
/// work item per (batch…, 32-query block), each a call of `attend_attention_avx2`
/// (`Sources/_AttendKernels/attention_avx2.c`):
///
/// ```
/// Q̃ᵀ = (scale · Q_b)ᵀ                                  // [Dk, 32], the only copy
/// for each 128-key block (K_j, V_j), read in place, stopping past the causal limit:
///     Sᵀ = K_j·Q̃ᵀ                                      // register tiles 6 keys × 16 queries
///     mask (causal by index compare on the diagonal block); m_j = max over keys
///     m' = max(m, m_j); c = e^(m − m'); Pᵀ = e^(Sᵀ − m')   // elementwise across queries
///     l = c·l + Σ_keys Pᵀ;  Oᵀ = c·Oᵀ + V_jᵀ·Pᵀ           // register tiles 6 features × 16 queries
/// O_b = (Oᵀ / l)ᵀ                                       // l = 0 → 0
/// ```
///
/// One query (decode) runs the matrix-vector form of the same recurrence.
enum AttentionMicroKernel {
    static let queryBlock = Int(ATTEND_AVX2_QUERY_BLOCK)
    static let keyBlock = Int(ATTEND_AVX2_KEY_BLOCK)
    static let tileRows = Int(ATTEND_AVX2_TILE_ROWS)
    static let tileQueries = Int(ATTEND_AVX2_TILE_QUERIES)

    /// What `attend explain` prints for the fused path on this kernel.
    static var summary: String {
        "attention_avx2 micro-kernel (AVX2 + FMA): per (batch…, \(queryBlock)-query block), \(keyBlock)-key blocks read in place; "
            + "Sᵀ = K·Q̃ᵀ in \(tileRows) keys × \(tileQueries) queries register tiles against Q̃ᵀ = (scale·Q)ᵀ, "
            + "online softmax elementwise across queries (8-lane exp, ≤ 2 ulp), Oᵀ += Vᵀ·Pᵀ in \(tileRows) features × \(tileQueries) queries tiles; "
            + "Lq = 1 as a matrix-vector pass; FTZ/DAZ while it runs"
    }
}

/// One worker's buffers for the micro-kernel: the kernel's scratch and the mask terms of the
/// current batch entry.
struct MicroKernelScratch {
    let floats: UnsafeMutableRawPointer
    let terms: UnsafeMutablePointer<attend_mask_term>

    init(dk: Int, dv: Int, termCount: Int) {
        floats = .allocate(
            byteCount: attend_attention_avx2_scratch_floats(dk, dv) * MemoryLayout<Float>.size, alignment: 64)
        terms = .allocate(capacity: Swift.max(termCount, 1))
    }

    func deallocate() {
        floats.deallocate()
        terms.deallocate()
    }
}

extension FusedAttention {
    /// Runs every (batch…, query block) through `attend_attention_avx2`. Scalar is Float.
    func runAVX2(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let bq = AttentionMicroKernel.queryBlock
        let queryBlocks = (lq + bq - 1) / bq
        let batchCount = batchShape.product
        let causalOffset = self.causalOffset
        let flops = 2 * Double(batchCount) * Double(lq) * Double(lk) * Double(dk + dv) * (causalOffset != nil ? 0.5 : 1)
        let batchStrides = contiguousStrides(for: batchShape)
        // The general mask terms: base pointer, batch strides, row and column strides.
        let general:
            [(
                flags: UnsafePointer<Bool>?, values: UnsafePointer<Float>?, batch: [Int], row: Int, column: Int,
                maskedWhen: Bool
            )] =
                terms.compactMap { term in
                    switch term {
                    case .causal: return nil
                    case .flags(let pointer, let batch, let row, let column, let maskedWhen):
                        return (pointer, nil, batch, row, column, maskedWhen)
                    case .additive(let pointer, let batch, let row, let column):
                        return (
                            nil, UnsafeRawPointer(pointer).assumingMemoryBound(to: Float.self), batch, row, column,
                            false
                        )
                    }
                }
        let (lq, lk, dk, dv) = (self.lq, self.lk, self.dk, self.dv)
        let (qBatch, kBatch, vBatch, qRow, kRow, vRow) = (
            self.qBatch, self.kBatch, self.vBatch, self.qRow, self.kRow, self.vRow
        )
        let scale = Float(self.scale)
        // The micro-kernel's max and exp do not carry a NaN or infinite score through. Scores of a
        // batch entry whose keys are not all finite, and of a query row that is not, are computed
        // by the portable block instead, whose softmax propagates them as the materialized path
        // does; every other row keeps the micro-kernel's bits.
        func finite(_ p: UnsafePointer<Float>, rows: Int, rowStride: Int) -> Bool {
            for r in 0..<rows { for c in 0..<dk where !p[r * rowStride + c].isFinite { return false } }
            return true
        }
        let finiteKeys: [Bool] = (0..<batchCount).map { batchIndex in
            var (ko, rest) = (0, batchIndex)
            for axis in batchStrides.indices {
                ko += rest / batchStrides[axis] * kBatch[axis]
                rest %= batchStrides[axis]
            }
            return finite(k + ko, rows: lk, rowStride: kRow)
        }
        let pointers = UncheckedSendable((q, k, v, output))
        Parallelism.forEach(
            items: batchCount * queryBlocks, flops: flops,
            setUp: { _ in MicroKernelScratch(dk: dk, dv: dv, termCount: general.count) },
            { scratch, item in
                let (q, k, v, output) = pointers.value
                let batchIndex = item / queryBlocks
                let q0 = (item % queryBlocks) * bq
                var (qo, ko, vo) = (0, 0, 0)
                var rest = batchIndex
                for axis in batchStrides.indices {
                    let index = rest / batchStrides[axis]
                    rest %= batchStrides[axis]
                    qo += index * qBatch[axis]
                    ko += index * kBatch[axis]
                    vo += index * vBatch[axis]
                }
                for t in general.indices {
                    let term = general[t]
                    var offset = 0
                    var rest = batchIndex
                    for axis in batchStrides.indices {
                        offset += rest / batchStrides[axis] * term.batch[axis]
                        rest %= batchStrides[axis]
                    }
                    scratch.terms[t] = attend_mask_term(
                        flags: term.flags.map { $0 + offset }, masked_when: term.maskedWhen,
                        values: term.values.map { $0 + offset },
                        row: term.row, column: term.column)
                }
                var block = attend_attention_block(
                    q: q + qo + q0 * qRow, k: k + ko, v: v + vo, out: output + (batchIndex * lq + q0) * dv,
                    q_row: qRow, k_row: kRow, v_row: vRow, rows: Swift.min(bq, lq - q0), q0: q0, lk: lk, dk: dk, dv: dv,
                    scale: scale, causal: causalOffset != nil, causal_offset: causalOffset ?? 0,
                    terms: UnsafePointer(scratch.terms), term_count: general.count,
                    scratch: scratch.floats.assumingMemoryBound(to: Float.self))
                let rows = Swift.min(bq, lq - q0)
                if finiteKeys[batchIndex] {
                    attend_attention_avx2(&block)
                }
                let portableRows =
                    finiteKeys[batchIndex]
                    ? (0..<rows).filter { !finite(q + qo + (q0 + $0) * qRow, rows: 1, rowStride: qRow) }
                    : Array(0..<rows)
                if !portableRows.isEmpty {
                    portable(
                        q: q + qo, k: k + ko, v: v + vo, out: output + batchIndex * lq * dv,
                        rows: portableRows.map { q0 + $0 },
                        batchIndex: batchIndex, batchStrides: batchStrides)
                }
            },
            tearDown: { $0.deallocate() })
    }

    /// The portable schedule for single query rows `rows` of one batch entry (`q`, `k`, `v` and
    /// `out` already at that entry): the rows whose scores are not finite.
    private func portable(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        rows: [Int], batchIndex: Int, batchStrides: [Int]
    ) {
        var index = [Int](repeating: 0, count: batchShape.count)
        var rest = batchIndex
        for axis in batchShape.indices {
            index[axis] = rest / batchStrides[axis]
            rest %= batchStrides[axis]
        }
        var scratch = TileScratch<Scalar>(queryBlock: 1, keyBlock: Swift.min(FusedAttentionTiling.keyBlock, lk))
        defer { scratch.deallocate() }
        func cast(_ p: UnsafePointer<Float>) -> UnsafePointer<Scalar> {
            UnsafeRawPointer(p).assumingMemoryBound(to: Scalar.self)
        }
        for row in rows {
            block(
                q: cast(q + row * qRow), k: cast(k), v: cast(v),
                out: UnsafeMutableRawPointer(out + row * dv).assumingMemoryBound(to: Scalar.self),
                q0: row, rows: 1, batchIndex: index, scratch: &scratch)
        }
    }
}
