// Which vector-kernel path this process runs, for `attend doctor`. (Interim: when the KernelPath
// type lands, the doctor reads that instead and this file goes.)

/// The vector kernels Attend's fused attention uses in this process (see ``VectorKernels``).
public enum VectorKernelReport {
    /// `avx2+fma` (the `_AttendKernels` kernels) or `portable` (Swift SIMD; also when
    /// `ATTEND_PORTABLE_KERNELS=1` forces it).
    public static var active: String { VectorKernels.avx2 ? "avx2+fma" : "portable" }
}
