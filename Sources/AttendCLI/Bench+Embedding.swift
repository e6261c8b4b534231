import Attend
import AttendModels
import Foundation

/// `attend bench`'s sentence-embedding cases (all-MiniLM-L6-v2): sentences per second of
/// ``SentenceEmbedder/embed(_:batchTokens:progress:)`` — tokenization, the encoder, pooling —
/// for
///
/// - `embed batch32x20`: one batch of 32 sentences of 20 tokens ([CLS] and [SEP] included);
/// - `embed mixed1000`: 1,000 sentences of 5–100 tokens (packed batches of ≤ 2,048 tokens, the default).
///
/// The sentences are whole-word vocabulary entries drawn with a fixed seed, or read from
/// `--embed-batch FILE` / `--embed-mixed FILE` (one a line), which is how
/// `scripts/bench_embeddings.py` gives Attend and sentence-transformers the same text.
extension Bench {
    struct EmbeddingWorkload {
        let name: String
        let sentences: [String]
    }

    /// Runs the embedding cases whose name passes `--case`; without the model, prints how to fetch it.
    func runEmbeddingCases() throws {
        let names = ["embed batch32x20", "embed mixed1000"].filter { filter == nil || $0.contains(filter!) }
        if names.isEmpty { return }
        let directory = ModelCache.directory(for: "minilm")
        let embedder: SentenceEmbedder
        do {
            embedder = try SentenceEmbedder(directory: directory)
        } catch {
            StandardError.writeLine("attend bench: embedding cases skipped: \(error)")
            return
        }
        let loadPeak = Self.peakResidentMegabytes()
        for name in names {
            let workload = try embeddingWorkload(name, tokenizer: embedder.tokenizer)
            let tokens = workload.sentences.reduce(0) { $0 + embedder.tokenizer.encode($1).count }
            _ = try embedder.embed(Array(workload.sentences.prefix(32)))  // warm-up
            var samples: [Double] = []
            let runs = repeats ?? (workload.sentences.count > 100 ? 1 : 5)
            for _ in 0..<max(1, runs) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try embedder.embed(workload.sentences)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            samples.sort()
            let seconds = samples[samples.count / 2]
            let rate = Double(workload.sentences.count) / seconds
            let peak = Self.peakResidentMegabytes()
            if json {
                print(
                    #"{"case":"\#(name)","sentences":\#(workload.sentences.count),"tokens":\#(tokens),"seconds":\#(seconds),"sentences_per_s":\#(rate),"peak_rss_mb":\#(peak),"load_peak_rss_mb":\#(loadPeak),"threads":\#(Parallelism.threadCount)}"#
                )
            } else {
                print(
                    name.padding(toLength: 30, withPad: " ", startingAt: 0)
                        + String(
                            format: "%9.1f ms  %8.1f sentences/s  %6d tokens  peak %5.0f MB (after load %4.0f MB)",
                            seconds * 1000, rate, tokens, peak, loadPeak))
            }
        }
    }

    /// The sentences of a case: from its file option, or drawn with a fixed seed.
    func embeddingWorkload(_ name: String, tokenizer: BertTokenizer) throws -> EmbeddingWorkload {
        let file = name.hasSuffix("batch32x20") ? embedBatch : embedMixed
        if let file {
            let text = try ErrorContext(command: "attend bench").attributing(to: file) {
                try String(contentsOf: URL(fileURLWithPath: file), encoding: .utf8)
            }
            return EmbeddingWorkload(name: name, sentences: text.split(separator: "\n").map(String.init))
        }
        // Whole-word entries (no ## pieces, no [special] or punctuation) each tokenize to one id.
        let words = tokenizer.wordPiece.tokens.filter { token in
            token.count >= 3 && token.unicodeScalars.allSatisfy { ("a"..."z").contains($0) }
        }
        var generator = SeededGenerator(seed: 11)
        func sentence(tokens: Int) -> String {
            (0..<(tokens - 2)).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: " ")
        }
        if name.hasSuffix("batch32x20") {
            return EmbeddingWorkload(name: name, sentences: (0..<32).map { _ in sentence(tokens: 20) })
        }
        return EmbeddingWorkload(
            name: name, sentences: (0..<1000).map { _ in sentence(tokens: 5 + Int(generator.next() % 96)) })
    }
}
