import Attend
import AttendModels
import AttendVerification
import Foundation
import Testing

// swift-format-ignore: AlwaysUseLowerCamelCase
// The stored properties are the fixture's JSON keys, written by the Python script.
/// The tiny random-weight GGUF decoders of `scripts/make_decoder_fixtures.py` and their float64
/// NumPy logits (`Tests/Fixtures/decoders/NAME.{gguf,json}`).
struct DecoderFixture: Decodable, CustomTestStringConvertible {
    var file: String
    var architecture: String
    var description: String
    var prompt_ids: [Int]
    var logits: [[Double]]
    var greedy_ids: [Int]
    var min_top2_margin: Double

    var testDescription: String { file }

    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/decoders")

    static let names = [
        "llama_mixed_types", "llama_untied_linear_rope", "llama3_rope_freqs", "qwen2_bias", "llama_kquants",
    ]

    static func load(_ name: String) throws -> DecoderFixture {
        try JSONDecoder().decode(
            DecoderFixture.self, from: Data(contentsOf: directory.appendingPathComponent(name + ".json")))
    }

    func model() throws -> GGUFFile { try GGUFFile(contentsOf: Self.directory.appendingPathComponent(file)) }
}

/// Every architecture variant a GGUF file can describe — tied and untied heads, linear and
/// per-pair (Llama 3) rotary scaling, Qwen2's Q/K/V biases and half-split rotary pairs, and every
/// block type — against logits the float64 NumPy reference computed from the same stored weights.
///
/// The logit bound: both sides multiply exactly the same dequantized weights, so the difference
/// is float32 rounding. Each of the (layers + 1) stages is a product of inner length K ≤ 512 whose
/// rounding error is at most γ_K = K·u/(1 − K·u) relative to Σ|aᵢbᵢ|; the float64 reference's is
/// negligible. With the fixtures' scale (|logit| ≤ 11, Σ|aᵢbᵢ| a few times |logit| after the norms),
/// the bound below allows 4·(layers + 1)·γ_K·max|logit| — the deterministic worst case, far above
/// what rounding does on average (the test prints the measured worst and its ratio to the bound).
@Suite("Decoder architectures against the float64 reference")
struct DecoderArchitectureFixtureTests {
    static func bound(_ fixture: DecoderFixture, configuration c: LlamaConfiguration) -> Float {
        let k = Swift.max(c.modelDimension, c.feedForwardDimension)
        let largest = fixture.logits.joined().map(Swift.abs).max() ?? 0
        return Float(4 * Double(c.layerCount + 1) * ErrorBounds(Float.self).gamma(k) * largest)
    }

    @Test(
        "logits of every prompt position match the reference, with weights in blocks (every kernel path) and dequantized",
        arguments: DecoderFixture.names)
    func logitsMatchReference(name: String) throws {
        let fixture = try DecoderFixture.load(name)
        let file = try fixture.model()
        let runs = KernelPath.supported.map { (WeightFormat.quantized, $0) } + [(.dequantized, KernelPath.active)]
        for (format, path) in runs {
            let decoder = try LlamaDecoder(gguf: file, weights: format)
            #expect(decoder.configuration.architecture.rawValue == fixture.architecture)
            let bound = Self.bound(fixture, configuration: decoder.configuration)
            var cache = decoder.makeCache(capacity: fixture.prompt_ids.count)
            let logits = try KernelPath.withKernels(path) {
                try decoder.forward(fixture.prompt_ids, cache: &cache, allPositions: true)
            }
            let vocabulary = decoder.configuration.vocabularySize
            #expect(logits.shape == [fixture.prompt_ids.count, vocabulary])
            var worst: Float = 0
            for (position, expected) in fixture.logits.enumerated() {
                for (id, value) in expected.enumerated() {
                    let error = Swift.abs(logits.scalars[position * vocabulary + id] - Float(value))
                    worst = Swift.max(worst, error)
                }
            }
            #expect(
                worst <= bound, "\(name) (\(format), \(path)): worst |attend − reference| \(worst) > bound \(bound)")
            print("\(name) (\(format), \(path)): worst logit error \(worst), bound \(bound) (\(worst / bound) of it)")
        }
    }

    @Test(
        "greedy decoding through the KV cache (one-row matrix-vector kernels) gives the reference's ids on every kernel path",
        arguments: DecoderFixture.names)
    func greedyMatchesReference(name: String) throws {
        let fixture = try DecoderFixture.load(name)
        let generator = try TextGenerator(gguf: fixture.model())
        for path in KernelPath.supported {
            let result = try KernelPath.withKernels(path) {
                try generator.generate(
                    promptIDs: fixture.prompt_ids, maxTokens: fixture.greedy_ids.count, sampler: Sampler())
            }
            #expect(result.generatedIDs == fixture.greedy_ids, "\(path); top-2 margin ≥ \(fixture.min_top2_margin)")
        }
    }

    @Test("the configuration is read from each architecture's own keys")
    func configurationFromMetadata() throws {
        let qwen = try LlamaConfiguration(gguf: DecoderFixture.load("qwen2_bias").model())
        #expect(qwen.architecture == .qwen2)
        #expect(qwen.ropeBase == 1e6)
        #expect(qwen.architecture.rotaryPairing == .halfSplit)
        let linear = try LlamaConfiguration(gguf: DecoderFixture.load("llama_untied_linear_rope").model())
        #expect(linear.ropeScaling == .linear(factor: 4))
        let llama3 = try LlamaConfiguration(gguf: DecoderFixture.load("llama3_rope_freqs").model())
        // The divisors llama.cpp's converter computes for factor 8, low 1, high 4, original context 64.
        let expected: [Double] = [1, 1.2939758, 7.667385, 8, 8, 8, 8, 8]
        guard case .frequencyDivisors(let divisors) = llama3.ropeScaling else {
            Issue.record("llama3_rope_freqs: scaling \(llama3.ropeScaling), expected frequency divisors")
            return
        }
        #expect(zip(divisors, expected).allSatisfy { Swift.abs($0 - $1) < 1e-6 } && divisors.count == expected.count)
    }

    struct ScalingCase: Decodable {
        var file: String
        var linearFactor: Double
        enum CodingKeys: String, CodingKey {
            case file
            case linearFactor = "linear_factor"
        }
    }

    @Test(
        "rotary scaling keys are read as llama.cpp reads them: type linear by default, the older rope.scale_linear, factor 0 or type none as no scaling"
    )
    func ropeScalingKeys() throws {
        let directory = DecoderFixture.directory.appendingPathComponent("scaling")
        let cases = try JSONDecoder().decode(
            [String: ScalingCase].self, from: Data(contentsOf: directory.appendingPathComponent("cases.json")))
        #expect(cases.count == 4)
        for (name, variant) in cases.sorted(by: { $0.key < $1.key }) {
            let c = try LlamaConfiguration(gguf: GGUFFile(contentsOf: directory.appendingPathComponent(variant.file)))
            let expected: RotaryEmbedding.Scaling =
                variant.linearFactor == 1 ? .none : .linear(factor: variant.linearFactor)
            #expect(c.ropeScaling == expected, "\(name)")
        }
    }

    struct InvalidCase: Decodable {
        var file: String
        var errorMentions: [String]
        enum CodingKeys: String, CodingKey {
            case file
            case errorMentions = "error_mentions"
        }
    }

    @Test("a file this decoder cannot run is refused with an error naming the key, the value and what is supported")
    func unsupportedFilesAreRefused() throws {
        let directory = DecoderFixture.directory.appendingPathComponent("invalid")
        let cases = try JSONDecoder().decode(
            [String: InvalidCase].self, from: Data(contentsOf: directory.appendingPathComponent("cases.json")))
        #expect(cases.count == 5)
        for (name, invalid) in cases.sorted(by: { $0.key < $1.key }) {
            let file = try GGUFFile(contentsOf: directory.appendingPathComponent(invalid.file))
            var message: String?
            do {
                _ = try LlamaConfiguration(gguf: file)
                _ = try BytePairEncoding(gguf: file)
            } catch {
                message = "\(error)"
            }
            guard let message else {
                Issue.record("\(name): accepted")
                continue
            }
            for word in invalid.errorMentions {
                #expect(message.contains(word), "\(name): \(message.debugDescription) does not mention \(word)")
            }
        }
    }
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// `Tests/Fixtures/tokenizers/pretokenizer_splits.json` (scripts/make_pretokenizer_fixtures.py):
/// llama.cpp's split patterns applied by Python's `regex` package to hostile texts.
struct PreTokenizerFixture: Decodable {
    struct Case: Decodable {
        var text: String
        var pieces: [String]
    }
    struct Entry: Decodable {
        var cases: [Case]
    }
    var pretokenizers: [String: Entry]

    static func load() throws -> PreTokenizerFixture {
        let url = DecoderFixture.directory.deletingLastPathComponent().appendingPathComponent(
            "tokenizers/pretokenizer_splits.json")
        return try JSONDecoder().decode(PreTokenizerFixture.self, from: Data(contentsOf: url))
    }
}

@Suite("Pre-tokenizers against llama.cpp's patterns")
struct PreTokenizerFixtureTests {
    @Test(
        "every pre-tokenizer cuts each hostile text into the pieces the regex gives", arguments: PreTokenizer.allCases)
    func piecesMatchRegex(_ preTokenizer: PreTokenizer) throws {
        let fixture = try PreTokenizerFixture.load()
        let entry = try #require(fixture.pretokenizers[preTokenizer.rawValue])
        #expect(entry.cases.count >= 40)
        for c in entry.cases {
            #expect(preTokenizer.split(c.text) == c.pieces, "\(preTokenizer.rawValue): \(c.text.debugDescription)")
        }
    }

    @Test("GGUF's spellings name the pre-tokenizers; an unknown one is nil")
    func ggufNames() {
        #expect(PreTokenizer(ggufName: "gpt-2") == .gpt2)
        #expect(PreTokenizer(ggufName: "llama-bpe") == .llamaBPE)
        #expect(PreTokenizer(ggufName: "llama3") == .llamaBPE)
        #expect(PreTokenizer(ggufName: "qwen2") == .qwen2)
        #expect(PreTokenizer(ggufName: "tekken") == nil)
    }
}
