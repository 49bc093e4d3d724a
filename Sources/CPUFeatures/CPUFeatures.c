#include "CPUFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
int cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}
int cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
int cpu_has_avx512f(void) { return 0; }
int cpu_has_avx2_fma(void) { return 0; }
#endif
