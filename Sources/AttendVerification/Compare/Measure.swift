import Attend
import AttendReference
import RealModule

/// How each op is measured by `attend compare`: the engine in Float (timed), the reference in
/// Double (the exact answer, timed) and in Float, and the op's bound from the tolerance policy.
public enum Measure {
    private static func gemmFlops(_ plan: LoweringPlan) -> Double? {
        let flops = plan.gemmCalls.reduce(0) { $0 + $1.flops }
        return flops > 0 ? flops : nil
    }

    // MARK: - Products

    /// matmul: ``ErrorBounds/dotProduct(absProduct:exact:k:)``, K = A's last dimension.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func matmul(_ a: Tensor<Float>, _ b: Tensor<Float>) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf { try Attend.matmul(a, b) }
        let (ad, bd) = (a.reference(Double.self), b.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure { try Reference.matmul(ad, bd) }
        let float = try Reference.matmul(a.reference(Float.self), b.reference(Float.self))
        let absProduct = try Reference.matmul(ad.magnitudes, bd.magnitudes)
        let bound = ErrorBounds.float.dotProduct(
            absProduct: absProduct.values, exact: exact.values, k: a.shape.last ?? 0)
        return CaseMeasurement(
            outputs: [ComparedOutput("C", engine: engine, exact: exact, referenceFloat: float, bound: bound)],
            blasSeconds: blas, referenceSeconds: reference, flops: gemmFlops(try matmulPlan(a, b)))
    }

    /// einsum: ``ErrorBounds/einsum(_:_:exact:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func einsum(_ equation: String, _ operands: [Tensor<Float>]) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf { try Attend.einsum(equation, operands) }
        let doubles = operands.map { $0.reference(Double.self) }
        let (exact, reference) = try Stopwatch.measure { try Reference.einsum(equation, doubles) }
        let float = try Reference.einsum(equation, operands.map { $0.reference(Float.self) })
        let bound = try ErrorBounds.float.einsum(equation, doubles, exact: exact.values)
        return CaseMeasurement(
            outputs: [ComparedOutput("out", engine: engine, exact: exact, referenceFloat: float, bound: bound)],
            blasSeconds: blas, referenceSeconds: reference, flops: gemmFlops(try einsumPlan(equation, operands)))
    }

    /// linear: ``ErrorBounds/linear(absProduct:exact:inFeatures:hasBias:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func linear(_ x: Tensor<Float>, weight: Tensor<Float>, bias: Tensor<Float>?) throws -> CaseMeasurement
    {
        let (engine, blas) = try Stopwatch.bestOf { try Attend.linear(x, weight: weight, bias: bias) }
        let (xd, wd, bd) = (x.reference(Double.self), weight.reference(Double.self), bias?.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure { try Reference.linear(xd, weight: wd, bias: bd) }
        let float = try Reference.linear(
            x.reference(Float.self), weight: weight.reference(Float.self), bias: bias?.reference(Float.self))
        let absProduct = try Reference.linear(xd.magnitudes, weight: wd.magnitudes, bias: bd?.magnitudes)
        let bound = ErrorBounds.float.linear(
            absProduct: absProduct.values, exact: exact.values, inFeatures: weight.shape[1], hasBias: bias != nil)
        let rows = x.count / Swift.max(weight.shape[1], 1)
        return CaseMeasurement(
            outputs: [ComparedOutput("y", engine: engine, exact: exact, referenceFloat: float, bound: bound)],
            blasSeconds: blas, referenceSeconds: reference,
            flops: 2 * Double(rows) * Double(weight.shape[0]) * Double(weight.shape[1]))
    }

    // MARK: - Softmax and reductions

    /// softmax: ``ErrorBounds/softmax(probabilities:shifts:)``; log-softmax:
    /// ``ErrorBounds/logSoftmax(_:dim:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func softmax(_ x: Tensor<Float>, dim: Int, log: Bool) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf { log ? try x.logSoftmax(dim: dim) : try x.softmax(dim: dim) }
        let xd = x.reference(Double.self)
        let xf = x.reference(Float.self)
        let (exact, reference) = try Stopwatch.measure {
            log ? try Reference.logSoftmax(xd, dim: dim) : try Reference.softmax(xd, dim: dim)
        }
        let float = log ? try Reference.logSoftmax(xf, dim: dim) : try Reference.softmax(xf, dim: dim)
        let shifts = try Reference.subtract(xd, try Reference.max(xd, dims: [dim], keepDim: true)).values
        let bound =
            log
            ? ErrorBounds.float.logSoftmax(exact, dim: dim)
            : ErrorBounds.float.softmax(probabilities: exact.values, shifts: shifts)
        return CaseMeasurement(
            outputs: [
                ComparedOutput(log ? "logp" : "p", engine: engine, exact: exact, referenceFloat: float, bound: bound)
            ],
            blasSeconds: blas, referenceSeconds: reference, flops: nil)
    }

    /// Which reduction ``reduction(_:_:dimsList:)`` measures: `sum` (Σx), `mean` (Σx / N) or `std`
    /// (the unbiased standard deviation, √(Σ(x − m)² / (N − 1))).
    public enum Reduction: String { case sum, mean, std }

    /// One output per entry of `dimsList`. sum: ``ErrorBounds/doubleAccumulatedSum(sum:absSum:n:)``;
    /// mean: ``ErrorBounds/mean(_:absSum:n:)``; std (unbiased):
    /// ``ErrorBounds/standardDeviation(_:dims:unbiased:keepDim:exact:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func reduction(_ x: Tensor<Float>, _ kind: Reduction, dimsList: [[Int]]) throws -> CaseMeasurement {
        func engine(_ dims: [Int]) throws -> Tensor<Float> {
            switch kind {
            case .sum: try x.sum(dims: dims)
            case .mean: try x.mean(dims: dims)
            case .std: try x.standardDeviation(dims: dims)
            }
        }
        func reference<R: ReferenceScalar>(_ a: ReferenceArray<R>, _ dims: [Int]) throws -> ReferenceArray<R> {
            switch kind {
            case .sum: try Reference.sum(a, dims: dims)
            case .mean: try Reference.mean(a, dims: dims)
            case .std: try Reference.standardDeviation(a, dims: dims)
            }
        }
        let (engines, blas) = try Stopwatch.bestOf { try dimsList.map(engine) }
        let xd = x.reference(Double.self)
        let xf = x.reference(Float.self)
        let (exacts, time) = try Stopwatch.measure { try dimsList.map { try reference(xd, $0) } }
        var outputs: [ComparedOutput] = []
        for (index, dims) in dimsList.enumerated() {
            let exact = exacts[index]
            let n = dims.isEmpty ? x.count : dims.map { x.shape[$0 < 0 ? $0 + x.rank : $0] }.reduce(1, *)
            let absSum = try Reference.sum(xd.magnitudes, dims: dims).values
            let bound: [Double]
            switch kind {
            case .sum:
                bound = ErrorBounds.float.doubleAccumulatedSum(sum: exact.values, absSum: absSum, n: n)
            case .mean:
                bound = ErrorBounds.float.mean(exact.values, absSum: absSum, n: n)
            case .std:
                bound = try ErrorBounds.float.standardDeviation(
                    xd, dims: dims, unbiased: true, keepDim: false, exact: exact)
            }
            let name = dims.isEmpty ? "all dims" : "dim \(dims.map(String.init).joined(separator: ","))"
            outputs.append(
                ComparedOutput(
                    name, engine: engines[index], exact: exact, referenceFloat: try reference(xf, dims), bound: bound))
        }
        return CaseMeasurement(outputs: outputs, blasSeconds: blas, referenceSeconds: time, flops: nil)
    }

    // MARK: - Distances, convolution, patches

    /// Squared distances in the form the plan chose: ``ErrorBounds/squaredDistances(_:_:exact:plan:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func squaredDistances(_ a: Tensor<Float>, _ b: Tensor<Float>, method: DistanceMethod, centered: Bool)
        throws -> CaseMeasurement
    {
        let plan = try squaredDistancesPlan(a.layout, b.layout, method: method, centered: centered, scalar: Float.self)
        let (engine, blas) = try Stopwatch.bestOf {
            try Attend.squaredDistances(a, b, method: method, centered: centered)
        }
        let (ad, bd) = (a.reference(Double.self), b.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure { try Reference.squaredDistances(ad, bd) }
        let float = try Reference.squaredDistances(a.reference(Float.self), b.reference(Float.self))
        let bound = try ErrorBounds.float.squaredDistances(ad, bd, exact: exact.values, plan: plan)
        return CaseMeasurement(
            outputs: [ComparedOutput("d²", engine: engine, exact: exact, referenceFloat: float, bound: bound)],
            blasSeconds: blas, referenceSeconds: reference, flops: gemmFlops(plan))
    }

    /// conv1d (seed form): ``ErrorBounds/dotProduct(absProduct:exact:k:)``, K = the kernel's length.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func correlate(signal: Tensor<Float>, kernel: Tensor<Float>, stride: Int) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf {
            try Attend.correlate(signal: signal, kernel: kernel, stride: stride)
        }
        let (sd, kd) = (signal.reference(Double.self), kernel.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure {
            try Reference.correlate(signal: sd, kernel: kd, stride: stride)
        }
        let float = try Reference.correlate(
            signal: signal.reference(Float.self), kernel: kernel.reference(Float.self), stride: stride)
        let absProduct = try Reference.correlate(signal: sd.magnitudes, kernel: kd.magnitudes, stride: stride)
        let bound = ErrorBounds.float.dotProduct(absProduct: absProduct.values, exact: exact.values, k: kernel.count)
        let plan = try correlatePlan(signal: signal.layout, kernel: kernel.layout, stride: stride, scalar: Float.self)
        return CaseMeasurement(
            outputs: [ComparedOutput("out", engine: engine, exact: exact, referenceFloat: float, bound: bound)],
            blasSeconds: blas, referenceSeconds: reference, flops: gemmFlops(plan))
    }

    /// conv2d: ``ErrorBounds/dotProduct(absProduct:exact:k:)``, K = C·kh·kw (+ 1 with bias).
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func conv2d(
        _ x: Tensor<Float>, weight: Tensor<Float>, bias: Tensor<Float>?, stride: (Int, Int), padding: (Int, Int)
    ) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf {
            try Attend.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
        }
        let (xd, wd) = (x.reference(Double.self), weight.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure {
            try Reference.conv2d(xd, weight: wd, bias: bias?.reference(Double.self), stride: stride, padding: padding)
        }
        let float = try Reference.conv2d(
            x.reference(Float.self), weight: weight.reference(Float.self), bias: bias?.reference(Float.self),
            stride: stride, padding: padding)
        let absProduct = try Reference.conv2d(
            xd.magnitudes, weight: wd.magnitudes, bias: nil, stride: stride, padding: padding)
        let k = weight.shape.dropFirst().reduce(1, *) + (bias == nil ? 0 : 1)
        let bound = ErrorBounds.float.dotProduct(absProduct: absProduct.values, exact: exact.values, k: k)
        let plan = try conv2dPlan(
            input: x.layout, weight: weight.layout, hasBias: bias != nil, stride: stride, padding: padding,
            scalar: Float.self)
        return CaseMeasurement(
            outputs: [ComparedOutput("out", engine: engine, exact: exact, referenceFloat: float, bound: bound)],
            blasSeconds: blas, referenceSeconds: reference, flops: gemmFlops(plan))
    }

    /// patchify moves values without arithmetic: the results must be identical (bound: the
    /// smallest normal number).
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func patchify(_ image: Tensor<Float>, patch: Int) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf { try Attend.patchify(image, patch: patch) }
        let imageD = image.reference(Double.self)
        let (exact, reference) = try Stopwatch.measure { try Reference.patchify(imageD, patch: patch) }
        let float = try Reference.patchify(image.reference(Float.self), patch: patch)
        let bound = Array(repeating: Double(Float.leastNormalMagnitude), count: exact.count)
        return CaseMeasurement(
            outputs: [ComparedOutput("patches", engine: engine, exact: exact, referenceFloat: float, bound: bound)],
            blasSeconds: blas, referenceSeconds: reference, flops: nil)
    }

    // MARK: - Normalization and attention

    /// LayerNorm over the last dimension: computed in Double and rounded once — see
    /// ``ErrorBounds/layerNormRounding(output:normalized:weight:meanMagnitude:sigma:n:evaluationRoundoff:)``, through
    /// ``Propagation/layerNorm(_:width:weight:bias:eps:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func layerNorm(_ x: Tensor<Float>, weight: Tensor<Float>?, bias: Tensor<Float>?, eps: Double) throws
        -> CaseMeasurement
    {
        let width = x.shape.last ?? 0
        let layer = try LayerNorm(normalizedShape: [width], eps: eps, weight: weight, bias: bias)
        let (engine, blas) = try Stopwatch.bestOf { try layer(x) }
        let (xd, wd, bd) = (x.reference(Double.self), weight?.reference(Double.self), bias?.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure {
            try Reference.layerNorm(xd, normalizedDims: 1, weight: wd, bias: bd, eps: eps)
        }
        let float = try Reference.layerNorm(
            x.reference(Float.self), normalizedDims: 1, weight: weight?.reference(Float.self),
            bias: bias?.reference(Float.self),
            eps: Float(eps))
        let model = Propagation.worstCase.layerNorm(
            Tracked(exact: xd), width: width, weight: wd?.values, bias: bd?.values, eps: eps)
        return CaseMeasurement(
            outputs: [ComparedOutput("y", engine: engine, exact: exact, referenceFloat: float, bound: model.error)],
            blasSeconds: blas, referenceSeconds: reference, flops: nil,
            modelDeviation: modelDeviation([(model.value, exact.values)]))
    }

    /// Scaled dot-product attention, output and weights, bounded by
    /// ``Propagation/attention(q:k:v:groups:lq:lk:dk:dv:scale:mask:fused:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func sdpa(
        _ q: Tensor<Float>, _ k: Tensor<Float>, _ v: Tensor<Float>, mask: AttentionMask<Float>, scale: Float? = nil
    ) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf {
            try Attend.scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: mask, scale: scale, returnWeights: true)
        }
        let dk = q.shape.last ?? 1
        // The reference gets the engine's (Float) scale, so both compute the same function.
        let s = Double(scale ?? Float(1 / Double(dk).squareRoot()))
        let (qd, kd, vd) = (q.reference(Double.self), k.reference(Double.self), v.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure {
            try Reference.scaledDotProductAttention(
                queries: qd, keys: kd, values: vd, mask: mask.reference(Double.self), scale: s)
        }
        let float = try Reference.scaledDotProductAttention(
            queries: q.reference(Float.self), keys: k.reference(Float.self), values: v.reference(Float.self),
            mask: mask.reference(Float.self), scale: Float(s))
        let model = try Propagation.worstCase.attention(queries: qd, keys: kd, values: vd, scale: s, mask: mask)
        let plan = try scaledDotProductAttentionPlan(queries: q.layout, keys: k.layout, values: v.layout, mask: mask)
        return outputAndWeights(
            engine: (engine.output, engine.weights!), exact: (exact.output, exact.weights),
            float: (float.output, float.weights), model: model, blas: blas, reference: reference,
            flops: gemmFlops(plan))
    }

    /// An attention case's two results, the output and the weights, each against the exact
    /// value, the reference in Float and its bound from the model (whose values give the
    /// model's deviation).
    private static func outputAndWeights(
        engine: (output: Tensor<Float>, weights: Tensor<Float>),
        exact: (output: ReferenceArray<Double>, weights: ReferenceArray<Double>),
        float: (output: ReferenceArray<Float>, weights: ReferenceArray<Float>),
        model: (output: Tracked, weights: Tracked),
        blas: Double, reference: Double, flops: Double?
    ) -> CaseMeasurement {
        CaseMeasurement(
            outputs: [
                ComparedOutput(
                    "output", engine: engine.output, exact: exact.output, referenceFloat: float.output,
                    bound: model.output.error),
                ComparedOutput(
                    "weights", engine: engine.weights, exact: exact.weights, referenceFloat: float.weights,
                    bound: model.weights.error),
            ],
            blasSeconds: blas, referenceSeconds: reference, flops: flops,
            modelDeviation: modelDeviation([
                (model.output.value, exact.output.values), (model.weights.value, exact.weights.values),
            ]))
    }

    /// nn.MultiheadAttention: output and head-averaged weights.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func mha(
        _ layer: MultiHeadAttention<Float>, query: Tensor<Float>, key: Tensor<Float>, value: Tensor<Float>,
        mask: AttentionMask<Float>
    ) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf {
            try layer(query: query, key: key, value: value, mask: mask, weights: .averaged)
        }
        let weights = layer.referenceWeights(Double.self)
        let (qd, kd, vd) = (query.reference(Double.self), key.reference(Double.self), value.reference(Double.self))
        let (exact, reference) = try Stopwatch.measure {
            try Reference.multiHeadAttention(
                query: qd, key: kd, value: vd, weights: weights, mask: mask.reference(Double.self), averageWeights: true
            )
        }
        let float = try Reference.multiHeadAttention(
            query: query.reference(Float.self), key: key.reference(Float.self), value: value.reference(Float.self),
            weights: layer.referenceWeights(Float.self), mask: mask.reference(Float.self), averageWeights: true)
        let (b, lq, lk, h) = (query.shape[0], query.shape[1], key.shape[1], layer.numHeads)
        let model = Propagation.probabilistic.multiHeadAttention(
            query: Tracked(exact: qd), key: Tracked(exact: kd), value: Tracked(exact: vd), weights: weights,
            mask: try ScoresMask(mask, scoresShape: [b, h, lq, lk]))
        return outputAndWeights(
            engine: (engine.output, engine.weights!), exact: (exact.output, exact.weights),
            float: (float.output, float.weights), model: (model.output, model.averagedWeights), blas: blas,
            reference: reference, flops: mhaFlops(layer, batch: b, lq: lq, lk: lk))
    }

    /// The GEMM flops of a multi-head attention call: three projections, two attention
    /// products per head, the output projection.
    public static func mhaFlops(_ layer: MultiHeadAttention<Float>, batch: Int, lq: Int, lk: Int) -> Double {
        let (b, q, k) = (Double(batch), Double(lq), Double(lk))
        let (h, dk, dv, e) = (
            Double(layer.numHeads), Double(layer.headDimK), Double(layer.headDimV), Double(layer.embedDim)
        )
        let projections =
            2 * b * (q * e * h * dk + k * Double(layer.keyDim) * h * dk + k * Double(layer.valueDim) * h * dv)
        let attention = 2 * b * h * q * k * (dk + dv)
        return projections + attention + 2 * b * q * h * dv * e
    }

    /// nn.TransformerEncoderLayer, bounded through every step by
    /// ``Propagation/encoderLayer(_:weights:activation:normFirst:eps:mask:)``.
    /// - Throws: the engine's `TensorError` or the reference's `ReferenceError` (shapes, rule) on unfit input.
    public static func encoderLayer(
        _ layer: TransformerEncoderLayer<Float>, x: Tensor<Float>, mask: AttentionMask<Float>
    ) throws -> CaseMeasurement {
        let (engine, blas) = try Stopwatch.bestOf { try layer(x, mask: mask) }
        let activation = layer.feedForward.activation.reference
        let (normFirst, eps) = (layer.normFirst, layer.norm1.eps)
        let weights = layer.referenceWeights(Double.self)
        let xd = x.reference(Double.self)
        let (exact, reference) = try Stopwatch.measure {
            try Reference.transformerEncoderLayer(
                xd, weights: weights, activation: activation, normFirst: normFirst, eps: eps,
                mask: mask.reference(Double.self))
        }
        let float = try Reference.transformerEncoderLayer(
            x.reference(Float.self), weights: layer.referenceWeights(Float.self), activation: activation,
            normFirst: normFirst, eps: Float(eps), mask: mask.reference(Float.self))
        let (b, l) = (x.shape[0], x.shape[1])
        let model = Propagation.probabilistic.encoderLayer(
            Tracked(exact: xd), weights: weights, activation: activation, normFirst: normFirst, eps: eps,
            mask: try ScoresMask(mask, scoresShape: [b, layer.selfAttention.numHeads, l, l]))
        let (e, f) = (Double(layer.selfAttention.embedDim), Double(layer.feedForward.linear1.outFeatures))
        let flops = mhaFlops(layer.selfAttention, batch: b, lq: l, lk: l) + 4 * Double(b * l) * e * f
        return CaseMeasurement(
            outputs: [ComparedOutput("y", engine: engine, exact: exact, referenceFloat: float, bound: model.error)],
            blasSeconds: blas, referenceSeconds: reference, flops: flops,
            modelDeviation: modelDeviation([(model.value, exact.values)]))
    }
}
