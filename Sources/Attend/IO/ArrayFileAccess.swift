import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading whole files and replacing files atomically.
enum ArrayFileAccess {
    /// The name used for `url` in error messages: its last path component.
    static func displayName(_ url: URL) -> String {
        let name = url.lastPathComponent
        return name.isEmpty ? url.path : name
    }

    /// The contents of `url` (memory-mapped when the file system allows it).
    static func read(_ url: URL) throws(FileFormatError) -> Data {
        try requireFile(url)
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
            throw FileFormatError(file: displayName(url), problem: "no such file", kind: .io)
        } catch {
            throw FileFormatError(
                file: displayName(url), problem: "cannot be read (\(error.localizedDescription))", kind: .io)
        }
    }

    /// Throws unless `url` names an existing file that is not a directory.
    static func requireFile(_ url: URL) throws(FileFormatError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FileFormatError(file: displayName(url), problem: "no such file", kind: .io)
        }
        if isDirectory.boolValue {
            throw FileFormatError(file: displayName(url), problem: "is a directory, not a file", kind: .io)
        }
    }

    /// Writes `data` to `url` atomically (see `replace(_:writer:)`).
    static func write(_ data: Data, to url: URL) throws(FileFormatError) {
        try replace(url) { temporary in try data.write(to: temporary) }
    }

    /// Creates `url` atomically (``replaceAll(_:writer:)`` for one file).
    static func replace(_ url: URL, writer: (URL) throws -> Void) throws(FileFormatError) {
        try replaceAll([url]) { _, temporary in try writer(temporary) }
    }

    /// Creates every file of `urls` or none: `writer(i, temporary)` fills a fresh temporary file in
    /// the directory of `urls[i]`; only when all are written is each renamed over its target
    /// (rename(2) within one file system is atomic). If a writer or a rename fails, the remaining
    /// temporary files are removed; targets renamed before the failure keep their new contents.
    static func replaceAll(_ urls: [URL], writer: (Int, URL) throws -> Void) throws(FileFormatError) {
        var staged: [(temporary: URL, destination: URL)] = []
        func discard(from index: Int) {
            for item in staged[index...] { try? FileManager.default.removeItem(at: item.temporary) }
        }
        for (index, url) in urls.enumerated() {
            let destination = url.standardizedFileURL
            let name = displayName(destination)
            let directory = destination.deletingLastPathComponent()
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                discard(from: 0)
                throw FileFormatError(
                    file: name, problem: "cannot be written: directory \(directory.path) does not exist", kind: .io)
            }
            let temporary = directory.appendingPathComponent(
                ".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
            do {
                try writer(index, temporary)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                discard(from: 0)
                if let formatError = error as? FileFormatError { throw formatError }
                throw FileFormatError(
                    file: name, problem: "cannot be written (\(error.localizedDescription))", kind: .io)
            }
            staged.append((temporary, destination))
        }
        for (index, item) in staged.enumerated() {
            let status = item.temporary.withUnsafeFileSystemRepresentation { from in
                item.destination.withUnsafeFileSystemRepresentation { to -> Int32 in
                    guard let from, let to else { return -1 }
                    return rename(from, to)
                }
            }
            if status != 0 {
                let reason = String(cString: strerror(errno))
                discard(from: index)
                throw FileFormatError(
                    file: displayName(item.destination), problem: "cannot be written (\(reason))", kind: .io)
            }
        }
    }
}
