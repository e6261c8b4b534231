import ArgumentParser
import Attend
import AttendReference
import AttendVerification
import Foundation

// `attend run layernorm`.

struct RunLayerNorm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layernorm",
        abstract: "Layer normalization over the last dimension(s), as nn.LayerNorm.",
        discussion: """
            attend run layernorm --input x.npy [--weight w.npy --bias b.npy] \\
                [--eps 1e-5] --output out.npy

            y = (x − mean) / √(var + eps) · weight + bias, with the biased variance (÷ N) over the normalized dimensions: the last --normalized-dims of x (default: the rank of --weight or --bias when given, else 1).
            """)

    @Option(help: ArgumentHelp("The input [..., normalized dims].", valueName: "x.npy"))
    var input: String

    @Option(help: ArgumentHelp("Scale with the normalized shape.", valueName: "w.npy"))
    var weight: String?

    @Option(help: ArgumentHelp("Shift with the normalized shape.", valueName: "b.npy"))
    var bias: String?

    @Option(help: "Added to the variance.")
    var eps: Double = 1e-5

    @Option(name: .customLong("normalized-dims"), help: "How many trailing dimensions to normalize over.")
    var normalizedDims: Int?

    @OptionGroup var options: RunOptions

    func run() throws {
        let session = try RunSession(op: "layernorm", options: options)
        let x = InputFile("--input", input)
        let w = weight.map { InputFile("--weight", $0) }
        let b = bias.map { InputFile("--bias", $0) }
        func dims(rank: Int, parameterRank: Int?) throws -> Int {
            let k = normalizedDims ?? parameterRank ?? 1
            guard k >= 1, k <= rank else {
                throw session.error(
                    normalizedDims.map { "--normalized-dims \($0)" } ?? x.label,
                    "cannot normalize over the last \(k) dimension(s) of an input of rank \(rank) (needs 1 ≤ k ≤ rank)")
            }
            return k
        }
        let parameters = [w, b].compactMap { $0 }.map(\.label).joined(separator: ", ")
        try session.run(
            blas: {
                let xt = try session.loader.floatTensor(x)
                let (wt, bt) = (try w.map(session.loader.floatTensor), try b.map(session.loader.floatTensor))
                let k = try dims(rank: xt.rank, parameterRank: (wt ?? bt)?.rank)
                let shape = Array(xt.shape.suffix(k))
                let layer = try session.attributing(to: parameters) {
                    try LayerNorm(normalizedShape: shape, eps: eps, weight: wt, bias: bt)
                }
                return [try session.attributing(to: x.label) { try layer(xt) }]
            },
            reference: {
                let xr = try session.loader.doubleArray(x)
                let (wr, br) = (try w.map(session.loader.doubleArray), try b.map(session.loader.doubleArray))
                let k = try dims(rank: xr.rank, parameterRank: (wr ?? br)?.rank)
                return [
                    try session.attributing(to: parameters.isEmpty ? x.label : "\(x.label), \(parameters)") {
                        try Reference.layerNorm(xr, normalizedDims: k, weight: wr, bias: br, eps: eps)
                    }
                ]
            })
    }
}
