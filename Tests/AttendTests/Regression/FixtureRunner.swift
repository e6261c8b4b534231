import Attend
import AttendReference
import AttendVerification

// Each fixture op run through both paths, with the bound each output is held to.

/// Runs a case's op through both paths and computes its bounds.
enum FixtureRunner {
    static func outputs(of f: FixtureCase) throws -> [FixtureOutput] {
        switch f.op {
        case "einsum": return try einsum(f)
        case "matmul": return try matmul(f)
        case "softmax", "logsoftmax": return try softmax(f)
        case "sum", "mean", "var", "std": return try reduction(f)
        case "sqdist": return try squaredDistances(f)
        case "linear": return try linear(f)
        case "conv1d", "conv2d", "im2col", "patchify": return try convolution(f)
        case "layernorm": return try layerNorm(f)
        case "gelu", "relu": return try activation(f)
        case "sdpa": return try attention(f)
        case "mha": return try multiHeadAttention(f)
        case "encoder_layer": return try encoderLayer(f)
        case "positional_encoding": return try positionalEncoding(f)
        default: throw FixtureError(f, "op \(f.op) not implemented: this suite has no runner for it")
        }
    }

    /// One output computed by both paths.
    static func single(
        _ f: FixtureCase, engine: () throws -> Tensor<Float>, reference: () throws -> ReferenceArray<Double>,
        bound: (ForwardErrorBound, ReferenceArray<Double>) throws -> [Double]
    ) throws -> [FixtureOutput] {
        let expected = try f.expected("out")
        return [
            FixtureOutput(
                name: "out", expected: expected, engine: Result(catching: engine),
                reference: Result(catching: reference),
                bounds: try EvaluationBounds { try bound($0, expected) })
        ]
    }

    static func einsum(_ f: FixtureCase) throws -> [FixtureOutput] {
        let equation = try f.string("equation")
        let names = f.inputs.map(\.name)  // a0, a1, …
        let tensors = try names.map { try f.tensor($0) }
        let arrays = try names.map { try f.reference($0) }
        return try single(
            f, engine: { try Attend.einsum(equation, tensors) }, reference: { try Reference.einsum(equation, arrays) },
            bound: { try $0.einsum(equation, arrays, exact: $1) })
    }

    static func matmul(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (a, b) = (try f.tensor("a"), try f.tensor("b"))
        let (ra, rb) = (try f.reference("a"), try f.reference("b"))
        let magnitude = try Reference.matmul(ra.magnitudes, rb.magnitudes)
        return try single(
            f, engine: { try Attend.matmul(a, b) }, reference: { try Reference.matmul(ra, rb) },
            bound: { $0.products(magnitude: magnitude, exact: $1, k: ra.shape.last!) })  // K = a's last dimension
    }

    static func softmax(_ f: FixtureCase) throws -> [FixtureOutput] {
        let dim = try f.int("dim")
        let (x, rx) = (try f.tensor("x"), try f.reference("x"))
        if f.op == "softmax" {
            return try single(
                f, engine: { try x.softmax(dim: dim) }, reference: { try Reference.softmax(rx, dim: dim) },
                bound: { try $0.softmax(rx, dim: dim, exact: $1) })
        }
        return try single(
            f, engine: { try x.logSoftmax(dim: dim) }, reference: { try Reference.logSoftmax(rx, dim: dim) },
            bound: { $0.bounds.logSoftmax($1, dim: dim) })
    }

    static func reduction(_ f: FixtureCase) throws -> [FixtureOutput] {
        let dims = try f.ints("dim")
        let keepDim = try f.bool("keepdim")
        let (x, rx) = (try f.tensor("x"), try f.reference("x"))
        switch f.op {
        case "sum":
            return try single(
                f, engine: { try x.sum(dims: dims, keepDim: keepDim) },
                reference: { try Reference.sum(rx, dims: dims, keepDim: keepDim) },
                bound: { try $0.sum(rx, dims: dims, keepDim: keepDim, exact: $1) })
        case "mean":
            return try single(
                f, engine: { try x.mean(dims: dims, keepDim: keepDim) },
                reference: { try Reference.mean(rx, dims: dims, keepDim: keepDim) },
                bound: { try $0.mean(rx, dims: dims, keepDim: keepDim, exact: $1) })
        case "var":
            let unbiased = try f.bool("unbiased")
            return try single(
                f, engine: { try x.variance(dims: dims, unbiased: unbiased, keepDim: keepDim) },
                reference: { try Reference.variance(rx, dims: dims, unbiased: unbiased, keepDim: keepDim) },
                bound: { try $0.bounds.variance(rx, dims: dims, unbiased: unbiased, keepDim: keepDim, exact: $1) })
        default:
            let unbiased = try f.bool("unbiased")
            return try single(
                f, engine: { try x.standardDeviation(dims: dims, unbiased: unbiased, keepDim: keepDim) },
                reference: { try Reference.standardDeviation(rx, dims: dims, unbiased: unbiased, keepDim: keepDim) },
                bound: {
                    try $0.bounds.standardDeviation(rx, dims: dims, unbiased: unbiased, keepDim: keepDim, exact: $1)
                })
        }
    }

    /// Two engine variants against the same fixture: the default method (for these small inputs
    /// the direct broadcast form, which must not cancel) and the BLAS path, the GEMM form
    /// ‖a‖² + ‖b‖² − 2·a·bᵀ with centring, each with its own bound. (The uncentred GEMM form is
    /// left out: on sqdist_large_offset it loses most digits by design — see
    /// `squaredDistances(_:_:method:centered:)` — so its honest bound says nothing.)
    static func squaredDistances(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (a, b) = (try f.tensor("a"), try f.tensor("b"))
        let (ra, rb) = (try f.reference("a"), try f.reference("b"))
        let expected = try f.expected("out")
        let automatic = try squaredDistancesPlan(a.layout, b.layout, scalar: Float.self)  // the method chosen
        return [
            FixtureOutput(
                name: "out", expected: expected, engine: Result { try Attend.squaredDistances(a, b) },
                reference: Result { try Reference.squaredDistances(ra, rb) },
                bounds: try EvaluationBounds {
                    try $0.bounds.squaredDistances(ra, rb, exact: expected.values, plan: automatic)
                }),
            FixtureOutput(
                name: "out [gemm, centered]", expected: expected,
                engine: Result { try Attend.squaredDistances(a, b, method: .gemm, centered: true) }, reference: nil,
                bounds: try EvaluationBounds {
                    try $0.bounds.squaredDistances(ra, rb, exact: expected.values, usesGEMM: true, centered: true)
                }),
        ]
    }

    static func linear(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (x, w, b) = (try f.tensor("x"), try f.tensor("weight"), try f.tensor("bias"))
        let (rx, rw, rb) = (try f.reference("x"), try f.reference("weight"), try f.reference("bias"))
        return try single(
            f, engine: { try Attend.linear(x, weight: w, bias: b) },
            reference: { try Reference.linear(rx, weight: rw, bias: rb) },
            bound: { bound, _ in try bound.linear(BoundedArray(exact: rx), weight: rw, bias: rb).error.values })
    }

    static func convolution(_ f: FixtureCase) throws -> [FixtureOutput] {
        switch f.op {
        case "conv1d":
            let stride = try f.int("stride")
            let (s, k) = (try f.tensor("signal"), try f.tensor("kernel"))
            let (rs, rk) = (try f.reference("signal"), try f.reference("kernel"))
            let magnitude = try Reference.correlate(signal: rs.magnitudes, kernel: rk.magnitudes, stride: stride)
            return try single(
                f, engine: { try Attend.correlate(signal: s, kernel: k, stride: stride) },
                reference: { try Reference.correlate(signal: rs, kernel: rk, stride: stride) },
                bound: { $0.products(magnitude: magnitude, exact: $1, k: rk.count) })  // K products
        case "conv2d":
            let (stride, padding) = (try f.pair("stride"), try f.pair("padding"))
            let (x, w, b) = (try f.tensor("input"), try f.tensor("weight"), try f.tensor("bias"))
            let (rx, rw, rb) = (try f.reference("input"), try f.reference("weight"), try f.reference("bias"))
            let magnitude = try Reference.conv2d(
                rx.magnitudes, weight: rw.magnitudes, bias: rb.magnitudes, stride: stride, padding: padding)
            return try single(
                f, engine: { try Attend.conv2d(x, weight: w, bias: b, stride: stride, padding: padding) },
                reference: { try Reference.conv2d(rx, weight: rw, bias: rb, stride: stride, padding: padding) },
                // C·kh·kw products + bias
                bound: { $0.products(magnitude: magnitude, exact: $1, k: rw.count / rw.shape[0] + 1) })
        case "im2col":
            let (kernel, stride, padding) = (try f.pair("kernel"), try f.pair("stride"), try f.pair("padding"))
            let (x, rx) = (try f.tensor("input"), try f.reference("input"))
            return try single(
                f, engine: { try Attend.im2col(x, kernel: kernel, stride: stride, padding: padding) },
                reference: { try Reference.im2col(rx, kernel: kernel, stride: stride, padding: padding) },
                bound: { $0.exact($1) })
        default:
            let patch = try f.int("patch")
            let (x, rx) = (try f.tensor("image"), try f.reference("image"))
            return try single(
                f, engine: { try Attend.patchify(x, patch: patch) },
                reference: { try Reference.patchify(rx, patch: patch) },
                bound: { $0.exact($1) })
        }
    }

    static func layerNorm(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (eps, k) = (try f.double("eps"), try f.int("normalized_dims"))
        let (x, w, b) = (try f.tensor("x"), try f.tensor("weight"), try f.tensor("bias"))
        let (rx, rw, rb) = (try f.reference("x"), try f.reference("weight"), try f.reference("bias"))
        return try single(
            f, engine: { try LayerNorm(normalizedShape: Array(x.shape.suffix(k)), eps: eps, weight: w, bias: b)(x) },
            reference: { try Reference.layerNorm(rx, normalizedDims: k, weight: rw, bias: rb, eps: eps) },
            bound: { bound, _ in
                try bound.layerNorm(BoundedArray(exact: rx), normalizedDims: k, weight: rw, bias: rb, eps: eps).error
                    .values
            })
    }

    static func activation(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (x, rx) = (try f.tensor("x"), try f.reference("x"))
        if f.op == "relu" {
            return try single(f, engine: { x.relu() }, reference: { Reference.relu(rx) }, bound: { $0.exact($1) })
        }
        let approximate = try f.string("approximate")
        guard approximate == "none" || approximate == "tanh" else {
            throw FixtureError(f, "has approximate = '\(approximate)'")
        }
        let kind: ReferenceActivation = approximate == "tanh" ? .geluTanh : .gelu
        return try single(
            f, engine: { kind == .gelu ? x.gelu() : x.geluTanh() }, reference: { Reference.activate(rx, kind) },
            bound: { bound, _ in bound.activation(BoundedArray(exact: rx), kind).error.values })
    }

    static func positionalEncoding(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (length, dim) = (try f.int("length"), try f.int("dim"))
        return try single(
            f, engine: { sinusoidalPositionalEncoding(length: length, dim: dim, as: Float.self) },
            reference: { Reference.sinusoidalPositionalEncoding(length: length, dim: dim, as: Double.self) },
            bound: { $0.bounds.positionalEncoding(length: length, dim: dim, exact: $1) })
    }
}
