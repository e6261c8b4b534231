import Foundation
import Testing

@testable import Attend

/// Committed fixture files written by scripts/make_io_fixtures.py.
enum IOFixtures {
    /// …/Tests/AttendTests/IO/IOTestSupport.swift → …/Tests/Fixtures/io/
    static let directory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // IO
        .deletingLastPathComponent()  // AttendTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/io", isDirectory: true)

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// A fresh directory under the system temporary directory, removed when released.
final class IOScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("attend-io-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// Runs `body`, expecting a `FileFormatError` about `file` whose problem contains every fragment.
@discardableResult
func expectFormatError(
    file: String,
    _ fragments: String...,
    kind: FileFormatError.Kind? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> FileFormatError? {
    do {
        try body()
        Issue.record("expected a FileFormatError about \(file), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as FileFormatError {
        #expect(error.file == file, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description == "\(file): \(error.problem)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.problem.contains(fragment), "«\(fragment)» not in: \(error)", sourceLocation: sourceLocation)
        }
        if let kind {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a FileFormatError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Deterministic test arrays.
enum IOSample {
    /// An array of `dtype` and `shape` with varied, deterministic contents (bool: 0/1).
    static func array(_ dtype: DType, shape: [Int], seed: UInt64 = 1) -> ArrayData {
        let count = shape.reduce(1, *) * dtype.byteWidth
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes.append(dtype == .bool ? UInt8(state & 1) : UInt8(truncatingIfNeeded: state >> 24))
        }
        // Force-try is fine in tests: the byte count matches by construction.
        return try! ArrayData(shape: shape, dtype: dtype, bytes: bytes)
    }

    /// Shapes of rank 0 through 4, plus empty ones.
    static let shapes: [[Int]] = [[], [5], [2, 3], [2, 1, 3], [1, 2, 3, 2], [0], [3, 0, 2]]

    static func int64(_ shape: [Int], _ values: [Int64]) -> ArrayData {
        var bytes: [UInt8] = []
        for value in values { LittleEndianBytes.append(value, to: &bytes) }
        return try! ArrayData(shape: shape, dtype: .int64, bytes: bytes)
    }

    static func int32(_ shape: [Int], _ values: [Int32]) -> ArrayData {
        var bytes: [UInt8] = []
        for value in values { LittleEndianBytes.append(value, to: &bytes) }
        return try! ArrayData(shape: shape, dtype: .int32, bytes: bytes)
    }

    static func uint16(_ dtype: DType, _ shape: [Int], _ bits: [UInt16]) -> ArrayData {
        var bytes: [UInt8] = []
        for value in bits { LittleEndianBytes.append(value, to: &bytes) }
        return try! ArrayData(shape: shape, dtype: dtype, bytes: bytes)
    }
}

/// Builders for hand-made (often malformed) file bytes.
enum IOCraft {
    /// A .npy file: magic, version, header length (or `lengthOverride`), header text, then `data`.
    static func npy(major: UInt8 = 1, header: String, data: [UInt8] = [], lengthOverride: Int? = nil) -> Data {
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
        let headerBytes = Array(header.utf8)
        let length = lengthOverride ?? headerBytes.count
        if major == 1 {
            LittleEndianBytes.append(UInt16(length), to: &bytes)
        } else {
            LittleEndianBytes.append(UInt32(length), to: &bytes)
        }
        return Data(bytes + headerBytes + data)
    }

    /// A .safetensors file: u64 header length (or `lengthOverride`), the JSON text, then `data`.
    static func safetensors(_ json: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> Data {
        var bytes: [UInt8] = []
        let header = Array(json.utf8)
        LittleEndianBytes.append(lengthOverride ?? UInt64(header.count), to: &bytes)
        return Data(bytes + header + data)
    }
}
