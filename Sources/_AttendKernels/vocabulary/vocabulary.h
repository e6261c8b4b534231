// The vector vocabulary the kernel family is written against: its contract, once. Each ISA
// header (vf_portable.h, vf_avx2.h, vf_avx512.h) implements every operation below with exactly
// these semantics; family/*.h use nothing else of the ISA. A kernel written against it runs on
// every instance: a new ISA is a new header and a new kernels_<isa>.c, not new kernels.
//
//   VF_LANES, VF_ALIGN       floats per vector; byte alignment vf_load/vf_store need
//   VF_INLINE                static inline, always inlined (the compiler's -O0 builds included)
//   vf                       a vector of VF_LANES floats
//   vm                       a lane mask (from comparisons; only for vf_select, vm_or, vm_any)
//
//   vf_zero(), vf_set1(x), vf_broadcast(p)           0; x in every lane; *p in every lane
//   vf_load(p), vf_store(p, x)                       VF_ALIGN-aligned p
//   vf_loadu(p), vf_storeu(p, x)                     any p
//   vf_load_n(p, n), vf_store_n(p, x, n)             lanes < n only (n clamped to 0 … VF_LANES); the
//                                                    others load as 0 and are neither read nor written
//   vf_add, vf_sub, vf_mul, vf_div                   IEEE, one rounding each
//   vf_fma(a, b, c), vf_fnma(a, b, c)                a·b + c, c − a·b: one rounding on the SIMD paths,
//                                                    two on the portable path
//   vf_max(a, b), vf_min(a, b)                       a > b ? a : b, a < b ? a : b (x86 maxps/minps:
//                                                    b when either is NaN)
//   vf_lt, vf_eq → vm                                ordered comparisons (false with a NaN)
//   vf_is_nan(a) → vm, vm_or, vm_none(), vm_any(m)
//   vf_select(m, yes, no)                            yes where m, else no
//   vf_iota()                                        0, 1, …, VF_LANES − 1
//   vf_reduce_add(x)                                 the lanes' sum, halves first (a fixed order per ISA)
//   vf_transpose(x[VF_LANES])                        the VF_LANES × VF_LANES block held as row vectors,
//                                                    transposed in place (no arithmetic)
//   vf_scale_pow2(p, t, n)                           p·2ⁿ for integer-valued n, t = n + 1.5·2²³ (n in
//                                                    t's low mantissa bits): exact when the result is
//                                                    normal, so the same bits on every path
//   vf_from_i8(p), vf_from_u8(p)                     VF_LANES consecutive int8 / uint8 as floats
//   vf_unpack_nibbles(in16, out32)                   out[j] = in[j] & 15, out[j + 16] = in[j] >> 4
//   vf_enter_ftz(), vf_leave_ftz(saved)              flush-to-zero + denormals-are-zero (x86 MXCSR)
//                                                    for a kernel's duration; the caller's state restored
#ifndef ATTEND_VOCABULARY_H
#define ATTEND_VOCABULARY_H
#if !defined(VF_LANES) || !defined(VF_ALIGN) || !defined(VF_INLINE)
#error "include one vocabulary/vf_<isa>.h before the family"
#endif
#endif
