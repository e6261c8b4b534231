import Attend
import AttendReference
import Foundation
import Testing

/// Runs the built `attend` executable, as a user would.
enum AttendTool {
    /// `attend` next to the test bundle (both live in the build directory: `.build/debug`,
    /// or `--scratch-path`'s), or `$ATTEND_BINARY`.
    static let executable: URL = {
        if let path = ProcessInfo.processInfo.environment["ATTEND_BINARY"] { return URL(fileURLWithPath: path) }
        let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var directory = bundle.deletingLastPathComponent()
        // macOS runs tests from …/debug/AttendPackageTests.xctest/Contents/MacOS.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("attend").path),
            directory.pathComponents.count > 1
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("attend")
    }()

    struct Outcome: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// Runs `attend arguments…` to completion, capturing both streams (through files, so a
    /// large output cannot fill a pipe and block the child). `environment` adds to (or, with
    /// nil values, removes from) this process's environment for the child; `input`, when given,
    /// is the child's standard input (from a file).
    static func run(_ arguments: [String], environment: [String: String?] = [:], input: String? = nil) throws
        -> Outcome
    {
        let scratch = FileManager.default.temporaryDirectory
        let outURL = scratch.appendingPathComponent("attend-stdout-\(UUID().uuidString)")
        let errURL = scratch.appendingPathComponent("attend-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            var variables = ProcessInfo.processInfo.environment
            for (name, value) in environment { variables[name] = value }
            process.environment = variables
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        let inURL = scratch.appendingPathComponent("attend-stdin-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: inURL) }
        if let input {
            try Data(input.utf8).write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        }
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}

/// A temporary directory for one test's files, removed when the value is released.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "attend-cli-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// Writes `array` as float32 (`<f4`) with the library's NPY writer; returns the path.
    @discardableResult
    func write(_ name: String, _ array: ReferenceArray<Double>) throws -> String {
        try NPY.write(
            ArrayData(shape: array.shape, float32: array.values.map { Float($0) }), to: URL(fileURLWithPath: path(name))
        )
        return path(name)
    }

    /// Writes a bool array (`|b1`); returns the path.
    @discardableResult
    func write(_ name: String, bools: [Bool], shape: [Int]) throws -> String {
        try NPY.write(ArrayData(shape: shape, bool: bools), to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// Writes named arrays as float32 safetensors; returns the path.
    @discardableResult
    func writeSafeTensors(_ name: String, _ arrays: [String: ReferenceArray<Double>]) throws -> String {
        let data = arrays.mapValues { ArrayData(shape: $0.shape, float32: $0.values.map { Float($0) }) }
        try SafeTensors.write(data, to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func read(_ name: String) throws -> ArrayData { try NPY.read(contentsOf: URL(fileURLWithPath: path(name))) }
}

/// Random test data whose values are exact in Float, so the engine (which reads float32) and the
/// reference (in Double) see the same numbers.
struct TestData {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func randn(_ shape: [Int], scale: Double = 1) -> ReferenceArray<Double> {
        ReferenceArray(
            shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Double(Float(scale * generator.nextNormal())) })
    }

    mutating func bools(_ count: Int, keep: Double) -> [Bool] {
        (0..<count).map { _ in generator.nextUnit() < keep }
    }
}

/// The CLI tests' tolerance for multi-step results read back from files: a chain of Float dot
/// products whose longest reduction is K stays below 64·K·u times the output's scale, u = 2⁻²⁴.
/// The policy's elementwise bounds (AttendVerification, which `attend compare` and the library
/// tests use) are tighter; this coarse form only checks that `attend run` wrote the right op's
/// result, the ops themselves being checked against the policy elsewhere.
func chainTolerance(longestReduction k: Int, scale: Double) -> Double {
    64 * Double(k) * Double(Float.ulpOfOne) / 2 * (scale + 1)
}

/// Checks shape, element type and values: every |actual − expected| ≤ `tolerance`.
func expectArray(
    _ actual: ArrayData, equals expected: ReferenceArray<Double>, dtype: DType, tolerance: Double,
    _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(
        actual.shape == expected.shape, "shape \(actual.shape) vs expected \(expected.shape) \(context)",
        sourceLocation: sourceLocation)
    #expect(actual.dtype == dtype, "dtype \(actual.dtype) vs \(dtype) \(context)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let values = try actual.doubles(name: "output")
    var worst = 0.0
    for (a, e) in zip(values, expected.values) where !(a == e) {
        worst = max(worst, (a - e).isNaN ? .infinity : abs(a - e))
    }
    #expect(
        worst <= tolerance, "max |actual − expected| = \(worst) > \(tolerance) \(context)",
        sourceLocation: sourceLocation)
}

/// The largest |x|.
func maxMagnitude(_ a: ReferenceArray<Double>) -> Double { a.values.reduce(0) { max($0, $1.isFinite ? abs($1) : 0) } }
