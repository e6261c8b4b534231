import Foundation
import Testing

@testable import Attend

/// Archives crafted to make a ZIP reader hang, over-allocate or read out of bounds: each must end
/// quickly with an error naming the archive, the member and what is wrong.
@Suite("NPZ hostile archives")
struct NPZHostileArchiveTests {
    /// Well above what reading these small files takes, far below "spins forever".
    static let timeLimit: Duration = .seconds(2)

    private func timed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
        let clock = ContinuousClock()
        var result: T?
        let elapsed = try clock.measure { result = try body() }
        return (result!, elapsed)
    }

    @Test("a deflate stream that stops without its final block is reported as truncated, quickly")
    func unfinishedDeflateStream() throws {
        // scripts/make_io_fixtures.py: a valid ZIP whose member's stream is flushed (Z_SYNC_FLUSH)
        // after a quarter of its 262,272 bytes and never finished. ZIPFoundation 0.9.20's own
        // extraction does not spin on this one: it reads on past the member into the central
        // directory, which zlib rejects (scripts/check_zipfoundation_inflate.sh: corruptedData
        // after 57,073 bytes, in under 0.5 s). The archive below is the one it never returns on.
        let url = IOFixtures.url("unfinished_deflate.npz")
        let (_, elapsed) = timed {
            expectFormatError(
                file: "unfinished_deflate.npz", "member \"a.npy\" is truncated", "of 262272 bytes", "end-of-stream"
            ) {
                _ = try NPZ.read(contentsOf: url)
            }
        }
        #expect(elapsed < Self.timeLimit)
    }

    @Test("a deflate stream that ends inside an open stored block is reported as truncated, quickly")
    func openStoredBlock() throws {
        // scripts/make_io_fixtures.py: as above, then a stored-block header (LEN 65535) that the
        // rest of the file cannot fill. ZIPFoundation 0.9.20 on Linux feeds inflate the central
        // directory as that block's bytes, reaches the end of the file and loops forever on empty
        // reads (weichsel/ZIPFoundation#389; scripts/check_zipfoundation_inflate.sh measures it).
        // Attend inflates only the member's own bytes, with a bounded loop.
        let url = IOFixtures.url("open_stored_block.npz")
        let (_, elapsed) = timed {
            expectFormatError(file: "open_stored_block.npz", "member \"a.npy\" is truncated", "of 262272 bytes") {
                _ = try NPZ.read(contentsOf: url)
            }
        }
        #expect(elapsed < Self.timeLimit)
    }

    @Test("a deflated member cut in half is reported as truncated, quickly")
    func halfDeflateStream() throws {
        let scratch = try IOScratchDirectory()
        let url = scratch.file("half.npz")
        let values = ArrayData(shape: [4096], float32: (0..<4096).map { Float($0 % 97) })
        try NPZ.write(["v": values], to: url, compressed: true)
        var bytes = try Data(contentsOf: url)
        let members = try bytes.withUnsafeBytes { try ZIPDirectory.members(of: $0, file: "half.npz") }
        let member = try #require(members.first)
        let range = try bytes.withUnsafeBytes {
            try ZIPDirectory.dataRange(of: member, in: $0, file: "half.npz", label: "v")
        }
        // Zero the second half of the stream: stored blocks of zeros are still valid deflate
        // framing for a while, so zlib either reports bad data or runs out before the final block.
        bytes.replaceSubrange(
            (range.lowerBound + range.count / 2)..<range.upperBound, with: Data(count: range.count - range.count / 2))
        try bytes.write(to: url)
        let (error, elapsed) = timed {
            expectFormatError(file: "half.npz", "member \"v.npy\"") { _ = try NPZ.read(contentsOf: url) }
        }
        #expect(elapsed < Self.timeLimit)
        let problem = try #require(error?.problem)
        #expect(
            problem.contains("truncated") || problem.contains("cannot be inflated") || problem.contains("CRC-32"),
            "\(problem)")
    }

    @Test("ZIP64 end records and extra fields (as large NumPy archives have) are read")
    func zip64Records() throws {
        // scripts/make_io_fixtures.py writes it by hand and checks that Python's zipfile reads it.
        let arrays = try NPZ.read(contentsOf: IOFixtures.url("zip64_records.npz"))
        var bytes: [UInt8] = []
        for value in [Int64(0), 1, 2] { LittleEndianBytes.append(value, to: &bytes) }
        #expect(arrays == ["z": try ArrayData(shape: [3], dtype: .int64, bytes: bytes)])
    }

    @Test("a compression method other than stored or deflate is refused, naming it")
    func unknownMethod() throws {
        let url = try archive(named: "method.npz") { bytes, local, central in
            bytes[local + 8] = 12  // bzip2
            bytes[central + 10] = 12
        }
        expectFormatError(file: "method.npz", "member \"v.npy\" uses ZIP compression method 12", kind: .unsupported) {
            _ = try NPZ.read(contentsOf: url)
        }
    }

    @Test("an encrypted member is refused")
    func encrypted() throws {
        let url = try archive(named: "secret.npz") { bytes, local, central in
            bytes[local + 6] |= 1
            bytes[central + 8] |= 1
        }
        expectFormatError(file: "secret.npz", "member \"v.npy\" is encrypted", kind: .unsupported) {
            _ = try NPZ.read(contentsOf: url)
        }
    }

    @Test("a member claiming more than deflate's 1032:1 ratio is refused before inflating")
    func ratioBomb() throws {
        let url = try archive(named: "bomb.npz", compressed: true) { bytes, _, central in
            // uncompressed size := 0x7FFF_FFFF
            bytes.replaceSubrange((central + 24)..<(central + 28), with: [0xFF, 0xFF, 0xFF, 0x7F])
        }
        expectFormatError(file: "bomb.npz", "more than deflate can produce") { _ = try NPZ.read(contentsOf: url) }
    }

    @Test("a member whose stream yields more than its claimed size stops at the claim")
    func overrun() throws {
        let url = try archive(named: "long.npz", compressed: true) { bytes, _, central in
            let claimed = bytes[(central + 24)..<(central + 28)].reversed().reduce(0) { $0 << 8 | UInt32($1) }
            var smaller = (claimed - 16).littleEndian
            withUnsafeBytes(of: &smaller) { bytes.replaceSubrange((central + 24)..<(central + 28), with: $0) }
        }
        expectFormatError(file: "long.npz", "decompresses to more than the") { _ = try NPZ.read(contentsOf: url) }
    }

    @Test("a member whose local header offset points past the file is refused")
    func offsetOutside() throws {
        let url = try archive(named: "offset.npz") { bytes, _, central in
            bytes.replaceSubrange((central + 42)..<(central + 46), with: [0x00, 0x00, 0x00, 0x70])
        }
        expectFormatError(file: "offset.npz", "member \"v.npy\" has no local header") {
            _ = try NPZ.read(contentsOf: url)
        }
    }

    @Test("a directory claiming more members than it can hold is refused before allocating")
    func memberCount() throws {
        let url = try archive(named: "count.npz") { bytes, _, _ in
            let end = bytes.count - 22
            bytes.replaceSubrange((end + 8)..<(end + 12), with: [0xFE, 0xFF, 0xFE, 0xFF])
        }
        expectFormatError(file: "count.npz", "not a readable ZIP archive", "65534 members cannot fit") {
            _ = try NPZ.read(contentsOf: url)
        }
    }

    private let scratch: IOScratchDirectory

    init() throws { scratch = try IOScratchDirectory() }

    /// A one-member archive written by `NPZ.write`, patched by `edit(bytes, localHeader, centralHeader)`.
    private func archive(named name: String, compressed: Bool = false, edit: (inout Data, Int, Int) -> Void) throws
        -> URL
    {
        let url = scratch.file(name)
        try NPZ.write(
            ["v": ArrayData(shape: [256], float32: (0..<256).map(Float.init))], to: url, compressed: compressed)
        var bytes = try Data(contentsOf: url)
        let central = try #require(bytes.range(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        let local = try #require(bytes.range(of: Data([0x50, 0x4B, 0x03, 0x04]))).lowerBound
        edit(&bytes, local, central)
        try bytes.write(to: url)
        return url
    }
}
