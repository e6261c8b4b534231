import Attend
import AttendReference
import RealModule

// The engine's mask as the reference and the bound model see it. The reference keeps its own
// resolution of a mask (`ReferenceMask.resolved`), written from the definitions, so the bound
// model's scores are masked independently of the engine.

extension AttentionMask {
    /// The reference's mask with the same meaning (boolean masks as 0/1, additive values
    /// converted exactly).
    public func reference<R: ReferenceScalar>(_: R.Type) -> ReferenceMask<R> {
        switch self {
        case .none: return .none
        case .causal: return .causal
        case .causalFromEnd: return .causalFromEnd
        case .mayAttend(let m): return .mayAttend(m.reference(R.self))
        case .additive(let t): return .additive(t.reference(R.self))
        case .keyPadding(let m): return .keyPadding(m.reference(R.self))
        case .all(let masks): return .all(masks.map { $0.reference(R.self) })
        }
    }

    /// Whether any part of the mask is added to the scores (so the sum is rounded once more).
    public var hasAdditiveTerm: Bool {
        switch self {
        case .additive: return true
        case .all(let masks): return masks.contains { $0.hasAdditiveTerm }
        default: return false
        }
    }

    /// `causal + bool [10, 10]` — the mask as `attend compare` names it in a case.
    public var caseSummary: String {
        switch self {
        case .none: return "none"
        case .causal: return "causal"
        case .causalFromEnd: return "causal from end"
        case .mayAttend(let m): return "bool \(formatShape(m.shape))"
        case .additive(let m): return "float \(formatShape(m.shape))"
        case .keyPadding(let m): return "key padding \(formatShape(m.shape))"
        case .all(let masks): return masks.map(\.caseSummary).joined(separator: " + ")
        }
    }
}

extension ScoresMask {
    /// The mask evaluated at every score of `[batch…, Lq, Lk]` (flattened row-major) by the
    /// reference's resolution.
    /// - Throws: `ReferenceError` when the mask does not fit `scoresShape` (see
    ///   `ReferenceMask.resolved(scoresShape:op:)`).
    public init(_ mask: AttentionMask<Float>, scoresShape: [Int]) throws {
        let resolved = try mask.reference(Double.self).resolved(scoresShape: scoresShape, op: "ScoresMask")
        self.init(allowed: resolved.allowed, additive: mask.hasAdditiveTerm ? resolved.bias : nil)
    }
}
