/// Several input rows against a block-quantized weight (a prompt): the weight rows are
/// dequantized a panel of `panelRows` at a time into a float32 scratch panel, and each panel is
/// one `sgemm` (`y[:, panel] = x · panelᵀ`, transB, written straight into the output's columns
/// through ldc). Panels are spread over the workers, one scratch panel each; the weight is never
/// dequantized whole.
enum QuantizedPanelLowering {
    /// Fewer input rows than this run the matrix-vector kernel per row instead.
    static let minimumRows = 4
    static let panelRows = 128

    static func run(_ layer: QuantizedLinear, x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let (out, cols) = (layer.outFeatures, layer.inFeatures)
        let panels = (out + panelRows - 1) / panelRows
        let flops = 2 * Double(rows) * Double(out) * Double(cols)
        let path = KernelPath.active  // read here: the workers do not see the caller's task
        layer.blocks.withUnsafeBytes { raw in
            let pointers = UncheckedSendable((raw.baseAddress!, x, y))
            Parallelism.forEach(
                items: panels, flops: flops,
                setUp: { _ in UnsafeMutablePointer<Float>.allocate(capacity: panelRows * cols) },
                { panel, item in
                    let (w, x, y) = pointers.value
                    let first = item * panelRows
                    let count = Swift.min(panelRows, out - first)
                    GGUFDequantization.dequantize(
                        layer.type, from: w + first * layer.rowBytes, count: count * cols, into: panel, on: path)
                    GEMM.call(
                        GEMMCall(
                            routine: GEMM.routine(for: Float.self), m: rows, n: count, k: cols, transA: false,
                            transB: true,
                            lda: cols, ldb: cols, ldc: out, batchCount: 1, alpha: 1, beta: 0),
                        a: x, b: UnsafePointer(panel), c: y + first)
                },
                tearDown: { $0.deallocate() })
        }
    }
}
