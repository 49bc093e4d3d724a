#ifndef INT8_KERNELS_H
#define INT8_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Integer kernels of the quantized inference path: u8 activations times s8 weights summed in
/// int32, requantized in the epilogue. Every instruction set computes exactly the same bytes
/// (integer sums are exact; the epilogue does the same float multiply, add, clamp and
/// round-to-nearest-even in the same order, compiled with -ffp-contract=off).
///
/// The AVX2 kernel uses vpmaddubsw, which adds two u8·s8 products into a saturating int16.
/// Weights are therefore limited to [-64, 64] (see Q8_WEIGHT_LIMIT): 2·255·64 = 32,640 fits,
/// so nothing saturates and AVX2 agrees with VNNI and the reference bit for bit.

/// Largest weight magnitude any kernel accepts.
#define Q8_WEIGHT_LIMIT 64
/// Output channels per packed weight block (one 512-bit vector of int32 sums).
#define Q8_BLOCK 16

/// The instruction sets the kernels are written for.
typedef enum {
    Q8_ISA_REFERENCE = 0,
    Q8_ISA_AVX2 = 1,
    Q8_ISA_AVX512_VNNI = 2,
} q8_isa;

/// 1 when this CPU (and OS) can run the kernel for `isa`.
int q8_isa_supported(int isa);

/// `k` rounded up to a multiple of 4: the reduction length every A row and packed weight has.
size_t q8_padded_reduction(size_t k);

/// Bytes of packed weights for `n` output channels and reduction `k`.
size_t q8_packed_weight_bytes(size_t n, size_t k);

/// Packs weights w[n][k] (each in [-Q8_WEIGHT_LIMIT, Q8_WEIGHT_LIMIT]) into blocks of 16
/// output channels: [ceil(n/16)][kp/4][16][4], zero where padded. Same layout for every ISA.
void q8_pack_weights(const int8_t *w, size_t n, size_t k, int8_t *packed);

/// C = requantize(A · Wᵀ) with A gathered: element (r, i) of A is
/// a[row_offsets[r] + group_offsets[i / 4] + i % 4], so a plain [m][lda] matrix has
/// row_offsets r·lda and group_offsets 4g, and a convolution reads its input image directly
/// (row r: the pixel's first tap; group g: four channels of one tap) with no im2col copy.
/// Reduction entries past the real K must read zeros or meet zero weights (packing pads with
/// zeros). Packed weights from q8_pack_weights. For row r and channel j:
///   v = (float)sum · multiplier[j] + bias[j];  then max(v, 0) when relu.
/// With out_u8 the value is clamped to [0, 255] and rounded to nearest even into out_u8[r*ldc + j]
/// (u8 outputs are post-ReLU activations); otherwise v goes to out_f32[r*ldc + j].
void q8_gemm(int isa, const uint8_t *a, const size_t *row_offsets, const uint32_t *group_offsets, size_t m, size_t kp,
             const int8_t *packed, size_t n, const float *multiplier, const float *bias, int relu,
             uint8_t *out_u8, float *out_f32, size_t ldc);

/// The network's input as u8: out[i] = x[i]·255 rounded to nearest even, clamped to [0, 255]
/// (NaN to 255), exactly what Swift's `UInt8(max(0, min(255, (x * 255).rounded())))` gives.
/// Here rather than in Swift because it runs for every image, and a -O Swift build checks each
/// float-to-integer conversion, which keeps the loop from vectorizing.
void q8_quantize_unit(const float *x, size_t count, uint8_t *out);

/// im2col of one NHWC u8 image for a kh x kw convolution (stride, zero padding): row
/// (oy*ow + ox) holds the taps [ky][kx][c], then zeros up to lda.
void q8_im2col(const uint8_t *image, size_t height, size_t width, size_t channels,
               size_t kernel, size_t stride, size_t padding, size_t out_height, size_t out_width,
               uint8_t *columns, size_t lda);

/// Max pooling of one NHWC u8 image (no padding). Max commutes with the monotone
/// requantization, so pooling u8 values equals pooling the real values and requantizing.
void q8_max_pool(const uint8_t *image, size_t height, size_t width, size_t channels,
                 size_t kernel, size_t stride, size_t out_height, size_t out_width, uint8_t *out);

#endif
