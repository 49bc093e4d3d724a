// Integer GEMM, im2col and max pooling for the quantized inference path. One file, one
// function per instruction set marked with __attribute__((target)), chosen at run time by
// the caller through `isa`, so the same binary runs on any x86-64 and uses VNNI where it can.
#include "Int8Kernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define Q8_X86 1
#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX2_TARGET __attribute__((target("avx2")))
#define INLINE static inline __attribute__((always_inline))
#endif

int q8_isa_supported(int isa) {
    switch (isa) {
    case Q8_ISA_REFERENCE: return 1;
#if Q8_X86
    case Q8_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case Q8_ISA_AVX512_VNNI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
    default: return 0;
    }
}

size_t q8_padded_reduction(size_t k) { return (k + 3) / 4 * 4; }

size_t q8_packed_weight_bytes(size_t n, size_t k) {
    return (n + Q8_BLOCK - 1) / Q8_BLOCK * Q8_BLOCK * q8_padded_reduction(k);
}

void q8_pack_weights(const int8_t *w, size_t n, size_t k, int8_t *packed) {
    size_t kp = q8_padded_reduction(k), blocks = (n + Q8_BLOCK - 1) / Q8_BLOCK;
    memset(packed, 0, blocks * Q8_BLOCK * kp);
    for (size_t j = 0; j < n; j++) {
        int8_t *block = packed + (j / Q8_BLOCK) * kp * Q8_BLOCK;
        for (size_t i = 0; i < k; i++) block[(i / 4) * 4 * Q8_BLOCK + (j % Q8_BLOCK) * 4 + i % 4] = w[j * k + i];
    }
}

/// The epilogue every kernel's lanes compute: float multiply, then add (not fused), ReLU as
/// "v > 0 ? v : 0" (what maxps(v, 0) gives, -0 included), clamp, round to nearest even.
static inline float q8_epilogue(int32_t sum, float multiplier, float bias, int relu) {
    float v = (float)sum * multiplier;
    v = v + bias;
    if (relu) v = v > 0.f ? v : 0.f;
    return v;
}

static inline uint8_t q8_to_u8(float v) {
    v = v > 0.f ? v : 0.f;
    v = v < 255.f ? v : 255.f;
    return (uint8_t)__builtin_rintf(v);
}

static void gemm_reference(const uint8_t *a, const size_t *row_offsets, const uint32_t *group_offsets, size_t m,
                           size_t kp, const int8_t *packed, size_t n,
                           const float *multiplier, const float *bias, int relu,
                           uint8_t *out_u8, float *out_f32, size_t ldc) {
    for (size_t r = 0; r < m; r++) {
        for (size_t j = 0; j < n; j++) {
            const int8_t *block = packed + (j / Q8_BLOCK) * kp * Q8_BLOCK + (j % Q8_BLOCK) * 4;
            int32_t sum = 0;
            for (size_t i = 0; i < kp; i++) {
                const uint8_t value = a[row_offsets[r] + group_offsets[i / 4] + i % 4];
                sum += (int32_t)value * (int32_t)block[(i / 4) * 4 * Q8_BLOCK + i % 4];
            }
            float v = q8_epilogue(sum, multiplier[j], bias[j], relu);
            if (out_u8) out_u8[r * ldc + j] = q8_to_u8(v);
            else out_f32[r * ldc + j] = v;
        }
    }
}

#if Q8_X86
static inline int32_t load4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

// MARK: AVX-512 VNNI: MR rows x NB blocks of 16 channels, one vpdpbusd per row, block and 4 k.

INLINE VNNI_TARGET void vnni_tile(const int MR, const int NB, const uint8_t *a, const size_t *row_offsets,
                                  const uint32_t *group_offsets, size_t kp,
                                  const int8_t *w, size_t channels, const float *multiplier,
                                  const float *bias, int relu, uint8_t *out_u8, float *out_f32, size_t ldc) {
    __m512i acc[6][4];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NB; j++) acc[r][j] = _mm512_setzero_si512();
    const size_t block_stride = kp * Q8_BLOCK;
    const uint8_t *rows[6];
    for (int r = 0; r < MR; r++) rows[r] = a + row_offsets[r];
    for (size_t g = 0; g < kp / 4; g++) {
        __m512i wv[4];
        for (int j = 0; j < NB; j++) wv[j] = _mm512_loadu_si512((const void *)(w + j * block_stride + g * 64));
        const uint32_t offset = group_offsets[g];
        for (int r = 0; r < MR; r++) {
            __m512i av = _mm512_set1_epi32(load4(rows[r] + offset));
            for (int j = 0; j < NB; j++) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], av, wv[j]);
        }
    }
    const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.f);
    for (int j = 0; j < NB; j++) {
        size_t valid = channels - (size_t)j * Q8_BLOCK;
        __mmask16 mask = valid >= Q8_BLOCK ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        __m512 mv = _mm512_maskz_loadu_ps(mask, multiplier + j * Q8_BLOCK);
        __m512 bv = _mm512_maskz_loadu_ps(mask, bias + j * Q8_BLOCK);
        for (int r = 0; r < MR; r++) {
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][j]), mv);
            v = _mm512_add_ps(v, bv);
            if (relu) v = _mm512_max_ps(v, zero);
            if (out_u8) {
                v = _mm512_min_ps(_mm512_max_ps(v, zero), top);
                __m128i bytes = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(v));
                _mm_mask_storeu_epi8(out_u8 + r * ldc + j * Q8_BLOCK, mask, bytes);
            } else {
                _mm512_mask_storeu_ps(out_f32 + r * ldc + j * Q8_BLOCK, mask, v);
            }
        }
    }
}

#define VNNI_CASE(MR, NB) \
    case (MR) * 8 + (NB): \
        vnni_tile(MR, NB, a, row_offsets + r0, group_offsets, kp, w, channels, multiplier + b0 * Q8_BLOCK, bias + b0 * Q8_BLOCK, \
                  relu, out_u8 ? out_u8 + r0 * ldc + b0 * Q8_BLOCK : 0, out_f32 ? out_f32 + r0 * ldc + b0 * Q8_BLOCK : 0, ldc); \
        break;
#define VNNI_ROW(MR) VNNI_CASE(MR, 1) VNNI_CASE(MR, 2) VNNI_CASE(MR, 3) VNNI_CASE(MR, 4)

VNNI_TARGET static void gemm_vnni(const uint8_t *a, const size_t *row_offsets, const uint32_t *group_offsets, size_t m,
                                  size_t kp, const int8_t *packed, size_t n,
                                  const float *multiplier, const float *bias, int relu,
                                  uint8_t *out_u8, float *out_f32, size_t ldc) {
    const size_t blocks = (n + Q8_BLOCK - 1) / Q8_BLOCK;
    for (size_t b0 = 0; b0 < blocks; b0 += 4) {
        const int nb = blocks - b0 < 4 ? (int)(blocks - b0) : 4;
        const int8_t *w = packed + b0 * kp * Q8_BLOCK;
        const size_t channels = n - b0 * Q8_BLOCK;
        // 6 rows x up to 3 blocks, or 5 x 4: accumulators, weights and a broadcast within the
        // 32 vector registers (6 x 4 spilled an accumulator to the stack in the inner loop).
        const size_t tile_rows = nb == 4 ? 5 : 6;
        for (size_t r0 = 0; r0 < m; r0 += tile_rows) {
            const int mr = m - r0 < tile_rows ? (int)(m - r0) : (int)tile_rows;
            switch (mr * 8 + nb) {
                VNNI_ROW(1) VNNI_ROW(2) VNNI_ROW(3) VNNI_ROW(4) VNNI_ROW(5) VNNI_CASE(6, 1) VNNI_CASE(6, 2) VNNI_CASE(6, 3)
            }
        }
    }
}

// MARK: AVX2: MR rows x one block of 16 channels (two 256-bit halves); vpmaddubsw pairs
// (exact: |weight| <= 64), vpmaddwd against ones to int32, vpaddd.

INLINE AVX2_TARGET void avx2_tile(const int MR, const uint8_t *a, const size_t *row_offsets,
                                  const uint32_t *group_offsets, size_t kp, const int8_t *w,
                                  size_t channels, const float *multiplier, const float *bias, int relu,
                                  uint8_t *out_u8, float *out_f32, size_t ldc) {
    __m256i acc[4][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    const uint8_t *rows[4];
    for (int r = 0; r < MR; r++) rows[r] = a + row_offsets[r];
    for (size_t g = 0; g < kp / 4; g++) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + g * 64));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + g * 64 + 32));
        const uint32_t offset = group_offsets[g];
        for (int r = 0; r < MR; r++) {
            __m256i av = _mm256_set1_epi32(load4(rows[r] + offset));
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(av, w0), ones));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(av, w1), ones));
        }
    }
    const size_t valid = channels < Q8_BLOCK ? channels : Q8_BLOCK;
    float mul_lanes[Q8_BLOCK] = {0}, bias_lanes[Q8_BLOCK] = {0};
    memcpy(mul_lanes, multiplier, valid * sizeof(float));
    memcpy(bias_lanes, bias, valid * sizeof(float));
    const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.f);
    for (int r = 0; r < MR; r++) {
        __m256 v[2];
        for (int h = 0; h < 2; h++) {
            v[h] = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][h]), _mm256_loadu_ps(mul_lanes + 8 * h));
            v[h] = _mm256_add_ps(v[h], _mm256_loadu_ps(bias_lanes + 8 * h));
            if (relu) v[h] = _mm256_max_ps(v[h], zero);
        }
        if (out_u8) {
            __m256i i0 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v[0], zero), top));
            __m256i i1 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v[1], zero), top));
            __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xD8);
            __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
            if (valid == Q8_BLOCK) {
                _mm_storeu_si128((__m128i *)(out_u8 + r * ldc), bytes);
            } else {
                uint8_t lanes[Q8_BLOCK];
                _mm_storeu_si128((__m128i *)lanes, bytes);
                memcpy(out_u8 + r * ldc, lanes, valid);
            }
        } else {
            float lanes[Q8_BLOCK];
            _mm256_storeu_ps(lanes, v[0]);
            _mm256_storeu_ps(lanes + 8, v[1]);
            memcpy(out_f32 + r * ldc, lanes, valid * sizeof(float));
        }
    }
}

#define AVX2_CASE(MR) \
    case MR: \
        avx2_tile(MR, a, row_offsets + r0, group_offsets, kp, w, n - b * Q8_BLOCK, multiplier + b * Q8_BLOCK, bias + b * Q8_BLOCK, relu, \
                  out_u8 ? out_u8 + r0 * ldc + b * Q8_BLOCK : 0, out_f32 ? out_f32 + r0 * ldc + b * Q8_BLOCK : 0, ldc); \
        break;

AVX2_TARGET static void gemm_avx2(const uint8_t *a, const size_t *row_offsets, const uint32_t *group_offsets, size_t m,
                                  size_t kp, const int8_t *packed, size_t n,
                                  const float *multiplier, const float *bias, int relu,
                                  uint8_t *out_u8, float *out_f32, size_t ldc) {
    const size_t blocks = (n + Q8_BLOCK - 1) / Q8_BLOCK;
    for (size_t b = 0; b < blocks; b++) {
        const int8_t *w = packed + b * kp * Q8_BLOCK;
        for (size_t r0 = 0; r0 < m; r0 += 4) {
            switch (m - r0 < 4 ? (int)(m - r0) : 4) { AVX2_CASE(1) AVX2_CASE(2) AVX2_CASE(3) AVX2_CASE(4) }
        }
    }
}
#endif

void q8_gemm(int isa, const uint8_t *a, const size_t *row_offsets, const uint32_t *group_offsets, size_t m, size_t kp,
             const int8_t *packed, size_t n, const float *multiplier, const float *bias, int relu,
             uint8_t *out_u8, float *out_f32, size_t ldc) {
    switch (isa) {
#if Q8_X86
    case Q8_ISA_AVX512_VNNI:
        gemm_vnni(a, row_offsets, group_offsets, m, kp, packed, n, multiplier, bias, relu, out_u8, out_f32, ldc);
        return;
    case Q8_ISA_AVX2:
        gemm_avx2(a, row_offsets, group_offsets, m, kp, packed, n, multiplier, bias, relu, out_u8, out_f32, ldc);
        return;
#endif
    default:
        gemm_reference(a, row_offsets, group_offsets, m, kp, packed, n, multiplier, bias, relu, out_u8, out_f32, ldc);
    }
}

void q8_quantize_unit(const float *x, size_t count, uint8_t *out) {
    for (size_t i = 0; i < count; i++) {
        const float v = x[i] * 255.0f;
        // Clamping first gives the same u8 as rounding first (both are monotone, and 0 and 255
        // are integers), and Swift's min(255, v) then max(0, ·) turn a NaN into 255.
        const float upper = v < 255.0f ? v : 255.0f;
        const float clamped = upper >= 0.0f ? upper : 0.0f;
        // Round to nearest even: adding and subtracting 2^23 leaves no fraction bits for
        // 0 <= clamped < 2^23 (no libm call, so the loop vectorizes on baseline x86-64).
        out[i] = (uint8_t)((clamped + 8388608.0f) - 8388608.0f);
    }
}

void q8_im2col(const uint8_t *image, size_t height, size_t width, size_t channels,
               size_t kernel, size_t stride, size_t padding, size_t out_height, size_t out_width,
               uint8_t *columns, size_t lda) {
    const size_t taps = kernel * kernel * channels;
    for (size_t oy = 0; oy < out_height; oy++) {
        for (size_t ox = 0; ox < out_width; ox++) {
            uint8_t *row = columns + (oy * out_width + ox) * lda;
            size_t t = 0;
            for (size_t ky = 0; ky < kernel; ky++) {
                const long iy = (long)(oy * stride + ky) - (long)padding;
                const long x0 = (long)(ox * stride) - (long)padding;
                if (iy >= 0 && iy < (long)height && x0 >= 0 && x0 + (long)kernel <= (long)width) {
                    memcpy(row + t, image + ((size_t)iy * width + (size_t)x0) * channels, kernel * channels);
                    t += kernel * channels;
                    continue;
                }
                for (size_t kx = 0; kx < kernel; kx++, t += channels) {
                    const long ix = x0 + (long)kx;
                    if (iy >= 0 && iy < (long)height && ix >= 0 && ix < (long)width)
                        memcpy(row + t, image + ((size_t)iy * width + (size_t)ix) * channels, channels);
                    else
                        memset(row + t, 0, channels);
                }
            }
            memset(row + taps, 0, lda - taps);
        }
    }
}

void q8_max_pool(const uint8_t *image, size_t height, size_t width, size_t channels,
                 size_t kernel, size_t stride, size_t out_height, size_t out_width, uint8_t *out) {
    (void)height;
    for (size_t oy = 0; oy < out_height; oy++) {
        for (size_t ox = 0; ox < out_width; ox++) {
            uint8_t *o = out + (oy * out_width + ox) * channels;
            memcpy(o, image + ((oy * stride) * width + ox * stride) * channels, channels);
            for (size_t ky = 0; ky < kernel; ky++) {
                for (size_t kx = 0; kx < kernel; kx++) {
                    const uint8_t *p = image + ((oy * stride + ky) * width + ox * stride + kx) * channels;
                    for (size_t c = 0; c < channels; c++) o[c] = p[c] > o[c] ? p[c] : o[c];
                }
            }
        }
    }
}
