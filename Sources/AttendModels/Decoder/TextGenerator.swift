import Attend
import Foundation

/// A tokenizer and a decoder together: prompt text in, tokens out one at a time.
public struct TextGenerator: Sendable {
    /// Text ↔ ids: the byte-level BPE of the GGUF file.
    public let tokenizer: BytePairEncoding
    /// ids → logits `[1, L, V]`, with per-layer KV caches.
    public let decoder: LlamaDecoder
    /// The end-of-sequence id (`tokenizer.ggml.eos_token_id`).
    public let endOfSequence: Int?
    /// The model's chat template text, if it has one.
    public let chatTemplate: String?

    /// A generator from its parts (no check).
    /// - SeeAlso: ``init(gguf:weights:)``
    public init(tokenizer: BytePairEncoding, decoder: LlamaDecoder, endOfSequence: Int?, chatTemplate: String?) {
        self.tokenizer = tokenizer
        self.decoder = decoder
        self.endOfSequence = endOfSequence
        self.chatTemplate = chatTemplate
    }

    /// Tokenizer and decoder from one GGUF file.
    /// - Throws: ``DecoderModelError`` when the file is not a Llama decoder or a weight is missing or
    ///   misshapen; ``TokenizerError`` when its tokenizer metadata is unusable.
    public init(gguf file: GGUFFile, weights: WeightFormat = .quantized) throws {
        try self.init(
            tokenizer: BytePairEncoding(gguf: file), decoder: LlamaDecoder(gguf: file, weights: weights),
            endOfSequence: file[metadata: "tokenizer.ggml.eos_token_id"]?.intValue,
            chatTemplate: file[metadata: "tokenizer.chat_template"]?.stringValue)
    }

    /// What a generation produced, with its timings.
    public struct Result: Sendable {
        /// The prompt's ids, as given.
        public var promptIDs: [Int]
        /// The ids generated after the prompt (ending with the end-of-sequence id when it stopped there).
        public var generatedIDs: [Int]
        /// The generated ids decoded (the end-of-sequence id adds none).
        public var text: String
        /// Seconds spent on the prompt (prefill) and on the decode steps.
        public var prefillSeconds: Double
        /// Seconds spent on the decode steps together (the sum of ``stepSeconds``).
        public var decodeSeconds: Double
        /// Seconds of each decode step, in order.
        public var stepSeconds: [Double]
    }

    /// Generates up to `maxTokens` ids after `promptIDs`, stopping after the end-of-sequence id
    /// (which ends `generatedIDs` but adds no text); `onText` receives the text as it becomes
    /// complete (never half a character). `stopAtEndOfSequence: false` always runs `maxTokens`
    /// steps (for benchmarks).
    /// - Throws: ``DecoderModelError`` for an empty prompt or a negative `maxTokens`; ``TokenizerError`` for
    ///   an id outside the vocabulary; `TensorError` from the decoder's ops.
    public func generate(
        promptIDs: [Int], maxTokens: Int, sampler: Sampler, stopAtEndOfSequence: Bool = true,
        onText: (String) -> Void = { _ in }
    ) throws -> Result {
        // The checks are the continuing form's; the cache fits the prompt and every step.
        var cache = decoder.makeCache(capacity: promptIDs.count + Swift.max(maxTokens, 0))
        return try generate(
            continuing: &cache, newIDs: promptIDs, history: [], maxTokens: maxTokens, sampler: sampler,
            stopAtEndOfSequence: stopAtEndOfSequence, onText: onText)
    }

    /// Generates as ``generate(promptIDs:maxTokens:sampler:stopAtEndOfSequence:onText:)`` after
    /// the positions already in `cache`: runs `newIDs` through the decoder, then samples. On return
    /// the cache holds `newIDs` and every generated id but the last (which was sampled, not run).
    /// `history` — the ids already in the cache — is what a repetition penalty looks back on with
    /// the new ones. The result's `promptIDs` are `newIDs`.
    /// - Throws: ``DecoderModelError`` for no new ids, a negative `maxTokens`, or more positions
    ///   than the cache holds; ``TokenizerError`` for an id outside the vocabulary.
    public func generate(
        continuing cache: inout [KVCache<Float>], newIDs promptIDs: [Int], history: [Int], maxTokens: Int,
        sampler: Sampler, stopAtEndOfSequence: Bool = true, onText: (String) -> Void = { _ in }
    ) throws -> Result {
        guard !promptIDs.isEmpty else { throw DecoderModelError("generate: the prompt has no tokens") }
        guard maxTokens >= 0 else { throw DecoderModelError("generate: max tokens \(maxTokens) is negative") }
        let room = (cache.first?.capacity ?? 0) - (cache.first?.length ?? 0)
        let needed = promptIDs.count + Swift.max(maxTokens - 1, 0)
        guard needed <= room else {
            throw DecoderModelError(
                "generate: \(promptIDs.count) new tokens and up to \(maxTokens) generated need \(needed) cache positions; \(room) of \(cache.first?.capacity ?? 0) are left"
            )
        }
        var sampler = sampler
        var stream = StreamingTextDecoder()
        var generated: [Int] = []
        var text = ""
        var steps: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        var logits = try decoder.forward(promptIDs, cache: &cache).scalars
        let prefillEnd = DispatchTime.now().uptimeNanoseconds
        var stepStart = prefillEnd
        while generated.count < maxTokens {
            let id = sampler.next(logits: logits, history: history + promptIDs + generated)
            generated.append(id)
            if stopAtEndOfSequence, id == endOfSequence { break }  // its text (<|im_end|>) is not part of the answer
            let piece = stream.append(try tokenizer.bytes(of: [id]))
            text += piece
            onText(piece)
            if generated.count == maxTokens { break }
            logits = try decoder.forward([id], cache: &cache).scalars
            let now = DispatchTime.now().uptimeNanoseconds
            steps.append(Double(now - stepStart) * 1e-9)
            stepStart = now
        }
        let rest = stream.finish()
        text += rest
        onText(rest)
        let end = DispatchTime.now().uptimeNanoseconds
        return Result(
            promptIDs: promptIDs, generatedIDs: generated, text: text,
            prefillSeconds: Double(prefillEnd - start) * 1e-9, decodeSeconds: Double(end - prefillEnd) * 1e-9,
            stepSeconds: steps)
    }
}
