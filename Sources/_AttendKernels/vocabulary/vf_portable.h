// The vector vocabulary without CPU-specific code: 4 float lanes as a GCC/Clang vector type
// (SSE2 on x86-64, NEON on arm64, scalar elsewhere), compiled with no target attribute (on x86
// the width-independent operations come from vf_x86.h: SSE2, the x86-64 baseline). The
// operations mirror the SIMD headers' exactly (semantics: vocabulary.h), except vf_fma, which
// rounds twice here (a multiply, then an add): a portable build has no fused multiply-add to ask for.
#ifndef ATTEND_VF_PORTABLE_H
#define ATTEND_VF_PORTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define VF_LANES 4
#define VF_ALIGN 16
#define VF_INLINE static inline __attribute__((always_inline))

typedef float vf __attribute__((vector_size(16), aligned(16)));
typedef int32_t vm __attribute__((vector_size(16), aligned(16)));  // all bits set where true
typedef uint32_t vu __attribute__((vector_size(16), aligned(16)));

VF_INLINE vf vf_zero(void) { return (vf){0, 0, 0, 0}; }
VF_INLINE vf vf_set1(float x) { return (vf){x, x, x, x}; }
VF_INLINE vf vf_broadcast(const float *p) { return vf_set1(*p); }
VF_INLINE vf vf_load(const float *p) { return *(const vf *)p; }
VF_INLINE vf vf_loadu(const float *p) {
    vf x;
    memcpy(&x, p, sizeof x);
    return x;
}
VF_INLINE void vf_store(float *p, vf x) { *(vf *)p = x; }
VF_INLINE void vf_storeu(float *p, vf x) { memcpy(p, &x, sizeof x); }

VF_INLINE long vf_clamp_lanes(long n) { return n < 0 ? 0 : n > VF_LANES ? VF_LANES : n; }
VF_INLINE vf vf_load_n(const float *p, long n) {
    vf x = vf_zero();
    memcpy(&x, p, sizeof(float) * (size_t)vf_clamp_lanes(n));
    return x;
}
VF_INLINE void vf_store_n(float *p, vf x, long n) { memcpy(p, &x, sizeof(float) * (size_t)vf_clamp_lanes(n)); }

VF_INLINE vf vf_add(vf a, vf b) { return a + b; }
VF_INLINE vf vf_sub(vf a, vf b) { return a - b; }
VF_INLINE vf vf_mul(vf a, vf b) { return a * b; }
VF_INLINE vf vf_div(vf a, vf b) { return a / b; }
VF_INLINE vf vf_fma(vf a, vf b, vf c) { return vf_add(vf_mul(a, b), c); }
VF_INLINE vf vf_fnma(vf a, vf b, vf c) { return vf_sub(c, vf_mul(a, b)); }

VF_INLINE vm vf_lt(vf a, vf b) { return a < b; }
VF_INLINE vm vf_eq(vf a, vf b) { return a == b; }
VF_INLINE vm vf_is_nan(vf a) { return a != a; }
VF_INLINE vm vm_or(vm a, vm b) { return a | b; }
VF_INLINE vm vm_none(void) { return (vm){0, 0, 0, 0}; }
VF_INLINE bool vm_any(vm m) { return (m[0] | m[1] | m[2] | m[3]) != 0; }
VF_INLINE vf vf_select(vm m, vf yes, vf no) { return (vf)(((vm)yes & m) | ((vm)no & ~m)); }
/// As x86's maxps/minps: the second operand when either is NaN.
VF_INLINE vf vf_max(vf a, vf b) { return vf_select(a > b, a, b); }
VF_INLINE vf vf_min(vf a, vf b) { return vf_select(a < b, a, b); }

/// 0, 1, 2, 3.
VF_INLINE vf vf_iota(void) { return (vf){0, 1, 2, 3}; }

/// (x0 + x2) + (x1 + x3): halves, then pairs, as the SIMD headers.
VF_INLINE float vf_reduce_add(vf x) { return (x[0] + x[2]) + (x[1] + x[3]); }

/// p·2ⁿ for integer-valued n, given t whose low mantissa bits hold n (t = n + 1.5·2²³): adds n to
/// p's exponent field. Exact when p·2ⁿ is a normal float, which is all the exp bodies ask.
VF_INLINE vf vf_scale_pow2(vf p, vf t, vf n) {
    (void)n;
    return (vf)((vu)p + ((vu)t << 23));
}

/// Transposes the 4 × 4 block held as 4 row vectors in place (row r becomes column r).
VF_INLINE void vf_transpose(vf r[4]) {
    vf c[4];
    for (int i = 0; i < 4; i++) c[i] = (vf){r[0][i], r[1][i], r[2][i], r[3][i]};
    for (int i = 0; i < 4; i++) r[i] = c[i];
}

/// 4 consecutive int8 / uint8 as floats (exact).
VF_INLINE vf vf_from_i8(const int8_t *p) { return (vf){(float)p[0], (float)p[1], (float)p[2], (float)p[3]}; }
VF_INLINE vf vf_from_u8(const uint8_t *p) { return (vf){(float)p[0], (float)p[1], (float)p[2], (float)p[3]}; }
/// The nibbles (p[j] >> shift) & 15 of 4 consecutive bytes as floats (shift 0: low, 4: high).
VF_INLINE vf vf_from_nibbles(const uint8_t *p, int shift) {
    return (vf){(float)((p[0] >> shift) & 15), (float)((p[1] >> shift) & 15), (float)((p[2] >> shift) & 15),
                (float)((p[3] >> shift) & 15)};
}
/// Five-bit values of 4 consecutive elements: nibble (p[j] >> shift) & 15 with bit j of `bits` as
/// bit 4.
VF_INLINE vf vf_from_nibbles_bit4(const uint8_t *p, int shift, uint32_t bits) {
    float q[4];
    for (int j = 0; j < 4; j++) q[j] = (float)(((p[j] >> shift) & 15) | (((bits >> j) & 1u) << 4));
    return (vf){q[0], q[1], q[2], q[3]};
}

/// IEEE binary16 bits → float, exactly (the shared bit-level decoder).
VF_INLINE float vf_half_to_float(uint16_t h) { return attend_half_to_float(h); }

#if defined(__x86_64__) || defined(__i386__)
// On x86 the SSE2 baseline's nibble unpacking and FTZ/DAZ (SSE's MXCSR, as the SIMD paths, so
// every path treats subnormals alike).
#include "vf_x86.h"
#else
/// The 32 nibbles of 16 bytes as 32 bytes: out[j] = in[j] & 15, out[j + 16] = in[j] >> 4.
VF_INLINE void vf_unpack_nibbles(const uint8_t *in, uint8_t *out) {
    for (int j = 0; j < 16; j++) {
        out[j] = in[j] & 0x0F;
        out[j + 16] = in[j] >> 4;
    }
}
// Elsewhere the caller's floating-point mode stands.
VF_INLINE unsigned vf_enter_ftz(void) { return 0; }
VF_INLINE void vf_leave_ftz(unsigned saved) { (void)saved; }
#endif

#endif
