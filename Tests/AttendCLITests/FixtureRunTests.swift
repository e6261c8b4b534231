import Attend
import AttendReference
import Foundation
import Testing

/// `attend run` on the NumPy fixtures of Tests/Fixtures/numeric (scripts/make_fixtures.py, an
/// independent NumPy implementation): the tool must reproduce the fixture outputs.
///
/// Tolerances. The fixtures are float32 inputs and float64 outputs computed by NumPy.
/// - `--backend reference` computes in Double from the same inputs: the two differ only in
///   summation order, ~K·2⁻⁵³ relative with K ≤ 32 here, so 1e-12·(1 + ‖out‖∞) is ample.
/// - `--backend blas` computes in Float: the project's chain tolerance 64·K·u·(1 + ‖out‖∞), with
///   K the longest reduction of the case (the feed-forward width 32 for the encoder layers,
///   E or Lk for attention, the contracted size for einsum). Observed errors are ~1e-7.
@Suite("attend run reproduces the NumPy fixtures")
struct FixtureRunTests {
    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/numeric", isDirectory: true)

    /// One manifest entry: its op, parameters, and input / output files by name.
    struct FixtureCase {
        var op: String
        var params: [String: Any]
        var inputs: [String: String]
        var outputs: [String: String]

        func input(_ name: String) -> String { FixtureRunTests.directory.appendingPathComponent(inputs[name]!).path }
        func output(_ name: String) throws -> ArrayData {
            try NPY.read(contentsOf: FixtureRunTests.directory.appendingPathComponent(outputs[name]!))
        }
        /// The case's directory (weights.safetensors lives there).
        func file(_ name: String) -> String {
            FixtureRunTests.directory.appendingPathComponent(inputs.values.first!).deletingLastPathComponent()
                .appendingPathComponent(name).path
        }
    }

    static func fixture(_ name: String) throws -> FixtureCase {
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
            as? [String: Any]
        let cases = try #require(manifest?["cases"] as? [[String: Any]])
        let entry = try #require(cases.first { $0["name"] as? String == name }, "no fixture \(name)")
        func files(_ key: String) -> [String: String] {
            ((entry[key] as? [[String: Any]]) ?? []).reduce(into: [:]) {
                $0[$1["name"] as! String] = $1["file"] as? String
            }
        }
        return FixtureCase(
            op: entry["op"] as! String, params: entry["params"] as? [String: Any] ?? [:], inputs: files("inputs"),
            outputs: files("outputs"))
    }

    /// Runs `attend` with the arguments plus `--backend` and the output options, and checks each
    /// written file against the fixture output of the same name.
    private func check(
        _ fixture: FixtureCase, _ arguments: [String], outputs: [(option: String, fixtureName: String)],
        longestReduction k: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for backend in ["blas", "reference"] {
            let dir = try Scratch()
            var full = arguments + ["--backend", backend]
            for (option, name) in outputs { full += [option, dir.path("\(name).npy")] }
            let outcome = try AttendTool.run(full)
            #expect(outcome.status == 0, "\(outcome)", sourceLocation: sourceLocation)
            guard outcome.status == 0 else { continue }
            for (_, name) in outputs {
                let expectedData = try fixture.output(name)
                let expected = try referenceArray(from: expectedData)
                let scale = maxMagnitude(expected)
                let tolerance =
                    backend == "blas" ? chainTolerance(longestReduction: k, scale: scale) : 1e-12 * (1 + scale)
                try expectArray(
                    dir.read("\(name).npy"), equals: expected, dtype: backend == "blas" ? .float32 : .float64,
                    tolerance: tolerance, "\(backend) \(name)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("einsum_attention_scores: bhld,bhmd->bhlm")
    func einsum() throws {
        let f = try Self.fixture("einsum_attention_scores")
        let equation = try #require(f.params["equation"] as? String)
        try check(
            f, ["run", "einsum", "--equation", equation, "--input", f.input("a0"), "--input", f.input("a1")],
            outputs: [("--output", "out")], longestReduction: 8)
    }

    @Test(
        "sdpa_bool_mask and sdpa_key_padding: output and weights",
        arguments: ["sdpa_bool_mask", "sdpa_key_padding", "sdpa_causal_lq_gt_lk"])
    func sdpa(name: String) throws {
        let f = try Self.fixture(name)
        var arguments = [
            "run", "sdpa", "--query", f.input("query"), "--key", f.input("key"), "--value", f.input("value"),
        ]
        if f.inputs["mask"] != nil { arguments += ["--mask", f.input("mask")] }
        if f.inputs["key_padding_mask"] != nil { arguments += ["--key-padding-mask", f.input("key_padding_mask")] }
        if f.params["causal"] as? Bool == true { arguments.append("--causal") }
        try check(
            f, arguments, outputs: [("--output", "out"), ("--attention-weights", "weights")], longestReduction: 16)
    }

    @Test(
        "mha_attn_mask, mha_key_padding, mha_cross_kdim_vdim: weights.safetensors with PyTorch's names",
        arguments: ["mha_attn_mask", "mha_key_padding", "mha_cross_kdim_vdim"])
    func mha(name: String) throws {
        let f = try Self.fixture(name)
        let heads = try #require(f.params["num_heads"] as? Int)
        var arguments = [
            "run", "mha", "--query", f.input("query"), "--key", f.input("key"), "--value", f.input("value"),
            "--weights", f.file("weights.safetensors"), "--num-heads", "\(heads)",
        ]
        // The fixtures' bool attn_mask already uses Attend's convention (True = may attend).
        if f.inputs["attn_mask"] != nil { arguments += ["--mask", f.input("attn_mask")] }
        if f.inputs["key_padding_mask"] != nil { arguments += ["--key-padding-mask", f.input("key_padding_mask")] }
        if f.params["causal"] as? Bool == true { arguments.append("--causal") }
        try check(
            f, arguments, outputs: [("--output", "out"), ("--attention-weights", "weights")], longestReduction: 16)
    }

    @Test(
        "encoder_post_norm_relu and encoder_pre_norm_gelu",
        arguments: ["encoder_post_norm_relu", "encoder_pre_norm_gelu"])
    func encoderLayer(name: String) throws {
        let f = try Self.fixture(name)
        let heads = try #require(f.params["num_heads"] as? Int)
        var arguments = [
            "run", "encoder-layer", "--input", f.input("x"), "--weights", f.file("weights.safetensors"),
            "--num-heads", "\(heads)", "--activation", try #require(f.params["activation"] as? String),
        ]
        if f.params["norm_first"] as? Bool == true { arguments.append("--norm-first") }
        if let eps = f.params["eps"] as? Double { arguments += ["--eps", "\(eps)"] }
        try check(f, arguments, outputs: [("--output", "out")], longestReduction: 32)
    }
}

/// A fixture array in Double.
func referenceArray(from data: ArrayData) throws -> ReferenceArray<Double> {
    ReferenceArray(shape: data.shape, values: try data.doubles(name: "fixture"))
}
