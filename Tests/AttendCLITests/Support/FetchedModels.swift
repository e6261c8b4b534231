import Foundation
import Testing

/// The models `scripts/fetch_model.py` puts in the cache and the reference fixtures the tool's
/// model tests compare against.
enum FetchedModels {
    /// `Tests/Fixtures/models/<name>` (a fixture written by a `scripts/*_reference.py`).
    static func fixtureURL(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/\(name)")
    }

    /// `$ATTEND_CACHE/models` or `~/.cache/attend/models`.
    static var cache: String {
        let env = ProcessInfo.processInfo.environment
        return env["ATTEND_CACHE"].flatMap { $0.isEmpty ? nil : $0 }.map { $0 + "/models" }
            ?? (env["HOME"] ?? NSHomeDirectory()) + "/.cache/attend/models"
    }

    /// Fails the test with the fetch command unless `file` of model `model` is in the cache
    /// (``cache``).
    static func require(_ model: String, file: String) throws {
        let base = cache
        try #require(
            FileManager.default.fileExists(atPath: "\(base)/\(model)/\(file)"),
            "\(model) is not in \(base)/\(model): run `python3 scripts/fetch_model.py \(model)` (scripts/test does)")
    }
}
