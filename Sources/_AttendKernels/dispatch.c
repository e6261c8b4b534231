// The family's instances by instruction set (see include/attend_kernels.h).
#include "attend_kernels.h"

extern const attend_kernel_table attend_kernels_portable;
#if defined(__x86_64__)
extern const attend_kernel_table attend_kernels_avx2;
extern const attend_kernel_table attend_kernels_avx512;
#include <xmmintrin.h>
#endif

const attend_kernel_table *attend_kernels(attend_isa isa) {
    switch (isa) {
    case ATTEND_ISA_PORTABLE: return &attend_kernels_portable;
#if defined(__x86_64__)
    case ATTEND_ISA_AVX2: return &attend_kernels_avx2;
    case ATTEND_ISA_AVX512: return &attend_kernels_avx512;
#endif
    default: return 0;
    }
}

#if defined(__x86_64__)
unsigned attend_read_mxcsr(void) { return _mm_getcsr(); }
void attend_write_mxcsr(unsigned value) { _mm_setcsr(value); }
#else
unsigned attend_read_mxcsr(void) { return 0; }
void attend_write_mxcsr(unsigned value) { (void)value; }
#endif
