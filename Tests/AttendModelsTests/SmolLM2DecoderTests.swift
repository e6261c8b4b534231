import Attend
import AttendModels
import Testing

/// The decoder against the float64 NumPy reference (`scripts/smollm2_reference.py`, fixture
/// `Tests/Fixtures/models/smollm2.json`). Both dequantize the same Q4_1/Q8_0 blocks exactly, so
/// the differences are float32 rounding through 30 layers.
///
/// The logit bound, 1e-3 absolute, is stated from that: logits are O(10–30) and float32 rounding
/// (u ≈ 6e-8) through GEMMs with K ≤ 1536 and 30 residual layers stays orders of magnitude below it
/// — measured worst 3.4e-5 on 2026-12-01 (printed by `logitsMatchReference`). The greedy
/// continuations are identical; of the 16 steps whose logits the fixture records, the smallest
/// gap between the reference's top-2 logits is 0.08, far above the bound.
@Suite("SmolLM2 decoder against the float64 reference", .serialized)
struct SmolLM2DecoderTests {
    static let logitBound: Float = 1e-3

    @Test("the configuration comes from the GGUF metadata")
    func configuration() throws {
        let c = try SmolLM2Model.generator.get().decoder.configuration
        #expect(
            c
                == LlamaConfiguration(
                    layerCount: 30, modelDimension: 576, feedForwardDimension: 1536, headCount: 9, keyValueHeadCount: 3,
                    headDimension: 64, ropeBase: 100_000, rmsNormEpsilon: Double(Float(1e-5)), contextLength: 8192,
                    vocabularySize: 49152))
    }

    @Test("top-10 logits at each of the first 8 steps are within the bound, and cached decoding equals recomputing")
    func logitsMatchReference() throws {
        let model = try SmolLM2Model.generator.get().decoder
        var worst: Float = 0
        var worstCache: Float = 0
        for entry in try SmolLM2Fixture.load().logits {
            let greedy = try #require(try SmolLM2Fixture.load().greedy.first { $0.prompt == entry.prompt })
            var cache = model.makeCache(capacity: entry.prompt_ids.count + entry.steps.count)
            var logits = try model.forward(entry.prompt_ids, cache: &cache).scalars
            var sequence = entry.prompt_ids
            for (step, expected) in entry.steps.enumerated() {
                for (id, value) in zip(expected.ids, expected.values) {
                    let error = Swift.abs(logits[id] - Float(value))
                    worst = Swift.max(worst, error)
                    #expect(error <= Self.logitBound, "step \(step) id \(id): \(logits[id]) vs reference \(value)")
                }
                // Without the cache: the whole sequence again, from an empty cache.
                var fresh = model.makeCache(capacity: sequence.count)
                let recomputed = try model.forward(sequence, cache: &fresh).scalars
                let difference = zip(recomputed, logits).map { Swift.abs($0 - $1) }.max()!
                worstCache = Swift.max(worstCache, difference)
                #expect(difference <= 1e-3, "step \(step): cached and recomputed logits differ by \(difference)")
                // Teacher-forced with the reference's greedy token.
                let next = greedy.generated_ids[step]
                sequence.append(next)
                logits = try model.forward([next], cache: &cache).scalars
            }
        }
        print(
            "SmolLM2 logits: worst |attend − reference| = \(worst) (bound \(Self.logitBound)); cached vs recomputed: \(worstCache)"
        )
    }

    @Test("greedy continuations of 32 tokens equal the reference's for three prompts")
    func greedyMatchesReference() throws {
        let generator = try SmolLM2Model.generator.get()
        for entry in try SmolLM2Fixture.load().greedy {
            #expect(generator.tokenizer.encode(entry.prompt) == entry.prompt_ids)
            let result = try generator.generate(promptIDs: entry.prompt_ids, maxTokens: 32, sampler: Sampler())
            #expect(result.generatedIDs == entry.generated_ids, "\(entry.prompt.debugDescription)")
            let eos = generator.endOfSequence.map { [$0] } ?? []
            let expectedText = try generator.tokenizer.decode(entry.generated_ids.filter { !eos.contains($0) })
            #expect(result.text == expectedText)
        }
    }

    @Test("weights kept in GGUF blocks and weights dequantized to float32 give the same logits within the bound")
    func quantizedAndDequantizedAgree() throws {
        let quantized = try SmolLM2Model.generator.get().decoder
        let dense = try LlamaDecoder(gguf: SmolLM2Model.file.get(), weights: .dequantized)
        let entry = try SmolLM2Fixture.load().greedy[1]
        var a = quantized.makeCache(capacity: 16)
        var b = dense.makeCache(capacity: 16)
        var ids = entry.prompt_ids
        for step in 0..<4 {
            let x = try quantized.forward(ids, cache: &a).scalars
            let y = try dense.forward(ids, cache: &b).scalars
            let difference = zip(x, y).map { Swift.abs($0 - $1) }.max()!
            #expect(difference <= Self.logitBound, "step \(step): \(difference)")
            ids = [entry.generated_ids[step]]
        }
    }

    @Test("the decoder refuses ids outside the vocabulary and a full cache")
    func refusals() throws {
        let model = try SmolLM2Model.generator.get().decoder
        var cache = model.makeCache(capacity: 2)
        #expect(throws: DecoderModelError.self) { try model.forward([49152], cache: &cache) }
        #expect(throws: DecoderModelError.self) { try model.forward([1, 2, 3], cache: &cache) }
    }
}
