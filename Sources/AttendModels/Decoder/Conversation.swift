import Attend

/// A chat whose history stays in the KV cache: each turn runs only its own new tokens.
///
///     turn n:  text = template(messages₁ … messagesₙ, user)    the whole conversation, rendered
///              ids  = tokenize(text);  new = ids − cached      only the suffix runs through the decoder
///              reply = generate(after the cache)               the cache keeps the reply's ids
///
/// The cached ids must be a prefix of the rendered conversation's ids. They are whenever the
/// reply re-tokenizes to the ids that were sampled (the usual case); when not, the turn starts
/// the cache again from the rendered text — the same tokens a stateless server would feed, so
/// the result is the same either way, only slower. ``reset()`` forgets the conversation.
public struct Conversation: Sendable {
    /// The model.
    public let generator: TextGenerator
    /// Its chat format.
    public let template: ChatTemplate
    /// The messages so far (user and assistant, in order).
    public private(set) var messages: [ChatMessage] = []
    private var cache: [KVCache<Float>]
    /// The ids whose keys and values the cache holds, in order.
    public private(set) var cachedIDs: [Int] = []

    /// What one turn did.
    public struct Turn: Sendable {
        /// The assistant's reply.
        public var text: String
        /// How many ids ran through the decoder before generating (the turn's new tokens, or the
        /// whole conversation when the cache started again).
        public var newPromptTokens: Int
        /// Whether the cache started again from the rendered conversation.
        public var restarted: Bool
        /// The generation's ids and timings.
        public var result: TextGenerator.Result
    }

    /// An empty conversation with a cache of `capacity` positions (at most the model's context).
    /// - Throws: ``DecoderModelError`` when the model has no chat template this library recognizes.
    public init(generator: TextGenerator, capacity: Int = 4096) throws {
        guard let text = generator.chatTemplate else { throw DecoderModelError("the model has no chat template") }
        template = try ChatTemplate(template: text)
        self.generator = generator
        cache = generator.decoder.makeCache(capacity: capacity)
    }

    /// The most positions the cache holds.
    public var capacity: Int { cache.first?.capacity ?? 0 }

    /// Forgets every message and cached position (the cache's memory stays allocated).
    public mutating func reset() {
        messages.removeAll()
        cachedIDs.removeAll()
        for i in cache.indices { cache[i].removeAll() }
    }

    /// Adds the user's `message`, generates the assistant's reply (streamed to `onText`) and adds it.
    /// - Throws: ``DecoderModelError`` when the conversation no longer fits the cache (``reset()``
    ///   and continue), or from the decoder; the conversation is left as it was before the turn.
    public mutating func reply(
        to message: String, maxTokens: Int, sampler: Sampler, onText: (String) -> Void = { _ in }
    ) throws -> Turn {
        let asked = messages + [ChatMessage(role: .user, content: message)]
        let ids = generator.tokenizer.encode(template.prompt(messages: asked))
        var restarted = false
        if !(ids.count > cachedIDs.count && Array(ids.prefix(cachedIDs.count)) == cachedIDs) {
            for i in cache.indices { cache[i].removeAll() }
            cachedIDs.removeAll()
            restarted = true
        }
        let newIDs = Array(ids[cachedIDs.count...])
        let result: TextGenerator.Result
        do {
            result = try generator.generate(
                continuing: &cache, newIDs: newIDs, history: cachedIDs, maxTokens: maxTokens, sampler: sampler,
                onText: onText)
        } catch {
            for i in cache.indices { cache[i].truncate(toLength: cachedIDs.count) }
            throw error
        }
        // The cache holds the new ids and every generated id but the last one sampled.
        cachedIDs += newIDs + result.generatedIDs.dropLast()
        messages = asked + [ChatMessage(role: .assistant, content: result.text)]
        return Turn(text: result.text, newPromptTokens: newIDs.count, restarted: restarted, result: result)
    }
}
