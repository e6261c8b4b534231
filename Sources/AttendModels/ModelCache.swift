import Foundation

/// Where fetched models live — the same rule as `scripts/fetch_model.py` (the one place that
/// fetches them):
///
///     $ATTEND_CACHE/models/<name>        when ATTEND_CACHE is set and not empty
///     ~/.cache/attend/models/<name>      otherwise
///
/// Nothing is downloaded from Swift: a missing model is a ``ModelError`` that names the script.
public enum ModelCache {
    /// The script that fetches and verifies models into the cache.
    public static let fetchScript = "scripts/fetch_model.py"

    /// The cache root, `…/models`.
    public static func root(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let base = environment["ATTEND_CACHE"], !base.isEmpty {
            return URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent("models", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".cache/attend/models", isDirectory: true)
    }

    /// The directory of model `name` (e.g. `"minilm"`); it may not exist.
    public static func directory(for name: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> URL
    {
        root(environment: environment).appendingPathComponent(name, isDirectory: true)
    }

    /// The command that fetches model `name`, for messages.
    public static func fetchCommand(for name: String) -> String {
        "python3 \(fetchScript) \(name)"
    }
}
