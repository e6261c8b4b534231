/// How ``squaredDistances(_:_:method:centered:)`` computes `‖aₙ − bₘ‖²`.
public enum DistanceMethod: Sendable, Equatable, CustomStringConvertible {
    /// `(a[..., :, None, :] − b[..., None, :, :])²` summed over D, as broadcasting writes it.
    /// Accurate (no cancellation), but the difference tensor holds N·M·D elements.
    case broadcasting
    /// `‖a‖² + ‖b‖² − 2·a·bᵀ`: one batched GEMM with `transB` (no copy of b) and N·M memory.
    /// Loses accuracy when the points are far from the origin relative to their distances
    /// (see ``squaredDistances(_:_:method:centered:)``).
    case gemm
    /// `.broadcasting` while the difference tensor `[..., N, M, D]` has at most
    /// ``automaticBroadcastLimit`` elements, `.gemm` above.
    case automatic

    /// 65 536 elements (256 KiB of Float): below it the broadcast form is cheap and exact
    /// enough; above it the GEMM form's N·M memory and BLAS speed win.
    public static let automaticBroadcastLimit = 1 << 16

    /// The method's name as `attend explain` and the compare table print it: `broadcasting`, `gemm`, `automatic`.
    public var description: String {
        switch self {
        case .broadcasting: "broadcasting"
        case .gemm: "gemm"
        case .automatic: "automatic"
        }
    }
}

/// Pairwise squared Euclidean distances — `out[..., n, m] = Σ_d (a[..., n, d] − b[..., m, d])²`.
///
/// Shapes: a `[..., N, D]`, b `[..., M, D]` → `[..., N, M]`; the batch dimensions broadcast.
///
/// ```
/// .broadcasting:  diff = a[..., :, None, :] − b[..., None, :, :]     // [..., N, M, D]
///                 out  = (diff²).sum(-1)
/// .gemm:          out  = max(0, ‖a‖²[..., :, None] + ‖b‖²[..., None, :] − 2·a·bᵀ)   // one sgemm, transB
/// ```
///
/// **Accuracy of `.gemm`.** Each of ‖a‖², ‖b‖² and 2·a·b carries a rounding error of about
/// u·‖a‖·‖b‖ (u = 2⁻²⁴ for Float), while the result is ‖a − b‖². When the points sit far from
/// the origin compared with their distances (‖a‖, ‖b‖ ≫ ‖a − b‖), the subtraction cancels the
/// leading digits and the relative error grows like (‖a‖/‖a − b‖)²: points near 1e3 that are
/// about 1 apart keep only one or two correct digits in Float, and a true 0 can come out
/// slightly negative — which is why results are clamped at 0 (and why
/// ``euclideanDistances(_:_:method:centered:)`` never takes √ of a negative number). Distances
/// do not change under a common translation, so `centered: true` first subtracts the mean `c`
/// of all N + M points (per batch element) from both sets — one cheap O((N + M)·D) pass that
/// shrinks ‖a‖ and ‖b‖ to the spread of the data and restores the accuracy. It is on by default
/// (unlike `torch.cdist`, whose GEMM path loses those digits); pass `centered: false` only to
/// reproduce the uncentred formula. `.broadcasting` subtracts before squaring, has no
/// cancellation, and ignores `centered`.
///
/// - Throws: ``TensorError`` (op `"squaredDistances"`) when an operand has fewer than two
///   dimensions, the point dimensions D differ, or the batch dimensions do not broadcast.
/// - SeeAlso: `Reference.squaredDistances`, ``squaredDistancesPlan(_:_:method:centered:scalar:)``.
public func squaredDistances<Scalar: TensorScalar>(
    _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, method: DistanceMethod = .automatic, centered: Bool = true
) throws -> Tensor<Scalar> {
    try DistanceLowering(a.layout, b.layout, method: method, centered: centered, scalar: Scalar.self).run(a, b)
}

/// Pairwise Euclidean distances `√(Σ_d (a − b)²)` — `torch.cdist(a, b, p=2)`: the square root
/// of ``squaredDistances(_:_:method:centered:)`` (clamped at 0 first, so never NaN).
/// Shapes: a `[..., N, D]`, b `[..., M, D]` → `[..., N, M]`.
/// - Throws: ``TensorError`` as ``squaredDistances(_:_:method:centered:)`` does (batch dims or D differ).
public func euclideanDistances<Scalar: TensorScalar>(
    _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, method: DistanceMethod = .automatic, centered: Bool = true
) throws -> Tensor<Scalar> {
    try squaredDistances(a, b, method: method, centered: centered).sqrt()
}

/// What ``squaredDistances(_:_:method:centered:)`` does for operands with these layouts: the
/// method `.automatic` resolves to, the passes, the GEMM call and the intermediates.
/// - Throws: ``TensorError`` as ``squaredDistances(_:_:method:centered:)`` would for these shapes.
public func squaredDistancesPlan<Scalar: TensorScalar>(
    _ a: TensorLayout, _ b: TensorLayout, method: DistanceMethod = .automatic, centered: Bool = true,
    scalar: Scalar.Type
) throws -> LoweringPlan {
    try DistanceLowering(a, b, method: method, centered: centered, scalar: Scalar.self).plan
}
