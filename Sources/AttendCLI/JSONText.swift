import Foundation

/// A value as compact JSON — the tool's one JSON writer (JSONEncoder: keys sorted, `"`, `\` and
/// control characters escaped, `/` not escaped, the rest as UTF-8). A `String` gives its JSON
/// string literal, which is how `embed --json` and `generate --json` quote text.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
