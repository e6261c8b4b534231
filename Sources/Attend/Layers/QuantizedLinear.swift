import Foundation
import _AttendKernels

/// y = x·Wᵀ + b with the weight `[out, in]` kept in its GGUF block format (Q4_0, Q4_1, Q5_0, Q5_1,
/// Q8_0, Q4_K, Q5_K, Q6_K; see ``GGUFTensorType``) — 4.5 to 8.5 bits per weight in memory
/// instead of 32.
///
///     x [..., in] → [..., out]
///
/// One input row (a decode step) runs a matrix-vector kernel that dequantizes the blocks in
/// registers (Q5 and the K-quants: one block at a time into L1) and accumulates in float32 against float32 activations (the kernel family's instance
/// for the active ``KernelPath``), the output rows
/// spread over ``Parallelism/threadCount`` workers. Several input rows (a prompt) dequantize panels
/// of weight rows to float32 and run `sgemm` on each (see `QuantizedPanelLowering`). Both compute
/// float32 math on exactly the dequantized weights, differing only in the order of the additions.
/// ``apply(_:toEachRowOf:)`` keeps every row on the matrix-vector kernels (several sequences
/// decoded together, each row's bits those of its own one-row call).
public struct QuantizedLinear: Sendable {
    /// The block format of the stored weight (one whose ``GGUFTensorType/isBlockQuantized``).
    public let type: GGUFTensorType
    /// `out`: the width of the output's last dimension (rows of W).
    public let outFeatures: Int
    /// `in`: the width an input's last dimension must have (a multiple of the block size: 32, or
    /// 256 for the K-quants).
    public let inFeatures: Int
    /// `outFeatures` rows of `inFeatures / type.blockSize` blocks, as in the file: a slice of the GGUF file's
    /// memory-mapped bytes, not a copy.
    let blocks: Data
    /// `b [out]`, added to every output row (float32); nil for a layer without bias.
    public let bias: Tensor<Float>?

    /// The 2-D tensor `name` of a GGUF file (`ne = [in, out]`, row-major `[out, in]`), with an
    /// optional float32 `bias [out]`.
    /// - Throws: `FileFormatError` when the tensor is missing; ``TensorError`` when it is not 2-D,
    ///   not in a block format this layer multiplies, or the bias is not `[out]`.
    public init(gguf file: GGUFFile, tensor name: String, bias: Tensor<Float>? = nil) throws {
        guard let info = file.tensorInfo(named: name) else {
            throw FileFormatError.invalidArgument(file.name, "has no tensor named \(HeaderJSON.quoted(name))")
        }
        guard info.dimensions.count == 2, info.type.isBlockQuantized else {
            throw TensorError(
                op: "QuantizedLinear",
                "tensor \(HeaderJSON.quoted(name)) is \(info.type.name) \(describe(info.shape)); expected a 2-D block-quantized weight (\(GGUFTensorType.allCases.filter(\.isBlockQuantized).map(\.name).joined(separator: ", "))); use Linear for float weights"
            )
        }
        type = info.type
        outFeatures = info.dimensions[1]
        inFeatures = info.dimensions[0]
        if let bias, bias.shape != [outFeatures] {
            throw TensorError(
                op: "QuantizedLinear",
                "bias \(describe(bias.shape)) must be [out] = [\(outFeatures)] for weight \(HeaderJSON.quoted(name)) \(describe(info.shape))"
            )
        }
        self.bias = bias?.contiguous()
        blocks = try file.rawData(of: name)
    }

    /// Bytes of one weight row.
    var rowBytes: Int { inFeatures / type.blockSize * type.blockBytes }

    /// The weight dequantized, `[out, in]`.
    public func dequantized() -> Tensor<Float> { dequantizedRows(Array(0..<outFeatures)) }

    /// Rows `rows` of the weight dequantized, `[rows.count, in]` — an embedding lookup when the
    /// weight is a token table.
    /// - Precondition: every row index is in `0..<outFeatures`.
    public func dequantizedRows(_ rows: [Int]) -> Tensor<Float> {
        let result = Tensor<Float>(shape: [rows.count, inFeatures])
        blocks.withUnsafeBytes { raw in
            for (i, row) in rows.enumerated() {
                precondition(
                    (0..<outFeatures).contains(row),
                    "QuantizedLinear.dequantizedRows: row \(row) outside 0..<\(outFeatures)")
                GGUFDequantization.dequantize(
                    type, from: raw.baseAddress! + row * rowBytes, count: inFeatures,
                    into: result.storage.pointer + i * inFeatures)
            }
        }
        return result
    }

    /// x·Wᵀ + b for `x [..., in]`.
    /// - Throws: ``TensorError`` when the last dimension of `x` is not `in`.
    public func callAsFunction(_ x: Tensor<Float>) throws -> Tensor<Float> {
        guard x.rank >= 1, x.shape[x.rank - 1] == inFeatures else {
            throw TensorError(
                op: "QuantizedLinear", linearMismatchMessage(input: x.shape, weight: [outFeatures, inFeatures]))
        }
        let rows = x.count / Swift.max(inFeatures, 1)
        let input = x.contiguous()
        var result = Tensor<Float>(shape: Array(x.shape.dropLast()) + [outFeatures])
        guard rows > 0, outFeatures > 0 else { return result }
        withExtendedLifetime(input) {
            let source = UnsafePointer(input.storage.pointer + input.offset)
            if rows < QuantizedPanelLowering.minimumRows {
                Self.matrixVectors([self], source, rows: rows, into: [result.storage.pointer])
            } else {
                QuantizedPanelLowering.run(self, x: source, rows: rows, into: result.storage.pointer)
            }
        }
        addBias(to: result.storage.pointer, rows: rows)
        result.makeUniqueAndWritable()
        return result
    }

    /// y += b for `rows` rows `[rows, out]` at `y` (nothing without a bias).
    private func addBias(to y: UnsafeMutablePointer<Float>, rows: Int) {
        bias?.withUnsafeBufferPointer { b in
            for r in 0..<rows { for o in 0..<outFeatures { y[r * outFeatures + o] += b[o] } }
        }
    }

    /// x·Wᵢᵀ + bᵢ for every layer i, all reading the same `x [..., in]` — the query, key and value
    /// projections of a decoder block, or its gate and up projections. For one input row (a decode
    /// step) the products run as one parallel pass over all the layers' output rows (one wake-up
    /// of the workers instead of one per layer, as ``apply(_:toEachRowOf:)``); otherwise each
    /// layer runs as ``callAsFunction(_:)``. Each result equals that layer's own
    /// ``callAsFunction(_:)`` bit for bit.
    /// - Throws: ``TensorError`` when the last dimension of `x` differs from a layer's `in`.
    public static func apply(_ layers: [QuantizedLinear], to x: Tensor<Float>) throws -> [Tensor<Float>] {
        guard layers.count > 1, x.rank >= 1, x.count == x.shape[x.rank - 1] else { return try layers.map { try $0(x) } }
        return try apply(layers, toEachRowOf: x)
    }

    /// yᵢ[r] = Wᵢ·x[r] + bᵢ for every layer i and every row r of `x [..., in]` (R rows, the
    /// product of the leading dimensions), always on the matrix-vector kernels — never the
    /// dequantized panels ``callAsFunction(_:)`` uses for R ≥ 4:
    ///
    ///     x [..., in], layers Wᵢ [outᵢ, in] → results[i] [..., outᵢ]
    ///
    /// The whole product is one parallel pass whose work items are the 64-row chunks of every
    /// layer's weight; an item runs its chunk against each input row in turn, so the chunk's
    /// blocks are read from memory once and from cache for the other R − 1 rows. This is the
    /// step of several sequences decoded together (continuous batching): one read of each weight
    /// for all of them.
    ///
    /// Bit for bit, `results[i][r]` equals `layers[i](x[r])` — ``callAsFunction(_:)`` on that row
    /// alone, shaped `[1, in]`: the kernel's output row o depends only on weight row o, `x[r]` and
    /// the per-32-element sums of `x[r]` (computed per row in the same order as for a single row),
    /// not on R, the chunking or the worker that runs it; the bias is added to each row after.
    /// - Throws: ``TensorError`` when `layers` is empty, or the last dimension of `x` differs
    ///   from a layer's `in`.
    public static func apply(_ layers: [QuantizedLinear], toEachRowOf x: Tensor<Float>) throws -> [Tensor<Float>] {
        guard let width = layers.first?.inFeatures else {
            throw TensorError(op: "QuantizedLinear.apply", "no layers given for input \(describe(x.shape))")
        }
        for layer in layers where x.rank < 1 || x.shape[x.rank - 1] != layer.inFeatures || layer.inFeatures != width {
            throw TensorError(
                op: "QuantizedLinear.apply",
                linearMismatchMessage(input: x.shape, weight: [layer.outFeatures, layer.inFeatures])
            )
        }
        let rows = x.count / Swift.max(width, 1)
        let input = x.contiguous()
        let results = layers.map { Tensor<Float>(shape: Array(x.shape.dropLast()) + [$0.outFeatures]) }
        if rows > 0 {
            withExtendedLifetime(input) {
                matrixVectors(
                    layers, UnsafePointer(input.storage.pointer + input.offset), rows: rows,
                    into: results.map { $0.storage.pointer })
            }
        }
        for (layer, result) in zip(layers, results) { layer.addBias(to: result.storage.pointer, rows: rows) }
        return results
    }

    /// yᵢ[r] = Wᵢ·x[r] for `rows` rows `x [rows, in]` shared by `layers` (all with that `in`), into
    /// `outputs[i] [rows, outᵢ]`: the output rows of every layer in chunks of 64, spread over the
    /// workers in one ``Parallelism`` call, each chunk run for every input row in turn.
    static func matrixVectors(
        _ layers: [QuantizedLinear], _ x: UnsafePointer<Float>, rows: Int,
        into outputs: [UnsafeMutablePointer<Float>]
    ) {
        let cols = layers[0].inFeatures
        let blockCount = cols / 32
        // Per row: the sum of each 32-element block of x[r], added left to right.
        var sums = [Float](repeating: 0, count: rows * blockCount)
        for r in 0..<rows {
            let row = x + r * cols
            for b in 0..<blockCount {
                var s: Float = 0
                for j in 0..<32 { s += row[b * 32 + j] }
                sums[r * blockCount + b] = s
            }
        }
        let chunk = 64
        // (layer, first row, end row) of every chunk.
        var chunks: [(layer: Int, begin: Int, end: Int)] = []
        for (i, layer) in layers.enumerated() {
            for begin in stride(from: 0, to: layer.outFeatures, by: chunk) {
                chunks.append((i, begin, Swift.min(begin + chunk, layer.outFeatures)))
            }
        }
        // Memory-bound: worth a second worker once the weights are a few hundred KB.
        let weights = layers.reduce(0) { $0 + $1.outFeatures * cols }
        let work = weights * rows >= 1 << 18 ? Double.infinity : 0
        let kernels = layers.map { QuantizedMatVecKernel.select($0.type, on: KernelPath.active) }
        // Several rows: the types with a several-inputs kernel widen each block once for all rows.
        let inputKernels = layers.map {
            rows > 1 ? QuantizedMatVecKernel.selectInputs($0.type, on: KernelPath.active) : nil
        }
        let widths = layers.map(\.outFeatures)
        withBlockPointers(layers[...], []) { weightPointers in
            sums.withUnsafeBufferPointer { xsum in
                let shared = UncheckedSendable(
                    (weightPointers, x, xsum.baseAddress!, outputs, chunks, kernels, inputKernels, widths))
                Parallelism.forEach(
                    items: chunks.count, flops: work, setUp: { _ in () },
                    { _, item in
                        let (w, x, xsum, y, chunks, kernels, inputKernels, widths) = shared.value
                        let c = chunks[item]
                        if let several = inputKernels[c.layer] {
                            several(w[c.layer], cols, x, xsum, rows, y[c.layer], widths[c.layer], c.begin, c.end)
                            return
                        }
                        for r in 0..<rows {
                            kernels[c.layer](
                                w[c.layer], cols, x + r * cols, xsum + r * blockCount, y[c.layer] + r * widths[c.layer],
                                c.begin, c.end)
                        }
                    }, tearDown: { _ in })
            }
        }
    }

    /// Calls `body` with the base address of every layer's blocks, valid for the call.
    private static func withBlockPointers(
        _ layers: ArraySlice<QuantizedLinear>, _ pointers: [UnsafePointer<UInt8>],
        _ body: ([UnsafePointer<UInt8>]) -> Void
    ) {
        guard let first = layers.first else { return body(pointers) }
        first.blocks.withUnsafeBytes { raw in
            withBlockPointers(
                layers.dropFirst(), pointers + [raw.baseAddress!.assumingMemoryBound(to: UInt8.self)], body)
        }
    }
}

/// The matrix-vector kernel for a block type on a kernel path.
enum QuantizedMatVecKernel {
    static func select(_ type: GGUFTensorType, on path: KernelPath) -> attend_matvec_kernel {
        let kernels = path.kernels
        let kernel: attend_matvec_kernel? =
            switch type {
            case .q8_0: kernels.matvec_q8_0
            case .q4_0: kernels.matvec_q4_0
            case .q4_1: kernels.matvec_q4_1
            case .q5_0: kernels.matvec_q5_0
            case .q5_1: kernels.matvec_q5_1
            case .q4_K: kernels.matvec_q4_k
            case .q5_K: kernels.matvec_q5_k
            case .q6_K: kernels.matvec_q6_k
            case .f32, .f16, .bf16: nil
            }
        guard let kernel else { preconditionFailure("QuantizedMatVecKernel: \(type.name) is not a block type") }
        return kernel
    }

    /// The several-inputs kernel for a block type on a kernel path, where the family has one
    /// (Q8_0, Q4_1): each output equals the one-input kernel's bit for bit.
    static func selectInputs(_ type: GGUFTensorType, on path: KernelPath) -> attend_matvec_inputs_kernel? {
        switch type {
        case .q8_0: path.kernels.matvec_inputs_q8_0
        case .q4_1: path.kernels.matvec_inputs_q4_1
        default: nil
        }
    }
}
