import Attend
import AttendReference
import Foundation
import Testing

/// The NumPy-made cases of `Tests/Fixtures/numeric/manifest.json` (written by
/// `scripts/make_fixtures.py`): float32 inputs, float64 expected outputs computed from them.
struct NumericFixture: Decodable, CustomStringConvertible, Sendable {
    /// A parameter value as the manifest writes it.
    enum Parameter: Decodable, Sendable {
        case int(Int)
        case ints([Int])
        case string(String)
        /// A float, bool or null — parameters of ops this suite does not read.
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) { self = .int(value) }
            else if let value = try? container.decode([Int].self) { self = .ints(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else { self = .other }
        }
    }

    struct File: Decodable, Sendable {
        var name: String
        var file: String
    }

    var name: String
    var op: String
    var params: [String: Parameter]
    var inputs: [File]
    var outputs: [File]

    private enum CodingKeys: String, CodingKey { case name, op, params, inputs, outputs }

    var description: String { name }

    static let directory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // Lowering
        .deletingLastPathComponent()  // AttendTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/numeric", isDirectory: true)

    /// The cases of one op (empty when the manifest cannot be read, which the callers check).
    static func cases(op: String) -> [NumericFixture] {
        struct Manifest: Decodable { var cases: [NumericFixture] }
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data)
        else { return [] }
        return manifest.cases.filter { $0.op == op }
    }

    /// An input as a Float tensor.
    func input(_ name: String) throws -> Tensor<Float> {
        let file = try #require(inputs.first { $0.name == name }, "fixture \(self.name) has no input \(name)")
        let array = try NPY.read(contentsOf: Self.directory.appendingPathComponent(file.file))
        return try Tensor(shape: array.shape, scalars: array.floats(name: file.file))
    }

    /// The inputs in manifest order.
    func allInputs() throws -> [Tensor<Float>] { try inputs.map { try input($0.name) } }

    /// An expected output as a Double reference array.
    func output(_ name: String = "out") throws -> ReferenceArray<Double> {
        let file = try #require(outputs.first { $0.name == name }, "fixture \(self.name) has no output \(name)")
        let array = try NPY.read(contentsOf: Self.directory.appendingPathComponent(file.file))
        return ReferenceArray(shape: array.shape, values: try array.doubles(name: file.file))
    }

    func int(_ key: String) throws -> Int {
        guard case .int(let value) = params[key] else { throw LoweringFixtureError("fixture \(name): parameter \(key) is not an integer") }
        return value
    }

    func pair(_ key: String) throws -> (Int, Int) {
        guard case .ints(let values) = params[key], values.count == 2 else {
            throw LoweringFixtureError("fixture \(name): parameter \(key) is not a pair")
        }
        return (values[0], values[1])
    }

    func string(_ key: String) throws -> String {
        guard case .string(let value) = params[key] else { throw LoweringFixtureError("fixture \(name): parameter \(key) is not a string") }
        return value
    }
}

private struct LoweringFixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
