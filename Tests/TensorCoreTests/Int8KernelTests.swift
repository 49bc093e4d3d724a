import Int8Kernels
import Testing
import TensorCore
import TestSupport

/// The int8 kernels of every instruction set this CPU has, bit for bit against plain loops
/// (integer sums are exact, and the epilogue is the same float operations in the same order).
@Suite struct Int8KernelTests {
    static let instructionSets = Int8InstructionSet.allCases.filter { $0.isSupported }

    /// What the kernels promise, written out in Swift: the int32 sum, float multiply then add,
    /// ReLU, and for u8 outputs clamp to [0, 255] and round half to even.
    static func expected(a: [UInt8], rows: [Int], groups: [UInt32], weights: [Int8], m: Int, n: Int, k: Int,
                         multiplier: [Float], bias: [Float], relu: Bool) -> (bytes: [UInt8], floats: [Float]) {
        var bytes = [UInt8](repeating: 0, count: m * n), floats = [Float](repeating: 0, count: m * n)
        for r in 0..<m {
            for j in 0..<n {
                var sum: Int32 = 0
                for i in 0..<k { sum += Int32(a[rows[r] + Int(groups[i / 4]) + i % 4]) * Int32(weights[j * k + i]) }
                var v = Float(sum) * multiplier[j]
                v = v + bias[j]
                if relu { v = v > 0 ? v : 0 }
                floats[r * n + j] = v
                bytes[r * n + j] = UInt8(min(255, max(0, v)).rounded(.toNearestOrEven))
            }
        }
        return (bytes, floats)
    }

    /// Random GEMMs on odd shapes: partial row tiles (m not a multiple of 4 or 6), partial
    /// channel blocks (n not a multiple of 16), K not a multiple of 4, more than four blocks.
    /// A is gathered: rows at uneven offsets, groups of 4 in shuffled order. Multipliers put
    /// sums across the whole u8 range, so clamping and rounding are exercised.
    @Test(arguments: instructionSets)
    func gemmMatchesPlainLoops(_ isa: Int8InstructionSet) {
        var random = SplitMix64(seed: 7)
        let shapes = [(1, 1, 1), (5, 17, 9), (7, 33, 13), (6, 64, 288), (13, 10, 1024), (1, 256, 1024), (29, 70, 75), (4, 80, 3)]
        for (m, n, k) in shapes {
            let kp = q8_padded_reduction(k), lda = kp + 4
            let rows = (0..<m).map { $0 * lda + $0 % 3 }
            var groups = (0..<(kp / 4)).map { UInt32(4 * $0) }
            groups.shuffle(using: &random)
            var a = (0..<(m * lda + 2)).map { _ in UInt8.random(in: 0...255, using: &random) }
            // The reduction's padding (K up to kp) reads zeros, as the kernels require.
            for r in 0..<m { for i in k..<kp { a[rows[r] + Int(groups[i / 4]) + i % 4] = 0 } }
            let weights = (0..<(n * k)).map { _ in Int8.random(in: -64...64, using: &random) }
            let multiplier = (0..<n).map { _ in Float.random(in: 0.5...2, using: &random) / Float(max(1, k) * 64) }
            let bias = (0..<n).map { _ in Float.random(in: -40...200, using: &random) }
            var packed = [Int8](repeating: 0, count: q8_packed_weight_bytes(n, k))
            q8_pack_weights(weights, n, k, &packed)
            for relu in [false, true] {
                let want = Self.expected(a: a, rows: rows, groups: groups, weights: weights, m: m, n: n, k: k,
                                         multiplier: multiplier, bias: bias, relu: relu)
                // Outputs in a wider row (ldc > n) with sentinels: the kernel writes only its n columns.
                let ldc = n + 3
                var bytes = [UInt8](repeating: 0xA5, count: m * ldc)
                var floats = [Float](repeating: -7, count: m * ldc)
                q8_gemm(isa.code, a, rows, groups, m, kp, packed, n, multiplier, bias, relu ? 1 : 0, &bytes, nil, ldc)
                q8_gemm(isa.code, a, rows, groups, m, kp, packed, n, multiplier, bias, relu ? 1 : 0, nil, &floats, ldc)
                var byteMismatches = 0, floatMismatches = 0, sentinels = 0
                for r in 0..<m {
                    for j in 0..<n {
                        if bytes[r * ldc + j] != want.bytes[r * n + j] { byteMismatches += 1 }
                        if floats[r * ldc + j] != want.floats[r * n + j] { floatMismatches += 1 }
                    }
                    for j in n..<ldc where bytes[r * ldc + j] != 0xA5 || floats[r * ldc + j] != -7 { sentinels += 1 }
                }
                #expect(byteMismatches == 0 && floatMismatches == 0 && sentinels == 0,
                        "\(isa) m=\(m) n=\(n) k=\(k) relu=\(relu): \(byteMismatches) u8, \(floatMismatches) float mismatches, \(sentinels) sentinels overwritten")
            }
        }
    }

    /// The AVX2 trap: vpmaddubsw adds two u8·s8 products into a saturating int16. At the
    /// extremes the quantizer allows (255 against ±64) the pair sums are ±32,640 and must come
    /// out exact; the int32 sums reach 255·64·K.
    @Test(arguments: instructionSets)
    func extremeValuesDoNotSaturate(_ isa: Int8InstructionSet) {
        let m = 3, n = 16, k = 512
        let a = [UInt8](repeating: 255, count: m * k)
        let weights = (0..<(n * k)).map { index -> Int8 in index / k % 2 == 0 ? 64 : -64 }
        var packed = [Int8](repeating: 0, count: q8_packed_weight_bytes(n, k))
        q8_pack_weights(weights, n, k, &packed)
        let multiplier = [Float](repeating: 1, count: n), bias = [Float](repeating: 0, count: n)
        var floats = [Float](repeating: 0, count: m * n)
        q8_gemm(isa.code, a, (0..<m).map { $0 * k }, (0..<(k / 4)).map { UInt32(4 * $0) }, m, k, packed, n,
                multiplier, bias, 0, nil, &floats, n)
        let expected = (0..<(m * n)).map { Float(($0 % n) % 2 == 0 ? 255 * 64 * k : -255 * 64 * k) }
        #expect(floats == expected, "\(isa)")
    }

    /// im2col with padding and stride against a direct reading of the image.
    @Test func im2colReadsEveryTapWithZeroPadding() {
        var random = SplitMix64(seed: 3)
        let (h, w, c, kernel, stride, padding) = (7, 6, 3, 3, 2, 1)
        let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
        let image = (0..<(h * w * c)).map { _ in UInt8.random(in: 1...255, using: &random) }
        let taps = kernel * kernel * c, lda = q8_padded_reduction(taps) + 4
        var columns = [UInt8](repeating: 0xEE, count: oh * ow * lda)
        q8_im2col(image, h, w, c, kernel, stride, padding, oh, ow, &columns, lda)
        var mismatches = 0
        for oy in 0..<oh {
            for ox in 0..<ow {
                var t = 0
                for ky in 0..<kernel {
                    for kx in 0..<kernel {
                        for ch in 0..<c {
                            let y = oy * stride + ky - padding, x = ox * stride + kx - padding
                            let want: UInt8 = (0..<h).contains(y) && (0..<w).contains(x) ? image[(y * w + x) * c + ch] : 0
                            if columns[(oy * ow + ox) * lda + t] != want { mismatches += 1 }
                            t += 1
                        }
                    }
                }
                for i in taps..<lda where columns[(oy * ow + ox) * lda + i] != 0 { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func maxPoolTakesTheLargestByteOfEachWindow() {
        var random = SplitMix64(seed: 4)
        let (h, w, c) = (6, 4, 5)
        let image = (0..<(h * w * c)).map { _ in UInt8.random(in: 0...255, using: &random) }
        var out = [UInt8](repeating: 0, count: 3 * 2 * c)
        q8_max_pool(image, h, w, c, 2, 2, 3, 2, &out)
        var want = [UInt8](repeating: 0, count: out.count)
        for oy in 0..<3 { for ox in 0..<2 { for ch in 0..<c {
            want[(oy * 2 + ox) * c + ch] = [(0, 0), (0, 1), (1, 0), (1, 1)].map { image[((2 * oy + $0.0) * w + 2 * ox + $0.1) * c + ch] }.max()!
        } } }
        #expect(out == want)
    }

    /// The input quantization gives the bytes of the Swift expression it replaced, on the
    /// values that could differ: ties of the rounding (k + 0.5 over 255, both parities), the
    /// clamps on either side, -0, infinities and NaN, and random pixels.
    @Test func quantizeUnitMatchesTheSwiftExpression() {
        var random = SplitMix64(seed: 5)
        var values: [Float] = [0, -0.0, 1, 0.5, -1, 2, 1e30, -1e30, .infinity, -.infinity, .nan, .ulpOfOne,
                               Float.leastNonzeroMagnitude, 254.5 / 255, 255.5 / 255, -0.5 / 255, 1.0000001]
        values += (0..<255).map { (Float($0) + 0.5) / 255 }
        values += (0..<1000).map { _ in Float.random(in: -0.2...1.2, using: &random) }
        var bytes = [UInt8](repeating: 0, count: values.count)
        q8_quantize_unit(values, values.count, &bytes)
        let expected = values.map { UInt8(max(0, min(255, ($0 * 255).rounded(.toNearestOrEven)))) }
        #expect(bytes == expected)
    }
}
