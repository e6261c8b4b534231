import Attend
import AttendReference
import Foundation

/// Op parameters for `--shape` and `--inputs` cases.
struct CaseOptions {
    var equation: String?
    var dim = -1
    var patch: Int?
    var numHeads: Int?
    var activation = ActivationArgument.relu
    var normFirst = false
}

extension CaseRegistry {
    // MARK: - --shape

    /// The cases for one op at a user-given shape (see ``CompareOp/shapeSyntax``).
    static func shapeCases(_ op: CompareOp, _ text: String, options: CaseOptions) throws -> [CompareCase] {
        let context = ErrorContext(command: "attend compare")
        let label = "--shape \(text)"
        func numbers(_ text: Substring) throws -> [Int] {
            let parts = text.split(whereSeparator: { $0 == "," || $0 == "x" || $0 == "×" }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                throw context.error(label, "expected non-negative sizes separated by commas (\(op.rawValue): \(op.shapeSyntax))")
            }
            return parts.map { $0! }
        }
        let dims = op == .einsum && options.equation != nil ? [] : try numbers(Substring(text))
        func expect(_ counts: Set<Int>, minimum: Int? = nil) throws {
            if let minimum, dims.count >= minimum { return }
            guard counts.contains(dims.count) else {
                throw context.error(label, "\(op.rawValue) expects \(op.shapeSyntax); got \(dims.count) number\(dims.count == 1 ? "" : "s")")
            }
        }
        typealias R = Inputs
        let shapes = compactShape(dims)
        func one(_ name: String, _ shapes: String, _ measure: @escaping (inout SeededGenerator) throws -> CaseMeasurement) -> [CompareCase] {
            [CompareCase(op: op, name: name, shapes: shapes, measure: measure)]
        }
        switch op {
        case .matmul:
            try expect([], minimum: 3)
            let batch = Array(dims.dropLast(3)), (m, k, n) = (dims[dims.count - 3], dims[dims.count - 2], dims[dims.count - 1])
            return one("--shape (B transposed view)", "\(compactShape(batch + [m, k]))·\(compactShape(batch + [n, k]))ᵀ") { g in
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
            return one("--shape, dim \(dim)", shapes) { g in try Measure.softmax(R.randn(dims, &g, scale: 4), dim: dim, log: log) }
        case .sum, .mean, .std:
            try expect([], minimum: 1)
            let (dim, kind) = (options.dim, Measure.Reduction(rawValue: op.rawValue)!)
            return one("--shape, dim \(dim)", shapes) { g in try Measure.reduction(R.randn(dims, &g), kind, dimsList: [[dim]]) }
        case .linear:
            try expect([], minimum: 2)
            let batch = Array(dims.dropLast(2)), (i, o) = (dims[dims.count - 2], dims[dims.count - 1])
            return one("--shape", "\(compactShape(batch + [i]))·\(compactShape([o, i]))ᵀ+b") { g in
                let scale = Float(1 / Double(Swift.max(i, 1)).squareRoot())
                return try Measure.linear(R.randn(batch + [i], &g), weight: R.randn([o, i], &g, scale: scale), bias: R.randn([o], &g, scale: scale))
            }
        case .sqdist:
            try expect([], minimum: 3)
            let batch = Array(dims.dropLast(3)), (n, m, d) = (dims[dims.count - 3], dims[dims.count - 2], dims[dims.count - 1])
            let text = "\(compactShape(batch + [n, d]))·\(compactShape(batch + [m, d]))"
            return [DistanceMethod.broadcasting, .gemm].map { method in
                CompareCase(op: op, name: "--shape, \(method)", shapes: text) { g in
                    try Measure.squaredDistances(R.randn(batch + [n, d], &g), R.randn(batch + [m, d], &g), method: method, centered: false)
                }
            }
        case .conv1d:
            try expect([2, 3])
            let stride = dims.count == 3 ? dims[2] : 1
            return one("--shape, stride \(stride)", "[\(dims[0])]*[\(dims[1])]") { g in
                try Measure.conv1d(signal: R.randn([dims[0]], &g), kernel: R.randn([dims[1]], &g), stride: stride)
            }
        case .conv2d:
            try expect([6, 8])
            let (s, p) = dims.count == 8 ? (dims[6], dims[7]) : (1, 0)
            let (input, weight) = (Array(dims[0..<4]), [dims[4], dims[1], dims[5], dims[5]])
            return one("--shape, stride \(s), padding \(p)", "\(compactShape(input))*\(compactShape(weight))") { g in
                try Measure.conv2d(R.randn(input, &g), weight: R.randn(weight, &g), bias: R.randn([dims[4]], &g), stride: (s, s), padding: (p, p))
            }
        case .patchify:
            try expect([5])
            return one("--shape", "\(compactShape(Array(dims[0..<4]))) P\(dims[4])") { g in
                try Measure.patchify(R.randn(Array(dims[0..<4]), &g), patch: dims[4])
            }
        case .sdpa:
            try expect([4, 6])
            let (b, h) = (dims[0], dims[1])
            let (lq, lk, dk, dv) = dims.count == 4 ? (dims[2], dims[2], dims[3], dims[3]) : (dims[2], dims[3], dims[4], dims[5])
            let (q, k, v) = ([b, h, lq, dk], [b, h, lk, dk], [b, h, lk, dv])
            let text = q == v ? "\(compactShape(q))×3" : "q\(compactShape(q)) k\(compactShape(k)) v\(compactShape(v))"
            return one("--shape, no mask", text) { g in try Measure.sdpa(R.randn(q, &g), R.randn(k, &g), R.randn(v, &g), mask: .none) }
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
                try Measure.layerNorm(R.randn(dims, &g), weight: R.randn([width], &g, offset: 1), bias: R.randn([width], &g), eps: 1e-5)
            }
        case .encoderLayer:
            try expect([5])
            let (b, l, e, h, f) = (dims[0], dims[1], dims[2], dims[3], dims[4])
            let (activation, normFirst) = (options.activation.engine, options.normFirst)
            return one("--shape E\(e) H\(h) F\(f)", "x\(compactShape([b, l, e]))") { g in
                let layer = try R.encoderLayer(embed: e, heads: h, feedForward: f, activation: activation, normFirst: normFirst, &g)
                return try Measure.encoderLayer(layer, x: R.randn([b, l, e], &g), mask: .none)
            }
        }
    }

    // MARK: - --inputs

    /// The file names `--inputs DIR` looks for, per op (shown by `attend compare --help`).
    static let inputNaming = """
        matmul: a.npy, b.npy · einsum: a.npy, b.npy[, c.npy …] with --equation · softmax, logsoftmax, \
        sum, mean, std: x.npy (over --dim) · linear: x.npy, weight.npy[, bias.npy] · sqdist: a.npy, b.npy · \
        conv1d: signal.npy, kernel.npy · conv2d: input.npy, weight.npy[, bias.npy] · patchify: image.npy \
        with --patch · layernorm: x.npy[, weight.npy, bias.npy] · sdpa: q.npy, k.npy, v.npy[, mask.npy (bool: \
        True = may attend, or float: added)][, key_padding_mask.npy] · mha: q.npy[, k.npy, v.npy], \
        weights.safetensors (or weights.npz) with --num-heads[, mask.npy][, key_padding_mask.npy] · \
        encoder-layer: x.npy, weights.safetensors (or .npz) with --num-heads[, --activation, --norm-first]
        """

    /// Cases on the user's arrays in `directory`. With `explicit` (the ops were named with
    /// `--op`), a missing file or option is an error; otherwise ops whose files are absent are
    /// skipped.
    static func inputCases(_ ops: [CompareOp], directory: String, options: CaseOptions, explicit: Bool) throws -> [CompareCase] {
        let context = ErrorContext(command: "attend compare")
        let loader = ArrayLoader(context: context)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw context.error("--inputs \(directory)", "no such directory")
        }
        func file(_ name: String) -> InputFile { InputFile("--inputs", (directory as NSString).appendingPathComponent(name)) }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }
        /// The files an op needs, or nil (skip) / an error (explicit) when one is missing.
        func required(_ op: CompareOp, _ names: [String], option: (String, Bool)? = nil) throws -> [InputFile]? {
            let missing = names.filter { !exists($0) }
            if let (name, present) = option, !present {
                if explicit { throw context.error("--inputs \(directory)", "\(op.rawValue) needs \(name)") }
                return nil
            }
            guard missing.isEmpty else {
                if explicit {
                    throw context.error(
                        "--inputs \(directory)", "\(op.rawValue) needs \(names.joined(separator: ", ")) (missing: \(missing.joined(separator: ", ")))")
                }
                return nil
            }
            return names.map(file)
        }
        func optional(_ name: String) throws -> Tensor<Float>? { exists(name) ? try loader.floatTensor(file(name)) : nil }
        func weightsFile() -> InputFile? {
            ["weights.safetensors", "weights.npz"].first(where: exists).map(file)
        }
        func masks() throws -> MaskSpec {
            var parts: [MaskSpec] = []
            if exists("mask.npy") { parts.append(MaskSpec(try loader.attentionMask(file("mask.npy")))) }
            if exists("key_padding_mask.npy") { parts.append(.keyPadding(try loader.boolMask(file("key_padding_mask.npy")))) }
            return parts.isEmpty ? .none : parts.count == 1 ? parts[0] : .all(parts)
        }
        let name = "--inputs"
        var cases: [CompareCase] = []
        func add(_ op: CompareOp, _ files: [InputFile], _ shapes: [[Int]], caseName: String = name, _ measure: @escaping () throws -> CaseMeasurement) {
            var item = CompareCase(op: op, name: caseName, shapes: shapes.map(compactShape).joined(separator: "·")) { _ in try measure() }
            item.userInputs = "--inputs " + files.map { ($0.path as NSString).lastPathComponent }.joined(separator: ", ")
            cases.append(item)
        }
        for op in ops {
            switch op {
            case .matmul:
                guard let files = try required(op, ["a.npy", "b.npy"]) else { continue }
                let (a, b) = (try loader.floatTensor(files[0]), try loader.floatTensor(files[1]))
                add(op, files, [a.shape, b.shape]) { try Measure.matmul(a, b) }
            case .einsum:
                guard let files = try required(op, ["a.npy"], option: ("--equation", options.equation != nil)) else { continue }
                var all = files
                for letter in "bcdefgh" where exists("\(letter).npy") { all.append(file("\(letter).npy")) }
                let operands = try all.map(loader.floatTensor), equation = options.equation!
                add(op, all, operands.map(\.shape), caseName: equation) { try Measure.einsum(equation, operands) }
            case .softmax, .logsoftmax:
                guard let files = try required(op, ["x.npy"]) else { continue }
                let (x, dim, log) = (try loader.floatTensor(files[0]), options.dim, op == .logsoftmax)
                add(op, files, [x.shape], caseName: "--inputs, dim \(dim)") { try Measure.softmax(x, dim: dim, log: log) }
            case .sum, .mean, .std:
                guard let files = try required(op, ["x.npy"]) else { continue }
                let (x, dim, kind) = (try loader.floatTensor(files[0]), options.dim, Measure.Reduction(rawValue: op.rawValue)!)
                add(op, files, [x.shape], caseName: "--inputs, dim \(dim)") { try Measure.reduction(x, kind, dimsList: [[dim]]) }
            case .linear:
                guard let files = try required(op, ["x.npy", "weight.npy"]) else { continue }
                let (x, w, b) = (try loader.floatTensor(files[0]), try loader.floatTensor(files[1]), try optional("bias.npy"))
                add(op, files, [x.shape, w.shape]) { try Measure.linear(x, weight: w, bias: b) }
            case .sqdist:
                guard let files = try required(op, ["a.npy", "b.npy"]) else { continue }
                let (a, b) = (try loader.floatTensor(files[0]), try loader.floatTensor(files[1]))
                for method in [DistanceMethod.broadcasting, .gemm] {
                    add(op, files, [a.shape, b.shape], caseName: "--inputs, \(method)") {
                        try Measure.squaredDistances(a, b, method: method, centered: false)
                    }
                }
            case .conv1d:
                guard let files = try required(op, ["signal.npy", "kernel.npy"]) else { continue }
                let (s, k) = (try loader.floatTensor(files[0]), try loader.floatTensor(files[1]))
                add(op, files, [s.shape, k.shape]) { try Measure.conv1d(signal: s, kernel: k, stride: 1) }
            case .conv2d:
                guard let files = try required(op, ["input.npy", "weight.npy"]) else { continue }
                let (x, w, b) = (try loader.floatTensor(files[0]), try loader.floatTensor(files[1]), try optional("bias.npy"))
                add(op, files, [x.shape, w.shape]) { try Measure.conv2d(x, weight: w, bias: b, stride: (1, 1), padding: (0, 0)) }
            case .patchify:
                guard let files = try required(op, ["image.npy"], option: ("--patch", options.patch != nil)) else { continue }
                let (image, patch) = (try loader.floatTensor(files[0]), options.patch!)
                add(op, files, [image.shape], caseName: "--inputs, P \(patch)") { try Measure.patchify(image, patch: patch) }
            case .layernorm:
                guard let files = try required(op, ["x.npy"]) else { continue }
                let (x, w, b) = (try loader.floatTensor(files[0]), try optional("weight.npy"), try optional("bias.npy"))
                add(op, files, [x.shape]) { try Measure.layerNorm(x, weight: w, bias: b, eps: 1e-5) }
            case .sdpa:
                guard let files = try required(op, ["q.npy", "k.npy", "v.npy"]) else { continue }
                let (q, k, v) = (try loader.floatTensor(files[0]), try loader.floatTensor(files[1]), try loader.floatTensor(files[2]))
                let mask = try masks()
                add(op, files, [q.shape, k.shape, v.shape], caseName: "--inputs, mask \(mask.summary)") { try Measure.sdpa(q, k, v, mask: mask) }
            case .mha:
                guard let files = try required(op, ["q.npy"], option: ("--num-heads", options.numHeads != nil)) else { continue }
                guard let weights = weightsFile() else {
                    if explicit { throw context.error("--inputs \(directory)", "mha needs weights.safetensors or weights.npz") }
                    continue
                }
                let dict = try loader.stateDict(weights, as: Float.self)
                let layer = try context.attributing(to: "\(weights.label) (--num-heads \(options.numHeads!))") {
                    try MultiHeadAttention<Float>(stateDict: dict, numHeads: options.numHeads!)
                }
                let q = try loader.floatTensor(files[0])
                let k = exists("k.npy") ? try loader.floatTensor(file("k.npy")) : q
                let v = exists("v.npy") ? try loader.floatTensor(file("v.npy")) : k
                let mask = try masks()
                add(op, files + [weights], [q.shape, k.shape, v.shape], caseName: "--inputs, mask \(mask.summary)") {
                    try Measure.mha(layer, query: q, key: k, value: v, mask: mask)
                }
            case .encoderLayer:
                guard let files = try required(op, ["x.npy"], option: ("--num-heads", options.numHeads != nil)) else { continue }
                guard let weights = weightsFile() else {
                    if explicit { throw context.error("--inputs \(directory)", "encoder-layer needs weights.safetensors or weights.npz") }
                    continue
                }
                let dict = try loader.stateDict(weights, as: Float.self)
                let layer = try context.attributing(to: "\(weights.label) (--num-heads \(options.numHeads!))") {
                    try TransformerEncoderLayer<Float>(
                        stateDict: dict, numHeads: options.numHeads!, activation: options.activation.engine, normFirst: options.normFirst)
                }
                let x = try loader.floatTensor(files[0])
                add(op, files + [weights], [x.shape]) { try Measure.encoderLayer(layer, x: x, mask: .none) }
            }
        }
        if cases.isEmpty {
            throw context.error("--inputs \(directory)", "no op's input files found (expected: \(inputNaming))")
        }
        return cases
    }
}
