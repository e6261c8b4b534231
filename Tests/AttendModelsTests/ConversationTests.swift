import Attend
import AttendModels
import Testing

/// A conversation keeps its history in the KV cache: a second turn runs only its own tokens and
/// replies as a fresh generation on the whole rendered conversation does.
@Suite("Conversation in the KV cache", .serialized)
struct ConversationTests {
    @Test("turn 2 runs only its new tokens and its greedy reply equals generating from the whole conversation at once")
    func secondTurnEqualsRecomputing() throws {
        let generator = try SmolLM2Model.generator.get()
        let greedy = try Sampler(temperature: 0)
        var conversation = try Conversation(generator: generator, capacity: 512)
        let first = try conversation.reply(to: "What is the capital of France?", maxTokens: 16, sampler: greedy)
        #expect(first.text == "The capital of France is Paris.")
        #expect(!first.restarted)
        let second = try conversation.reply(to: "And of Germany?", maxTokens: 16, sampler: greedy)
        #expect(!second.restarted, "the first reply re-tokenizes to its sampled ids")
        // Recompute: the whole conversation rendered and run from an empty cache.
        let template = conversation.template
        let whole = generator.tokenizer.encode(
            template.prompt(messages: [
                ChatMessage(role: .user, content: "What is the capital of France?"),
                ChatMessage(role: .assistant, content: first.text),
                ChatMessage(role: .user, content: "And of Germany?"),
            ]))
        #expect(second.newPromptTokens < whole.count / 2, "\(second.newPromptTokens) new of \(whole.count)")
        let fresh = try generator.generate(promptIDs: whole, maxTokens: 16, sampler: greedy)
        #expect(second.result.generatedIDs == fresh.generatedIDs)
        #expect(second.text == fresh.text)
        #expect(conversation.messages.map(\.role) == [.user, .assistant, .user, .assistant])
        // Reset forgets everything: the next turn runs its whole prompt again.
        conversation.reset()
        let again = try conversation.reply(to: "What is the capital of France?", maxTokens: 16, sampler: greedy)
        #expect(again.result.generatedIDs == first.result.generatedIDs)
        #expect(again.newPromptTokens == first.newPromptTokens)
    }

    @Test("a turn that does not fit the cache is refused, and the conversation stays as it was")
    func overflowLeavesConversation() throws {
        let generator = try SmolLM2Model.generator.get()
        let greedy = try Sampler(temperature: 0)
        var conversation = try Conversation(generator: generator, capacity: 48)
        _ = try conversation.reply(to: "Hi", maxTokens: 4, sampler: greedy)
        let before = (conversation.messages, conversation.cachedIDs)
        #expect(throws: DecoderModelError.self) {
            _ = try conversation.reply(
                to: "Tell me a long story about the sea and the sky", maxTokens: 32, sampler: greedy)
        }
        #expect(conversation.messages == before.0 && conversation.cachedIDs == before.1)
    }
}
