import Foundation
import Testing

@testable import Attend

@Suite("Malformed .npy input")
struct NPYMalformedTests {
    private let validHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n"
    private func decode(_ data: Data) throws { _ = try NPY.decode(data, name: "bad.npy") }
    private func header(_ text: String, data: [UInt8] = []) throws { try decode(IOCraft.npy(header: text, data: data)) }

    @Test("an empty file is refused")
    func empty() {
        expectFormatError(file: "bad.npy", "file is empty", kind: .malformed) { try decode(Data()) }
    }

    @Test("bad magic bytes are refused")
    func badMagic() {
        expectFormatError(file: "bad.npy", "not a .npy file", "\\x93NUMPY") {
            try decode(Data("PK\u{3}\u{4} not numpy".utf8))
        }
    }

    @Test("a file cut inside the preamble is refused as truncated")
    func truncatedPreamble() {
        expectFormatError(file: "bad.npy", "truncated", "5 bytes") { try decode(Data([0x93, 0x4E, 0x55, 0x4D, 0x50])) }
        expectFormatError(file: "bad.npy", "truncated", "12-byte") {
            try decode(Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 10, 0]))
        }
    }

    @Test("unknown format versions are refused")
    func unknownVersion() {
        expectFormatError(file: "bad.npy", "version 4.0 is not supported", kind: .unsupported) {
            try decode(IOCraft.npy(major: 4, header: validHeader))
        }
    }

    @Test("a header length beyond the end of the file is refused")
    func headerLengthBeyondFile() {
        expectFormatError(file: "bad.npy", "header length 5000 runs past the end of the file") {
            try decode(IOCraft.npy(header: validHeader, lengthOverride: 5000))
        }
    }

    @Test("a header that is not a Python dict literal is refused")
    func headerSyntax() {
        expectFormatError(file: "bad.npy", "not a valid Python dict literal", "expected ',' or '}'") {
            try header("{'descr': '<f4' 'shape': ()}")
        }
        expectFormatError(file: "bad.npy", "not a dict") { try header("['descr', '<f4']") }
        expectFormatError(file: "bad.npy", "not a valid Python dict literal", "unknown name 'eval'") {
            try header("{'descr': eval('1')}")
        }
    }

    @Test("missing and unexpected header keys are refused")
    func headerKeys() {
        expectFormatError(file: "bad.npy", "header has no 'shape' key") {
            try header("{'descr': '<f4', 'fortran_order': False}")
        }
        expectFormatError(file: "bad.npy", "unexpected key 'order'") {
            try header("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'order': 1}")
        }
    }

    @Test("unknown dtypes are refused with the descr named")
    func unknownDType() {
        expectFormatError(file: "bad.npy", "dtype '<i2' is not supported", "'<f4'", kind: .unsupported) {
            try header("{'descr': '<i2', 'fortran_order': False, 'shape': (1,)}", data: [0, 0])
        }
        expectFormatError(file: "bad.npy", "dtype '|i1' is not supported", kind: .unsupported) {
            try header("{'descr': '|i1', 'fortran_order': False, 'shape': (1,)}", data: [0])
        }
        expectFormatError(file: "bad.npy", "dtype '|O'", "pickled", kind: .unsupported) {
            try header("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", data: [0])
        }
        expectFormatError(file: "bad.npy", "structured dtype", kind: .unsupported) {
            try header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}")
        }
    }

    @Test("negative, non-integer and non-tuple shapes are refused")
    func badShapes() {
        expectFormatError(file: "bad.npy", "negative extent -3") {
            try header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}")
        }
        expectFormatError(file: "bad.npy", "only integers") {
            try header("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}")
        }
        expectFormatError(file: "bad.npy", "contains 'x', which is not an integer") {
            try header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x')}")
        }
        expectFormatError(file: "bad.npy", "'shape' is [2, 3], not a tuple") {
            try header("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}")
        }
        expectFormatError(file: "bad.npy", "'fortran_order' is 0, not True or False") {
            try header("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}")
        }
    }

    @Test("data shorter than the shape needs is refused")
    func truncatedData() {
        expectFormatError(file: "bad.npy", "shape (2, 3) of '<f4' (24 bytes) but only 20 bytes of data follow") {
            try header(validHeader, data: [UInt8](repeating: 0, count: 20))
        }
    }

    @Test("bytes after the array data are refused")
    func trailingBytes() {
        expectFormatError(file: "bad.npy", "4 unexpected bytes after the 24 bytes") {
            try header(validHeader, data: [UInt8](repeating: 0, count: 28))
        }
    }

    @Test("a header claiming shape (1000000, 1000000) is refused without allocating")
    func hugeShape() {
        // 4·10¹² bytes: allocating that would crash the test process, so passing shows the size was checked first.
        expectFormatError(
            file: "bad.npy", "(1000000, 1000000) of '<f4' (4000000000000 bytes) but only 8 bytes of data follow"
        ) {
            try header(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (1000000, 1000000), }",
                data: [0, 0, 0, 0, 0, 0, 0, 0])
        }
        expectFormatError(file: "bad.npy", "overflows") {
            try header("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")
        }
    }

    @Test("a version 3.0 header that is not UTF-8 is refused")
    func badUTF8() {
        var data = IOCraft.npy(major: 3, header: validHeader)
        data[14] = 0xFF
        expectFormatError(file: "bad.npy", "not valid UTF-8") { try decode(data) }
    }

    @Test("reading a missing file names it and says so")
    func missingFile() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).npy")
        expectFormatError(file: url.lastPathComponent, "no such file", kind: .io) { _ = try NPY.read(contentsOf: url) }
    }
}
