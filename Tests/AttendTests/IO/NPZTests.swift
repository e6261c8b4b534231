import Foundation
import Testing

@testable import Attend

@Suite("NPZ archives")
struct NPZTests {
    private func sampleArrays() -> [String: ArrayData] {
        var arrays: [String: ArrayData] = [:]
        for (index, dtype) in DType.allCases.enumerated() where dtype != .bfloat16 {
            let shape = IOSample.shapes[index % IOSample.shapes.count]
            arrays["\(dtype.rawValue)_\(index)"] = IOSample.array(dtype, shape: shape, seed: UInt64(index + 7))
        }
        arrays["scalar"] = ArrayData(shape: [], float64: [2.5])
        arrays["empty"] = IOSample.array(.int32, shape: [0, 4])
        arrays["rank4"] = IOSample.array(.float32, shape: [2, 1, 2, 3])
        return arrays
    }

    @Test("write → read returns the same arrays, stored or deflated", arguments: [false, true])
    func roundTrip(compressed: Bool) throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("arrays.npz")
        let arrays = sampleArrays()
        try NPZ.write(arrays, to: url, compressed: compressed)
        #expect(try NPZ.read(contentsOf: url) == arrays)
        #expect(try scratch.contents() == ["arrays.npz"])
    }

    @Test("compressed archives deflate their members and stored ones do not")
    func compression() throws {
        let scratch = try IOScratchDirectory()
        let zeros = ["z": ArrayData(shape: [64, 64], float64: Array(repeating: 0, count: 4096))]
        try NPZ.write(zeros, to: scratch.file("stored.npz"))
        try NPZ.write(zeros, to: scratch.file("deflated.npz"), compressed: true)
        let storedSize = try Data(contentsOf: scratch.file("stored.npz")).count
        let deflatedSize = try Data(contentsOf: scratch.file("deflated.npz")).count
        #expect(storedSize > 32_768)
        #expect(deflatedSize < 2_000)
        #expect(try NPZ.read(contentsOf: scratch.file("deflated.npz")) == zeros)
    }

    @Test("bfloat16 arrays are stored as float32 members")
    func bfloat16() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("b.npz")
        try NPZ.write(["b": IOSample.uint16(.bfloat16, [2], [0x3F80, 0x4000])], to: url)
        let read = try #require(try NPZ.read(contentsOf: url)["b"])
        #expect(read.dtype == .float32)
        #expect(try read.floats(name: "b") == [1, 2])
    }

    @Test("a file that is not a ZIP archive is refused")
    func notZip() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("junk.npz")
        try Data(repeating: 0x41, count: 300).write(to: url)
        expectFormatError(file: "junk.npz", "not a readable ZIP archive") { _ = try NPZ.read(contentsOf: url) }
    }

    @Test("a truncated archive is refused")
    func truncated() throws {
        let scratch = try IOScratchDirectory()
        let full = try Data(contentsOf: IOFixtures.url("stored.npz"))
        let url = scratch.file("cut.npz")
        try full.prefix(full.count / 2).write(to: url)
        expectFormatError(file: "cut.npz", "not a readable ZIP archive") { _ = try NPZ.read(contentsOf: url) }
    }

    @Test("a member whose bytes were corrupted fails its CRC check")
    func corruptedMember() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("crc.npz")
        let values = ArrayData(shape: [4], float32: [1, 2, 3, 4])
        try NPZ.write(["v": values], to: url)
        var bytes = try Data(contentsOf: url)
        let payload = Data(values.bytes)
        let range = try #require(bytes.range(of: payload))
        bytes[range.lowerBound] ^= 0x01
        try bytes.write(to: url)
        expectFormatError(file: "crc.npz", "member \"v.npy\"", "CRC-32") { _ = try NPZ.read(contentsOf: url) }
    }

    @Test("a member that is not a valid .npy is reported with the archive and member names")
    func badMember() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("mixed.npz")
        try makeArchive(
            at: url,
            members: [
                ("good.npy", NPY.encode(ArrayData(shape: [1], float32: [1]))),
                (
                    "bad.npy",
                    IOCraft.npy(header: "{'descr': '<i2', 'fortran_order': False, 'shape': (1,)}", data: [0, 0])
                ),
            ])
        let error = expectFormatError(
            file: "mixed.npz", "member \"bad.npy\": dtype '<i2' is not supported", kind: .unsupported
        ) {
            _ = try NPZ.read(contentsOf: url)
        }
        #expect(error?.description.hasPrefix("mixed.npz: member \"bad.npy\": ") == true)

        try FileManager.default.removeItem(at: url)
        try makeArchive(at: url, members: [("readme.txt", Data("hello".utf8))])
        expectFormatError(file: "mixed.npz", "member \"readme.txt\"", "not a .npy file") {
            _ = try NPZ.read(contentsOf: url)
        }
    }

    @Test("two members that map to the same array name are refused")
    func duplicateNames() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("dup.npz")
        let member = NPY.encode(ArrayData(shape: [1], float32: [1]))
        try makeArchive(at: url, members: [("a.npy", member), ("a", member)])
        expectFormatError(file: "dup.npz", "repeats the array name \"a\"") { _ = try NPZ.read(contentsOf: url) }
    }

    @Test("directory members are refused")
    func directoryMember() throws {
        // Written by scripts/make_io_fixtures.py: one directory member "sub/" and one array "a.npy".
        expectFormatError(file: "directory_member.npz", "member \"sub/\" is a directory", kind: .unsupported) {
            _ = try NPZ.read(contentsOf: IOFixtures.url("directory_member.npz"))
        }
    }

    @Test("invalid arrays or names are refused before anything is written")
    func invalidWrite() throws {
        let scratch = try IOScratchDirectory()
        var broken = ArrayData(shape: [2], float32: [1, 2])
        broken.shape = [3]
        expectFormatError(file: "out.npz", "array \"x\"", "needs 12 bytes but 8 were given", kind: .invalidArgument) {
            try NPZ.write(["x": broken], to: scratch.file("out.npz"))
        }
        expectFormatError(file: "out.npz", "array name \"\" cannot be a ZIP member name", kind: .invalidArgument) {
            try NPZ.write(["": ArrayData(shape: [], float32: [1])], to: scratch.file("out.npz"))
        }
        #expect(try scratch.contents().isEmpty)
    }

    private func makeArchive(at url: URL, members: [(String, Data)], compressed: Bool = false) throws {
        try NPZ.writeMembers(
            members.map { member in (path: member.0, data: { member.1 }) }, to: url, compressed: compressed)
    }
}
