// Plain-loop reference implementations, generic over the float type: the definition every
// optimized kernel is tested against, and in Double the ground truth for gradient checks.
// Layouts are the same as the layers' (NHWC activations, HWIO convolution weights, [in][out]
// linear weights).

public enum Reference {
    /// C[m][n] = Σ_t A[m][t] · B[t][n]
    public static func matmul<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], m: Int, n: Int, k: Int) -> [T] {
        var c = [T](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: T = 0
                for t in 0..<k { sum += a[i * k + t] * b[t * n + j] }
                c[i * n + j] = sum
            }
        }
        return c
    }

    public static func conv2d<T: BinaryFloatingPoint>(
        _ input: [T], batch: Int, input shape: ImageShape,
        weight: [T], bias: [T], outChannels: Int, kernelSize k: Int, stride: Int, padding: Int
    ) -> [T] {
        let oh = (shape.height + 2 * padding - k) / stride + 1, ow = (shape.width + 2 * padding - k) / stride + 1
        let cin = shape.channels
        var output = [T](repeating: 0, count: batch * oh * ow * outChannels)
        for b in 0..<batch {
            for y in 0..<oh {
                for x in 0..<ow {
                    for co in 0..<outChannels {
                        var sum = bias[co]
                        for kh in 0..<k {
                            for kw in 0..<k {
                                let iy = y * stride + kh - padding, ix = x * stride + kw - padding
                                guard iy >= 0, iy < shape.height, ix >= 0, ix < shape.width else { continue }
                                for ci in 0..<cin {
                                    sum += input[((b * shape.height + iy) * shape.width + ix) * cin + ci]
                                        * weight[((kh * k + kw) * cin + ci) * outChannels + co]
                                }
                            }
                        }
                        output[((b * oh + y) * ow + x) * outChannels + co] = sum
                    }
                }
            }
        }
        return output
    }

    public static func maxPool2d<T: BinaryFloatingPoint>(_ input: [T], batch: Int, input shape: ImageShape,
                                                         kernelSize k: Int, stride: Int) -> [T] {
        let oh = (shape.height - k) / stride + 1, ow = (shape.width - k) / stride + 1, c = shape.channels
        var output = [T](repeating: 0, count: batch * oh * ow * c)
        for b in 0..<batch {
            for y in 0..<oh {
                for x in 0..<ow {
                    for ch in 0..<c {
                        var best = -T.infinity
                        for kh in 0..<k {
                            for kw in 0..<k {
                                best = max(best, input[((b * shape.height + y * stride + kh) * shape.width
                                                        + x * stride + kw) * c + ch])
                            }
                        }
                        output[((b * oh + y) * ow + x) * c + ch] = best
                    }
                }
            }
        }
        return output
    }

    public static func linear<T: BinaryFloatingPoint>(_ input: [T], batch: Int, inputs: Int,
                                                      weight: [T], bias: [T], outputs: Int) -> [T] {
        var output = matmul(input, weight, m: batch, n: outputs, k: inputs)
        for b in 0..<batch {
            for o in 0..<outputs { output[b * outputs + o] += bias[o] }
        }
        return output
    }

    /// Training-mode batch norm: statistics of this batch, biased variance.
    public static func batchNorm<T: BinaryFloatingPoint>(_ input: [T], rows: Int, channels: Int,
                                                         gamma: [T], beta: [T], epsilon: T) -> [T] {
        var output = input
        for ch in 0..<channels {
            var mean: T = 0
            for r in 0..<rows { mean += input[r * channels + ch] }
            mean /= T(rows)
            var variance: T = 0
            for r in 0..<rows {
                let d = input[r * channels + ch] - mean
                variance += d * d
            }
            variance /= T(rows)
            let inv = 1 / (variance + epsilon).squareRoot()
            for r in 0..<rows {
                output[r * channels + ch] = (input[r * channels + ch] - mean) * inv * gamma[ch] + beta[ch]
            }
        }
        return output
    }

    public static func relu<T: BinaryFloatingPoint>(_ input: [T]) -> [T] { input.map { max($0, 0) } }
}
