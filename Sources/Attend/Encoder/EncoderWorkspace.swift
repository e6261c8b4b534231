import Synchronization

/// The buffers a ``PackedEncoder`` runs in, allocated once and reused across layers and calls:
///
///     hidden        [T, E]       the layer's input and output, updated in place
///     qkv           [T, 3E]      Q | K | V of every token (one GEMM)
///     context       [T, E]       attention output, heads side by side
///     projection    [T, E]       attention out-projection, then the second feed-forward GEMM
///     intermediate  [T, F]       the feed-forward's expansion
///
/// A call with more tokens than the workspace holds grows it (once: the next calls of that size
/// or smaller allocate nothing), so a caller that batches by a token budget allocates on its
/// first batch only. A workspace is used by one call at a time — concurrent callers each use
/// their own, and a second call entering a workspace in use stops the program with a message
/// (it would otherwise overwrite the first call's buffers). It is `Sendable` so that a pool can
/// hand workspaces from task to task.
public final class EncoderWorkspace: @unchecked Sendable {
    /// Tokens the buffers hold now.
    public private(set) var tokenCapacity = 0
    private(set) var width = 0, feedForwardWidth = 0
    private var storage: UnsafeMutableRawPointer?
    private(set) var hidden = UnsafeMutablePointer<Float>(bitPattern: 64)!
    private(set) var qkv = UnsafeMutablePointer<Float>(bitPattern: 64)!
    private(set) var context = UnsafeMutablePointer<Float>(bitPattern: 64)!
    private(set) var projection = UnsafeMutablePointer<Float>(bitPattern: 64)!
    private(set) var intermediate = UnsafeMutablePointer<Float>(bitPattern: 64)!

    /// Set while a call runs in the buffers.
    private let inUse = Atomic<Bool>(false)

    /// An empty workspace; the first call sizes it.
    public init() {}

    /// Runs `body` with the workspace taken; traps if another call holds it.
    func exclusively<Result>(_ body: () throws -> Result) rethrows -> Result {
        precondition(
            !inUse.exchange(true, ordering: .acquiring),
            "EncoderWorkspace: two calls at once in one workspace; give each concurrent caller its own")
        defer { inUse.store(false, ordering: .releasing) }
        return try body()
    }

    deinit { storage?.deallocate() }

    /// Floats per token: E (hidden) + 3E (qkv) + E (context) + E (projection) + F (intermediate).
    static func floatsPerToken(width e: Int, feedForwardWidth f: Int) -> Int { 6 * e + f }

    /// Bytes the buffers take now.
    public var byteCount: Int {
        tokenCapacity * Self.floatsPerToken(width: width, feedForwardWidth: feedForwardWidth)
            * MemoryLayout<Float>.size
    }

    /// Makes room for `tokens` rows of width `e` and feed-forward width `f`, reallocating only
    /// when the buffers are too small (or were sized for other widths). Contents are not kept.
    func reserve(tokens: Int, width e: Int, feedForwardWidth f: Int) {
        if tokens <= tokenCapacity, e == width, f == feedForwardWidth { return }
        storage?.deallocate()
        let capacity = Swift.max(tokens, e == width && f == feedForwardWidth ? tokenCapacity : 0)
        // Each buffer starts on a 64-byte boundary.
        func rounded(_ floats: Int) -> Int { (floats + 15) / 16 * 16 }
        let sizes = [capacity * e, capacity * 3 * e, capacity * e, capacity * e, capacity * f].map(rounded)
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(sizes.reduce(0, +), 16) * MemoryLayout<Float>.size, alignment: 64)
        let base = raw.bindMemory(to: Float.self, capacity: sizes.reduce(0, +))
        var start = 0
        var pointers: [UnsafeMutablePointer<Float>] = []
        for size in sizes {
            pointers.append(base + start)
            start += size
        }
        (hidden, qkv, context, projection, intermediate) = (
            pointers[0], pointers[1], pointers[2], pointers[3], pointers[4]
        )
        storage = raw
        tokenCapacity = capacity
        width = e
        feedForwardWidth = f
    }
}
