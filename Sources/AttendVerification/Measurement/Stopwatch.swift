/// Wall-clock timing.
public enum Stopwatch {
    /// A `Duration` in seconds: whole seconds + attoseconds · 10⁻¹⁸.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// One timed run.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let clock = ContinuousClock()
        var result: T?
        let elapsed = try clock.measure { result = try body() }
        return (result!, seconds(elapsed))
    }

    /// The engine's time: a first run gives the result (and warms caches and BLAS threads); the
    /// reported time is the best of up to 10 further runs, stopping after ~0.25 s.
    public static func bestOf<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let (result, first) = try measure(body)
        var best = first
        var total = 0.0
        var runs = 0
        while runs < 10, total < 0.25 {
            let (_, time) = try measure(body)
            best = Swift.min(best, time)
            total += time
            runs += 1
        }
        return (result, best)
    }
}
