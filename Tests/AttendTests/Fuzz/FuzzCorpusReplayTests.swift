import Foundation
import Testing
import _AttendFuzzTargets

/// Replays every committed fuzz input — the minimized corpus and each input that once crashed,
/// hung or exhausted memory — through the harness body it was found with (`FuzzTarget.run`).
/// Each must decode or throw, without crashing, within the time bound.
@Suite("Fuzz corpus replay")
struct FuzzCorpusReplayTests {
    /// …/Tests/AttendTests/Fuzz/FuzzCorpusReplayTests.swift → …/Tests/Fixtures/fuzz/
    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz", isDirectory: true)

    /// Per input, in a debug build on a shared machine; libFuzzer ran them with a 10 s timeout in
    /// an optimized build, and each takes milliseconds.
    static let timeLimit: Duration = .seconds(5)

    static func inputs(_ target: FuzzTarget) throws -> [URL] {
        let folder = directory.appendingPathComponent(target.rawValue, isDirectory: true)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("every committed input of each harness decodes or throws, quickly", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let inputs = try Self.inputs(target)
        #expect(!inputs.isEmpty, "Tests/Fixtures/fuzz/\(target.rawValue) holds no inputs")
        let clock = ContinuousClock()
        var thrown = 0
        for url in inputs {
            let data = try Data(contentsOf: url)
            var error: (any Error)?
            let elapsed = clock.measure { error = target.run(data) }
            if error != nil { thrown += 1 }
            #expect(elapsed < Self.timeLimit, "\(target.rawValue)/\(url.lastPathComponent) took \(elapsed)")
        }
        // A corpus that only ever throws would mean the harness never reaches the decoders' insides.
        #expect(thrown < inputs.count, "every \(target.rawValue) input was rejected")
    }

    @Test("errors thrown on fuzz inputs describe themselves in words")
    func errorsAreDescribed() throws {
        for target in FuzzTarget.allCases {
            for url in try Self.inputs(target).prefix(50) {
                if let error = target.run(try Data(contentsOf: url)) {
                    let text = String(describing: error)
                    #expect(
                        text.count > 10 && text.contains(":"), "\(target.rawValue)/\(url.lastPathComponent): \(text)")
                }
            }
        }
    }
}
