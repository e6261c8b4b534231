import Foundation

/// A progress line on stderr for long runs on a terminal, rewritten in place:
/// `attend embed: 3,200/10,000 passages · 412/s · ETA 17 s` (no total, no ETA when the input is a
/// stream). Callers create one only when stderr is a terminal, so pipes and logs stay quiet.
final class ProgressLine {
    private let command: String, unit: String, total: Int?
    private let start = ContinuousClock.now
    private var shown = false

    init(command: String, unit: String, total: Int? = nil) {
        self.command = command
        self.unit = unit
        self.total = total
    }

    /// Shows `done` items so far, the rate since the start, and (with a total) the time left.
    func update(done: Int) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var line = "\r\(command): \(done)"
        if let total { line += "/\(total)" }
        line += " \(unit) · \(String(format: "%.0f", rate))/s"
        if let total, rate > 0, done < total {
            line += " · ETA \(Self.duration(Double(total - done) / rate))"
        }
        StandardError.write(line + "\u{1B}[K")
        shown = true
    }

    /// Ends the line (a newline, if anything was shown).
    func finish() {
        if shown { StandardError.write("\n") }
    }

    /// `42 s`, `3 min 05 s`, `1 h 02 min`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60)
    }
}
