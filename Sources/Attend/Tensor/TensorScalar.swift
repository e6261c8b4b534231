import RealModule

/// The element types a ``Tensor`` can hold: `Float` (the main type, lowered onto `sgemm`)
/// and `Double` (lowered onto `dgemm`).
///
/// The protocol only gathers what the kernels need from the standard library and
/// swift-numerics (`Real` gives `exp`, `log`, `erf`, `tanh` …); which BLAS routine a scalar
/// type maps to is decided in one place, `Lowering/GEMM.swift`.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// A short name used in messages and plans: `"Float"`, `"Double"`.
    static var scalarName: String { get }
    /// The BLAS routine prefix: `"s"` for Float, `"d"` for Double.
    static var blasPrefix: String { get }
}

extension Float: TensorScalar {
    /// `"Float"`.
    public static var scalarName: String { "Float" }
    /// `"s"`: Float lowers onto `cblas_sgemm`.
    public static var blasPrefix: String { "s" }
}

extension Double: TensorScalar {
    /// `"Double"`.
    public static var scalarName: String { "Double" }
    /// `"d"`: Double lowers onto `cblas_dgemm`.
    public static var blasPrefix: String { "d" }
}
