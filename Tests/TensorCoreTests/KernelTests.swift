import Testing
import TensorCore
import TestSupport

/// Every compiled GEMM kernel this CPU can run, against the plain-loop reference.
@Suite struct KernelTests {
    static let kernels: [InstructionSet] = InstructionSet.allCases.filter { $0.isSupported }

    /// Random gathered GEMMs on odd shapes (partial tiles in rows, columns and K-blocks), with
    /// every epilogue: overwrite or accumulate, bias or not, ReLU or not.
    @Test(arguments: kernels)
    func gatherGEMMMatchesReference(_ instructionSet: InstructionSet) throws {
        let kernel = try #require(GEMMKernel(instructionSet))
        var random = SplitMix64(seed: 1)
        let shapes = [(1, 1, 1), (7, 33, 5), (13, 10, 300), (6, 32, 256), (25, 70, 513), (121, 64, 288), (2, 3, 0)]
        for (m, n, k) in shapes {
            for variant in 0..<4 {
                let accumulate = variant & 1 != 0, withBias = variant & 2 != 0, relu = variant == 3
                // A lives in a larger buffer and is reached through shuffled offset tables.
                let a = random.floats(m * k + 17)
                let rowOffsets = (0..<m).map { $0 * k + 3 }
                var columnOrder = Array(0..<k)
                columnOrder.shuffle(using: &random)
                let b = random.floats(k * n)
                let bias = random.floats(n)
                let initial = random.floats(m * n)
                var gathered = [Float](repeating: 0, count: m * k)
                for i in 0..<m { for t in 0..<k { gathered[i * k + t] = a[rowOffsets[i] + columnOrder[t]] } }
                var expected = Reference.matmul(gathered, b, m: m, n: n, k: k)
                for i in 0..<(m * n) {
                    if accumulate { expected[i] += initial[i] }
                    if withBias { expected[i] += bias[i % n] }
                    if relu { expected[i] = max(expected[i], 0) }
                }
                var c = initial
                var scratch = [Float](repeating: .nan, count: kernel.scratchCount)
                c.withUnsafeMutableBufferPointer { c in
                    bias.withUnsafeBufferPointer { bias in
                        kernel.gatherGEMM(c: c.baseAddress!, ldc: n, a: a, rowOffsets: rowOffsets, colOffsets: columnOrder,
                                          b: b, ldb: n, m: m, n: n, k: k, accumulate: accumulate,
                                          bias: withBias ? bias.baseAddress : nil, relu: relu, scratch: &scratch)
                    }
                }
                let mismatch = firstMismatch(c, expected, absolute: 1e-4, relative: 1e-4)
                #expect(mismatch == nil, "\(instructionSet) m=\(m) n=\(n) k=\(k) variant=\(variant): \(String(describing: mismatch))")
            }
        }
    }

    /// Leading dimensions wider than N: the kernel must touch only the N columns it owns.
    @Test(arguments: kernels)
    func stridedOperandsLeaveOtherColumnsAlone(_ instructionSet: InstructionSet) throws {
        let kernel = try #require(GEMMKernel(instructionSet))
        var random = SplitMix64(seed: 2)
        let m = 9, n = 19, k = 11, ldb = 40, ldc = 45
        let a = random.floats(m * k)
        let b = random.floats(k * ldb)
        var c = [Float](repeating: 42, count: m * ldc)
        var scratch = [Float](repeating: 0, count: kernel.scratchCount)
        kernel.gatherGEMM(c: &c, ldc: ldc, a: a, rowOffsets: (0..<m).map { $0 * k }, colOffsets: Array(0..<k),
                          b: b, ldb: ldb, m: m, n: n, k: k, scratch: &scratch)
        var dense = [Float](repeating: 0, count: k * n)
        for t in 0..<k { for j in 0..<n { dense[t * n + j] = b[t * ldb + j] } }
        let expected = Reference.matmul(a, dense, m: m, n: n, k: k)
        for i in 0..<m {
            for j in 0..<ldc {
                if j < n {
                    #expect(isClose(c[i * ldc + j], expected[i * n + j], absolute: 1e-4))
                } else {
                    #expect(c[i * ldc + j] == 42, "column \(j) of row \(i) was written")
                }
            }
        }
    }

    /// Dot products of rows against the reference, on shapes with every tail (K not a multiple
    /// of the vector, rows not a multiple of four), with bias and ReLU; and each row computed
    /// alone is bit-identical to the same row among others.
    @Test(arguments: kernels)
    func dotRowsMatchReferenceAndDoNotDependOnTheBatch(_ instructionSet: InstructionSet) throws {
        let kernel = try #require(GEMMKernel(instructionSet))
        var random = SplitMix64(seed: 3)
        for (m, n, k) in [(1, 10, 1600), (9, 10, 1600), (5, 3, 37), (4, 1, 1), (7, 16, 64), (6, 2, 100)] {
            for variant in 0..<3 {
                let withBias = variant >= 1, relu = variant == 2
                let lda = k + 5
                let a = random.floats(m * lda)
                let w = random.floats(n * k)
                let bias = random.floats(n)
                var expected = [Float](repeating: 0, count: m * n)
                for r in 0..<m {
                    for j in 0..<n {
                        var sum: Double = withBias ? Double(bias[j]) : 0
                        for t in 0..<k { sum += Double(a[r * lda + t]) * Double(w[j * k + t]) }
                        expected[r * n + j] = relu ? max(Float(sum), 0) : Float(sum)
                    }
                }
                var together = [Float](repeating: .nan, count: m * n)
                bias.withUnsafeBufferPointer { bias in
                    kernel.dotRows(&together, n, a, lda, w, m, n, k, withBias ? bias.baseAddress : nil, relu)
                }
                let mismatch = firstMismatch(together, expected, absolute: 1e-4, relative: 1e-4)
                #expect(mismatch == nil, "\(instructionSet) m=\(m) n=\(n) k=\(k) variant=\(variant): \(String(describing: mismatch))")
                for r in 0..<m {
                    var alone = [Float](repeating: .nan, count: n)
                    a.withUnsafeBufferPointer { a in
                        bias.withUnsafeBufferPointer { bias in
                            kernel.dotRows(&alone, n, a.baseAddress! + r * lda, lda, w, 1, n, k,
                                           withBias ? bias.baseAddress : nil, relu)
                        }
                    }
                    #expect(alone == Array(together[(r * n)..<(r * n + n)]), "\(instructionSet) m=\(m) k=\(k) row \(r)")
                }
            }
        }
    }

    /// 2x2 max pooling against the reference, for channel counts that fill whole vectors and
    /// that leave eight over, on odd sizes whose last row and column are dropped.
    @Test(arguments: kernels)
    func maxPool2x2MatchesReference(_ instructionSet: InstructionSet) throws {
        let kernel = try #require(GEMMKernel(instructionSet))
        var random = SplitMix64(seed: 4)
        for (height, width, channels) in [(9, 7, 8), (4, 4, 16), (13, 13, 24), (26, 26, 32)] {
            let shape = ImageShape(height: height, width: width, channels: channels)
            let input = random.floats(shape.count)
            let expected = Reference.maxPool2d(input, batch: 1, input: shape, kernelSize: 2, stride: 2)
            var output = [Float](repeating: .nan, count: expected.count)
            kernel.maxPool2x2(input, height, width, channels, &output)
            #expect(output == expected, "\(instructionSet) \(height)x\(width)x\(channels)")
        }
    }
}
