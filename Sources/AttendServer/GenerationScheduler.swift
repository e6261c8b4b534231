import Attend
import AttendModels
import Synchronization

/// What a chat request's generation reports, in order: text pieces, then one end.
enum GenerationEvent: Sendable {
    /// Text now complete (never half a character, never part of a stop string).
    case text(String)
    /// Generation ended: why, and the token counts.
    case finished(FinishReason, CompletionUsage)
    /// Generation failed (a decoder error); the text sent so far stands.
    case failed(String)
}

/// Continuous batching of chat generations. Each request waits in a queue; on the compute lane,
/// one tick at a time:
///
/// 1. requests whose client left are dropped;
/// 2. waiting requests join the running batch (at most `maxActive`): each runs its prompt through
///    the decoder alone (prefill, in its own KV cache) and samples its first token;
/// 3. one decode step advances every running sequence by one token together
///    (`LlamaDecoder.step`, which reads each weight once for the whole batch and gives each row the
///    logits of its solo decode bit for bit), and each samples its next token;
/// 4. finished sequences leave; the next tick is queued behind whatever else waits on the lane
///    (embedding batches interleave with decode steps).
///
/// A sequence samples exactly as `TextGenerator.generate` does — same logits, same sampler calls
/// in the same order — so a greedy request's tokens equal its solo run's, whatever runs beside it.
final class GenerationScheduler: Sendable {
    let generator: TextGenerator
    /// The most sequences decoded together.
    let maxActive: Int
    /// The most requests waiting to join; one more is refused with 429.
    let maxWaiting: Int
    private let lane: ComputeLane
    private let queue = Mutex(Queue())
    /// The running batch: touched only by ticks, which the serial lane runs one at a time.
    private let running = LaneConfined<[GenerationSequence]>([])

    private struct Queue {
        var waiting: [GenerationSequence] = []
        var scheduled = false
    }

    init(generator: TextGenerator, lane: ComputeLane, maxActive: Int, maxWaiting: Int) {
        self.generator = generator
        self.lane = lane
        self.maxActive = maxActive
        self.maxWaiting = maxWaiting
    }

    /// Queues a generation of up to `maxTokens` tokens after `promptIDs`; its events arrive on the
    /// returned stream. Ending the stream's iteration early (a client that left) cancels it.
    /// - Throws: ``APIError`` 429 when `maxWaiting` requests already wait.
    func generate(promptIDs: [Int], maxTokens: Int, sampler: Sampler, stops: [String]) throws -> AsyncStream<
        GenerationEvent
    > {
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(bufferingPolicy: .unbounded)
        let sequence = GenerationSequence(
            promptIDs: promptIDs, maxTokens: maxTokens, sampler: sampler, stops: stops, events: continuation)
        continuation.onTermination = { _ in sequence.cancelled.store(true, ordering: .relaxed) }
        let start: Bool? = queue.withLock { queue in
            guard queue.waiting.count < maxWaiting else { return nil }
            queue.waiting.append(sequence)
            defer { queue.scheduled = true }
            return !queue.scheduled
        }
        guard let start else { throw APIError.queueFull("chat requests", limit: maxWaiting) }
        if start { lane.submit { self.tick() } }
        return stream
    }

    /// One round of the batch (see the type's description); queues the next while work remains.
    private func tick() {
        running.withValue { running in
            running.removeAll { $0.cancelled.load(ordering: .relaxed) }
            let room = maxActive - running.count
            let joining: [GenerationSequence] = queue.withLock { queue in
                let taken = Array(queue.waiting.prefix(max(room, 0)))
                queue.waiting.removeFirst(taken.count)
                return taken
            }
            for sequence in joining where !sequence.cancelled.load(ordering: .relaxed) {
                do {
                    sequence.cache = generator.decoder.makeCache(
                        capacity: sequence.promptIDs.count + sequence.maxTokens)
                    let logits = try generator.decoder.forward(sequence.promptIDs, cache: &sequence.cache).scalars
                    if sequence.advance(logits: logits, generator: generator) { running.append(sequence) }
                } catch {
                    sequence.fail("\(error)")
                }
            }
            // Every running sequence (those that joined this tick too) has sampled a token not
            // yet run: one step runs them all.
            if !running.isEmpty {
                var caches = running.map { $0.takeCache() }
                do {
                    let rows = try generator.decoder.step(running.map { $0.pendingID! }, caches: &caches)
                    for (sequence, cache) in zip(running, caches) { sequence.cache = cache }
                    running = zip(running, rows).filter { $0.advance(logits: $1, generator: generator) }.map(\.0)
                } catch {
                    for sequence in running { sequence.fail("\(error)") }
                    running.removeAll()
                }
            }
            let more = queue.withLock { queue in
                queue.scheduled = !running.isEmpty || !queue.waiting.isEmpty
                return queue.scheduled
            }
            if more { lane.submit { self.tick() } }
        }
    }
}

/// One chat generation's state between decode steps (touched only on the compute lane, but for
/// `cancelled`, which the request's task sets).
final class GenerationSequence: @unchecked Sendable {
    let promptIDs: [Int]
    let maxTokens: Int
    let events: AsyncStream<GenerationEvent>.Continuation
    /// Set when the client stopped listening; the next tick drops the sequence.
    let cancelled = Atomic<Bool>(false)
    var cache: [KVCache<Float>] = []
    /// The last sampled id, still to be run through the decoder (nil before the prompt or after the end).
    private(set) var pendingID: Int?
    private var sampler: Sampler
    private var generated: [Int] = []
    private var text = StreamingTextDecoder()
    private var stopFilter: StopSequenceFilter

    init(
        promptIDs: [Int], maxTokens: Int, sampler: Sampler, stops: [String],
        events: AsyncStream<GenerationEvent>.Continuation
    ) {
        self.promptIDs = promptIDs
        self.maxTokens = maxTokens
        self.sampler = sampler
        self.stopFilter = StopSequenceFilter(stops: stops)
        self.events = events
    }

    /// The cache, moved out (so that a decode step appends to it without copying it).
    func takeCache() -> [KVCache<Float>] {
        defer { cache = [] }
        return cache
    }

    /// Samples the next token from `logits` as `TextGenerator.generate` does, and reports its
    /// text; returns whether the sequence goes on (its token becomes ``pendingID``).
    func advance(logits: [Float], generator: TextGenerator) -> Bool {
        let id = sampler.next(logits: logits, history: promptIDs + generated)
        generated.append(id)
        pendingID = nil
        if id == generator.endOfSequence { return finish(.stop) }
        let piece: String
        do {
            piece = text.append(try generator.tokenizer.bytes(of: [id]))
        } catch {
            fail("\(error)")
            return false
        }
        let released = stopFilter.push(piece)
        if !released.isEmpty { events.yield(.text(released)) }
        if stopFilter.stopped { return finish(.stop) }
        if generated.count == maxTokens { return finish(.length) }
        pendingID = id
        return true
    }

    private func finish(_ reason: FinishReason) -> Bool {
        let rest = stopFilter.push(text.finish()) + stopFilter.flush()
        if !rest.isEmpty { events.yield(.text(rest)) }
        events.yield(
            .finished(reason, CompletionUsage(promptTokens: promptIDs.count, completionTokens: generated.count)))
        events.finish()
        cache = []
        return false
    }

    func fail(_ message: String) {
        events.yield(.failed(message))
        events.finish()
        cache = []
        pendingID = nil
    }
}

/// A value only one serial queue touches; the lock documents and enforces that no two of its jobs
/// overlap (it is never contended).
final class LaneConfined<Value>: @unchecked Sendable {
    private let lock = Mutex(())
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withValue<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try lock.withLock { _ in try body(&value) }
    }
}
