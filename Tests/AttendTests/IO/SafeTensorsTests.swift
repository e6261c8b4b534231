import Foundation
import Testing

@testable import Attend

@Suite("safetensors reading and writing")
struct SafeTensorsTests {
    @Test("encode → decode returns the same arrays for every dtype at ranks 0–4 and empty", arguments: DType.allCases)
    func roundTrip(dtype: DType) throws {
        var arrays: [String: ArrayData] = [:]
        for (index, shape) in IOSample.shapes.enumerated() {
            arrays["t\(index)"] = IOSample.array(dtype, shape: shape, seed: UInt64(index + 3))
        }
        let encoded = try SafeTensors.encode(arrays)
        #expect(try SafeTensors.decode(encoded, name: "x.safetensors") == arrays)
    }

    @Test("write → read through a file returns the same arrays, and metadata survives")
    func fileRoundTrip() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("model.safetensors")
        var arrays: [String: ArrayData] = [:]
        for dtype in DType.allCases { arrays[dtype.rawValue] = IOSample.array(dtype, shape: [2, 3]) }
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n ünïcode"]
        try SafeTensors.write(arrays, to: url, metadata: metadata)
        #expect(try SafeTensors.read(contentsOf: url) == arrays)
        let (_, readMetadata) = try SafeTensors.decodeWithMetadata(Data(contentsOf: url), name: "model.safetensors")
        #expect(readMetadata == metadata)
        #expect(try scratch.contents() == ["model.safetensors"])
    }

    @Test("encode packs tensors sorted by name after a compact header padded with spaces to a multiple of 8")
    func layout() throws {
        let arrays = [
            "b": ArrayData(shape: [2], float32: [1, 2]),
            "a": try ArrayData(shape: [], dtype: .uint8, bytes: [9]),
        ]
        let encoded = try SafeTensors.encode(arrays, metadata: ["k": "v"])
        let json =
            #"{"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#
        let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
        var expected: [UInt8] = []
        LittleEndianBytes.append(UInt64(padded.utf8.count), to: &expected)
        expected += Array(padded.utf8) + [9] + ArrayData(shape: [2], float32: [1, 2]).bytes
        #expect(Array(encoded) == expected)
        #expect(padded.utf8.count % 8 == 0)
    }

    @Test("encode without metadata writes no __metadata__ key, and an empty file set is valid")
    func noMetadata() throws {
        let encoded = try SafeTensors.encode([:])
        #expect(Array(encoded) == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        #expect(try SafeTensors.decode(encoded, name: "e.safetensors").isEmpty)
    }

    @Test("encode refuses an inconsistent array and the reserved name __metadata__")
    func invalidEncode() throws {
        var broken = ArrayData(shape: [2], float32: [1, 2])
        broken.bytes.removeLast()
        expectFormatError(file: "safetensors", "array \"w\"", "needs 8 bytes but 7 were given", kind: .invalidArgument)
        {
            _ = try SafeTensors.encode(["w": broken])
        }
        expectFormatError(file: "safetensors", "cannot be named \"__metadata__\"", kind: .invalidArgument) {
            _ = try SafeTensors.encode(["__metadata__": ArrayData(shape: [], float32: [1])])
        }
        let scratch = try IOScratchDirectory()
        expectFormatError(file: "w.safetensors", "needs 8 bytes", kind: .invalidArgument) {
            try SafeTensors.write(["w": broken], to: scratch.file("w.safetensors"))
        }
        #expect(try scratch.contents().isEmpty)
    }

    @Test("the JSON reader handles escapes, surrogate pairs and exact integers, and refuses bad input")
    func json() throws {
        func parse(_ text: String) throws -> HeaderJSON {
            try Array(text.utf8).withUnsafeBytes { try HeaderJSON.parse($0) }
        }
        #expect(
            try parse(#" {"a": [1, -2, 3.5e1], "b": "x\"\u00e9\ud83d\ude00\n", "c": null, "d": true} "#)
                == .object([
                    ("a", .array([.number("1"), .number("-2"), .number("3.5e1")])),
                    ("b", .string("x\"é😀\n")),
                    ("c", .null),
                    ("d", .bool(true)),
                ]))
        #expect(try parse("3.0").intValue == nil)
        #expect(try parse("30").intValue == 30)
        #expect(try parse("99999999999999999999").intValue == nil)
        #expect(HeaderJSON.quoted("a\"b\\c\u{1}") == #""a\"b\\c\u0001""#)
        for bad in [
            "{", "[1,]", "{\"a\":1,\"a\":2}", "01", "\"\u{1}\"", "\"\\ud800\"", "tru", "1 2",
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ] {
            #expect(throws: HeaderJSON.ParseError.self, "\(bad)") { _ = try parse(bad) }
        }
    }
}
