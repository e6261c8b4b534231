import _AttendKernels

/// The kernel family's row passes over `[rows, cols]` buffers, spread over Attend's workers in
/// chunks of rows (each row is computed the same way whichever worker runs it).
enum RowPass {
    /// Rows per work item: enough to amortize taking an item, few enough to balance two workers
    /// on a few hundred tokens.
    static let rowsPerItem = 16

    /// x[r, c] ← act(x[r, c] + bias[c]) in place (x contiguous, row stride `cols`).
    static func biasActivation(
        _ kernels: attend_kernel_table, _ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: Tensor<Float>?,
        activation: attend_activation
    ) {
        if bias == nil, activation == ATTEND_ACTIVATION_NONE { return }
        // The GELU costs ~40 vector operations per VF_LANES elements; weigh an element as 8 flops.
        let flops = 8 * Double(rows) * Double(cols) * (activation == ATTEND_ACTIVATION_GELU ? 4 : 1)
        let buffer = UncheckedSendable(x)
        withExtendedLifetime(bias) {
            let b = pointer(bias)
            forEachChunk(rows: rows, flops: flops) { r0, count in
                kernels.bias_activation(buffer.value + r0 * cols, count, cols, cols, b, activation)
            }
        }
    }

    /// out[r] ← LayerNorm(x[r] + bias + residual[r]) with the norm's gamma, beta and eps; bias
    /// and residual may be nil, `out` may be `x` or `residual` (all contiguous `[rows, cols]`).
    static func layerNorm(
        _ kernels: attend_kernel_table, into out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
        residual: UnsafePointer<Float>?, bias: Tensor<Float>?,
        norm: (gamma: Tensor<Float>?, beta: Tensor<Float>?, eps: Float), rows: Int, cols: Int
    ) {
        let buffers = UncheckedSendable((out, x, residual))
        withExtendedLifetime((bias, norm.gamma, norm.beta)) {
            let (b, gamma, beta) = (pointer(bias), pointer(norm.gamma), pointer(norm.beta))
            forEachChunk(rows: rows, flops: 8 * Double(rows) * Double(cols)) { r0, count in
                let (out, x, residual) = buffers.value
                kernels.residual_layernorm(
                    out + r0 * cols, cols, x + r0 * cols, cols, residual.map { $0 + r0 * cols }, cols, b, gamma, beta,
                    count, cols, norm.eps)
            }
        }
    }

    /// Runs `body(firstRow, rowCount)` for each chunk of ``rowsPerItem`` rows, on the workers.
    private static func forEachChunk(rows: Int, flops: Double, _ body: (Int, Int) -> Void) {
        Parallelism.forEach(
            items: (rows + rowsPerItem - 1) / rowsPerItem, flops: flops, setUp: { _ in () },
            { _, item in
                let r0 = item * rowsPerItem
                body(r0, Swift.min(rowsPerItem, rows - r0))
            }, tearDown: { _ in })
    }

    /// A parameter's elements (contiguous; the caller keeps the tensor alive).
    private static func pointer(_ t: Tensor<Float>?) -> UnsafePointer<Float>? {
        t.map { UnsafePointer($0.storage.pointer + $0.offset) }
    }
}
