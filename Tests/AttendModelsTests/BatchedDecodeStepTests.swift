import Attend
import AttendModels
import Testing

/// Several sequences prefilled one by one, then decoded together by `LlamaDecoder.step`, joining
/// and leaving between steps, each beside a twin decoded alone by `forward` in its own caches.
enum BatchedDecodeScenario {
    /// The sequences in each step, in the order of the step's rows: B = 1, 2 and 5; sequences 0
    /// and 2 leave and come back, rows out of index order, a last step of one.
    static let schedule: [[Int]] = [[0], [0, 1], [0, 1, 2, 3, 4], [1, 3, 4], [4, 2], [0, 1, 2, 3, 4], [3]]
    /// The first steps of ``schedule`` and one with rows out of order, for a model whose
    /// (unoptimized) test build takes about a second per token.
    static let shortSchedule: [[Int]] = [[0], [0, 1], [0, 1, 2, 3, 4], [4, 2]]

    /// Runs `schedule` for `prompts` (one per sequence, each cache sized to fill up exactly) and
    /// records an issue for every row of a step whose logits are not bit for bit those of the
    /// sequence's own `forward([id])`, and for every cache whose keys or values differ at the end.
    /// Each step feeds a sequence the greedy id of its previous logits.
    static func check(
        _ decoder: LlamaDecoder, prompts: [[Int]], schedule: [[Int]] = schedule, _ label: String
    ) throws {
        precondition(
            schedule.joined().allSatisfy(prompts.indices.contains),
            "BatchedDecodeScenario.check: the schedule names a sequence without a prompt")
        var batched: [[KVCache<Float>]] = []
        var alone: [[KVCache<Float>]] = []
        var next: [Int] = []
        for (b, prompt) in prompts.enumerated() {
            let capacity = prompt.count + schedule.filter { $0.contains(b) }.count
            var together = decoder.makeCache(capacity: capacity)
            var solo = decoder.makeCache(capacity: capacity)
            _ = try decoder.forward(prompt, cache: &together)
            next.append(greedy(try decoder.forward(prompt, cache: &solo).scalars))
            batched.append(together)
            alone.append(solo)
        }
        for (step, active) in schedule.enumerated() {
            // Moved out, not copied, so that the step appends in place.
            var caches: [[KVCache<Float>]] = []
            for b in active {
                caches.append(batched[b])
                batched[b] = []
            }
            let rows = try decoder.step(active.map { next[$0] }, caches: &caches)
            #expect(rows.count == active.count)
            for (row, b) in zip(rows, active) {
                let expected = try decoder.forward([next[b]], cache: &alone[b]).scalars
                let differing = zip(row, expected).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(
                    row.map(\.bitPattern) == expected.map(\.bitPattern),
                    "\(label), step \(step) (B = \(active.count)), sequence \(b): \(differing) of \(expected.count) logits differ from its solo decode"
                )
                next[b] = greedy(expected)
            }
            for (i, b) in active.enumerated() { batched[b] = caches[i] }
        }
        for b in prompts.indices {
            for layer in batched[b].indices {
                let (x, y) = (batched[b][layer], alone[b][layer])
                #expect(x.length == x.capacity && x.length == y.length, "\(label), sequence \(b) layer \(layer)")
                #expect(
                    x.keys.scalars.map(\.bitPattern) == y.keys.scalars.map(\.bitPattern)
                        && x.values.scalars.map(\.bitPattern) == y.values.scalars.map(\.bitPattern),
                    "\(label), sequence \(b) layer \(layer): the cached keys or values differ from the solo decode's")
            }
        }
    }

    /// The index of the largest logit.
    static func greedy(_ logits: [Float]) -> Int { logits.indices.max { logits[$0] < logits[$1] }! }
}

/// `LlamaDecoder.step` decodes several sequences at once, each row bit for bit the sequence's
/// own one-token `forward`, on every kernel path this CPU runs (`KernelFamilyTests` reports the
/// others skipped).
@Suite("Batched decode steps equal solo decoding bit for bit", .serialized)
struct BatchedDecodeStepTests {
    @Test(
        "fixture decoders (every block type, weights in blocks on every kernel path and dequantized): every row of every step equals its solo decode",
        arguments: DecoderFixture.names)
    func fixtureRowsEqualSoloDecoding(name: String) throws {
        let fixture = try DecoderFixture.load(name)
        let file = try fixture.model()
        let ids = fixture.prompt_ids
        // Lengths 9, 1, 4, 6 and 2, each from a different place in the fixture's prompt.
        let prompts = [9, 1, 4, 6, 2].enumerated().map { b, length in
            (0..<length).map { ids[(3 * b + 2 * $0) % ids.count] }
        }
        let runs = KernelPath.supported.map { (WeightFormat.quantized, $0) } + [(.dequantized, KernelPath.active)]
        for (format, path) in runs {
            let decoder = try LlamaDecoder(gguf: file, weights: format)
            try KernelPath.withKernels(path) {
                try BatchedDecodeScenario.check(decoder, prompts: prompts, "\(name) (\(format), \(path))")
            }
        }
    }

    @Test("SmolLM2-135M (Q4_1/Q8_0 blocks, every kernel path): every row of every step equals its solo decode")
    func smolLM2RowsEqualSoloDecoding() throws {
        let decoder = try SmolLM2Model.generator.get().decoder
        let greedy = try SmolLM2Fixture.load().greedy.map(\.prompt_ids)
        // Lengths 8, 4, 6, 1 and 3.
        let prompts = [
            Array(greedy[0].prefix(8)), greedy[1], greedy[2], Array(greedy[0].prefix(1)), Array(greedy[1].suffix(3)),
        ]
        for path in KernelPath.supported {
            try KernelPath.withKernels(path) {
                try BatchedDecodeScenario.check(
                    decoder, prompts: prompts, schedule: BatchedDecodeScenario.shortSchedule, "SmolLM2 (\(path))")
            }
        }
    }

    /// The message of the `DecoderModelError` `body` throws, or nil.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as DecoderModelError {
            return error.message
        } catch {
            return "not a DecoderModelError: \(error)"
        }
    }

    @Test(
        "an id outside the vocabulary, a full or misshapen cache, or counts that differ are refused naming the sequence, before any cache changes"
    )
    func refusals() throws {
        let decoder = try LlamaDecoder(gguf: DecoderFixture.load("llama_mixed_types").model())
        let vocabulary = decoder.configuration.vocabularySize
        var caches = [decoder.makeCache(capacity: 4), decoder.makeCache(capacity: 1)]
        _ = try decoder.forward([1, 2], cache: &caches[0])
        _ = try decoder.forward([3], cache: &caches[1])  // now full
        let cases: [(String, [Int], [[KVCache<Float>]], [String])] = [
            (
                "id ≥ vocabulary", [5, vocabulary], [caches[0], decoder.makeCache(capacity: 2)],
                ["sequence 1", "\(vocabulary)", "vocabulary"]
            ),
            ("negative id", [-1, 5], [caches[0], caches[0]], ["sequence 0", "-1", "vocabulary"]),
            ("full cache", [5, 6], caches, ["sequence 1", "capacity 1"]),
            ("more ids than caches", [5, 6], [caches[0]], ["2 token ids", "1 sequences"]),
            ("fewer ids than caches", [5], caches, ["1 token ids", "2 sequences"]),
            ("a layer missing", [5], [Array(caches[0].dropLast())], ["sequence 0", "1 layer caches", "2 layers"]),
            (
                "layers of different lengths", [5, 6], [caches[0], [caches[0][0], decoder.makeCache(capacity: 4)[1]]],
                ["sequence 1", "layer 1", "[1, 2, 0, 16]", "[1, 2, 2, 16]"]
            ),
        ]
        for (name, ids, given, mentions) in cases {
            var mutable = given
            let message = Self.message { _ = try decoder.step(ids, caches: &mutable) }
            #expect(message != nil, "\(name): accepted")
            for word in mentions {
                #expect(message?.contains(word) == true, "\(name): \(message ?? "nil") does not mention \(word)")
            }
            #expect(message?.hasPrefix("LlamaDecoder.step:") == true, "\(name): \(message ?? "nil")")
            #expect(mutable.map { $0.map(\.length) } == given.map { $0.map(\.length) }, "\(name): a cache changed")
        }
        var none: [[KVCache<Float>]] = []
        #expect(try decoder.step([], caches: &none).isEmpty)
    }
}
