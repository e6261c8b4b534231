import _AttendKernels

/// The micro-kernel schedule of ``FusedAttention`` (Float): one work item per (batch…, query
/// block), each a call of the kernel family's `attention` on the active ``KernelPath``
/// (`Sources/_AttendKernels/family/attention.h`), with the block sizes of that path's table:
///
/// ```
/// Q̃ᵀ = (scale · Q_b)ᵀ                                  // [Dk, BQ], the only copy
/// for each BK-key block (K_j, V_j), read in place, stopping past the causal limit:
///     Sᵀ = K_j·Q̃ᵀ                                      // register tiles TR keys × TQ queries
///     mask (causal by index compare on the diagonal block); m_j = max over keys
///     m' = max(m, m_j); c = e^(m − m'); Pᵀ = e^(Sᵀ − m')   // elementwise across queries
///     l = c·l + Σ_keys Pᵀ;  Oᵀ = c·Oᵀ + V_jᵀ·Pᵀ           // register tiles TR features × TQ queries
/// O_b = (Oᵀ / l)ᵀ                                       // l = 0 → 0
/// ```
///
/// One query (decode) runs the matrix-vector form of the same recurrence.
extension attend_kernel_table {
    /// What `attend explain` prints for the fused path on this instance.
    var attentionSummary: String {
        let name = String(cString: self.name)
        return
            "kernel family attention (\(name), \(lanes)-lane vectors): per (batch…, \(attention_query_block)-query block), "
            + "\(attention_key_block)-key blocks read in place; Sᵀ = K·Q̃ᵀ in \(attention_tile_rows) keys × "
            + "\(attention_tile_queries) queries register tiles against Q̃ᵀ = (scale·Q)ᵀ, online softmax elementwise "
            + "across queries (vector exp, ≤ 2 ulp), Oᵀ += Vᵀ·Pᵀ in \(attention_tile_rows) features × "
            + "\(attention_tile_queries) queries tiles; Lq = 1 as a matrix-vector pass; FTZ/DAZ while it runs"
    }
}

/// One worker's buffers for the micro-kernel: the kernel's scratch and the mask terms of the
/// current batch entry.
struct MicroKernelScratch {
    let floats: UnsafeMutableRawPointer
    let terms: UnsafeMutablePointer<attend_mask_term>

    init(kernels: attend_kernel_table, dk: Int, dv: Int, termCount: Int) {
        floats = .allocate(
            byteCount: kernels.attention_scratch_floats(dk, dv) * MemoryLayout<Float>.size, alignment: 64)
        terms = .allocate(capacity: Swift.max(termCount, 1))
    }

    func deallocate() {
        floats.deallocate()
        terms.deallocate()
    }
}

extension FusedAttention {
    /// Runs every (batch…, query block) through `kernels.attention`. Scalar is Float.
    func runMicroKernel(
        kernels: attend_kernel_table, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let bq = kernels.attention_query_block
        let queryBlocks = (lq + bq - 1) / bq
        let batchCount = batchShape.product
        let causalOffset = self.causalOffset
        let flops = 2 * Double(batchCount) * Double(lq) * Double(lk) * Double(dk + dv) * (causalOffset != nil ? 0.5 : 1)
        // One query (decode) is bound by reading K and V — 4·Lk·(Dk + Dv) bytes per batch entry for
        // 2·Lk·(Dk + Dv) flops — not by its flops: weigh each byte as 4 flops (≈ 20 GB/s against
        // ≈ 80 GFLOPS a core), so a (1, 8, 512, 64) step (2 MB) is split over the workers.
        let work = lq == 1 ? 8 * flops : flops
        let batchStrides = contiguousStrides(for: batchShape)
        // The general mask terms at batch entry 0 (C structs: no generic metadata per call), and
        // each one's batch strides, to offset it per work item.
        var general: [attend_mask_term] = []
        var generalBatch: [[Int]] = []
        for term in terms {
            switch term {
            case .causal: continue
            case .flags(let pointer, let batch, let row, let column, let maskedWhen):
                general.append(
                    attend_mask_term(flags: pointer, masked_when: maskedWhen, values: nil, row: row, column: column))
                generalBatch.append(batch)
            case .additive(let pointer, let batch, let row, let column):
                let values = UnsafeRawPointer(pointer).assumingMemoryBound(to: Float.self)
                general.append(
                    attend_mask_term(flags: nil, masked_when: false, values: values, row: row, column: column))
                generalBatch.append(batch)
            }
        }
        let (lq, lk, dk, dv) = (self.lq, self.lk, self.dk, self.dv)
        let (qBatch, kBatch, vBatch, qRow, kRow, vRow) = (
            self.qBatch, self.kBatch, self.vBatch, self.qRow, self.kRow, self.vRow
        )
        let scale = Float(self.scale)
        let pointers = UncheckedSendable((q, k, v, output))
        Parallelism.forEach(
            items: batchCount * queryBlocks, flops: work,
            setUp: { _ in MicroKernelScratch(kernels: kernels, dk: dk, dv: dv, termCount: general.count) },
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
                    var offset = 0
                    var rest = batchIndex
                    for axis in batchStrides.indices {
                        offset += rest / batchStrides[axis] * generalBatch[t][axis]
                        rest %= batchStrides[axis]
                    }
                    var term = general[t]
                    term.flags = term.flags.map { $0 + offset }
                    term.values = term.values.map { $0 + offset }
                    scratch.terms[t] = term
                }
                var block = attend_attention_block(
                    q: q + qo + q0 * qRow, k: k + ko, v: v + vo, out: output + (batchIndex * lq + q0) * dv,
                    q_row: qRow, k_row: kRow, v_row: vRow, out_row: dv, rows: Swift.min(bq, lq - q0), q0: q0, lk: lk,
                    dk: dk, dv: dv,
                    scale: scale, causal: causalOffset != nil, causal_offset: causalOffset ?? 0,
                    terms: UnsafePointer(scratch.terms), term_count: general.count,
                    scratch: scratch.floats.assumingMemoryBound(to: Float.self))
                kernels.attention(&block)
            },
            tearDown: { $0.deallocate() })
    }
}
