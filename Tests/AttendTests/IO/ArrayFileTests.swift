import Foundation
import Testing

@testable import Attend

@Suite("ArrayFile")
struct ArrayFileTests {
    @Test("readAll dispatches on the extension; a .npy gives one entry named after the file stem")
    func readAll() throws {
        let npy = try ArrayFile.readAll(contentsOf: IOFixtures.url("f32_2x3.npy"))
        #expect(Array(npy.keys) == ["f32_2x3"])
        #expect(npy["f32_2x3"]?.shape == [2, 3])
        #expect(
            Set(try ArrayFile.readAll(contentsOf: IOFixtures.url("stored.npz")).keys) == ["weights", "mask", "step"])
        #expect(try ArrayFile.readAll(contentsOf: IOFixtures.url("mixed.safetensors")).count == 6)
    }

    @Test("extensions are matched case-insensitively")
    func uppercaseExtension() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("Upper.NPY")
        try NPY.write(ArrayData(shape: [1], float32: [4]), to: url)
        #expect(try ArrayFile.readAll(contentsOf: url) == ["Upper": ArrayData(shape: [1], float32: [4])])
    }

    @Test("an unknown extension is refused")
    func unknownExtension() {
        expectFormatError(file: "data.csv", "extension \".csv\" is not an array file", kind: .unsupported) {
            _ = try ArrayFile.readAll(contentsOf: URL(fileURLWithPath: "/tmp/data.csv"))
        }
        expectFormatError(file: "weights", "no extension", kind: .unsupported) {
            _ = try ArrayFile.readSingle(contentsOf: URL(fileURLWithPath: "/tmp/weights"))
        }
    }

    @Test("readSingle returns the only array, and refuses files holding several or none")
    func readSingle() throws {
        #expect(try ArrayFile.readSingle(contentsOf: IOFixtures.url("v3_i32_3.npy")).shape == [3])
        let scratch = try IOScratchDirectory()
        let one = scratch.file("one.safetensors")
        try SafeTensors.write(["only": ArrayData(shape: [2], float64: [1, 2])], to: one)
        #expect(try ArrayFile.readSingle(contentsOf: one) == ArrayData(shape: [2], float64: [1, 2]))

        expectFormatError(file: "stored.npz", "holds 3 arrays (\"mask\", \"step\", \"weights\"); expected exactly one")
        {
            _ = try ArrayFile.readSingle(contentsOf: IOFixtures.url("stored.npz"))
        }
        let none = scratch.file("none.npz")
        try NPZ.write([:], to: none)
        expectFormatError(file: "none.npz", "holds no arrays") { _ = try ArrayFile.readSingle(contentsOf: none) }
    }
}

@Suite("Atomic writes")
struct AtomicWriteTests {
    @Test("a failing writer leaves neither a partial file nor a temporary file, and keeps the old file")
    func failureLeavesOldFile() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("a.npy")
        let original = ArrayData(shape: [2], float32: [1, 2])
        try NPY.write(original, to: url)

        struct Boom: Error {}
        #expect(throws: FileFormatError.self) {
            try ArrayFileAccess.replace(url) { temporary in
                try Data([1, 2, 3]).write(to: temporary)  // partial output, then failure
                throw Boom()
            }
        }
        #expect(try scratch.contents() == ["a.npy"])
        #expect(try NPY.read(contentsOf: url) == original)
    }

    @Test("writing into a missing directory fails, naming the file, and creates nothing")
    func missingDirectory() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.url.appendingPathComponent("missing/out.safetensors")
        expectFormatError(file: "out.safetensors", "cannot be written: directory", "missing does not exist", kind: .io)
        {
            try SafeTensors.write(["a": ArrayData(shape: [], float32: [1])], to: url)
        }
        expectFormatError(file: "out.npz", "cannot be written", kind: .io) {
            try NPZ.write(
                ["a": ArrayData(shape: [], float32: [1])], to: scratch.url.appendingPathComponent("missing/out.npz"))
        }
        #expect(try scratch.contents().isEmpty)
    }

    @Test("reading a directory says it is a directory")
    func readDirectory() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("folder.npy")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        expectFormatError(file: "folder.npy", "is a directory, not a file", kind: .io) {
            _ = try NPY.read(contentsOf: url)
        }
    }

    @Test("an invalid array leaves an existing file untouched")
    func invalidArrayKeepsFile() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("keep.npy")
        let original = ArrayData(shape: [], float64: [9])
        try NPY.write(original, to: url)
        var broken = ArrayData(shape: [3], float32: [1, 2, 3])
        broken.shape = [2, 2]
        expectFormatError(
            file: "keep.npy", "array \"keep\"", "needs 16 bytes but 12 were given", kind: .invalidArgument
        ) {
            try NPY.write(broken, to: url)
        }
        #expect(try NPY.read(contentsOf: url) == original)
        #expect(try scratch.contents() == ["keep.npy"])
    }

    @Test("writing over an existing file replaces it")
    func replaces() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("r.npz")
        try NPZ.write(["a": ArrayData(shape: [1], float32: [1])], to: url)
        try NPZ.write(["b": ArrayData(shape: [1], float32: [2])], to: url)
        #expect(try NPZ.read(contentsOf: url) == ["b": ArrayData(shape: [1], float32: [2])])
        #expect(try scratch.contents() == ["r.npz"])
    }
}
