import ArgumentParser
import Attend
import AttendReference
import Foundation

// `--heatmap out.svg` for `attend run sdpa` and `attend run mha`: the attention weights of batch
// entry 0 (one head) drawn as an SVG heatmap, written with the other outputs (all or nothing).

/// The heatmap options an attention command takes.
struct HeatmapOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Also draw the attention weights of batch entry 0 (one head) as an SVG heatmap (computes the weights: materialized path).",
            valueName: "out.svg"))
    var heatmap: String?

    @Option(name: .customLong("heatmap-head"), help: ArgumentHelp("The head to draw (default 0).", valueName: "N"))
    var heatmapHead: Int?

    @Option(
        name: .customLong("heatmap-labels"),
        help: ArgumentHelp(
            "Comma-separated labels for the positions (tokens), on both axes; needs Lq = Lk.", valueName: "a,b,c"))
    var heatmapLabels: String?

    /// Whether a picture was asked for (then the command must compute the weights).
    var isRequested: Bool { heatmap != nil }

    /// The picture as an output of the command, checked with the others before anything runs.
    var outputs: [OutputFile] { heatmap.map { [OutputFile(option: "--heatmap", path: $0)] } ?? [] }

    /// The drawing of one `[Lq, Lk]` slice of `weights` (shape `[..., Lq, Lk]`, row-major):
    /// index 0 of the first (batch) dimension, `--heatmap-head` of the second when there is one
    /// (`[B, H, Lq, Lk]`), 0 of any others.
    func picture(weightsShape shape: [Int], values: [Double], op: String, context: ErrorContext) throws -> Heatmap {
        let head = heatmapHead ?? 0
        guard shape.count >= 2 else {
            throw context.error("--heatmap", "the weights \(formatShape(shape)) are not [..., Lq, Lk]")
        }
        let (lq, lk) = (shape[shape.count - 2], shape[shape.count - 1])
        let leading = Array(shape.dropLast(2))
        if heatmapHead != nil, leading.count < 2 {
            throw context.error(
                "--heatmap-head \(head)",
                "the weights \(formatShape(shape)) have no head dimension (expected [B, H, Lq, Lk])")
        }
        if leading.count >= 2, !(0..<leading[1]).contains(head) {
            throw context.error(
                "--heatmap-head \(head)",
                "expected a head in 0 ..< \(leading[1]) (the weights are \(formatShape(shape)))")
        }
        guard leading.allSatisfy({ $0 >= 1 }) else {
            throw context.error("--heatmap", "the weights \(formatShape(shape)) are empty; there is nothing to draw")
        }
        // Row-major offset of [0, head, 0, …, 0, 0, 0].
        let matrix = lq * lk
        let offset = leading.count >= 2 ? head * leading[2...].reduce(1, *) * matrix : 0
        let slice = Array(values[offset..<offset + matrix])

        var labels: [String]? = nil
        if let heatmapLabels {
            let parts = heatmapLabels.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard lq == lk, parts.count == lk else {
                throw context.error(
                    "--heatmap-labels",
                    "\(parts.count) labels for weights of \(lq) queries × \(lk) keys (one label per position; needs Lq = Lk)"
                )
            }
            labels = parts
        }
        var location: [String] = []
        if !leading.isEmpty { location.append("batch entry 0") }
        if leading.count >= 2 { location.append("head \(head) of \(leading[1])") }
        let title = "\(op) attention weights" + (location.isEmpty ? "" : " — " + location.joined(separator: ", "))
        do {
            return try Heatmap(
                values: slice, rows: lq, columns: lk, title: title, rowLabels: labels, columnLabels: labels)
        } catch let error as HeatmapError {
            throw context.error("--heatmap", error.description)
        }
    }

    /// A `--heatmap-…` option without `--heatmap` is a mistake worth reporting.
    func checkUnused(context: ErrorContext) throws {
        guard heatmap == nil else { return }
        if let heatmapHead {
            throw context.error("--heatmap-head \(heatmapHead)", "draws nothing without --heatmap out.svg")
        }
        if heatmapLabels != nil { throw context.error("--heatmap-labels", "draws nothing without --heatmap out.svg") }
    }
}

extension RunSession {
    /// ``run(blas:reference:)`` for an attention command that may also draw its weights.
    ///
    /// With `--heatmap`, the computation's last array must be the weights (`[..., Lq, Lk]`, or
    /// `[B, H, Lq, Lk]` per head for mha); one slice of them is drawn, and the picture is written
    /// together with the `.npy` outputs — the weights themselves only when `--attention-weights`
    /// asked for them, averaged over heads first when `averagingHeadsForOutput` (the command
    /// computed per-head weights for the picture but was asked for the average).
    func run(
        heatmap: HeatmapOptions, op: String, averagingHeadsForOutput: Bool = false,
        blas: () throws -> [Tensor<Float>], reference: () throws -> [ReferenceArray<Double>]
    ) throws {
        try heatmap.checkUnused(context: context)
        guard heatmap.isRequested, let target = heatmap.outputs.first else {
            return try run(blas: blas, reference: reference)
        }
        let arrayOutputs = outputs.count - 1  // the picture is the last output
        let arrays: [ArrayData]
        let weightsShape: [Int]
        let weightsValues: [Double]
        switch backend {
        case .blas:
            var tensors = try blas()
            guard let weights = tensors.last, tensors.count >= 2 else {
                preconditionFailure("run(heatmap:): the computation returned no weights")
            }
            (weightsShape, weightsValues) = (weights.shape, weights.scalars.map(Double.init))
            if averagingHeadsForOutput, tensors.count > 1 { tensors[1] = try weights.mean(dim: 1) }
            arrays = tensors.prefix(arrayOutputs).map(\.arrayData)
        case .reference:
            var results = try reference()
            guard let weights = results.last, results.count >= 2 else {
                preconditionFailure("run(heatmap:): the computation returned no weights")
            }
            (weightsShape, weightsValues) = (weights.shape, weights.values)
            if averagingHeadsForOutput, results.count > 1 { results[1] = try Reference.mean(weights, dim: 1) }
            arrays = results.prefix(arrayOutputs).map { ArrayData(shape: $0.shape, float64: $0.values) }
        }
        let picture = try heatmap.picture(weightsShape: weightsShape, values: weightsValues, op: op, context: context)
        try write(arrays, extra: [(Data(picture.svg().utf8), target)])
    }
}
