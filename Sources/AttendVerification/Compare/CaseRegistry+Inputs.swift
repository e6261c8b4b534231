import Attend

/// Where `--inputs` cases read the user's arrays, by file name (`a.npy`, `weights.safetensors`).
/// `attend compare` implements it over a directory; what it throws names the file.
public protocol CaseInputs {
    /// `--inputs DIR`: what an error about the inputs as a whole names.
    var label: String { get }
    /// Whether a file of this name is there.
    func contains(_ name: String) -> Bool
    /// The file's one array as a Float tensor.
    /// - Throws: `FileFormatError` naming the file when it is missing, unreadable, holds not
    ///   exactly one array, or one that does not convert to Float.
    func floatTensor(_ name: String) throws -> Tensor<Float>
    /// A mask file: a bool array is `.mayAttend` (true = may attend), a float array `.additive`.
    /// - Throws: `FileFormatError` naming the file when it is missing or unreadable.
    func attentionMask(_ name: String) throws -> AttentionMask<Float>
    /// A boolean array (a key padding mask: true = ignore).
    /// - Throws: `FileFormatError` naming the file when it is missing, unreadable or not boolean.
    func boolMask(_ name: String) throws -> BoolTensor
    /// Every array of a weights file, by PyTorch state_dict name.
    /// - Throws: `FileFormatError` naming the file when it is missing or unreadable.
    func stateDict(_ name: String) throws -> [String: Tensor<Float>]
    /// Runs `body` (which builds a layer from the file `name`), attributing a library error to
    /// that file and `detail` (`(--num-heads 8)`).
    /// - Throws: what `body` throws; a library error (`TensorError`) rethrown as an error naming the
    ///   file `name` and `detail`.
    func attributing<T>(to name: String, detail: String, _ body: () throws -> T) throws -> T
}

extension CaseRegistry {
    // MARK: - --inputs

    /// The file names `--inputs DIR` looks for, per op (shown by `attend compare --help`).
    public static let inputNaming = """
        matmul: a.npy, b.npy · einsum: a.npy, b.npy[, c.npy …] with --equation · softmax, logsoftmax, \
        sum, mean, std: x.npy (over --dim) · linear: x.npy, weight.npy[, bias.npy] · sqdist: a.npy, b.npy · \
        conv1d: signal.npy, kernel.npy · conv2d: input.npy, weight.npy[, bias.npy] · patchify: image.npy \
        with --patch · layernorm: x.npy[, weight.npy, bias.npy] · sdpa: q.npy, k.npy, v.npy[, mask.npy (bool: \
        True = may attend, or float: added)][, key_padding_mask.npy] · mha: q.npy[, k.npy, v.npy], \
        weights.safetensors (or weights.npz) with --num-heads[, mask.npy][, key_padding_mask.npy] · \
        encoder-layer: x.npy, weights.safetensors (or .npz) with --num-heads[, --activation, --norm-first]
        """

    /// Cases on the user's arrays in `inputs`. With `explicit` (the ops were named with `--op`),
    /// a missing file or option is an error; otherwise ops whose files are absent are skipped.
    /// - Throws: ``CaseDefinitionError`` when, with `explicit`, an op's file or option is missing;
    ///   `FileFormatError` for an unreadable file.
    public static func inputCases(_ ops: [CompareOp], inputs: some CaseInputs, options: CaseOptions, explicit: Bool)
        throws -> [CompareCase]
    {
        func exists(_ name: String) -> Bool { inputs.contains(name) }
        /// The files an op needs, or nil (skip) / an error (explicit) when one is missing.
        func required(_ op: CompareOp, _ names: [String], option: (String, Bool)? = nil) throws -> [String]? {
            let missing = names.filter { !exists($0) }
            if let (name, present) = option, !present {
                if explicit { throw CaseDefinitionError(inputs.label, "\(op.rawValue) needs \(name)") }
                return nil
            }
            guard missing.isEmpty else {
                if explicit {
                    throw CaseDefinitionError(
                        inputs.label,
                        "\(op.rawValue) needs \(names.joined(separator: ", ")) (missing: \(missing.joined(separator: ", ")))"
                    )
                }
                return nil
            }
            return names
        }
        func optional(_ name: String) throws -> Tensor<Float>? { exists(name) ? try inputs.floatTensor(name) : nil }
        func weightsFile() -> String? { ["weights.safetensors", "weights.npz"].first(where: exists) }
        func masks() throws -> AttentionMask<Float> {
            var parts: [AttentionMask<Float>] = []
            if exists("mask.npy") { parts.append(try inputs.attentionMask("mask.npy")) }
            if exists("key_padding_mask.npy") { parts.append(.keyPadding(try inputs.boolMask("key_padding_mask.npy"))) }
            return parts.isEmpty ? .none : parts.count == 1 ? parts[0] : .all(parts)
        }
        let name = "--inputs"
        var cases: [CompareCase] = []
        func add(
            _ op: CompareOp, _ files: [String], _ shapes: [[Int]], caseName: String = name,
            _ measure: @escaping () throws -> CaseMeasurement
        ) {
            var item = CompareCase(op: op, name: caseName, shapes: shapes.map(compactShape).joined(separator: "·")) {
                _ in try measure()
            }
            item.userInputs = "--inputs " + files.joined(separator: ", ")
            cases.append(item)
        }
        for op in ops {
            switch op {
            case .matmul:
                guard let files = try required(op, ["a.npy", "b.npy"]) else { continue }
                let (a, b) = (try inputs.floatTensor(files[0]), try inputs.floatTensor(files[1]))
                add(op, files, [a.shape, b.shape]) { try Measure.matmul(a, b) }
            case .einsum:
                guard let files = try required(op, ["a.npy"], option: ("--equation", options.equation != nil)) else {
                    continue
                }
                var all = files
                for letter in "bcdefgh" where exists("\(letter).npy") { all.append("\(letter).npy") }
                let operands = try all.map(inputs.floatTensor)
                let equation = options.equation!
                add(op, all, operands.map(\.shape), caseName: equation) { try Measure.einsum(equation, operands) }
            case .softmax, .logsoftmax:
                guard let files = try required(op, ["x.npy"]) else { continue }
                let (x, dim, log) = (try inputs.floatTensor(files[0]), options.dim, op == .logsoftmax)
                add(op, files, [x.shape], caseName: "--inputs, dim \(dim)") {
                    try Measure.softmax(x, dim: dim, log: log)
                }
            case .sum, .mean, .std:
                guard let files = try required(op, ["x.npy"]) else { continue }
                let (x, dim, kind) = (
                    try inputs.floatTensor(files[0]), options.dim, Measure.Reduction(rawValue: op.rawValue)!
                )
                add(op, files, [x.shape], caseName: "--inputs, dim \(dim)") {
                    try Measure.reduction(x, kind, dimsList: [[dim]])
                }
            case .linear:
                guard let files = try required(op, ["x.npy", "weight.npy"]) else { continue }
                let (x, w, b) = (
                    try inputs.floatTensor(files[0]), try inputs.floatTensor(files[1]), try optional("bias.npy")
                )
                add(op, files, [x.shape, w.shape]) { try Measure.linear(x, weight: w, bias: b) }
            case .sqdist:
                guard let files = try required(op, ["a.npy", "b.npy"]) else { continue }
                let (a, b) = (try inputs.floatTensor(files[0]), try inputs.floatTensor(files[1]))
                for method in [DistanceMethod.broadcasting, .gemm] {
                    add(op, files, [a.shape, b.shape], caseName: "--inputs, \(method)") {
                        try Measure.squaredDistances(a, b, method: method, centered: false)
                    }
                }
            case .conv1d:
                guard let files = try required(op, ["signal.npy", "kernel.npy"]) else { continue }
                let (s, k) = (try inputs.floatTensor(files[0]), try inputs.floatTensor(files[1]))
                add(op, files, [s.shape, k.shape]) { try Measure.correlate(signal: s, kernel: k, stride: 1) }
            case .conv2d:
                guard let files = try required(op, ["input.npy", "weight.npy"]) else { continue }
                let (x, w, b) = (
                    try inputs.floatTensor(files[0]), try inputs.floatTensor(files[1]), try optional("bias.npy")
                )
                add(op, files, [x.shape, w.shape]) {
                    try Measure.conv2d(x, weight: w, bias: b, stride: (1, 1), padding: (0, 0))
                }
            case .patchify:
                guard let files = try required(op, ["image.npy"], option: ("--patch", options.patch != nil)) else {
                    continue
                }
                let (image, patch) = (try inputs.floatTensor(files[0]), options.patch!)
                add(op, files, [image.shape], caseName: "--inputs, P \(patch)") {
                    try Measure.patchify(image, patch: patch)
                }
            case .layernorm:
                guard let files = try required(op, ["x.npy"]) else { continue }
                let (x, w, b) = (try inputs.floatTensor(files[0]), try optional("weight.npy"), try optional("bias.npy"))
                add(op, files, [x.shape]) { try Measure.layerNorm(x, weight: w, bias: b, eps: 1e-5) }
            case .sdpa:
                guard let files = try required(op, ["q.npy", "k.npy", "v.npy"]) else { continue }
                let (q, k, v) = (
                    try inputs.floatTensor(files[0]), try inputs.floatTensor(files[1]), try inputs.floatTensor(files[2])
                )
                let mask = try masks()
                add(op, files, [q.shape, k.shape, v.shape], caseName: "--inputs, mask \(mask.caseSummary)") {
                    try Measure.sdpa(q, k, v, mask: mask)
                }
            case .mha:
                guard let files = try required(op, ["q.npy"], option: ("--num-heads", options.numHeads != nil)) else {
                    continue
                }
                guard let weights = weightsFile() else {
                    if explicit {
                        throw CaseDefinitionError(inputs.label, "mha needs weights.safetensors or weights.npz")
                    }
                    continue
                }
                let dict = try inputs.stateDict(weights)
                let layer = try inputs.attributing(to: weights, detail: "(--num-heads \(options.numHeads!))") {
                    try MultiHeadAttention<Float>(stateDict: dict, numHeads: options.numHeads!)
                }
                let q = try inputs.floatTensor(files[0])
                let k = exists("k.npy") ? try inputs.floatTensor("k.npy") : q
                let v = exists("v.npy") ? try inputs.floatTensor("v.npy") : k
                let mask = try masks()
                add(op, files + [weights], [q.shape, k.shape, v.shape], caseName: "--inputs, mask \(mask.caseSummary)")
                {
                    try Measure.mha(layer, query: q, key: k, value: v, mask: mask)
                }
            case .encoderLayer:
                guard let files = try required(op, ["x.npy"], option: ("--num-heads", options.numHeads != nil)) else {
                    continue
                }
                guard let weights = weightsFile() else {
                    if explicit {
                        throw CaseDefinitionError(
                            inputs.label, "encoder-layer needs weights.safetensors or weights.npz")
                    }
                    continue
                }
                let dict = try inputs.stateDict(weights)
                let layer = try inputs.attributing(to: weights, detail: "(--num-heads \(options.numHeads!))") {
                    try TransformerEncoderLayer<Float>(
                        stateDict: dict, numHeads: options.numHeads!, activation: options.activation,
                        normFirst: options.normFirst)
                }
                let x = try inputs.floatTensor(files[0])
                add(op, files + [weights], [x.shape]) { try Measure.encoderLayer(layer, x: x, mask: .none) }
            }
        }
        if cases.isEmpty {
            throw CaseDefinitionError(inputs.label, "no op's input files found (expected: \(inputNaming))")
        }
        return cases
    }
}
