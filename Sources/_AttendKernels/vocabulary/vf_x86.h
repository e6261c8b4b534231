// The vocabulary's operations that do not depend on the vector width, for the x86 instances:
// SSE2 code (the x86-64 baseline), included by vf_avx2.h and vf_avx512.h after VF_INLINE, and
// the MXCSR pair by vf_portable.h on x86 too.
#ifndef ATTEND_VF_X86_H
#define ATTEND_VF_X86_H

#include <emmintrin.h>
#include <stdint.h>

/// The 32 nibbles of 16 bytes as 32 bytes: out[j] = in[j] & 15, out[j + 16] = in[j] >> 4.
VF_INLINE void vf_unpack_nibbles(const uint8_t *in, uint8_t *out) {
    __m128i raw = _mm_loadu_si128((const __m128i *)in), mask = _mm_set1_epi8(0x0F);
    _mm_storeu_si128((__m128i *)out, _mm_and_si128(raw, mask));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_and_si128(_mm_srli_epi16(raw, 4), mask));
}

/// Flush-to-zero and denormals-are-zero for the kernel's duration (MXCSR, which the SSE, AVX and
/// AVX-512 units all obey): returns the caller's state for vf_leave_ftz.
VF_INLINE unsigned vf_enter_ftz(void) {
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
    return saved;
}
VF_INLINE void vf_leave_ftz(unsigned saved) { _mm_setcsr(saved); }

#endif
