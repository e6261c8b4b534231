/// The keys and values one attention layer has seen, for incremental decoding: a buffer
/// preallocated to `capacity` positions, appended to in place.
///
///     keys [B, Hkv, capacity, Dk], values [B, Hkv, capacity, Dv]; positions 0..<length are filled
///
/// ``keys`` and ``values`` are views of the filled positions (`narrowed` along the length, no
/// copy) that the attention kernels read directly. ``append(keys:values:)`` writes the new
/// positions into the buffer without touching the history; a view still held by the caller
/// when appending would force a copy of the buffer (copy-on-write), so take fresh views after
/// each append rather than keeping old ones.
public struct KVCache<Scalar: TensorScalar>: Sendable {
    /// The most positions the cache holds: ``append(keys:values:)`` throws rather than grow past it.
    public let capacity: Int
    /// Filled positions.
    public private(set) var length = 0
    var keyBuffer: Tensor<Scalar>  // [B, Hkv, capacity, Dk]
    var valueBuffer: Tensor<Scalar>  // [B, Hkv, capacity, Dv]

    /// An empty cache.
    public init(batch: Int, heads: Int, capacity: Int, keyDimension: Int, valueDimension: Int) {
        precondition(
            batch >= 0 && heads >= 0 && capacity >= 0 && keyDimension >= 0 && valueDimension >= 0,
            "KVCache: negative size (batch \(batch), heads \(heads), capacity \(capacity), dims \(keyDimension), \(valueDimension))"
        )
        self.capacity = capacity
        keyBuffer = Tensor(shape: [batch, heads, capacity, keyDimension])
        valueBuffer = Tensor(shape: [batch, heads, capacity, valueDimension])
    }

    /// The filled keys `[B, Hkv, length, Dk]`, a view of the buffer.
    public var keys: Tensor<Scalar> { try! keyBuffer.narrowed(2, start: 0, length: length) }  // length ≤ capacity
    /// The filled values `[B, Hkv, length, Dv]`, a view of the buffer.
    public var values: Tensor<Scalar> { try! valueBuffer.narrowed(2, start: 0, length: length) }

    /// Writes `keys [B, Hkv, L, Dk]` and `values [B, Hkv, L, Dv]` at positions length..<length + L.
    /// - Throws: ``TensorError`` when the shapes do not match the cache or the capacity would be exceeded.
    public mutating func append(keys: Tensor<Scalar>, values: Tensor<Scalar>) throws {
        let s = keyBuffer.shape
        let sv = valueBuffer.shape
        guard keys.rank == 4, values.rank == 4, keys.shape[0] == s[0], keys.shape[1] == s[1], keys.shape[3] == s[3],
            values.shape[0] == s[0], values.shape[1] == s[1], values.shape[3] == sv[3], values.shape[2] == keys.shape[2]
        else {
            throw TensorError(
                op: "KVCache.append",
                "keys \(describe(keys.shape)) and values \(describe(values.shape)) must be [B, Hkv, L, D] = [\(s[0]), \(s[1]), L, \(s[3])] and [\(s[0]), \(s[1]), L, \(sv[3])]"
            )
        }
        let added = keys.shape[2]
        guard length + added <= capacity else {
            throw TensorError(
                op: "KVCache.append", "appending \(added) positions to \(length) exceeds the capacity \(capacity)")
        }
        Self.write(keys, into: &keyBuffer, at: length)
        Self.write(values, into: &valueBuffer, at: length)
        length += added
    }

    /// Forgets every position (the buffer stays allocated).
    public mutating func removeAll() { length = 0 }

    /// Forgets the positions from `newLength` on (keeps 0..<newLength; no-op when already shorter).
    public mutating func truncate(toLength newLength: Int) { length = Swift.max(0, Swift.min(length, newLength)) }

    /// Copies `source [B, Hkv, L, D]` into `buffer [B, Hkv, capacity, D]` at position `start`.
    private static func write(_ source: Tensor<Scalar>, into buffer: inout Tensor<Scalar>, at start: Int) {
        buffer.makeUniqueAndWritable()
        let (b, h, l, d) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
        let capacity = buffer.shape[2]
        let destination = buffer.storage.pointer + buffer.offset
        withExtendedLifetime(source) {
            let from = source.storage.pointer
            let st = source.strides
            for i in 0..<b {
                for j in 0..<h {
                    for p in 0..<l {
                        let row = destination + ((i * h + j) * capacity + start + p) * d
                        let base = source.offset + i * st[0] + j * st[1] + p * st[2]
                        for e in 0..<d { row[e] = from[base + e * st[3]] }
                    }
                }
            }
        }
    }
}
