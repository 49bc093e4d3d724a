// The one GEMM micro-kernel every convolution and dense layer runs on.
//
// This file is compiled three times (symlinked into KernelsAVX512, KernelsAVX2 and
// KernelsBaseline, each with its own -target-cpu and KERNEL_* defines) and TensorCore picks one
// at start. Keep it free of anything but the standard library.
//
// Glossary:
//   M, N, K   C is M x N; the reduction runs over K.
//   MR, NR    the register tile: MR rows x NR columns of C held in 2*MR vector accumulators.
//   KC        the K-block: a B panel of KC x NR floats stays in L1 while row tiles stream.
//
// "Gathered" A: A(m, t) = a[rowOffsets[m] + colOffsets[t]]. With rowOffsets the base of each
// output pixel and colOffsets the offset of each (kh, kw, ci) tap in an NHWC image, this is a
// convolution with no im2col copy; with other offset tables it is a plain GEMM, A transposed,
// or the weight gradient of a convolution. B is row-major K x N with leading dimension ldb.

#if KERNEL_AVX512
public typealias KernelVector = SIMD16<Float>
#elseif KERNEL_AVX2
public typealias KernelVector = SIMD8<Float>
#else
public typealias KernelVector = SIMD4<Float>
#endif

@inline(__always)
private func multiplyAdd(_ accumulator: inout KernelVector, _ a: KernelVector, _ b: KernelVector) {
    #if KERNEL_FMA
    accumulator.addProduct(a, b)
    #else
    // Without FMA hardware `addProduct` must stay exactly fused and becomes a libm call per lane.
    accumulator += a * b
    #endif
}

/// What to do with C after the products: add bias per column, clamp at zero, keep old C.
public struct GEMMEpilogue {
    /// Add C's previous contents (C += A·B) instead of overwriting (C = A·B).
    public var accumulate: Bool
    /// Per-column bias (N floats) added to the result, or nil.
    public var bias: UnsafePointer<Float>?
    /// Apply max(0, x) to the result.
    public var relu: Bool

    public init(accumulate: Bool = false, bias: UnsafePointer<Float>? = nil, relu: Bool = false) {
        self.accumulate = accumulate
        self.bias = bias
        self.relu = relu
    }
}

public enum Kernel {
    public static let mr = 6
    public static let nr = 2 * KernelVector.scalarCount
    /// Rows of B per K-block (a KC x NR panel is 32 KiB with AVX-512).
    public static let kc = 256

    /// Floats of scratch `gatherGEMM` needs for a K-block panel.
    public static var scratchCount: Int { kc * nr }

    /// C[m, n] = epilogue(Σ_t A(m, t) · B[t, n]) with the gathered A described above.
    ///
    /// - Parameters:
    ///   - c: M x N, leading dimension ldc.
    ///   - a, rowOffsets, colOffsets: the gathered A (M row offsets, K column offsets).
    ///   - b: K x N, leading dimension ldb.
    ///   - bIsPadded: B's rows can be read (as zeros) up to N rounded up to NR; otherwise the
    ///     last partial column block is copied into a zero-padded panel first.
    ///   - scratch: at least `scratchCount` floats, for that panel.
    public static func gatherGEMM(
        c: UnsafeMutablePointer<Float>, ldc: Int,
        a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, bIsPadded: Bool,
        m: Int, n: Int, k: Int,
        epilogue: GEMMEpilogue,
        scratch: UnsafeMutablePointer<Float>
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // Nothing to multiply: the result is the epilogue applied to zero.
            for row in 0..<m {
                for column in 0..<n {
                    var value: Float = epilogue.accumulate ? c[row * ldc + column] : 0
                    if let bias = epilogue.bias { value += bias[column] }
                    if epilogue.relu { value = max(value, 0) }
                    c[row * ldc + column] = value
                }
            }
            return
        }
        var k0 = 0
        while k0 < k {
            let kBlock = min(kc, k - k0)
            let isFirst = k0 == 0
            let isLast = k0 + kBlock == k
            var blockEpilogue = GEMMEpilogue(accumulate: epilogue.accumulate || !isFirst)
            if isLast {
                blockEpilogue.bias = epilogue.bias
                blockEpilogue.relu = epilogue.relu
            }
            var n0 = 0
            #if KERNEL_AVX512
            // Pairs of full column blocks: a 6 x 64 tile reuses each broadcast of A four times,
            // halving the loads per multiply-add (24 accumulators fit AVX-512's 32 registers).
            while n - n0 >= 2 * nr {
                var m0 = 0
                while m0 + mr <= m {
                    wideTile(c: c + m0 * ldc + n0, ldc: ldc,
                             a: a, rowOffsets: rowOffsets + m0, colOffsets: colOffsets + k0,
                             b: b + k0 * ldb + n0, ldb: ldb, k: kBlock,
                             epilogue: blockEpilogue, bias: blockEpilogue.bias.map { $0 + n0 })
                    m0 += mr
                }
                if m0 < m {
                    // The last rows: narrow tiles over both halves.
                    for half in 0..<2 {
                        let columnsStart = n0 + half * nr
                        var r = m0
                        while r < m {
                            let rows = min(mr, m - r)
                            if rows == 1 {
                                row(c: c + r * ldc + columnsStart, columns: nr,
                                    a: a + rowOffsets[r], colOffsets: colOffsets + k0,
                                    b: b + k0 * ldb + columnsStart, ldb: ldb, k: kBlock,
                                    epilogue: blockEpilogue, bias: blockEpilogue.bias.map { $0 + columnsStart })
                            } else {
                                tile(c: c + r * ldc + columnsStart, ldc: ldc, rows: rows, columns: nr,
                                     a: a, rowOffsets: rowOffsets + r, colOffsets: colOffsets + k0,
                                     b: b + k0 * ldb + columnsStart, ldb: ldb, k: kBlock,
                                     epilogue: blockEpilogue, bias: blockEpilogue.bias.map { $0 + columnsStart })
                            }
                            r += mr
                        }
                    }
                }
                n0 += 2 * nr
            }
            #endif
            while n0 < n {
                let columns = min(nr, n - n0)
                var panel = b + k0 * ldb + n0
                var panelStride = ldb
                if columns < nr && !bIsPadded {
                    // Copy the last columns into a zero-padded panel so full vectors can load.
                    for t in 0..<kBlock {
                        for j in 0..<nr {
                            scratch[t * nr + j] = j < columns ? panel[t * ldb + j] : 0
                        }
                    }
                    panel = UnsafePointer(scratch)
                    panelStride = nr
                }
                var m0 = 0
                while m0 < m {
                    let rows = min(mr, m - m0)
                    if rows == 1 {
                        row(c: c + m0 * ldc + n0, columns: columns,
                            a: a + rowOffsets[m0], colOffsets: colOffsets + k0,
                            b: panel, ldb: panelStride, k: kBlock,
                            epilogue: blockEpilogue, bias: blockEpilogue.bias.map { $0 + n0 })
                    } else {
                        tile(c: c + m0 * ldc + n0, ldc: ldc, rows: rows, columns: columns,
                             a: a, rowOffsets: rowOffsets + m0, colOffsets: colOffsets + k0,
                             b: panel, ldb: panelStride, k: kBlock,
                             epilogue: blockEpilogue, bias: blockEpilogue.bias.map { $0 + n0 })
                    }
                    m0 += mr
                }
                n0 += nr
            }
            k0 += kBlock
        }
    }

    /// One MR x NR register tile over a K-block. Missing rows repeat the last real row and are
    /// not stored; missing columns read the zero padding and are not stored.
    @inline(__always)
    private static func tile(
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int,
        a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, k: Int,
        epilogue: GEMMEpilogue, bias: UnsafePointer<Float>?
    ) {
        let r0 = a + rowOffsets[0]
        let r1 = a + rowOffsets[min(1, rows - 1)]
        let r2 = a + rowOffsets[min(2, rows - 1)]
        let r3 = a + rowOffsets[min(3, rows - 1)]
        let r4 = a + rowOffsets[min(4, rows - 1)]
        let r5 = a + rowOffsets[min(5, rows - 1)]
        let width = KernelVector.scalarCount
        var c00 = KernelVector(), c01 = KernelVector()
        var c10 = KernelVector(), c11 = KernelVector()
        var c20 = KernelVector(), c21 = KernelVector()
        var c30 = KernelVector(), c31 = KernelVector()
        var c40 = KernelVector(), c41 = KernelVector()
        var c50 = KernelVector(), c51 = KernelVector()
        var bRow = UnsafeRawPointer(b)
        let bStride = ldb * MemoryLayout<Float>.stride
        for t in 0..<k {
            let offset = colOffsets[t]
            let b0 = bRow.loadUnaligned(as: KernelVector.self)
            let b1 = bRow.loadUnaligned(fromByteOffset: width * 4, as: KernelVector.self)
            bRow += bStride
            var av = KernelVector(repeating: r0[offset])
            multiplyAdd(&c00, av, b0); multiplyAdd(&c01, av, b1)
            av = KernelVector(repeating: r1[offset])
            multiplyAdd(&c10, av, b0); multiplyAdd(&c11, av, b1)
            av = KernelVector(repeating: r2[offset])
            multiplyAdd(&c20, av, b0); multiplyAdd(&c21, av, b1)
            av = KernelVector(repeating: r3[offset])
            multiplyAdd(&c30, av, b0); multiplyAdd(&c31, av, b1)
            av = KernelVector(repeating: r4[offset])
            multiplyAdd(&c40, av, b0); multiplyAdd(&c41, av, b1)
            av = KernelVector(repeating: r5[offset])
            multiplyAdd(&c50, av, b0); multiplyAdd(&c51, av, b1)
        }
        var bias0 = KernelVector(), bias1 = KernelVector()
        if let bias {
            if columns == nr {
                bias0 = UnsafeRawPointer(bias).loadUnaligned(as: KernelVector.self)
                bias1 = UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: width * 4, as: KernelVector.self)
            } else {
                for j in 0..<columns {
                    if j < width { bias0[j] = bias[j] } else { bias1[j - width] = bias[j] }
                }
            }
        }
        store(c, rows > 0, columns, c00, c01, bias0, bias1, epilogue)
        store(c + ldc, rows > 1, columns, c10, c11, bias0, bias1, epilogue)
        store(c + 2 * ldc, rows > 2, columns, c20, c21, bias0, bias1, epilogue)
        store(c + 3 * ldc, rows > 3, columns, c30, c31, bias0, bias1, epilogue)
        store(c + 4 * ldc, rows > 4, columns, c40, c41, bias0, bias1, epilogue)
        store(c + 5 * ldc, rows > 5, columns, c50, c51, bias0, bias1, epilogue)
    }

    #if KERNEL_AVX512
    /// MR rows x 2·NR columns, all full.
    @inline(__always)
    private static func wideTile(
        c: UnsafeMutablePointer<Float>, ldc: Int,
        a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, k: Int,
        epilogue: GEMMEpilogue, bias: UnsafePointer<Float>?
    ) {
        let r0 = a + rowOffsets[0], r1 = a + rowOffsets[1], r2 = a + rowOffsets[2]
        let r3 = a + rowOffsets[3], r4 = a + rowOffsets[4], r5 = a + rowOffsets[5]
        let width = KernelVector.scalarCount * 4
        var c00 = KernelVector(), c01 = KernelVector(), c02 = KernelVector(), c03 = KernelVector()
        var c10 = KernelVector(), c11 = KernelVector(), c12 = KernelVector(), c13 = KernelVector()
        var c20 = KernelVector(), c21 = KernelVector(), c22 = KernelVector(), c23 = KernelVector()
        var c30 = KernelVector(), c31 = KernelVector(), c32 = KernelVector(), c33 = KernelVector()
        var c40 = KernelVector(), c41 = KernelVector(), c42 = KernelVector(), c43 = KernelVector()
        var c50 = KernelVector(), c51 = KernelVector(), c52 = KernelVector(), c53 = KernelVector()
        var bRow = UnsafeRawPointer(b)
        let bStride = ldb * MemoryLayout<Float>.stride
        for t in 0..<k {
            let offset = colOffsets[t]
            let b0 = bRow.loadUnaligned(as: KernelVector.self)
            let b1 = bRow.loadUnaligned(fromByteOffset: width, as: KernelVector.self)
            let b2 = bRow.loadUnaligned(fromByteOffset: 2 * width, as: KernelVector.self)
            let b3 = bRow.loadUnaligned(fromByteOffset: 3 * width, as: KernelVector.self)
            bRow += bStride
            var av = KernelVector(repeating: r0[offset])
            multiplyAdd(&c00, av, b0); multiplyAdd(&c01, av, b1); multiplyAdd(&c02, av, b2); multiplyAdd(&c03, av, b3)
            av = KernelVector(repeating: r1[offset])
            multiplyAdd(&c10, av, b0); multiplyAdd(&c11, av, b1); multiplyAdd(&c12, av, b2); multiplyAdd(&c13, av, b3)
            av = KernelVector(repeating: r2[offset])
            multiplyAdd(&c20, av, b0); multiplyAdd(&c21, av, b1); multiplyAdd(&c22, av, b2); multiplyAdd(&c23, av, b3)
            av = KernelVector(repeating: r3[offset])
            multiplyAdd(&c30, av, b0); multiplyAdd(&c31, av, b1); multiplyAdd(&c32, av, b2); multiplyAdd(&c33, av, b3)
            av = KernelVector(repeating: r4[offset])
            multiplyAdd(&c40, av, b0); multiplyAdd(&c41, av, b1); multiplyAdd(&c42, av, b2); multiplyAdd(&c43, av, b3)
            av = KernelVector(repeating: r5[offset])
            multiplyAdd(&c50, av, b0); multiplyAdd(&c51, av, b1); multiplyAdd(&c52, av, b2); multiplyAdd(&c53, av, b3)
        }
        var bias0 = KernelVector(), bias1 = KernelVector(), bias2 = KernelVector(), bias3 = KernelVector()
        if let bias {
            let raw = UnsafeRawPointer(bias)
            bias0 = raw.loadUnaligned(as: KernelVector.self)
            bias1 = raw.loadUnaligned(fromByteOffset: width, as: KernelVector.self)
            bias2 = raw.loadUnaligned(fromByteOffset: 2 * width, as: KernelVector.self)
            bias3 = raw.loadUnaligned(fromByteOffset: 3 * width, as: KernelVector.self)
        }
        let half = nr
        store(c, true, nr, c00, c01, bias0, bias1, epilogue); store(c + half, true, nr, c02, c03, bias2, bias3, epilogue)
        store(c + ldc, true, nr, c10, c11, bias0, bias1, epilogue); store(c + ldc + half, true, nr, c12, c13, bias2, bias3, epilogue)
        store(c + 2 * ldc, true, nr, c20, c21, bias0, bias1, epilogue); store(c + 2 * ldc + half, true, nr, c22, c23, bias2, bias3, epilogue)
        store(c + 3 * ldc, true, nr, c30, c31, bias0, bias1, epilogue); store(c + 3 * ldc + half, true, nr, c32, c33, bias2, bias3, epilogue)
        store(c + 4 * ldc, true, nr, c40, c41, bias0, bias1, epilogue); store(c + 4 * ldc + half, true, nr, c42, c43, bias2, bias3, epilogue)
        store(c + 5 * ldc, true, nr, c50, c51, bias0, bias1, epilogue); store(c + 5 * ldc + half, true, nr, c52, c53, bias2, bias3, epilogue)
    }
    #endif

    /// A single row (a lone image through a linear layer, the last row of a convolution):
    /// the full tile would spend five sixths of its multiply-adds on copies of it.
    @inline(__always)
    private static func row(
        c: UnsafeMutablePointer<Float>, columns: Int,
        a: UnsafePointer<Float>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, k: Int,
        epilogue: GEMMEpilogue, bias: UnsafePointer<Float>?
    ) {
        let width = KernelVector.scalarCount
        // The same order of additions as a row of the full tile, so an image gets bit-identical
        // results whether it is alone or part of a batch.
        var c0 = KernelVector(), c1 = KernelVector()
        var bRow = UnsafeRawPointer(b)
        let bStride = ldb * MemoryLayout<Float>.stride
        for t in 0..<k {
            let av = KernelVector(repeating: a[colOffsets[t]])
            multiplyAdd(&c0, av, bRow.loadUnaligned(as: KernelVector.self))
            multiplyAdd(&c1, av, bRow.loadUnaligned(fromByteOffset: width * 4, as: KernelVector.self))
            bRow += bStride
        }
        var bias0 = KernelVector(), bias1 = KernelVector()
        if let bias {
            for j in 0..<columns {
                if j < width { bias0[j] = bias[j] } else { bias1[j - width] = bias[j] }
            }
        }
        store(c, true, columns, c0, c1, bias0, bias1, epilogue)
    }

    @_transparent
    static func store(
        _ c: UnsafeMutablePointer<Float>, _ isRow: Bool, _ columns: Int,
        _ v0: KernelVector, _ v1: KernelVector, _ bias0: KernelVector, _ bias1: KernelVector,
        _ epilogue: GEMMEpilogue
    ) {
        guard isRow else { return }
        let width = KernelVector.scalarCount
        var x0 = v0 + bias0, x1 = v1 + bias1
        let raw = UnsafeMutableRawPointer(c)
        if columns == nr {
            if epilogue.accumulate {
                x0 += raw.loadUnaligned(as: KernelVector.self)
                x1 += raw.loadUnaligned(fromByteOffset: width * 4, as: KernelVector.self)
            }
            if epilogue.relu {
                x0 = x0.replacing(with: 0, where: x0 .< 0)
                x1 = x1.replacing(with: 0, where: x1 .< 0)
            }
            raw.storeBytes(of: x0, as: KernelVector.self)
            raw.storeBytes(of: x1, toByteOffset: width * 4, as: KernelVector.self)
        } else {
            for j in 0..<columns {
                var value = j < width ? x0[j] : x1[j - width]
                if epilogue.accumulate { value += c[j] }
                if epilogue.relu { value = max(value, 0) }
                c[j] = value
            }
        }
    }
}
