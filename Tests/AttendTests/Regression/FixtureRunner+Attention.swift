import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

// The attention ops of the fixtures (sdpa, mha, encoder_layer): masks in both conventions,
// parameters from the per-name .npy inputs for the reference and from weights.safetensors for
// the engine, and the check that fully masked rows are exactly zero.

extension FixtureRunner {
    /// The case's masks in both conventions: a bool "mask" is may-attend (true = may attend), a
    /// float "mask" additive, "attn_mask" (mha) may-attend, "key_padding_mask" true = ignore;
    /// `causal` adds the top-left causal mask.
    static func masks(_ f: FixtureCase, causal: Bool) throws -> (
        engine: AttentionMask<Float>, reference: ReferenceMask<Double>
    ) {
        var engine: [AttentionMask<Float>] = []
        var reference: [ReferenceMask<Double>] = []
        func allow(_ name: String) throws {
            let m = try f.boolTensor(name)
            engine.append(.mayAttend(m))
            reference.append(.mayAttend(m.reference(Double.self)))
        }
        if f.op == "sdpa" {
            switch try f.string("mask_kind") {
            case "none": break
            case "bool": try allow("mask")
            case "float":
                engine.append(.additive(try f.tensor("mask")))
                reference.append(.additive(try f.reference("mask")))
            case let kind: throw FixtureError(f, "has mask_kind '\(kind)'")
            }
        }
        if f.hasInput("attn_mask") { try allow("attn_mask") }
        if f.hasInput("key_padding_mask") {
            let m = try f.boolTensor("key_padding_mask")
            engine.append(.keyPadding(m))
            reference.append(.keyPadding(m.reference(Double.self)))
        }
        if causal {
            engine.append(.causal)
            reference.append(.causal)
        }
        switch engine.count {
        case 0: return (.none, .none)
        case 1: return (engine[0], reference[0])
        default: return (.all(engine), .all(reference))
        }
    }

    static func attention(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (q, k, v) = (try f.tensor("query"), try f.tensor("key"), try f.tensor("value"))
        let (rq, rk, rv) = (try f.reference("query"), try f.reference("key"), try f.reference("value"))
        let mask = try masks(f, causal: f.bool("causal"))
        let scaleParameter = try f.param("scale")
        let scale: Double? = scaleParameter.isNull ? nil : try scaleParameter.double("scale", of: f)
        let engine = Result {
            try scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: mask.engine, scale: scale.map(Float.init), returnWeights: true)
        }
        let exactScale = scale ?? 1 / Double(rq.shape.last!).squareRoot()
        let reference = Result {
            try Reference.scaledDotProductAttention(
                queries: rq, keys: rk, values: rv, mask: mask.reference, scale: exactScale)
        }
        let stage: AttentionStage = { bound, fused in
            try bound.attention(
                queries: BoundedArray(exact: rq), keys: BoundedArray(exact: rk), values: BoundedArray(exact: rv),
                mask: mask.reference, scale: exactScale, fused: fused)
        }
        return try attentionOutputs(f, engine: engine, reference: reference, stage: stage) {
            try scaledDotProductAttention(
                queries: q, keys: k, values: v, mask: mask.engine, scale: scale.map(Float.init), algorithm: .fused
            ).output
        }
    }

    static func weights(_ result: AttentionResult<Float>) -> Result<Tensor<Float>, any Error> {
        result.weights.map { .success($0) } ?? .failure(MissingWeights())
    }

    struct MissingWeights: Error, CustomStringConvertible {
        var description: String { "no attention weights returned although they were requested" }
    }

    /// The case's per-name .npy inputs as a reference state_dict (the engine loads the same
    /// parameters from weights.safetensors).
    static func referenceStateDict(_ f: FixtureCase, dataInputs: Set<String>) throws -> [String: ReferenceArray<Double>]
    {
        try Dictionary(
            uniqueKeysWithValues: f.inputs.filter { !dataInputs.contains($0.name) }.map {
                ($0.name, try f.reference($0.name))
            })
    }

    /// weights.safetensors, read by Attend's reader, holds exactly the case's parameter inputs,
    /// bit for bit.
    static func stateDict(_ f: FixtureCase, dataInputs: Set<String>) throws -> [String: Tensor<Float>] {
        let dict = try f.safetensorsWeights()
        let parameters = Set(f.inputs.map(\.name)).subtracting(dataInputs)
        #expect(
            Set(dict.keys) == parameters,
            "\(f.name): weights.safetensors holds \(dict.keys.sorted()), the .npy parameters are \(parameters.sorted())"
        )
        for name in parameters.intersection(dict.keys).sorted() {
            let fromNPY = try f.tensor(name)
            let fromSafetensors = dict[name]!
            #expect(
                fromSafetensors.shape == fromNPY.shape
                    && fromSafetensors.scalars.map(\.bitPattern) == fromNPY.scalars.map(\.bitPattern),
                "\(f.name): '\(name)' differs between weights.safetensors \(fromSafetensors.shape) and \(name).npy \(fromNPY.shape)"
            )
        }
        return dict
    }

    static func multiHeadAttention(_ f: FixtureCase) throws -> [FixtureOutput] {
        let heads = try f.int("num_heads")
        guard try f.bool("batch_first") else { throw FixtureError(f, "is not batch_first") }
        let layer = try MultiHeadAttention<Float>(
            stateDict: stateDict(f, dataInputs: ["query", "key", "value", "attn_mask", "key_padding_mask"]),
            numHeads: heads)
        // Self-attention passes one tensor three times, so the engine takes its fused-QKV path.
        let query = try f.tensor("query")
        let key = try f.inputArray("key") == f.inputArray("query") ? query : try f.tensor("key")
        let value = try f.inputArray("value") == f.inputArray("query") ? query : try f.tensor("value")
        let (rq, rk, rv) = (try f.reference("query"), try f.reference("key"), try f.reference("value"))
        let weights = try ReferenceMultiHeadAttentionWeights(
            stateDict: referenceStateDict(f, dataInputs: ["query", "key", "value", "attn_mask", "key_padding_mask"]),
            numHeads: heads)
        let mask = try masks(f, causal: f.bool("causal"))
        let engine = Result { try layer(query: query, key: key, value: value, mask: mask.engine, weights: .averaged) }
        let reference = Result {
            try Reference.multiHeadAttention(
                query: rq, key: rk, value: rv, weights: weights, mask: mask.reference, averageWeights: true)
        }
        let stage: AttentionStage = { bound, fused in
            try bound.multiHeadAttention(
                query: BoundedArray(exact: rq), key: BoundedArray(exact: rk), value: BoundedArray(exact: rv),
                weights: weights, mask: mask.reference, fused: fused)
        }
        // Without weights the layer takes the fused attention kernel.
        return try attentionOutputs(f, engine: engine, reference: reference, stage: stage) {
            try layer(query: query, key: key, value: value, mask: mask.engine).output
        }
    }

    /// An attention case's bound stage: the case's inputs through ``ForwardErrorBound`` in one
    /// arithmetic, materialized or (`fused`) the fused kernels'.
    typealias AttentionStage = (ForwardErrorBound, _ fused: Bool) throws -> (
        output: BoundedArray, weights: BoundedArray
    )

    /// The outputs every attention case checks: the materialized output and weights through
    /// both paths (bounded by `stage` in both arithmetics), and the fused kernel's output (default
    /// when weights are not asked for), whose Float bound is `stage` with `fused: true` and whose
    /// fixture side is the materialized float64 evaluation's.
    static func attentionOutputs(
        _ f: FixtureCase, engine: Result<AttentionResult<Float>, any Error>,
        reference: Result<(output: ReferenceArray<Double>, weights: ReferenceArray<Double>), any Error>,
        stage: AttentionStage, fused: () throws -> Tensor<Float>
    ) throws -> [FixtureOutput] {
        let bounds = try EvaluationBounds.each { bound in
            let result = try stage(bound, false)
            return [result.output.error.values, result.weights.error.values]
        }
        let fusedBound = try stage(ForwardErrorBound(Float.self), true).output.error.values
        return [
            FixtureOutput(
                name: "out", expected: try f.expected("out"), engine: engine.map(\.output),
                reference: reference.map(\.output),
                bounds: bounds[0]),
            FixtureOutput(
                name: "weights", expected: try f.expected("weights"), engine: engine.flatMap(Self.weights),
                reference: reference.map(\.weights), bounds: bounds[1]),
            FixtureOutput(
                name: "out (fused)", expected: try f.expected("out"), engine: Result { try fused() }, reference: nil,
                bounds: EvaluationBounds(float: fusedBound, double: bounds[0].double)),
        ]
    }

    static func encoderLayer(_ f: FixtureCase) throws -> [FixtureOutput] {
        let (heads, eps, normFirst) = (try f.int("num_heads"), try f.double("eps"), try f.bool("norm_first"))
        let name = try f.string("activation")
        guard let activation = Activation(rawValue: name), let referenceActivation = ReferenceActivation(rawValue: name)
        else {
            throw FixtureError(f, "has activation '\(name)'")
        }
        let layer = try TransformerEncoderLayer<Float>(
            stateDict: stateDict(f, dataInputs: ["x"]), numHeads: heads, activation: activation, normFirst: normFirst,
            eps: eps)
        let (x, rx) = (try f.tensor("x"), try f.reference("x"))
        let weights = try ReferenceTransformerEncoderLayerWeights(
            stateDict: referenceStateDict(f, dataInputs: ["x"]), numHeads: heads)
        return try single(
            f, engine: { try layer(x) },
            reference: {
                try Reference.transformerEncoderLayer(
                    rx, weights: weights, activation: referenceActivation, normFirst: normFirst, eps: eps)
            },
            bound: { bound, _ in
                try bound.encoderLayer(
                    BoundedArray(exact: rx), weights: weights, activation: referenceActivation, normFirst: normFirst,
                    eps: eps
                )
                .error.values
            })
    }

    /// Attention rows whose every key is masked (all-zero weights in the fixture) must come out
    /// exactly 0 in both paths — weights, and for sdpa the output row too (mha adds the output
    /// projection's bias after it).
    static func checkMaskedRows(of f: FixtureCase, _ outputs: [FixtureOutput]) {
        guard f.op == "sdpa" || f.op == "mha", let weights = outputs.first(where: { $0.name == "weights" }),
            let out = outputs.first(where: { $0.name == "out" })
        else { return }
        let lk = weights.expected.shape.last!
        let dv = out.expected.shape.last!
        let rows = (0..<(weights.expected.count / Swift.max(lk, 1))).filter { row in
            (0..<lk).allSatisfy { weights.expected.values[row * lk + $0] == 0 }
        }
        guard !rows.isEmpty else { return }
        func expectZero(_ values: [Double], width: Int, _ what: String) {
            for row in rows where values.count == (weights.expected.count / lk) * width {
                let line = Array(values[(row * width)..<((row + 1) * width)])
                #expect(
                    line.allSatisfy { $0 == 0 },
                    "\(f.name) (op \(f.op)): fully masked row \(row) of \(what) is \(line), not exactly 0")
            }
        }
        if case .success(let w) = weights.engine {
            expectZero(w.scalars.map(Double.init), width: lk, "the engine's weights")
        }
        if case .success(let w)? = weights.reference { expectZero(w.values, width: lk, "the reference's weights") }
        guard f.op == "sdpa" else { return }
        if case .success(let o) = out.engine {
            expectZero(o.scalars.map(Double.init), width: dv, "the engine's output")
        }
        if case .success(let o)? = out.reference { expectZero(o.values, width: dv, "the reference's output") }
    }
}
