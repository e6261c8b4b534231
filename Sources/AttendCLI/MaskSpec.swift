import Attend
import AttendReference

/// An attention mask as `attend compare` builds it, convertible to the engine's
/// `AttentionMask`, the reference's `ReferenceMask` (Double and Float) and the bound model's
/// `ScoresMask` — so all three paths see the same mask.
indirect enum MaskSpec {
    case none
    case causal
    /// True = may attend; broadcastable to the scores.
    case mayAttend(BoolTensor)
    /// Added to the scores (Float-representable values); broadcastable to the scores.
    case additive(ReferenceArray<Double>)
    /// `[B, Lk]`, True = ignore that key.
    case keyPadding(BoolTensor)
    case all([MaskSpec])

    init(_ mask: UserMask) {
        switch mask {
        case .mayAttend(let m): self = .mayAttend(m)
        case .additive(let m): self = .additive(ReferenceArray(shape: m.shape, values: m.values.map { Double(Float($0)) }))
        }
    }

    var engine: AttentionMask<Float> {
        switch self {
        case .none: return .none
        case .causal: return .causal
        case .mayAttend(let m): return .mayAttend(m)
        case .additive(let m): return .additive(try! Tensor<Float>(shape: m.shape, scalars: m.values.map { Float($0) }))   // count matches
        case .keyPadding(let m): return .keyPadding(m)
        case .all(let masks): return .all(masks.map(\.engine))
        }
    }

    func reference<R: ReferenceScalar>(_: R.Type) -> ReferenceMask<R> {
        func flags(_ m: BoolTensor) -> ReferenceArray<R> { ReferenceArray(shape: m.shape, values: m.elements.map { $0 ? 1 : 0 }) }
        switch self {
        case .none: return .none
        case .causal: return .causal
        case .mayAttend(let m): return .allow(flags(m))
        case .additive(let m): return .additive(ReferenceArray(shape: m.shape, values: m.values.map { R($0) }))
        case .keyPadding(let m): return .keyPadding(flags(m))
        case .all(let masks): return .all(masks.map { $0.reference(R.self) })
        }
    }

    /// The mask evaluated at every score of `[batch…, Lq, Lk]` (flattened row-major).
    func resolved(scoresShape: [Int]) -> ScoresMask {
        let count = scoresShape.reduce(1, *)
        var result = ScoresMask.none
        apply(to: &result, scoresShape: scoresShape, count: count)
        return result
    }

    private func apply(to result: inout ScoresMask, scoresShape: [Int], count: Int) {
        let (lq, lk) = (scoresShape[scoresShape.count - 2], scoresShape[scoresShape.count - 1])
        func disallow(_ n: Int) {
            if result.allowed == nil { result.allowed = Array(repeating: true, count: count) }
            result.allowed![n] = false
        }
        switch self {
        case .none:
            return
        case .causal:
            for n in 0..<count where n % lk > (n / lk) % lq { disallow(n) }
        case .mayAttend(let m):
            let offsets = broadcastOffsets(m.shape, to: scoresShape)
            for n in 0..<count where !m.elements[offsets[n]] { disallow(n) }
        case .additive(let m):
            let offsets = broadcastOffsets(m.shape, to: scoresShape)
            if result.additive == nil { result.additive = Array(repeating: 0, count: count) }
            for n in 0..<count { result.additive![n] += m.values[offsets[n]] }
        case .keyPadding(let m):
            let perBatch = count / Swift.max(scoresShape[0], 1)
            for n in 0..<count {
                let b = m.shape[0] == 1 ? 0 : n / perBatch
                if m.elements[b * lk + n % lk] { disallow(n) }
            }
        case .all(let masks):
            for mask in masks { mask.apply(to: &result, scoresShape: scoresShape, count: count) }
        }
    }

    /// `causal + mayAttend [10, 10]` …
    var summary: String {
        switch self {
        case .none: "none"
        case .causal: "causal"
        case .mayAttend(let m): "bool \(shapeText(m.shape))"
        case .additive(let m): "float \(shapeText(m.shape))"
        case .keyPadding(let m): "key padding \(shapeText(m.shape))"
        case .all(let masks): masks.map(\.summary).joined(separator: " + ")
        }
    }
}

/// For every flat index of `target`, the flat index into an array of `shape` broadcast to it
/// (NumPy rule: aligned from the right, size-1 dimensions repeat).
func broadcastOffsets(_ shape: [Int], to target: [Int]) -> [Int] {
    let lead = target.count - shape.count
    var strides = [Int](repeating: 0, count: target.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis + lead] = shape[axis] == 1 ? 0 : running
        running *= shape[axis]
    }
    let count = target.reduce(1, *)
    var offsets = [Int](repeating: 0, count: count)
    guard count > 0 else { return offsets }
    var index = [Int](repeating: 0, count: target.count)
    var offset = 0
    for n in 0..<count {
        offsets[n] = offset
        var axis = target.count - 1
        while axis >= 0 {
            index[axis] += 1
            offset += strides[axis]
            if index[axis] < target[axis] { break }
            offset -= strides[axis] * index[axis]
            index[axis] = 0
            axis -= 1
        }
    }
    return offsets
}
