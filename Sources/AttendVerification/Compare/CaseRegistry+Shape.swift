import Attend
import AttendReference
import RealModule

/// Op parameters for `--shape` and `--inputs` cases.
public struct CaseOptions {
    /// Options with `attend compare`'s defaults: reduce over the last dimension, ReLU, post-norm.
    public init(
        equation: String? = nil, dim: Int = -1, patch: Int? = nil, numHeads: Int? = nil, activation: Activation = .relu,
        normFirst: Bool = false
    ) {
        (self.equation, self.dim, self.patch, self.numHeads, self.activation, self.normFirst) = (
            equation, dim, patch, numHeads, activation, normFirst
        )
    }

    /// The `einsum` equation (`--equation`); nil means `bhld,bhmd->bhlm`.
    public var equation: String?
    /// The dimension `softmax`, `logsoftmax`, `sum`, `mean` and `std` work along (`--dim`, default −1).
    public var dim = -1
    /// The patch side for `patchify` cases from `--inputs` (`--patch`).
    public var patch: Int?
    /// The head count for `mha` and `encoder-layer` cases from `--inputs` (`--num-heads`).
    public var numHeads: Int?
    /// The feed-forward activation of `encoder-layer` cases (`--activation`).
    public var activation = Activation.relu
    /// Whether `encoder-layer` cases are pre-norm (`--norm-first`).
    public var normFirst = false
}

extension CaseRegistry {
    // MARK: - --shape

    /// The cases for one op at a user-given shape (see ``CompareOp/shapeSyntax``).
    /// - Throws: ``CaseDefinitionError`` naming `--shape` when `text` is not the op's syntax
    ///   (``CompareOp/shapeSyntax``) or a size is not a positive integer.
    public static func shapeCases(_ op: CompareOp, _ text: String, options: CaseOptions) throws -> [CompareCase] {
        let label = "--shape \(text)"
        func numbers(_ text: Substring) throws -> [Int] {
            let parts = text.split(whereSeparator: { $0 == "," || $0 == "x" || $0 == "×" }).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                throw CaseDefinitionError(
                    label, "expected non-negative sizes separated by commas (\(op.rawValue): \(op.shapeSyntax))")
            }
            return parts.map { $0! }
        }
        let dims = op == .einsum && options.equation != nil ? [] : try numbers(Substring(text))
        func expect(_ counts: Set<Int>, minimum: Int? = nil) throws {
            if let minimum, dims.count >= minimum { return }
            guard counts.contains(dims.count) else {
                throw CaseDefinitionError(
                    label,
                    "\(op.rawValue) expects \(op.shapeSyntax); got \(dims.count) number\(dims.count == 1 ? "" : "s")")
            }
        }
        typealias R = RandomInputs
        let shapes = compactShape(dims)
        func one(
            _ name: String, _ shapes: String, _ measure: @escaping (inout SeededGenerator) throws -> CaseMeasurement
        ) -> [CompareCase] {
            [CompareCase(op: op, name: name, shapes: shapes, measure: measure)]
        }
        switch op {
        case .matmul:
            try expect([], minimum: 3)
            let batch = Array(dims.dropLast(3))
            let (m, k, n) = (dims[dims.count - 3], dims[dims.count - 2], dims[dims.count - 1])
            return one(
                "--shape (B transposed view)", "\(compactShape(batch + [m, k]))·\(compactShape(batch + [n, k]))ᵀ"
            ) { g in
                try Measure.matmul(R.randn(batch + [m, k], &g), R.randn(batch + [n, k], &g).transposed(-2, -1))
            }
        case .einsum:
            if let equation = options.equation {
                let operandShapes = try text.split(separator: ";").map(numbers)
                return one(equation, operandShapes.map(compactShape).joined(separator: "·")) { g in
                    try Measure.einsum(equation, operandShapes.map { R.randn($0, &g) })
                }
            }
            try expect([4])
            return one("bhld,bhmd->bhlm", "\(shapes)×2") { g in
                try Measure.einsum("bhld,bhmd->bhlm", [R.randn(dims, &g), R.randn(dims, &g)])
            }
        case .softmax, .logsoftmax:
            try expect([], minimum: 1)
            let (dim, log) = (options.dim, op == .logsoftmax)
            return one("--shape, dim \(dim)", shapes) { g in
                try Measure.softmax(R.randn(dims, &g, scale: 4), dim: dim, log: log)
            }
        case .sum, .mean, .std:
            try expect([], minimum: 1)
            let (dim, kind) = (options.dim, Measure.Reduction(rawValue: op.rawValue)!)
            return one("--shape, dim \(dim)", shapes) { g in
                try Measure.reduction(R.randn(dims, &g), kind, dimsList: [[dim]])
            }
        case .linear:
            try expect([], minimum: 2)
            let batch = Array(dims.dropLast(2))
            let (i, o) = (dims[dims.count - 2], dims[dims.count - 1])
            return one("--shape", "\(compactShape(batch + [i]))·\(compactShape([o, i]))ᵀ+b") { g in
                let scale = Float(1 / Double(Swift.max(i, 1)).squareRoot())
                return try Measure.linear(
                    R.randn(batch + [i], &g), weight: R.randn([o, i], &g, scale: scale),
                    bias: R.randn([o], &g, scale: scale))
            }
        case .sqdist:
            try expect([], minimum: 3)
            let batch = Array(dims.dropLast(3))
            let (n, m, d) = (dims[dims.count - 3], dims[dims.count - 2], dims[dims.count - 1])
            let text = "\(compactShape(batch + [n, d]))·\(compactShape(batch + [m, d]))"
            return [DistanceMethod.broadcasting, .gemm].map { method in
                CompareCase(op: op, name: "--shape, \(method)", shapes: text) { g in
                    try Measure.squaredDistances(
                        R.randn(batch + [n, d], &g), R.randn(batch + [m, d], &g), method: method, centered: false)
                }
            }
        case .conv1d:
            try expect([2, 3])
            let stride = dims.count == 3 ? dims[2] : 1
            return one("--shape, stride \(stride)", "[\(dims[0])]*[\(dims[1])]") { g in
                try Measure.correlate(signal: R.randn([dims[0]], &g), kernel: R.randn([dims[1]], &g), stride: stride)
            }
        case .conv2d:
            try expect([6, 8])
            let (s, p) = dims.count == 8 ? (dims[6], dims[7]) : (1, 0)
            let (input, weight) = (Array(dims[0..<4]), [dims[4], dims[1], dims[5], dims[5]])
            return one("--shape, stride \(s), padding \(p)", "\(compactShape(input))*\(compactShape(weight))") { g in
                try Measure.conv2d(
                    R.randn(input, &g), weight: R.randn(weight, &g), bias: R.randn([dims[4]], &g), stride: (s, s),
                    padding: (p, p))
            }
        case .patchify:
            try expect([5])
            return one("--shape", "\(compactShape(Array(dims[0..<4]))) P\(dims[4])") { g in
                try Measure.patchify(R.randn(Array(dims[0..<4]), &g), patch: dims[4])
            }
        case .sdpa:
            try expect([4, 6])
            let (b, h) = (dims[0], dims[1])
            let (lq, lk, dk, dv) =
                dims.count == 4 ? (dims[2], dims[2], dims[3], dims[3]) : (dims[2], dims[3], dims[4], dims[5])
            let (q, k, v) = ([b, h, lq, dk], [b, h, lk, dk], [b, h, lk, dv])
            let text = q == v ? "\(compactShape(q))×3" : "q\(compactShape(q)) k\(compactShape(k)) v\(compactShape(v))"
            return one("--shape, no mask", text) { g in
                try Measure.sdpa(R.randn(q, &g), R.randn(k, &g), R.randn(v, &g), mask: .none)
            }
        case .mha:
            try expect([4])
            let (b, l, e, h) = (dims[0], dims[1], dims[2], dims[3])
            return one("--shape, self-attention E\(e) H\(h)", "x\(compactShape([b, l, e]))") { g in
                let layer = try R.mhaLayer(embed: e, heads: h, &g)
                let x = R.randn([b, l, e], &g)
                return try Measure.mha(layer, query: x, key: x, value: x, mask: .none)
            }
        case .layernorm:
            try expect([], minimum: 1)
            let width = dims.last!
            return one("--shape, affine", shapes) { g in
                try Measure.layerNorm(
                    R.randn(dims, &g), weight: R.randn([width], &g, offset: 1), bias: R.randn([width], &g), eps: 1e-5)
            }
        case .encoderLayer:
            try expect([5])
            let (b, l, e, h, f) = (dims[0], dims[1], dims[2], dims[3], dims[4])
            let (activation, normFirst) = (options.activation, options.normFirst)
            return one("--shape E\(e) H\(h) F\(f)", "x\(compactShape([b, l, e]))") { g in
                let layer = try R.encoderLayer(
                    embed: e, heads: h, feedForward: f, activation: activation, normFirst: normFirst, &g)
                return try Measure.encoderLayer(layer, x: R.randn([b, l, e], &g), mask: .none)
            }
        }
    }
}

/// A case definition that cannot be built from what the user gave (`--shape 2,x`, a missing
/// input file): names the argument and the rule. `attend compare` prints it with its own name.
public struct CaseDefinitionError: Error, CustomStringConvertible {
    /// `--shape 2,x`, `--inputs DIR`.
    public let argument: String
    /// What is wrong with it and the rule (`expected positive integers separated by ','`).
    public let message: String

    /// An error about `argument` (`--shape 2,x`) with `message`.
    public init(_ argument: String, _ message: String) {
        self.argument = argument
        self.message = message
    }

    /// `"<argument>: <message>"`.
    public var description: String { "\(argument): \(message)" }
}
