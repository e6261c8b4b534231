import Attend
import AttendReference
import AttendVerification
import Foundation
import Testing

// The NumPy-made golden fixtures under Tests/Fixtures/numeric (written by
// scripts/make_fixtures.py): `manifest.json` lists every case — its op, its parameters, its
// inputs (float32 or bool .npy) and its expected outputs (float64 .npy, computed from the
// float32 inputs with correctly rounded sums).

/// `manifest.json`: the generator that wrote the fixtures and every case it made.
struct FixtureManifest: Decodable, Sendable {
    var generator: String
    var numpyVersion: String
    var cases: [FixtureCase]

    enum CodingKeys: String, CodingKey {
        case generator, cases
        case numpyVersion = "numpy_version"
    }

    /// …/Tests/AttendTests/Regression/FixtureManifest.swift → …/Tests/Fixtures/numeric/
    static let directory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // Regression
        .deletingLastPathComponent()  // AttendTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/numeric", isDirectory: true)

    /// Reads and decodes `manifest.json`.
    /// - Throws: when the file is missing or is not a manifest.
    static func load() throws -> FixtureManifest {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode(FixtureManifest.self, from: data)
    }

    /// Every case, in manifest order — the arguments of the parameterized regression test.
    /// Empty when the manifest cannot be read; `FixtureManifestTests` then fails and says why.
    static let cases: [FixtureCase] = (try? load().cases) ?? []
}

/// One fixture case: an op applied to named inputs, with the outputs NumPy computed.
struct FixtureCase: Decodable, Sendable, CustomTestStringConvertible {
    /// A file of the case, relative to the fixture directory.
    struct File: Decodable, Sendable {
        var name: String
        var file: String
    }

    var name: String
    var op: String
    var params: [String: JSONValue]
    var inputs: [File]
    var outputs: [File]
    /// `<case>/weights.safetensors` for multi-head attention and encoder layers: the same
    /// parameters as the per-name inputs, under PyTorch state_dict names.
    var weightsFile: String?
    var note: String

    enum CodingKeys: String, CodingKey {
        case name, op, params, inputs, outputs, note
        case weightsFile = "weights_file"
    }

    var testDescription: String { "\(name) (\(op))" }

    // MARK: Parameters

    /// The parameter `key`, or a thrown error naming the case and the key.
    func param(_ key: String) throws -> JSONValue {
        guard let value = params[key] else {
            throw FixtureError(self, "has no parameter '\(key)' (has \(params.keys.sorted()))")
        }
        return value
    }

    func int(_ key: String) throws -> Int { try param(key).int(key, of: self) }
    func double(_ key: String) throws -> Double { try param(key).double(key, of: self) }
    func bool(_ key: String) throws -> Bool { try param(key).bool(key, of: self) }
    func string(_ key: String) throws -> String { try param(key).string(key, of: self) }
    /// An integer or a list of integers, as a list (`"dim": 0` and `"dim": [0, 2]`).
    func ints(_ key: String) throws -> [Int] { try param(key).ints(key, of: self) }
    /// A `[first, second]` pair such as a stride or a padding.
    func pair(_ key: String) throws -> (Int, Int) {
        let values = try ints(key)
        guard values.count == 2 else { throw FixtureError(self, "parameter '\(key)' is \(values), not a pair") }
        return (values[0], values[1])
    }

    // MARK: Files

    func url(_ relativePath: String) -> URL { FixtureManifest.directory.appendingPathComponent(relativePath) }

    /// Whether the case has an input called `name`.
    func hasInput(_ name: String) -> Bool { inputs.contains { $0.name == name } }

    /// The decoded input `name`.
    func inputArray(_ name: String) throws -> ArrayData {
        guard let file = inputs.first(where: { $0.name == name }) else {
            throw FixtureError(self, "has no input '\(name)' (has \(inputs.map(\.name)))")
        }
        return try NPY.read(contentsOf: url(file.file))
    }

    /// The float32 input `name` as an engine tensor.
    func tensor(_ name: String) throws -> Tensor<Float> {
        let array = try inputArray(name)
        guard array.dtype == .float32 else {
            throw FixtureError(self, "input '\(name)' is \(array.dtype), not float32")
        }
        return try Tensor<Float>(array, name: "\(self.name)/\(name)")
    }

    /// The same input as a Double reference array (float32 values widened exactly).
    func reference(_ name: String) throws -> ReferenceArray<Double> {
        let array = try inputArray(name)
        guard array.dtype == .float32 else {
            throw FixtureError(self, "input '\(name)' is \(array.dtype), not float32")
        }
        return ReferenceArray(shape: array.shape, values: try array.doubles(name: "\(self.name)/\(name)"))
    }

    /// The boolean input `name` as a mask.
    func boolTensor(_ name: String) throws -> BoolTensor {
        let array = try inputArray(name)
        guard array.dtype == .bool else { throw FixtureError(self, "input '\(name)' is \(array.dtype), not bool") }
        return try BoolTensor(array, name: "\(self.name)/\(name)")
    }

    /// The expected (float64) output `name`.
    func expected(_ name: String) throws -> ReferenceArray<Double> {
        guard let file = outputs.first(where: { $0.name == name }) else {
            throw FixtureError(self, "has no output '\(name)' (has \(outputs.map(\.name)))")
        }
        let array = try NPY.read(contentsOf: url(file.file))
        guard array.dtype == .float64 else {
            throw FixtureError(self, "output '\(name)' is \(array.dtype), not float64")
        }
        return ReferenceArray(shape: array.shape, values: try array.doubles(name: "\(self.name)/\(name)"))
    }

    /// The case's `weights.safetensors`, read by Attend's safetensors reader.
    func safetensorsWeights() throws -> [String: Tensor<Float>] {
        guard let weightsFile else { throw FixtureError(self, "has no weights_file") }
        return try readTensors(contentsOf: url(weightsFile), as: Float.self)
    }
}

/// A case that the suite cannot run as described (a missing parameter, input or file type).
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ fixture: FixtureCase, _ problem: String) {
        description = "fixture \(fixture.name) (op \(fixture.op)) \(problem)"
    }
}

/// A JSON value of the manifest's `params`.
enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var isNull: Bool { self == .null }

    func int(_ key: String, of fixture: FixtureCase) throws -> Int {
        guard case .number(let value) = self, let exact = Int(exactly: value) else {
            throw mismatch("an integer", key, fixture)
        }
        return exact
    }

    func double(_ key: String, of fixture: FixtureCase) throws -> Double {
        guard case .number(let value) = self else { throw mismatch("a number", key, fixture) }
        return value
    }

    func bool(_ key: String, of fixture: FixtureCase) throws -> Bool {
        guard case .bool(let value) = self else { throw mismatch("a boolean", key, fixture) }
        return value
    }

    func string(_ key: String, of fixture: FixtureCase) throws -> String {
        guard case .string(let value) = self else { throw mismatch("a string", key, fixture) }
        return value
    }

    func ints(_ key: String, of fixture: FixtureCase) throws -> [Int] {
        if case .array(let values) = self { return try values.map { try $0.int(key, of: fixture) } }
        return [try int(key, of: fixture)]
    }

    private func mismatch(_ kind: String, _ key: String, _ fixture: FixtureCase) -> FixtureError {
        FixtureError(fixture, "parameter '\(key)' is \(self), not \(kind)")
    }
}
