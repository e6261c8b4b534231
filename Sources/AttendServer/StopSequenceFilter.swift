/// Holds back streamed text that could be the start of a stop string, so that a client never sees
/// a stop string, or part of one, and the streamed deltas concatenate to the non-streamed answer.
///
///     push("Hello, wor")  → "Hello, " held "wor"       (stop strings: ["world"])
///     push("ld and")      → stopped; text before "world" was all released
struct StopSequenceFilter: Sendable {
    /// The stop strings (empty strings are ignored).
    let stops: [String]
    private var held = ""
    /// True once a stop string appeared; nothing after it is released.
    private(set) var stopped = false

    init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
    }

    /// Adds generated text; returns the text now safe to release (before any stop string, and not
    /// a possible beginning of one).
    mutating func push(_ text: String) -> String {
        guard !stopped else { return "" }
        guard !stops.isEmpty else { return text }
        held += text
        if let cut = stops.compactMap({ held.range(of: $0)?.lowerBound }).min() {
            stopped = true
            let released = String(held[..<cut])
            held = ""
            return released
        }
        // Keep the longest suffix of `held` that is a proper prefix of some stop string.
        var keep = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, held.count), to: 0, by: -1)
            where held.hasSuffix(stop.prefix(length)) {
                keep = max(keep, length)
                break
            }
        }
        let released = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return released
    }

    /// The text still held back, released at the end of generation (no stop string completed it).
    mutating func flush() -> String {
        defer { held = "" }
        return stopped ? "" : held
    }
}
