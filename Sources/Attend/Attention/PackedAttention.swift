import _AttendKernels

/// Self-attention over packed variable-length sequences (``PackedSequences``), every head, with
/// the kernel family's fused kernel — no mask and no padding: sequence s attends over its own
/// rows only.
///
///     qkv [T, 3E] = Q | K | V,  head h of Q at columns h·d ..< (h + 1)·d (K at E + h·d, V at 2E + h·d)
///     out[offsets[s] + i, h·d ..< (h + 1)·d] = Σⱼ softmax_j(Q_s,h[i]·K_s,h[j]/√d)·V_s,h[j]   [T, E]
///
/// Work items are (sequence, head, query block); each reads its block of Q, K and V in place
/// through their row stride 3E and writes its block of the output through row stride E.
enum PackedAttention {
    static func selfAttention(
        _ kernels: attend_kernel_table, qkv: UnsafePointer<Float>, sequences: PackedSequences, heads: Int,
        headDim d: Int, into output: UnsafeMutablePointer<Float>
    ) {
        let e = heads * d
        let bq = kernels.attention_query_block
        // (sequence, first query block index) for every sequence, so an item finds its sequence by
        // binary search: item = blockStart[s] + head·blocks(s) + block.
        var blockStart: [Int] = []
        blockStart.reserveCapacity(sequences.count + 1)
        var items = 0
        var flops = 0.0
        for length in sequences.lengths {
            blockStart.append(items)
            items += heads * ((length + bq - 1) / bq)
            flops += 4 * Double(heads) * Double(length) * Double(length) * Double(d)
        }
        blockStart.append(items)
        let starts = blockStart
        let scale = Float(1 / Double(d).squareRoot())
        let pointers = UncheckedSendable((qkv, output))
        Parallelism.forEach(
            items: items, flops: flops,
            setUp: { _ in
                UnsafeMutableRawPointer.allocate(
                    byteCount: kernels.attention_scratch_floats(d, d) * MemoryLayout<Float>.size, alignment: 64)
            },
            { scratch, item in
                let (qkv, output) = pointers.value
                // The last sequence whose first item is ≤ item.
                var (low, high) = (0, starts.count - 2)
                while low < high {
                    let mid = (low + high + 1) / 2
                    if starts[mid] <= item { low = mid } else { high = mid - 1 }
                }
                let s = low
                let length = sequences.lengths[s]
                let blocks = (length + bq - 1) / bq
                let local = item - starts[s]
                let (head, q0) = (local / blocks, (local % blocks) * bq)
                let row = sequences.offsets[s]
                let base = qkv + row * 3 * e + head * d
                var block = attend_attention_block(
                    q: base + q0 * 3 * e, k: base + e, v: base + 2 * e, out: output + (row + q0) * e + head * d,
                    q_row: 3 * e, k_row: 3 * e, v_row: 3 * e, out_row: e, rows: Swift.min(bq, length - q0), q0: q0,
                    lk: length, dk: d, dv: d, scale: scale, causal: false, causal_offset: 0, terms: nil,
                    term_count: 0, scratch: scratch.assumingMemoryBound(to: Float.self))
                kernels.attention(&block)
            },
            tearDown: { $0.deallocate() })
    }
}
