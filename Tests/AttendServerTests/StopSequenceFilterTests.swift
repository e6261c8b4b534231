import Testing

@testable import AttendServer

@Suite("Stop strings: never shown, not even in part, and the released pieces add up to the answer")
struct StopSequenceFilterTests {
    /// Every piece `push` releases, then `flush`, for `pieces` pushed in order.
    static func run(_ pieces: [String], stops: [String]) -> (released: [String], stopped: Bool) {
        var filter = StopSequenceFilter(stops: stops)
        var released = pieces.map { filter.push($0) }
        released.append(filter.flush())
        return (released, filter.stopped)
    }

    @Test("a stop string split across pieces is held back and cut, with what came before released")
    func splitStopString() {
        let (released, stopped) = Self.run(["Hello, wor", "ld and more"], stops: ["world"])
        #expect(released == ["Hello, ", "", ""])
        #expect(stopped)
    }

    @Test("a held prefix that turns out not to be a stop string is released, in order")
    func falseStartReleased() {
        let (released, stopped) = Self.run(["ab", "c", "d"], stops: ["cx"])
        #expect(released == ["ab", "", "cd", ""])
        #expect(!stopped)
    }

    @Test("the earliest of several stop strings wins; text after it is never released")
    func earliestStopWins() {
        let (released, _) = Self.run(["one two three"], stops: ["three", "two"])
        #expect(released == ["one ", ""])
        var filter = StopSequenceFilter(stops: ["two"])
        _ = filter.push("one two")
        #expect(filter.push(" more") == "")
    }

    @Test("at the end, a held partial match is released (no stop string completed it)")
    func flushReleasesPartialMatch() {
        let (released, stopped) = Self.run(["the en"], stops: ["end!"])
        #expect(released.joined() == "the en")
        #expect(!stopped)
    }

    @Test("no stop strings, or empty ones: everything passes through at once")
    func noStops() {
        #expect(Self.run(["a", "b"], stops: []).released == ["a", "b", ""])
        #expect(Self.run(["a", "b"], stops: [""]).released == ["a", "b", ""])
    }

    @Test("characters beyond ASCII are held and cut by characters, not bytes")
    func unicodeStops() {
        let (released, stopped) = Self.run(["café ", "👋🏽", " bye"], stops: ["👋🏽 b"])
        #expect(released.joined() == "café ")
        #expect(stopped)
    }
}
