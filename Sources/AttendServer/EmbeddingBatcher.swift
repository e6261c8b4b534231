import AttendModels
import Synchronization

/// Gathers concurrent embedding requests into encoder batches. A request's token sequences wait
/// in a queue; whenever the compute lane is free, one job takes waiting requests, in arrival
/// order and whole, until they reach `batchTokens` tokens (at least one request), embeds them
/// as one packed batch and answers each request with its own rows. While a batch computes, new
/// requests gather for the next one, so under load each batch carries many requests; alone, a
/// request runs at once. A text's embedding does not depend on its batch beyond
/// `SentenceEmbedder.batchInvarianceBound`.
final class EmbeddingBatcher: Sendable {
    private struct Waiting {
        var sequences: [[Int]]
        var tokens: Int
        var continuation: CheckedContinuation<[[Float]], any Error>
    }
    private struct State {
        var waiting: [Waiting] = []
        var scheduled = false
    }

    let embedder: SentenceEmbedder
    /// The most tokens per encoder batch.
    let batchTokens: Int
    /// The most requests waiting; one more is refused with 429.
    let maxWaiting: Int
    private let lane: ComputeLane
    private let state = Mutex(State())

    init(embedder: SentenceEmbedder, lane: ComputeLane, batchTokens: Int, maxWaiting: Int) {
        self.embedder = embedder
        self.lane = lane
        self.batchTokens = batchTokens
        self.maxWaiting = maxWaiting
    }

    /// How many requests wait for a batch.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// The embeddings of `sequences` (each `[CLS] … [SEP]`), in order, computed in a shared batch.
    /// - Throws: ``APIError`` 429 when `maxWaiting` requests already wait; the encoder's errors.
    func embed(_ sequences: [[Int]]) async throws -> [[Float]] {
        try await withCheckedThrowingContinuation { continuation in
            let tokens = sequences.reduce(0) { $0 + $1.count }
            let start: Bool? = state.withLock { state in
                guard state.waiting.count < maxWaiting else { return nil }
                state.waiting.append(Waiting(sequences: sequences, tokens: tokens, continuation: continuation))
                defer { state.scheduled = true }
                return !state.scheduled
            }
            switch start {
            case nil: continuation.resume(throwing: APIError.queueFull("embedding requests", limit: maxWaiting))
            case true?: lane.submit { self.runBatch() }
            case false?: break
            }
        }
    }

    /// One batch: the waiting requests that fit `batchTokens`, embedded together; schedules the
    /// next batch when more are waiting.
    private func runBatch() {
        let batch: [Waiting] = state.withLock { state in
            var tokens = 0
            var count = 0
            while count < state.waiting.count, count == 0 || tokens + state.waiting[count].tokens <= batchTokens {
                tokens += state.waiting[count].tokens
                count += 1
            }
            let taken = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return taken
        }
        do {
            let rows = try embedder.embed(tokenized: batch.flatMap(\.sequences), batchTokens: batchTokens)
            var start = 0
            for request in batch {
                request.continuation.resume(returning: Array(rows[start..<start + request.sequences.count]))
                start += request.sequences.count
            }
        } catch {
            for request in batch { request.continuation.resume(throwing: error) }
        }
        let more = state.withLock { state in
            state.scheduled = !state.waiting.isEmpty
            return state.scheduled
        }
        if more { lane.submit { self.runBatch() } }
    }
}
