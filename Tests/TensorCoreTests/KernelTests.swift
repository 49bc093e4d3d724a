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
}
