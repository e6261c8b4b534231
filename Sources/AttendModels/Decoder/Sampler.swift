import Attend
import Foundation

/// How the next token is chosen from the logits z (one row over the vocabulary):
///
/// 1. repetition penalty r (CTRL, Keskar et al. 2019, as Hugging Face applies it): for every id
///    already in the sequence, z ← z / r if z > 0 else z · r;
/// 2. temperature 0 → greedy: the arg max (the lowest id among ties);
/// 3. otherwise p ∝ exp(z / T), restricted to the k most likely ids (top-k) and then to the
///    smallest set of most likely ids whose probability reaches top-p (nucleus), renormalized,
///    and one id drawn with a uniform number from the explicit `SeededGenerator`.
public struct Sampler: Sendable {
    /// T: 0 picks the arg max (greedy); otherwise p ∝ exp(z / T) — above 1 flatter, below 1 sharper.
    public var temperature: Double
    /// k: only the k most likely ids stay candidates (nil: all).
    public var topK: Int?
    /// p: only the smallest set of most likely ids whose probability reaches p stays (nucleus; nil: all).
    public var topP: Double?
    /// r: a logit z of an id already in the history becomes z / r if z > 0 else z · r (1: no penalty).
    public var repetitionPenalty: Double
    /// The stream the draws come from (seeded by ``init(temperature:topK:topP:repetitionPenalty:seed:)``'s
    /// `seed`), so a run is reproducible.
    public var generator: SeededGenerator

    /// A sampler with these settings, drawing from a `SeededGenerator` seeded with `seed` (the
    /// defaults are greedy decoding: temperature 0, no top-k, top-p or penalty).
    /// - Throws: ``DecoderModelError`` for a negative temperature, top-k < 1, top-p outside (0, 1] or a
    ///   penalty ≤ 0.
    public init(
        temperature: Double = 0, topK: Int? = nil, topP: Double? = nil, repetitionPenalty: Double = 1, seed: UInt64 = 0
    ) throws {
        guard temperature >= 0, temperature.isFinite else {
            throw DecoderModelError("sampling: temperature \(temperature) must be ≥ 0")
        }
        if let topK, topK < 1 { throw DecoderModelError("sampling: top-k \(topK) must be ≥ 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw DecoderModelError("sampling: top-p \(topP) must be in (0, 1]") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw DecoderModelError("sampling: repetition penalty \(repetitionPenalty) must be > 0")
        }
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        generator = SeededGenerator(seed: seed)
    }

    /// The next id for `logits` (`[vocabulary]` values) after the ids `history`.
    public mutating func next(logits: [Float], history: [Int]) -> Int {
        var z = logits.map(Double.init)
        if repetitionPenalty != 1 {
            for id in Set(history) where z.indices.contains(id) {
                z[id] = z[id] > 0 ? z[id] / repetitionPenalty : z[id] * repetitionPenalty
            }
        }
        if temperature == 0 { return Self.argmax(z) }
        var order = z.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
        if let topK, topK < order.count { order.removeSubrange(topK...) }
        let top = z[order[0]]
        var weights = order.map { Foundation.exp((z[$0] - top) / temperature) }
        let total = weights.reduce(0, +)
        if let topP, topP < 1 {
            var running = 0.0
            var keep = weights.count
            for (i, w) in weights.enumerated() {
                running += w / total
                if running >= topP {
                    keep = i + 1
                    break
                }
            }
            order.removeSubrange(keep...)
            weights.removeSubrange(keep...)
        }
        let draw = generator.nextUnit() * weights.reduce(0, +)
        var running = 0.0
        for (i, w) in weights.enumerated() {
            running += w
            if draw < running { return order[i] }
        }
        return order[order.count - 1]
    }

    /// The index of the largest value (the first among ties).
    public static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }
}
