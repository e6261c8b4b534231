/// 1-D cross-correlation of a signal with a kernel (NumPy's `np.correlate(signal, kernel,
/// "valid")` for stride 1), as windows · kernel: `out[i] = Σ_k signal[i·stride + k] · kernel[k]`.
/// For batched multi-channel inputs (PyTorch's `F.conv1d`) see ``conv1d(_:weight:bias:stride:padding:)``.
///
/// Shapes: signal `[N]`, kernel `[K]` → `[(N − K)/stride + 1]`.
///
///     let windows = signal.unfolded(0, size: K, step: stride)   // [L, K], strides (stride·s, s): a view
///     out = windows · kernel                                     // one GEMM
///
/// Overlapping windows (stride < K) cannot be handed to BLAS as they are, so they are copied
/// once (the im2col copy, L·K elements); windows with stride ≥ K are passed without a copy.
/// Example: signal 10, 20, …, 100 with kernel [0.5, 1, 0.5] → [40, 60, …, 180].
/// - Throws: ``TensorError`` (op `"conv1d"`, the name `attend` gives it) unless signal and kernel are 1-D with
///   1 ≤ K ≤ N and stride ≥ 1.
/// - SeeAlso: `Reference.correlate(signal:kernel:stride:)`, ``correlatePlan(signal:kernel:stride:scalar:)``.
public func correlate<Scalar: TensorScalar>(signal: Tensor<Scalar>, kernel: Tensor<Scalar>, stride: Int = 1) throws
    -> Tensor<Scalar>
{
    let lowering = try SignalCorrelationLowering(
        signal: signal.layout, kernel: kernel.layout, stride: stride, scalar: Scalar.self)
    let windows = try SignalCorrelationLowering.windows(signal, size: kernel.shape[0], stride: stride)  // [L, K]
    return try lowering.gemm.run(windows, kernel)  // [L]
}

/// The views, copy and GEMM ``correlate(signal:kernel:stride:)`` makes for these layouts.
/// - Throws: ``TensorError`` as ``correlate(signal:kernel:stride:)`` would for these shapes.
public func correlatePlan<Scalar: TensorScalar>(
    signal: TensorLayout, kernel: TensorLayout, stride: Int = 1, scalar: Scalar.Type
) throws -> LoweringPlan {
    try SignalCorrelationLowering(signal: signal, kernel: kernel, stride: stride, scalar: Scalar.self).plan
}
