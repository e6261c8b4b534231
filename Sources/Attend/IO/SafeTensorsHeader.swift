/// The JSON header of a `.safetensors` file, parsed and checked against the data buffer.
///
/// The header is a JSON object. Each key except `"__metadata__"` names a tensor and maps to
/// `{"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}`, where the offsets are byte
/// positions relative to the start of the data buffer (end exclusive). `"__metadata__"`, if present,
/// maps strings to strings. The tensors must cover the data buffer exactly: no overlaps, no gaps,
/// nothing left over — and each tensor's byte range must match its shape and dtype.
struct SafeTensorsHeader {
    struct Tensor: Equatable {
        var name: String
        var dtype: DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// Tensors in data-buffer order.
    var tensors: [Tensor]
    var metadata: [String: String]?

    static let metadataKey = "__metadata__"
    static let supportedDTypes = DType.allCases.map(\.safetensorsName).joined(separator: ", ")

    /// Parses the header JSON and checks every tensor against a data buffer of `dataLength` bytes.
    static func parse(_ json: UnsafeRawBufferPointer, dataLength: Int, file: String) throws(FileFormatError)
        -> SafeTensorsHeader
    {
        let root: HeaderJSON
        do {
            root = try HeaderJSON.parse(json)
        } catch {
            throw .malformed(file, "header is not valid JSON: \(error.message)")
        }
        guard case .object(let members) = root else {
            throw .malformed(file, "header is \(root.rendered.prefix(40)), not a JSON object")
        }
        var tensors: [Tensor] = []
        var metadata: [String: String]?
        for (key, value) in members {
            if key == metadataKey {
                metadata = try parseMetadata(value, file: file)
            } else {
                tensors.append(try parseTensor(name: key, value, file: file))
            }
        }
        try checkCoverage(tensors: &tensors, dataLength: dataLength, file: file)
        return SafeTensorsHeader(tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(_ value: HeaderJSON, file: String) throws(FileFormatError) -> [String: String] {
        guard case .object(let entries) = value else {
            throw .malformed(file, "\"\(metadataKey)\" is \(value.rendered), not an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in entries {
            guard case .string(let text) = entry else {
                throw .malformed(
                    file, "\"\(metadataKey)\" entry \(HeaderJSON.quoted(key)) is \(entry.rendered), not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseTensor(name: String, _ value: HeaderJSON, file: String) throws(FileFormatError) -> Tensor {
        let label = "tensor \(HeaderJSON.quoted(name))"
        guard case .object(let fields) = value else {
            throw .malformed(file, "\(label) is described by \(value.rendered), not an object")
        }
        func field(_ key: String) throws(FileFormatError) -> HeaderJSON {
            guard let found = fields.first(where: { $0.key == key }) else {
                throw .malformed(file, "\(label) has no \"\(key)\"")
            }
            return found.value
        }
        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw .malformed(file, "\(label) has dtype \(dtypeValue.rendered), not a string")
        }
        guard let dtype = DType(safetensorsName: dtypeName) else {
            throw .unsupported(
                file, "\(label) has unsupported dtype \(HeaderJSON.quoted(dtypeName)) (supported: \(supportedDTypes))")
        }

        let shapeValue = try field("shape")
        guard case .array(let extents) = shapeValue else {
            throw .malformed(file, "\(label) has shape \(shapeValue.rendered), not a list of integers")
        }
        var shape: [Int] = []
        for extent in extents {
            guard let integer = extent.intValue, integer >= 0 else {
                throw .malformed(
                    file, "\(label) has shape \(shapeValue.rendered): \(extent.rendered) is not a non-negative integer")
            }
            shape.append(integer)
        }

        let offsetsValue = try field("data_offsets")
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
            let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end
        else {
            throw .malformed(
                file,
                "\(label) has data_offsets \(offsetsValue.rendered); expected [begin, end] with integers 0 ≤ begin ≤ end"
            )
        }

        let shapeText = describe(shape)
        guard let needed = ShapeArithmetic.byteCount(shape: shape, width: dtype.byteWidth) else {
            throw .malformed(file, "\(label) has shape \(shapeText) of \(dtypeName), whose size in bytes overflows")
        }
        guard needed == end - begin else {
            throw .malformed(
                file,
                "\(label) has data_offsets [\(begin), \(end)] (\(end - begin) bytes) but shape \(shapeText) of \(dtypeName) needs \(needed) bytes"
            )
        }
        return Tensor(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Sorts `tensors` by position and checks that they tile `[0, dataLength)` exactly.
    private static func checkCoverage(tensors: inout [Tensor], dataLength: Int, file: String) throws(FileFormatError) {
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: Tensor?
        for tensor in tensors {
            let label = "tensor \(HeaderJSON.quoted(tensor.name))"
            guard tensor.end <= dataLength else {
                throw .malformed(
                    file,
                    "\(label) has data_offsets [\(tensor.begin), \(tensor.end)], beyond the end of the \(dataLength)-byte data buffer"
                )
            }
            if tensor.begin < covered, let previous {
                throw .malformed(
                    file,
                    "\(label) (data_offsets [\(tensor.begin), \(tensor.end)]) overlaps tensor \(HeaderJSON.quoted(previous.name)) (data_offsets [\(previous.begin), \(previous.end)])"
                )
            }
            if tensor.begin > covered {
                let after = previous.map { " after tensor \(HeaderJSON.quoted($0.name))" } ?? ""
                throw .malformed(
                    file,
                    "data buffer bytes [\(covered), \(tensor.begin)) belong to no tensor (a gap\(after) before \(label))"
                )
            }
            covered = tensor.end
            previous = tensor
        }
        if covered != dataLength {
            let after =
                previous.map { "after tensor \(HeaderJSON.quoted($0.name)) ends at byte \($0.end)" }
                ?? "and no tensor uses them"
            throw .malformed(
                file,
                "data buffer has \(dataLength - covered) bytes left over \(after) (the buffer is \(dataLength) bytes)")
        }
    }
}
