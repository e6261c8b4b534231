import Foundation

/// Little-endian integer encoding into and out of byte arrays.
enum LittleEndianBytes {
    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        var le = value.littleEndian
        withUnsafeBytes(of: &le) { bytes.append(contentsOf: $0) }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        var le = value.littleEndian
        withUnsafeBytes(of: &le) { data.append(contentsOf: $0) }
    }

    /// Reads a `T` at `offset`; the caller guarantees `offset + size ≤ count`.
    static func load<T: FixedWidthInteger>(_: T.Type, from raw: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Every element of `bytes` read as a little-endian `T`.
    static func values<T: FixedWidthInteger>(_: T.Type, from bytes: [UInt8]) -> [T] {
        let width = MemoryLayout<T>.size
        let count = bytes.count / width
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { load(T.self, from: raw, at: $0 * width) }
        }
    }

    /// Reverses the byte order of every `width`-byte element in place.
    static func swapElements(_ bytes: inout [UInt8], width: Int) {
        guard width > 1 else { return }
        var start = 0
        while start + width <= bytes.count {
            bytes[start..<(start + width)].reverse()
            start += width
        }
    }
}
