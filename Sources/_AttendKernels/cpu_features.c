// CPUID + XGETBV feature detection (see include/attend_cpu_features.h).
//
// An instruction set is usable only when CPUID lists it and the OS enables its register state:
// CPUID.1:ECX.OSXSAVE says XGETBV exists, and XCR0 must have SSE|AVX (bits 1, 2) for YMM and
// additionally opmask|ZMM_Hi256|Hi16_ZMM (bits 5, 6, 7) for AVX-512. A kernel that checks only
// CPUID can die with SIGILL (or corrupt registers) under an OS or hypervisor that masks the state.
#include "attend_cpu_features.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    // XGETBV with ECX = 0 (XCR0); written as an instruction so no "xsave" target is needed.
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

void attend_cpu_features_detect(attend_cpu_features *f) {
    memset(f, 0, sizeof *f);
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
    unsigned int max_leaf = eax;
    memcpy(f->vendor + 0, &ebx, 4);
    memcpy(f->vendor + 4, &edx, 4);
    memcpy(f->vendor + 8, &ecx, 4);
    f->vendor[12] = 0;

    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    unsigned base_family = (eax >> 8) & 0xF, base_model = (eax >> 4) & 0xF;
    f->stepping = eax & 0xF;
    f->family = base_family == 0xF ? base_family + ((eax >> 20) & 0xFF) : base_family;
    f->model = (base_family == 0x6 || base_family == 0xF) ? (((eax >> 16) & 0xF) << 4) + base_model : base_model;
    f->sse2 = (edx >> 26) & 1;
    f->sse3 = ecx & 1;
    f->ssse3 = (ecx >> 9) & 1;
    f->sse41 = (ecx >> 19) & 1;
    f->sse42 = (ecx >> 20) & 1;
    bool fma_bit = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx_bit = (ecx >> 28) & 1;

    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool ymm_state = (xcr0 & 0x6) == 0x6;
    bool zmm_state = (xcr0 & 0xE6) == 0xE6;
    f->avx = avx_bit && ymm_state;
    f->fma = fma_bit && ymm_state;
    f->f16c = ((ecx >> 29) & 1) && ymm_state;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        f->avx2 = ((ebx >> 5) & 1) && ymm_state;
        f->avx512f = ((ebx >> 16) & 1) && zmm_state;
        f->avx512dq = ((ebx >> 17) & 1) && zmm_state;
        f->avx512cd = ((ebx >> 28) & 1) && zmm_state;
        f->avx512bw = ((ebx >> 30) & 1) && zmm_state;
        f->avx512vl = ((ebx >> 31) & 1) && zmm_state;
    }

    // Brand string: leaves 0x80000002–4, 48 bytes.
    __get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx);
    if (eax >= 0x80000004) {
        unsigned int words[12];
        for (unsigned leaf = 0; leaf < 3; leaf++) {
            __get_cpuid(0x80000002 + leaf, &words[4 * leaf], &words[4 * leaf + 1], &words[4 * leaf + 2], &words[4 * leaf + 3]);
        }
        char raw[49];
        memcpy(raw, words, 48);
        raw[48] = 0;
        const char *start = raw;
        while (*start == ' ') start++;
        strncpy(f->brand, start, sizeof f->brand - 1);
        f->brand[sizeof f->brand - 1] = 0;
        for (long end = (long)strlen(f->brand) - 1; end >= 0 && f->brand[end] == ' '; end--) f->brand[end] = 0;
    }
}

#else
void attend_cpu_features_detect(attend_cpu_features *f) { memset(f, 0, sizeof *f); }
#endif
