/// The heap buffer behind one or more ``Tensor`` values.
///
/// Views (`transposed`, `expanded`, `unfolded` …) share one storage; a mutation goes through
/// copy-on-write in ``Tensor`` so a storage that more than one tensor references is never
/// written. The memory is 64-byte aligned (one cache line, and what AVX-512 loads like).
final class TensorStorage<Scalar: TensorScalar>: @unchecked Sendable {
    // @unchecked Sendable: the buffer is only written while the storage is uniquely
    // referenced (Tensor's copy-on-write) or before it is first shared, so concurrent
    // readers never see a write.
    let pointer: UnsafeMutablePointer<Scalar>
    let count: Int

    /// Allocates `count` elements, all zero.
    convenience init(zeroedCount count: Int) {
        self.init(uninitializedCount: count)
        UnsafeMutableRawPointer(pointer).initializeMemory(
            as: UInt8.self, repeating: 0, count: max(count, 1) * MemoryLayout<Scalar>.stride)
    }

    /// Allocates `count` elements left uninitialized, for a caller that writes every one of them
    /// before anything reads the tensor (a GEMM with beta = 0, a copy, the fused kernel's output).
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
    }

    /// Allocates and fills from an array.
    convenience init(_ values: [Scalar]) {
        self.init(zeroedCount: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
