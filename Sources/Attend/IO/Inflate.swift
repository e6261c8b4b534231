import Zlib

/// Raw deflate (RFC 1951) decoding with zlib, in a loop whose every step makes progress, so
/// decoding ends — with the bytes or with an error — after at most one step per 64 KiB of output
/// plus one per 1 GiB of input, whatever the stream contains.
///
/// This replaces ZIPFoundation's Linux inflate loop, which never stops when a deflate stream
/// reaches the end of its input without an end-of-block marker (weichsel/ZIPFoundation#389).
/// Output is appended as it is produced (never allocated up front from a claimed size), and
/// decoding stops as soon as the stream produces more than `expectedCount` bytes.
enum Inflate {
    /// Output produced per zlib call.
    static let chunkSize = 64 * 1024
    /// Input handed to zlib per call (its `avail_in` is 32-bit).
    static let maximumInputPiece = 1 << 30

    enum Failure: Error, Equatable {
        /// The stream produced more than the expected number of bytes.
        case tooLong
        /// The input ended before the stream's final block ended.
        case truncated(produced: Int)
        /// zlib rejected the stream (its message).
        case corrupt(String)
    }

    /// Decodes `input` (a raw deflate stream) that must produce exactly `expectedCount` bytes.
    /// Returns the bytes and their CRC-32. Bytes after the end of the stream are ignored.
    static func decode(_ input: UnsafeRawBufferPointer, expectedCount: Int) throws(Failure) -> (
        bytes: [UInt8], crc32: UInt32
    ) {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not start inflating (out of memory)")
        }
        defer { inflateEnd(&stream) }
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { scratch.deallocate() }

        var output: [UInt8] = []
        // Reserve what the input can plausibly give, never a claimed size alone.
        output.reserveCapacity(
            min(expectedCount, input.count.multipliedReportingOverflow(by: 4).partialValue + chunkSize))
        var checksum = crc32(0, nil, 0)
        var fed = 0  // input bytes handed to zlib so far
        let base = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        while true {
            if stream.avail_in == 0, fed < input.count, let base {
                let piece = min(input.count - fed, maximumInputPiece)
                stream.next_in = base + fed
                stream.avail_in = uInt(piece)
                fed += piece
            }
            let availableBefore = stream.avail_in
            stream.next_out = scratch
            stream.avail_out = uInt(chunkSize)
            let status = inflate(&stream, Z_NO_FLUSH)
            let produced = chunkSize - Int(stream.avail_out)
            guard produced <= expectedCount - output.count else { throw .tooLong }
            if produced > 0 {
                output.append(contentsOf: UnsafeBufferPointer(start: scratch, count: produced))
                checksum = crc32(checksum, scratch, uInt(produced))
            }
            switch status {
            case Z_STREAM_END:
                return (output, UInt32(truncatingIfNeeded: checksum))
            case Z_OK, Z_BUF_ERROR:
                // zlib returns Z_OK only after progress and Z_BUF_ERROR when none was possible;
                // with a fresh output buffer, no progress means the input is used up.
                let progressed = produced > 0 || stream.avail_in != availableBefore
                if !progressed, stream.avail_in == 0, fed == input.count {
                    throw .truncated(produced: output.count)
                }
                if !progressed { throw .corrupt("the deflate stream makes no progress") }
            case Z_NEED_DICT:
                throw .corrupt("the stream needs a preset dictionary")
            case Z_MEM_ERROR:
                throw .corrupt("zlib ran out of memory")
            default:
                throw .corrupt(stream.msg.map { String(cString: $0) } ?? "invalid deflate data (zlib status \(status))")
            }
        }
    }

    /// The CRC-32 (ISO 3309, as in ZIP) of `bytes`.
    static func crc32Checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var checksum = crc32(0, nil, 0)
        guard var cursor = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else {
            return UInt32(truncatingIfNeeded: checksum)
        }
        var remaining = bytes.count
        while remaining > 0 {
            let piece = min(remaining, maximumInputPiece)
            checksum = crc32(checksum, cursor, uInt(piece))
            cursor += piece
            remaining -= piece
        }
        return UInt32(truncatingIfNeeded: checksum)
    }
}
