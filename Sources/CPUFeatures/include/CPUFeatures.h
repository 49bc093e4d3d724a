#ifndef CPU_FEATURES_H
#define CPU_FEATURES_H

/// 1 when the CPU and the OS support the instruction set, 0 otherwise.
/// Swift cannot issue CPUID (and check XCR0) itself; the compiler builtins do both.
int cpu_has_avx512f(void);
int cpu_has_avx2_fma(void);

#endif
