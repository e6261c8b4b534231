import Foundation
import Testing

@testable import Attend

@Suite("NPY reading and writing")
struct NPYTests {
    @Test(
        "encode → decode returns the same array for every dtype except bfloat16, at ranks 0–4 and empty",
        arguments: DType.allCases.filter { $0 != .bfloat16 })
    func roundTrip(dtype: DType) throws {
        for (index, shape) in IOSample.shapes.enumerated() {
            let array = IOSample.array(dtype, shape: shape, seed: UInt64(index + 1))
            let decoded = try NPY.decode(NPY.encode(array), name: "x.npy")
            #expect(decoded == array, "shape \(shape)")
        }
    }

    @Test(
        "write → read through a file returns the same array for every dtype except bfloat16",
        arguments: DType.allCases.filter { $0 != .bfloat16 })
    func fileRoundTrip(dtype: DType) throws {
        let scratch = try IOScratchDirectory()
        for shape in IOSample.shapes {
            let array = IOSample.array(dtype, shape: shape)
            let url = scratch.file("a.npy")
            try NPY.write(array, to: url)
            #expect(try NPY.read(contentsOf: url) == array)
        }
        #expect(try scratch.contents() == ["a.npy"])
    }

    @Test("bfloat16 is written as exactly widened '<f4' and reads back as float32 with the same values")
    func bfloat16Widening() throws {
        let brain = IOSample.uint16(.bfloat16, [2, 2], [0x3F80, 0xC000, 0x0001, 0xFF80])
        let encoded = NPY.encode(brain)
        #expect(String(decoding: encoded[10..<(10 + 22)], as: UTF8.self) == "{'descr': '<f4', 'fort")
        let decoded = try NPY.decode(encoded, name: "b.npy")
        #expect(decoded.dtype == .float32)
        #expect(decoded.shape == [2, 2])
        let expected = try brain.floats(name: "b")
        let actual = try decoded.floats(name: "b")
        #expect(actual.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test("encode produces exactly the bytes np.save writes")
    func byteIdenticalToNumPy() throws {
        let array = ArrayData(shape: [2, 3], float32: [0, 0.25, 0.5, 0.75, 1, 1.25])
        let numpy = try Data(contentsOf: IOFixtures.url("f32_2x3.npy"))
        #expect(NPY.encode(array) == numpy)
    }

    @Test("the header is version 1.0, padded with spaces to a 64-byte boundary, and ends with a newline")
    func headerLayout() {
        let encoded = NPY.encode(ArrayData(shape: [], float64: [1]))
        #expect(Array(encoded[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(encoded[8]) | Int(encoded[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: encoded[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (), }  "))
        #expect(header.hasSuffix(" \n"))
        #expect(encoded.count == 10 + headerLength + 8)
    }

    @Test("shape tuples are written as (), (3,) and (2, 3)")
    func shapeTuples() {
        #expect(NPYHeader.tupleText([]) == "()")
        #expect(NPYHeader.tupleText([3]) == "(3,)")
        #expect(NPYHeader.tupleText([2, 3]) == "(2, 3)")
    }

    @Test("a header longer than 65535 bytes is written as version 2.0 and reads back")
    func version2ForLongHeaders() throws {
        let array = ArrayData(shape: Array(repeating: 1, count: 22_000), float32: [7])
        let encoded = NPY.encode(array)
        #expect(encoded[6] == 2 && encoded[7] == 0)
        let headerLength = encoded[8..<12].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((12 + headerLength) % 64 == 0)
        #expect(try NPY.decode(encoded, name: "long.npy") == array)
    }

    @Test("headers in other spellings parse: double quotes, no trailing comma, other key order, Python 2 long ints")
    func lenientHeaderSpellings() throws {
        let data: [UInt8] = [1, 0, 0, 0, 2, 0, 0, 0]
        let variants = [
            "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<i4\"}\n",
            "{'descr':'<i4','fortran_order':False,'shape':(2L,)}",
            "  { 'descr' : '<i4' , 'fortran_order' : False , 'shape' : ( 2 , ) , }   \n",
        ]
        for header in variants {
            let decoded = try NPY.decode(IOCraft.npy(header: header, data: data), name: "v.npy")
            #expect(decoded == IOSample.int32([2], [1, 2]), "\(header)")
        }
    }

    @Test("a big-endian header made by hand is byte-swapped into little-endian")
    func bigEndianSwap() throws {
        let header = "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }"
        let decoded = try NPY.decode(
            IOCraft.npy(header: header, data: [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE]), name: "be.npy")
        #expect(decoded == IOSample.int32([2], [0x0102, -2]))
    }

    @Test("a Fortran-order header made by hand is transposed into C order")
    func fortranTranspose() throws {
        // Column-major storage of [[1, 2, 3], [4, 5, 6]] is 1 4 2 5 3 6.
        let header = "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }"
        let decoded = try NPY.decode(IOCraft.npy(header: header, data: [1, 4, 2, 5, 3, 6]), name: "f.npy")
        #expect(decoded == (try ArrayData(shape: [2, 3], dtype: .uint8, bytes: [1, 2, 3, 4, 5, 6])))
    }

    @Test("the Python literal parser reads dicts, tuples, strings, ints and constants, and rejects the rest")
    func pythonLiterals() throws {
        #expect(try PythonLiteral.parse("()") == .tuple([]))
        #expect(try PythonLiteral.parse("(3)") == .int(3))
        #expect(try PythonLiteral.parse("(3,)") == .tuple([.int(3)]))
        #expect(try PythonLiteral.parse("[-1, None, True]") == .list([.int(-1), .none, .bool(true)]))
        #expect(try PythonLiteral.parse("'a\\'b\\x41'") == .string("a'bA"))
        #expect(
            try PythonLiteral.parse("{'k': {'n': ()}}")
                == .dict([.init(key: .string("k"), value: .dict([.init(key: .string("n"), value: .tuple([]))]))]))
        for bad in [
            "{'a': 1", "(1 2)", "__import__('os')", "1.5", "'open", "{'a': 1, 'a': 2}", "99999999999999999999",
            String(repeating: "(", count: 100),
        ] {
            #expect(throws: PythonLiteral.ParseError.self, "\(bad)") { try PythonLiteral.parse(bad) }
        }
    }
}
