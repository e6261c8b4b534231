/// The members of a ZIP archive, read from its central directory (with ZIP64 records and extra
/// fields), and where each member's bytes lie. Used to read `.npz` files from strangers, so every
/// length and offset is checked against the archive's size before it is used, and the work is
/// proportional to the size of the directory.
///
/// Layout (PKWARE APPNOTE 6.3, the parts `.npz` readers need): the file ends with an
/// end-of-central-directory record (signature `PK\5\6`, 22 bytes plus a comment of ≤ 65535 bytes),
/// preceded by a ZIP64 locator (`PK\6\7`) pointing at a ZIP64 end record (`PK\6\6`) when a count,
/// size or offset does not fit its 16- or 32-bit field. The central directory holds one 46-byte
/// header (`PK\1\2`) per member, then its name, extra fields and comment; the ZIP64 extra field
/// (id 1) carries the 64-bit sizes and offset for the fields that are all ones. Each member's data
/// follows its 30-byte local header (`PK\3\4`), name and extra field.
struct ZIPMember: Equatable {
    enum Kind: Equatable { case file, directory, symbolicLink }

    var path: String
    var kind: Kind
    /// 0 = stored, 8 = deflated (others are refused when the member is read).
    var method: UInt16
    var flags: UInt16
    var crc32: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var localHeaderOffset: UInt64

    var isEncrypted: Bool { flags & 1 != 0 }
}

enum ZIPDirectory {
    static let endRecordSize = 22
    static let centralHeaderSize = 46
    static let localHeaderSize = 30

    /// The archive's members, in central-directory order.
    /// - Throws: `FileFormatError` (`"not a readable ZIP archive (…)"`) when a record is missing,
    ///   truncated or points outside the file, and for multi-disk archives.
    static func members(of raw: UnsafeRawBufferPointer, file: String) throws(FileFormatError) -> [ZIPMember] {
        func broken(_ reason: String) -> FileFormatError {
            .malformed(file, "not a readable ZIP archive (\(reason))")
        }
        guard let end = endRecordOffset(raw) else {
            throw broken("no end-of-central-directory record; not a ZIP file or truncated")
        }
        var entryCount = UInt64(load(UInt16.self, raw, end + 10))
        var directorySize = UInt64(load(UInt32.self, raw, end + 12))
        var directoryOffset = UInt64(load(UInt32.self, raw, end + 16))
        let disk = load(UInt16.self, raw, end + 4)
        let directoryDisk = load(UInt16.self, raw, end + 6)
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a 20-byte locator right before the end record gives the ZIP64 end record's offset.
            let locator = end - 20
            guard locator >= 56, load(UInt32.self, raw, locator) == 0x0706_4B50 else {
                throw broken("a ZIP64 archive without its ZIP64 end-of-central-directory locator")
            }
            let record = load(UInt64.self, raw, locator + 8)
            guard record <= UInt64(locator - 56), load(UInt32.self, raw, Int(record)) == 0x0606_4B50 else {
                throw broken("the ZIP64 end-of-central-directory record is missing or out of bounds")
            }
            let offset = Int(record)
            guard load(UInt32.self, raw, offset + 16) == 0, load(UInt32.self, raw, offset + 20) == 0 else {
                throw broken("multi-disk archives are not supported")
            }
            entryCount = load(UInt64.self, raw, offset + 32)
            directorySize = load(UInt64.self, raw, offset + 40)
            directoryOffset = load(UInt64.self, raw, offset + 48)
        } else if disk != 0 || directoryDisk != 0 {
            throw broken("multi-disk archives are not supported")
        }
        let directoryEnd = directoryOffset.addingReportingOverflow(directorySize)
        guard !directoryEnd.overflow, directoryEnd.partialValue <= UInt64(end) else {
            throw broken(
                "the central directory (\(directorySize) bytes at offset \(directoryOffset)) lies outside the file")
        }
        guard entryCount <= directorySize / UInt64(centralHeaderSize) else {
            throw broken("\(entryCount) members cannot fit a \(directorySize)-byte central directory")
        }
        var members: [ZIPMember] = []
        members.reserveCapacity(Int(entryCount))
        var cursor = Int(directoryOffset)
        let limit = Int(directoryEnd.partialValue)
        for index in 0..<Int(entryCount) {
            guard cursor + centralHeaderSize <= limit, load(UInt32.self, raw, cursor) == 0x0201_4B50 else {
                throw broken("central directory header \(index + 1) of \(entryCount) is missing or truncated")
            }
            let nameLength = Int(load(UInt16.self, raw, cursor + 28))
            let extraLength = Int(load(UInt16.self, raw, cursor + 30))
            let commentLength = Int(load(UInt16.self, raw, cursor + 32))
            let next = cursor + centralHeaderSize + nameLength + extraLength + commentLength
            guard next <= limit else {
                throw broken("central directory header \(index + 1) of \(entryCount) runs past the directory")
            }
            let flags = load(UInt16.self, raw, cursor + 8)
            let nameStart = cursor + centralHeaderSize
            let path = decodeName(UnsafeRawBufferPointer(rebasing: raw[nameStart..<(nameStart + nameLength)]))
            var member = ZIPMember(
                path: path, kind: .file,
                method: load(UInt16.self, raw, cursor + 10), flags: flags,
                crc32: load(UInt32.self, raw, cursor + 16),
                compressedSize: UInt64(load(UInt32.self, raw, cursor + 20)),
                uncompressedSize: UInt64(load(UInt32.self, raw, cursor + 24)),
                localHeaderOffset: UInt64(load(UInt32.self, raw, cursor + 42))
            )
            let extraStart = nameStart + nameLength
            try applyZIP64Extra(
                UnsafeRawBufferPointer(rebasing: raw[extraStart..<(extraStart + extraLength)]), to: &member
            ) { reason throws(FileFormatError) in
                throw broken("member \(HeaderJSON.quoted(path)): \(reason)")
            }
            member.kind = kind(
                path: path, host: UInt8(load(UInt16.self, raw, cursor + 4) >> 8),
                attributes: load(UInt32.self, raw, cursor + 38)
            )
            members.append(member)
            cursor = next
        }
        return members
    }

    /// Where `member`'s stored (possibly deflated) bytes lie in the archive.
    /// - Throws: `FileFormatError` when its local header is missing or the data runs past the file.
    static func dataRange(of member: ZIPMember, in raw: UnsafeRawBufferPointer, file: String, label: String)
        throws(FileFormatError) -> Range<Int>
    {
        let header = member.localHeaderOffset
        guard raw.count >= localHeaderSize, header <= UInt64(raw.count - localHeaderSize),
            load(UInt32.self, raw, Int(header)) == 0x0403_4B50
        else {
            throw .malformed(file, "\(label) has no local header at offset \(header)")
        }
        let offset = Int(header)
        let start =
            offset + localHeaderSize + Int(load(UInt16.self, raw, offset + 26))
            + Int(load(UInt16.self, raw, offset + 28))
        guard start <= raw.count, member.compressedSize <= UInt64(raw.count - start) else {
            throw .malformed(
                file,
                "\(label)'s \(member.compressedSize) bytes of data starting at offset \(start) run past the end of the file (\(raw.count) bytes)"
            )
        }
        return start..<(start + Int(member.compressedSize))
    }

    // MARK: Private

    /// The offset of the end-of-central-directory record: the last `PK\5\6` whose comment length
    /// reaches at most to the end of the file, searched in the last 22 + 65535 bytes.
    private static func endRecordOffset(_ raw: UnsafeRawBufferPointer) -> Int? {
        guard raw.count >= endRecordSize else { return nil }
        let lowest = max(0, raw.count - endRecordSize - Int(UInt16.max))
        var offset = raw.count - endRecordSize
        while offset >= lowest {
            if raw[offset] == 0x50, load(UInt32.self, raw, offset) == 0x0605_4B50,
                offset + endRecordSize + Int(load(UInt16.self, raw, offset + 20)) <= raw.count
            {
                return offset
            }
            offset -= 1
        }
        return nil
    }

    /// Replaces the all-ones size and offset fields with the values of the ZIP64 extra field.
    private static func applyZIP64Extra(
        _ extra: UnsafeRawBufferPointer, to member: inout ZIPMember,
        fail: (String) throws(FileFormatError) -> Never
    ) throws(FileFormatError) {
        let needs = (
            uncompressed: member.uncompressedSize == 0xFFFF_FFFF,
            compressed: member.compressedSize == 0xFFFF_FFFF,
            offset: member.localHeaderOffset == 0xFFFF_FFFF
        )
        guard needs.uncompressed || needs.compressed || needs.offset else { return }
        var cursor = 0
        while cursor + 4 <= extra.count {
            let id = load(UInt16.self, extra, cursor)
            let size = Int(load(UInt16.self, extra, cursor + 2))
            let body = cursor + 4
            guard body + size <= extra.count else { break }
            if id == 0x0001 {
                var field = body
                func next() throws(FileFormatError) -> UInt64 {
                    guard field + 8 <= body + size else { try fail("its ZIP64 extra field is too short") }
                    defer { field += 8 }
                    return load(UInt64.self, extra, field)
                }
                if needs.uncompressed { member.uncompressedSize = try next() }
                if needs.compressed { member.compressedSize = try next() }
                if needs.offset { member.localHeaderOffset = try next() }
                return
            }
            cursor = body + size
        }
        try fail("its sizes need a ZIP64 extra field, which is missing")
    }

    /// Directory or symbolic link from the Unix mode (host 3) or the MS-DOS directory bit, or a
    /// name ending in `/`.
    private static func kind(path: String, host: UInt8, attributes: UInt32) -> ZIPMember.Kind {
        if host == 3 {
            switch (attributes >> 16) & 0o170000 {
            case 0o120000: return .symbolicLink
            case 0o040000: return .directory
            default: break
            }
        } else if attributes & 0x10 != 0 {
            return .directory
        }
        return path.hasSuffix("/") ? .directory : .file
    }

    /// UTF-8 when valid (flag bit 11 or plain ASCII), otherwise each byte as the Unicode scalar of
    /// the same value (names are only compared and shown, so CP437 is not decoded exactly).
    private static func decodeName(_ bytes: UnsafeRawBufferPointer) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ raw: UnsafeRawBufferPointer, _ offset: Int) -> T {
        LittleEndianBytes.load(T.self, from: raw, at: offset)
    }
}
