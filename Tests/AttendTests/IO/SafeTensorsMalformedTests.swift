import Foundation
import Testing

@testable import Attend

@Suite("Malformed .safetensors input")
struct SafeTensorsMalformedTests {
    private func decode(_ data: Data) throws { _ = try SafeTensors.decode(data, name: "weights.safetensors") }
    private func decode(_ json: String, data: [UInt8] = []) throws { try decode(IOCraft.safetensors(json, data: data)) }
    private func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }

    @Test("empty and truncated files are refused")
    func truncated() {
        expectFormatError(file: "weights.safetensors", "file is empty") { try decode(Data()) }
        expectFormatError(file: "weights.safetensors", "truncated", "5 bytes", "8-byte header length") {
            try decode(Data([1, 0, 0, 0, 0]))
        }
    }

    @Test("a header length beyond the file is refused")
    func headerLengthBeyondFile() {
        expectFormatError(file: "weights.safetensors", "header length 1000 runs past the end of the file (10 bytes") {
            try decode(IOCraft.safetensors("{}", lengthOverride: 1000))
        }
        expectFormatError(
            file: "weights.safetensors", "header length 18446744073709551615 exceeds the 100000000-byte limit"
        ) {
            try decode(IOCraft.safetensors("{}", lengthOverride: .max))
        }
    }

    @Test("a header that is not valid JSON, or not an object, is refused")
    func badJSON() {
        expectFormatError(file: "weights.safetensors", "header is not valid JSON") {
            try decode(#"{"a": {"dtype": "F32",}"#)
        }
        expectFormatError(file: "weights.safetensors", "not a JSON object") { try decode("[1, 2]") }
        expectFormatError(file: "weights.safetensors", "header is not valid JSON", "duplicate key \"a\"") {
            try decode(#"{"a": {"dtype": "U8", "shape": [], "data_offsets": [0, 1]}, "a": 1}"#, data: [0])
        }
        var invalidUTF8 = IOCraft.safetensors(#"{"x": 1}"#)
        invalidUTF8[10] = 0xFF
        expectFormatError(file: "weights.safetensors", "header is not valid JSON") { try decode(invalidUTF8) }
    }

    @Test("unknown and malformed dtypes are refused, naming the tensor")
    func badDType() {
        expectFormatError(
            file: "weights.safetensors", "tensor \"w\" has unsupported dtype \"I16\"", "F32", kind: .unsupported
        ) {
            try decode(#"{"w": {"dtype": "I16", "shape": [1], "data_offsets": [0, 2]}}"#, data: zeros(2))
        }
        expectFormatError(file: "weights.safetensors", "tensor \"w\" has no \"dtype\"") {
            try decode(#"{"w": {"shape": [1], "data_offsets": [0, 4]}}"#, data: zeros(4))
        }
        expectFormatError(file: "weights.safetensors", "tensor \"w\" is described by 7, not an object") {
            try decode(#"{"w": 7}"#)
        }
    }

    @Test("negative and non-integer shapes are refused")
    func badShapes() {
        expectFormatError(
            file: "weights.safetensors", "tensor \"w\" has shape [2, -1]: -1 is not a non-negative integer"
        ) {
            try decode(#"{"w": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 0]}}"#)
        }
        expectFormatError(
            file: "weights.safetensors", "tensor \"w\" has shape [3.0]: 3.0 is not a non-negative integer"
        ) {
            try decode(#"{"w": {"dtype": "F32", "shape": [3.0], "data_offsets": [0, 12]}}"#, data: zeros(12))
        }
        expectFormatError(file: "weights.safetensors", "tensor \"w\" has shape \"3\", not a list of integers") {
            try decode(#"{"w": {"dtype": "F32", "shape": "3", "data_offsets": [0, 12]}}"#, data: zeros(12))
        }
    }

    @Test("data_offsets that are not two ordered non-negative integers are refused")
    func badOffsets() {
        for offsets in ["[0]", "[0, 4, 8]", "[4, 0]", "[-4, 0]", "[0, 4.5]", "\"0-4\""] {
            expectFormatError(file: "weights.safetensors", "tensor \"w\" has data_offsets", "expected [begin, end]") {
                try decode(#"{"w": {"dtype": "U8", "shape": [4], "data_offsets": \#(offsets)}}"#, data: zeros(4))
            }
        }
    }

    @Test("data_offsets whose length does not match shape × dtype width are refused")
    func sizeMismatch() {
        expectFormatError(
            file: "weights.safetensors",
            "tensor \"in_proj_weight\" has data_offsets [0, 40] (40 bytes) but shape [3, 4] of F32 needs 48 bytes"
        ) {
            try decode(
                #"{"in_proj_weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 40]}}"#, data: zeros(40))
        }
        let error = expectFormatError(file: "weights.safetensors") {
            try decode(
                #"{"in_proj_weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 40]}}"#, data: zeros(40))
        }
        #expect(
            error?.description
                == "weights.safetensors: tensor \"in_proj_weight\" has data_offsets [0, 40] (40 bytes) but shape [3, 4] of F32 needs 48 bytes"
        )
    }

    @Test("offsets beyond the data buffer are refused")
    func beyondBuffer() {
        expectFormatError(
            file: "weights.safetensors",
            "tensor \"w\" has data_offsets [0, 16], beyond the end of the 8-byte data buffer"
        ) {
            try decode(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: zeros(8))
        }
    }

    @Test("overlapping tensors are refused")
    func overlap() {
        let json =
            #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
        expectFormatError(
            file: "weights.safetensors",
            "tensor \"b\" (data_offsets [4, 12]) overlaps tensor \"a\" (data_offsets [0, 8])"
        ) {
            try decode(json, data: zeros(12))
        }
    }

    @Test("gaps and leftover bytes in the data buffer are refused")
    func coverage() {
        let gap =
            #"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}, "b": {"dtype": "U8", "shape": [2], "data_offsets": [4, 6]}}"#
        expectFormatError(
            file: "weights.safetensors", "bytes [2, 4) belong to no tensor", "after tensor \"a\" before tensor \"b\""
        ) {
            try decode(gap, data: zeros(6))
        }
        let late = #"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}"#
        expectFormatError(file: "weights.safetensors", "bytes [0, 2) belong to no tensor") {
            try decode(late, data: zeros(4))
        }
        let short = #"{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}"#
        expectFormatError(file: "weights.safetensors", "3 bytes left over after tensor \"a\" ends at byte 2") {
            try decode(short, data: zeros(5))
        }
        expectFormatError(file: "weights.safetensors", "4 bytes left over and no tensor uses them") {
            try decode("{}", data: zeros(4))
        }
    }

    @Test("metadata that is not an object of strings is refused")
    func badMetadata() {
        expectFormatError(file: "weights.safetensors", "\"__metadata__\" entry \"epoch\" is 3, not a string") {
            try decode(#"{"__metadata__": {"epoch": 3}}"#)
        }
        expectFormatError(file: "weights.safetensors", "\"__metadata__\" is [], not an object of strings") {
            try decode(#"{"__metadata__": []}"#)
        }
    }

    @Test("a header claiming shape [1000000, 1000000] is refused without allocating")
    func hugeShape() {
        expectFormatError(
            file: "weights.safetensors",
            "has data_offsets [0, 8] (8 bytes) but shape [1000000, 1000000] of F32 needs 4000000000000 bytes"
        ) {
            try decode(#"{"w": {"dtype": "F32", "shape": [1000000, 1000000], "data_offsets": [0, 8]}}"#, data: zeros(8))
        }
        expectFormatError(file: "weights.safetensors", "beyond the end of the 8-byte data buffer") {
            try decode(
                #"{"w": {"dtype": "F32", "shape": [1000000, 1000000], "data_offsets": [0, 4000000000000]}}"#,
                data: zeros(8))
        }
        expectFormatError(file: "weights.safetensors", "whose size in bytes overflows") {
            try decode(
                #"{"w": {"dtype": "F64", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}"#, data: zeros(8))
        }
    }
}
