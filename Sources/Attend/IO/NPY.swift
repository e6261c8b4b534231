import Foundation

/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Layout:
/// 1. magic `\x93NUMPY` (6 bytes), then major and minor version bytes;
/// 2. header length: little-endian UInt16 (version 1.0) or UInt32 (2.0, 3.0);
/// 3. the header, a Python literal dict (see `NPYHeader`), Latin-1 in 1.0/2.0 and UTF-8 in 3.0,
///    padded with spaces and ended by `'\n'`;
/// 4. the element bytes, C order unless `fortran_order` is `True`.
///
/// Reading: supported dtypes are `'<f2' '<f4' '<f8' '<i4' '<i8' '|u1' '|b1'`. Big-endian files
/// (`'>f4'` etc.) are byte-swapped into little-endian; Fortran-order files are transposed into C
/// order; 0-d (`shape ()`) and empty arrays are supported. The data must be exactly as long as the
/// shape says, and its size is checked before anything is allocated.
///
/// Writing: version 1.0 (2.0 if the header needs more than 65535 bytes), C order, little-endian,
/// header padded so that the data starts at a multiple of 64 bytes. NumPy has no standard type
/// string for bfloat16, so a bfloat16 array is written as exactly widened `'<f4'` (it reads back as
/// `float32` with the same values).
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads a `.npy` file.
    /// - Throws: `FileFormatError` naming the file and the problem.
    public static func read(contentsOf url: URL) throws -> ArrayData {
        try decode(ArrayFileAccess.read(url), name: ArrayFileAccess.displayName(url))
    }

    /// Decodes the bytes of a `.npy` file; `name` identifies it in error messages.
    /// - Throws: `FileFormatError` naming `name` and the problem.
    public static func decode(_ data: Data, name: String) throws -> ArrayData {
        try data.withUnsafeBytes { raw in try decode(raw, name: name) }
    }

    /// Encodes `array` as a `.npy` file.
    ///
    /// `array` must satisfy the `ArrayData` invariant (`bytes.count == shape.product * dtype.byteWidth`);
    /// this is a precondition. Use `write(_:to:)` for a throwing check.
    public static func encode(_ array: ArrayData) -> Data {
        if let problem = ArrayData.consistencyProblem(
            shape: array.shape, dtype: array.dtype, byteCount: array.bytes.count)
        {
            preconditionFailure("NPY.encode: \(problem)")
        }
        let (descr, bytes) = storable(array)
        let dict = NPYHeader.dictText(descr: descr, shape: array.shape)
        var version: UInt8 = 1
        var lengthFieldSize = 2
        var headerLength = paddedHeaderLength(dict: dict, preamble: 8 + lengthFieldSize)
        if headerLength > Int(UInt16.max) {
            version = 2
            lengthFieldSize = 4
            headerLength = paddedHeaderLength(dict: dict, preamble: 8 + lengthFieldSize)
        }
        var data = Data()
        data.reserveCapacity(8 + lengthFieldSize + headerLength + bytes.count)
        data.append(contentsOf: magic)
        data.append(contentsOf: [version, 0])
        if version == 1 {
            LittleEndianBytes.append(UInt16(headerLength), to: &data)
        } else {
            LittleEndianBytes.append(UInt32(headerLength), to: &data)
        }
        data.append(contentsOf: Array(dict.utf8))
        data.append(contentsOf: [UInt8](repeating: 0x20, count: headerLength - dict.utf8.count - 1))
        data.append(0x0A)
        data.append(contentsOf: bytes)
        return data
    }

    /// Writes `array` to `url` as a `.npy` file, atomically: the bytes go to a temporary file in the
    /// same directory that is then renamed over `url`, so a failure leaves no partial file.
    /// - Throws: `FileFormatError` if `array` is inconsistent or the file cannot be written.
    public static func write(_ array: ArrayData, to url: URL) throws {
        let name = ArrayFileAccess.displayName(url)
        try array.validate(file: name, name: url.deletingPathExtension().lastPathComponent)
        try ArrayFileAccess.write(encode(array), to: url)
    }

    /// Writes `arrays[i]` to `urls[i]` as `.npy` files, all or nothing: every file is written to a
    /// temporary file first and renamed into place only when all are written, so a failure leaves
    /// no partial output (`attend run` writes an output and its attention weights this way).
    /// `extra` files (say, a picture of the same result) are written in the same all-or-nothing step.
    /// - Throws: `FileFormatError` naming the file that could not be written.
    public static func write(_ arrays: [ArrayData], to urls: [URL], alongWith extra: [(contents: Data, url: URL)] = [])
        throws
    {
        precondition(arrays.count == urls.count, "NPY.write: \(arrays.count) arrays for \(urls.count) files")
        for (array, url) in zip(arrays, urls) {
            try array.validate(
                file: ArrayFileAccess.displayName(url), name: url.deletingPathExtension().lastPathComponent)
        }
        try ArrayFileAccess.replaceAll(urls + extra.map(\.url)) { index, temporary in
            try (index < arrays.count ? encode(arrays[index]) : extra[index - arrays.count].contents).write(
                to: temporary)
        }
    }

    // MARK: Internal

    /// Header length (dict + space padding + newline) that makes `preamble + length` a multiple of 64.
    private static func paddedHeaderLength(dict: String, preamble: Int) -> Int {
        let unpadded = preamble + dict.utf8.count + 1
        return dict.utf8.count + 1 + (64 - unpadded % 64) % 64
    }

    /// The descr and little-endian bytes to store for `array` (bfloat16 widened to float32).
    private static func storable(_ array: ArrayData) -> (descr: String, bytes: [UInt8]) {
        if let descr = array.dtype.npyDescr { return (descr, array.bytes) }
        var widened: [UInt8] = []
        widened.reserveCapacity(array.bytes.count * 2)
        for bits in LittleEndianBytes.values(UInt16.self, from: array.bytes) {
            LittleEndianBytes.append(UInt32(bits) << 16, to: &widened)
        }
        return ("<f4", widened)
    }

    static func decode(_ raw: UnsafeRawBufferPointer, name: String) throws(FileFormatError) -> ArrayData {
        let preambleStart = magic.count + 2
        guard !raw.isEmpty else { throw .malformed(name, "file is empty") }
        guard raw.count >= preambleStart else {
            if !raw.starts(with: magic.prefix(raw.count)) {
                throw .malformed(name, "not a .npy file (it does not start with \\x93NUMPY)")
            }
            throw .malformed(name, "file is truncated: \(raw.count) bytes, shorter than the 10-byte .npy preamble")
        }
        guard raw.starts(with: magic) else {
            throw .malformed(name, "not a .npy file (it does not start with \\x93NUMPY)")
        }
        let major = raw[6]
        let minor = raw[7]
        let lengthFieldSize: Int
        switch (major, minor) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default:
            throw .unsupported(name, ".npy format version \(major).\(minor) is not supported (1.0, 2.0 and 3.0 are)")
        }
        let headerStart = preambleStart + lengthFieldSize
        guard raw.count >= headerStart else {
            throw .malformed(
                name,
                "file is truncated: \(raw.count) bytes, shorter than the \(headerStart)-byte version \(major).0 preamble"
            )
        }
        let headerLength =
            lengthFieldSize == 2
            ? Int(LittleEndianBytes.load(UInt16.self, from: raw, at: preambleStart))
            : Int(LittleEndianBytes.load(UInt32.self, from: raw, at: preambleStart))
        let dataStart = headerStart + headerLength
        guard dataStart <= raw.count else {
            throw .malformed(
                name,
                "header length \(headerLength) runs past the end of the file (\(raw.count) bytes, header starts at byte \(headerStart))"
            )
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: raw[headerStart..<dataStart])
        let headerText: String
        if major == 3 {
            guard let text = String(validating: headerBytes, as: UTF8.self) else {
                throw .malformed(name, "header is not valid UTF-8")
            }
            headerText = text
        } else {
            // Latin-1: every byte is the Unicode scalar of the same value.
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: headerBytes.map { Unicode.Scalar($0) })
            headerText = String(scalars)
        }
        let header = try NPYHeader.parse(headerText, file: name)

        let width = header.dtype.byteWidth
        let shapeText = NPYHeader.tupleText(header.shape)
        guard let byteCount = ShapeArithmetic.byteCount(shape: header.shape, width: width) else {
            throw .malformed(
                name, "header declares shape \(shapeText) of '\(header.descr)', whose size in bytes overflows")
        }
        let available = raw.count - dataStart
        guard byteCount <= available else {
            throw .malformed(
                name,
                "header declares shape \(shapeText) of '\(header.descr)' (\(byteCount) bytes) but only \(available) bytes of data follow the header"
            )
        }
        guard byteCount == available else {
            throw .malformed(
                name,
                "file has \(available - byteCount) unexpected bytes after the \(byteCount) bytes of shape \(shapeText) of '\(header.descr)'"
            )
        }
        var bytes = [UInt8](UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + byteCount)]))
        if header.bigEndian { LittleEndianBytes.swapElements(&bytes, width: width) }
        if header.fortranOrder { bytes = FortranOrder.toCOrder(bytes, shape: header.shape, width: width) }
        return ArrayData(unchecked: header.shape, dtype: header.dtype, bytes: bytes)
    }
}
