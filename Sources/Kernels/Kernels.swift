// The kernels every layer's arithmetic runs on: the GEMM micro-kernel, the Winograd
// transforms, 2x2 max pooling and row dot products.
//
// This file is compiled three times (symlinked into KernelsAVX512, KernelsAVX2 and
// KernelsBaseline, each with its own -target-cpu and KERNEL_* defines) and TensorCore picks one
// at start. Keep it free of anything but the standard library, and keep it one file: debug
// builds compile file by file and cannot inline a helper from another file into a hot loop
// (measured: each vector load became an unspecialized generic call, 200x slower).

import KernelInterface

#if KERNEL_AVX512
public typealias KernelVector = SIMD16<Float>
#elseif KERNEL_AVX2
public typealias KernelVector = SIMD8<Float>
#else
public typealias KernelVector = SIMD4<Float>
#endif

extension Kernel: KernelSet {
    public static func gatherGEMM(
        c: UnsafeMutablePointer<Float>, ldc: Int,
        a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, bIsPadded: Bool, m: Int, n: Int, k: Int,
        accumulate: Bool, bias: UnsafePointer<Float>?, relu: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        gatherGEMM(c: c, ldc: ldc, a: a, rowOffsets: rowOffsets, colOffsets: colOffsets, b: b, ldb: ldb,
                   bIsPadded: bIsPadded, m: m, n: n, k: k,
                   epilogue: GEMMEpilogue(accumulate: accumulate, bias: bias, relu: relu), scratch: scratch)
    }
}

// MARK: - Vector helpers

// Each compiles to one or two instructions wherever it is used. The standard library's general
// forms do not always (measured: a SIMD16 `replacing(with:where:)` of two variables became a
// loop over the lanes, and SIMD16 `loadUnaligned` and `storeBytes` out-of-line calls,
// depending on the rest of the function).

/// accumulator += a · b, fused where the instruction set has FMA.
@inline(__always)
func multiplyAdd(_ accumulator: inout KernelVector, _ a: KernelVector, _ b: KernelVector) {
    #if KERNEL_FMA
    accumulator.addProduct(a, b)
    #else
    // Without FMA hardware `addProduct` must stay exactly fused and becomes a libm call per lane.
    accumulator += a * b
    #endif
}

/// An unaligned vector load, as one load instruction.
@inline(__always)
func loadVector<V: SIMD>(_ source: UnsafeRawPointer, _ byteOffset: Int, as type: V.Type) -> V {
    var value = V()
    withUnsafeMutableBytes(of: &value) { $0.baseAddress!.copyMemory(from: source + byteOffset, byteCount: MemoryLayout<V>.size) }
    return value
}

/// An unaligned vector store, as one store instruction.
@inline(__always)
func storeVector<V: SIMD>(_ value: V, to destination: UnsafeMutableRawPointer) {
    withUnsafeBytes(of: value) { destination.copyMemory(from: $0.baseAddress!, byteCount: MemoryLayout<V>.size) }
}

/// `b > a ? b : a` in every lane, as a compare and a bitwise blend.
@inline(__always)
func larger<V: SIMD>(_ a: V, _ b: V) -> V where V.Scalar == Float {
    let take = unsafeBitCast(b .> a, to: V.MaskStorage.self)
    let bits = (unsafeBitCast(b, to: V.MaskStorage.self) & take) | (unsafeBitCast(a, to: V.MaskStorage.self) & ~take)
    return unsafeBitCast(bits, to: V.self)
}

/// `x < 0 ? 0 : x` in every lane (ReLU; NaN and −0 pass through), as a compare and a mask.
@inline(__always)
func zeroingNegatives<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
    let negative = unsafeBitCast(x .< 0, to: V.MaskStorage.self)
    return unsafeBitCast(unsafeBitCast(x, to: V.MaskStorage.self) & ~negative, to: V.self)
}

// MARK: - GEMM
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
            let b0 = loadVector(bRow, 0, as: KernelVector.self)
            let b1 = loadVector(bRow, width * 4, as: KernelVector.self)
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
                bias0 = loadVector(UnsafeRawPointer(bias), 0, as: KernelVector.self)
                bias1 = loadVector(UnsafeRawPointer(bias), width * 4, as: KernelVector.self)
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
            let b0 = loadVector(bRow, 0, as: KernelVector.self)
            let b1 = loadVector(bRow, width, as: KernelVector.self)
            let b2 = loadVector(bRow, 2 * width, as: KernelVector.self)
            let b3 = loadVector(bRow, 3 * width, as: KernelVector.self)
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
            bias0 = loadVector(raw, 0, as: KernelVector.self)
            bias1 = loadVector(raw, width, as: KernelVector.self)
            bias2 = loadVector(raw, 2 * width, as: KernelVector.self)
            bias3 = loadVector(raw, 3 * width, as: KernelVector.self)
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
            multiplyAdd(&c0, av, loadVector(bRow, 0, as: KernelVector.self))
            multiplyAdd(&c1, av, loadVector(bRow, width * 4, as: KernelVector.self))
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
                x0 += loadVector(raw, 0, as: KernelVector.self)
                x1 += loadVector(raw, width * 4, as: KernelVector.self)
            }
            if epilogue.relu {
                x0 = x0.replacing(with: 0, where: x0 .< 0)
                x1 = x1.replacing(with: 0, where: x1 .< 0)
            }
            storeVector(x0, to: raw)
            storeVector(x1, to: raw + width * 4)
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

// MARK: - Winograd F(2x2, 3x3) transforms

// Input and output transforms over NHWC images, a vector of channels at a time (see
// TensorCore's Conv2D+Winograd.swift for the algorithm); with AVX-512 a step covers 16 channels.
//
//   input transform   V[ξν][tile][c] = (Bᵀ d B)[ξν],  Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]]
//   output transform  Y = Aᵀ M A + bias,               Aᵀ = [[1,1,1,0],[0,1,−1,−1]]
//
// Each lane is one channel and sees the same additions in the same order at any vector width,
// so the results do not depend on the instruction set.

extension Kernel {
    /// Bᵀ d B for every 4x4 tile (stride 2) of one image of `height` x `width` x `channels`
    /// (channels a multiple of 8). Pixels past the image read as zero.
    public static func winogradInput(image: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                                     tileRows: Int, tileColumns: Int, v: UnsafeMutablePointer<Float>) {
        let tiles = tileRows * tileColumns
        let positionStride = tiles * channels * 4
        for ty in 0..<tileRows {
            for tx in 0..<tileColumns {
                let tile = InputTile(image: UnsafeRawPointer(image), height: height, width: width, channels: channels,
                                     y: 2 * ty, x: 2 * tx, out: UnsafeMutableRawPointer(v) + (ty * tileColumns + tx) * channels * 4,
                                     positionStride: positionStride)
                var byte = 0
                while byte + MemoryLayout<KernelVector>.size <= channels * 4 {
                    tile.transform(byte, as: KernelVector.self)
                    byte += MemoryLayout<KernelVector>.size
                }
                if byte < channels * 4 { tile.transform(byte, as: SIMD8<Float>.self) }
            }
        }
    }

    /// Aᵀ M A + bias (and ReLU) for every tile, into an NHWC image of `height` x `width` x
    /// `channels` (a multiple of 8); outputs past the image are dropped.
    public static func winogradOutput(m: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
                                      height: Int, width: Int, channels: Int, tileRows: Int, tileColumns: Int,
                                      output: UnsafeMutablePointer<Float>) {
        let tiles = tileRows * tileColumns
        let positionStride = tiles * channels * 4
        for ty in 0..<tileRows {
            for tx in 0..<tileColumns {
                let tile = OutputTile(m: UnsafeRawPointer(m) + (ty * tileColumns + tx) * channels * 4, positionStride: positionStride,
                                      bias: UnsafeRawPointer(bias), relu: relu, height: height, width: width,
                                      channels: channels, y: 2 * ty, x: 2 * tx, output: UnsafeMutableRawPointer(output))
                var byte = 0
                while byte + MemoryLayout<KernelVector>.size <= channels * 4 {
                    tile.transform(byte, as: KernelVector.self)
                    byte += MemoryLayout<KernelVector>.size
                }
                if byte < channels * 4 { tile.transform(byte, as: SIMD8<Float>.self) }
            }
        }
    }
}

/// One 4x4 input tile at (y, x) and where its 16 transformed values go.
private struct InputTile {
    let image: UnsafeRawPointer
    let height: Int, width: Int, channels: Int, y: Int, x: Int
    /// The tile's slot at position 0; position ξν is `positionStride` bytes further each.
    let out: UnsafeMutableRawPointer
    let positionStride: Int

    /// Bᵀ d B for the channels at byte offset `byte` of each pixel.
    @inline(__always)
    func transform<V: SIMD>(_ byte: Int, as type: V.Type) where V.Scalar == Float {
        let interior = y + 3 < height && x + 3 < width
        @inline(__always)
        func d(_ i: Int, _ j: Int) -> V {
            if !interior && (y + i >= height || x + j >= width) { return V() }
            return loadVector(image, ((y + i) * width + x + j) * channels * 4 + byte, as: V.self)
        }
        // Bᵀ d, one column j at a time: rows r0..r3 of column j.
        let a0 = d(0, 0), a1 = d(1, 0), a2 = d(2, 0), a3 = d(3, 0)
        let b0 = d(0, 1), b1 = d(1, 1), b2 = d(2, 1), b3 = d(3, 1)
        let c0 = d(0, 2), c1 = d(1, 2), c2 = d(2, 2), c3 = d(3, 2)
        let e0 = d(0, 3), e1 = d(1, 3), e2 = d(2, 3), e3 = d(3, 3)
        // t[i][j] = (Bᵀ d)[i][j]
        let t00 = a0 - a2, t10 = a1 + a2, t20 = a2 - a1, t30 = a1 - a3
        let t01 = b0 - b2, t11 = b1 + b2, t21 = b2 - b1, t31 = b1 - b3
        let t02 = c0 - c2, t12 = c1 + c2, t22 = c2 - c1, t32 = c1 - c3
        let t03 = e0 - e2, t13 = e1 + e2, t23 = e2 - e1, t33 = e1 - e3
        @inline(__always)
        func store(_ value: V, _ position: Int) { storeVector(value, to: out + position * positionStride + byte) }
        store(t00 - t02, 0); store(t01 + t02, 1); store(t02 - t01, 2); store(t01 - t03, 3)
        store(t10 - t12, 4); store(t11 + t12, 5); store(t12 - t11, 6); store(t11 - t13, 7)
        store(t20 - t22, 8); store(t21 + t22, 9); store(t22 - t21, 10); store(t21 - t23, 11)
        store(t30 - t32, 12); store(t31 + t32, 13); store(t32 - t31, 14); store(t31 - t33, 15)
    }
}

/// One tile's 16 products at position 0 of M (each next position `positionStride` bytes on),
/// and the 2x2 output pixels at (y, x) it becomes.
private struct OutputTile {
    let m: UnsafeRawPointer
    let positionStride: Int
    let bias: UnsafeRawPointer
    let relu: Bool
    let height: Int, width: Int, channels: Int, y: Int, x: Int
    let output: UnsafeMutableRawPointer

    /// Aᵀ M A + bias for the channels at byte offset `byte`.
    @inline(__always)
    func transform<V: SIMD>(_ byte: Int, as type: V.Type) where V.Scalar == Float {
        @inline(__always)
        func mv(_ position: Int) -> V { loadVector(m, position * positionStride + byte, as: V.self) }
        // Aᵀ M: two rows of four.
        let r00 = mv(0) + mv(4) + mv(8), r01 = mv(1) + mv(5) + mv(9)
        let r02 = mv(2) + mv(6) + mv(10), r03 = mv(3) + mv(7) + mv(11)
        let r10 = mv(4) - mv(8) - mv(12), r11 = mv(5) - mv(9) - mv(13)
        let r12 = mv(6) - mv(10) - mv(14), r13 = mv(7) - mv(11) - mv(15)
        let b = loadVector(bias, byte, as: V.self)
        @inline(__always)
        func store(_ value: V, _ i: Int, _ j: Int) {
            guard y + i < height, x + j < width else { return }
            var result = value + b
            if relu { result = zeroingNegatives(result) }
            storeVector(result, to: output + ((y + i) * width + x + j) * channels * 4 + byte)
        }
        store(r00 + r01 + r02, 0, 0); store(r01 - r02 - r03, 0, 1)
        store(r10 + r11 + r12, 1, 0); store(r11 - r12 - r13, 1, 1)
    }
}

// MARK: - Max pooling

// 2x2 windows with stride 2 over one NHWC image, the inference path of MaxPool2D: with
// AVX-512 a window of 16 channels is four loads and three compare-and-blends.

extension Kernel {
    /// out[y][x][c] = max of in[2y..2y+1][2x..2x+1][c] for y < height / 2, x < width / 2, with
    /// `channels` a multiple of 8. Maxima are compare-and-select (`b > a ? b : a`): left
    /// against right, lower pair against upper, as MaxPool2D's training path orders them.
    public static func maxPool2x2(input: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                                  output: UnsafeMutablePointer<Float>) {
        let source = UnsafeRawPointer(input)
        let destination = UnsafeMutableRawPointer(output)
        let rowBytes = width * channels * 4, pixelBytes = channels * 4
        for oy in 0..<height / 2 {
            for ox in 0..<width / 2 {
                let top = (2 * oy * width + 2 * ox) * pixelBytes
                let out = (oy * (width / 2) + ox) * pixelBytes
                var byte = 0
                while byte + MemoryLayout<KernelVector>.size <= pixelBytes {
                    storeVector(window(source, top + byte, pixelBytes, rowBytes, as: KernelVector.self), to: destination + out + byte)
                    byte += MemoryLayout<KernelVector>.size
                }
                if byte < pixelBytes {
                    // Eight channels left over (AVX-512 with an odd multiple of 8 channels).
                    storeVector(window(source, top + byte, pixelBytes, rowBytes, as: SIMD8<Float>.self), to: destination + out + byte)
                }
            }
        }
    }

    @inline(__always)
    private static func window<V: SIMD>(_ source: UnsafeRawPointer, _ at: Int, _ pixelBytes: Int, _ rowBytes: Int,
                                        as type: V.Type) -> V where V.Scalar == Float {
        let a = loadVector(source, at, as: V.self)
        let b = loadVector(source, at + pixelBytes, as: V.self)
        let d = loadVector(source, at + rowBytes, as: V.self)
        let e = loadVector(source, at + rowBytes + pixelBytes, as: V.self)
        return larger(larger(a, b), larger(d, e))
    }
}

// MARK: - Dot products of rows

// C = A·Wᵀ as dot products of rows, for narrow outputs at inference: a classifier's ten
// logits. There the GEMM runs each output down all of K in one dependent chain of FMAs (one row,
// ten columns in one vector), latency-bound; a dot product along K has four independent
// chains and reads A and W contiguously.
//
// Each row's sums take the same steps whether it is computed alone or with three others, so
// an image gets bit-identical outputs at any batch size.

extension Kernel {
    /// C[r][j] = Σ_t A[r][t] · W[j][t] (+ bias[j], then max(0, ·) with `relu`) for r < m, j < n.
    ///
    /// - Parameters:
    ///   - a: M rows of K floats, `lda` apart.
    ///   - w: N rows of K floats (the transposed weight), contiguous.
    ///   - c: M rows of N floats, `ldc` apart.
    public static func dotRows(c: UnsafeMutablePointer<Float>, ldc: Int, a: UnsafePointer<Float>, lda: Int,
                               w: UnsafePointer<Float>, m: Int, n: Int, k: Int,
                               bias: UnsafePointer<Float>?, relu: Bool) {
        var r = 0
        while r + 4 <= m {
            for j in 0..<n {
                let sums = dot4(a + r * lda, lda, w + j * k, k)
                for i in 0..<4 { c[(r + i) * ldc + j] = finish(sums[i], bias?[j], relu) }
            }
            r += 4
        }
        while r < m {
            for j in 0..<n {
                c[r * ldc + j] = finish(dot1(a + r * lda, w + j * k, k), bias?[j], relu)
            }
            r += 1
        }
    }

    @inline(__always)
    private static func finish(_ sum: Float, _ bias: Float?, _ relu: Bool) -> Float {
        let value = sum + (bias ?? 0)
        return relu && value < 0 ? 0 : value
    }

    /// One row's dot product: lanes accumulate in four vectors over blocks of 4·width floats,
    /// then whole vectors into the first, the four are added pairwise, the lanes in a fixed
    /// tree, and the last floats one by one.
    @inline(__always)
    private static func dot1(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ k: Int) -> Float {
        let width = KernelVector.scalarCount
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(w)
        var s0 = KernelVector(), s1 = KernelVector(), s2 = KernelVector(), s3 = KernelVector()
        var t = 0
        while t + 4 * width <= k {
            multiplyAdd(&s0, loadVector(x, t * 4, as: KernelVector.self),
                        loadVector(y, t * 4, as: KernelVector.self))
            multiplyAdd(&s1, loadVector(x, (t + width) * 4, as: KernelVector.self),
                        loadVector(y, (t + width) * 4, as: KernelVector.self))
            multiplyAdd(&s2, loadVector(x, (t + 2 * width) * 4, as: KernelVector.self),
                        loadVector(y, (t + 2 * width) * 4, as: KernelVector.self))
            multiplyAdd(&s3, loadVector(x, (t + 3 * width) * 4, as: KernelVector.self),
                        loadVector(y, (t + 3 * width) * 4, as: KernelVector.self))
            t += 4 * width
        }
        while t + width <= k {
            multiplyAdd(&s0, loadVector(x, t * 4, as: KernelVector.self),
                        loadVector(y, t * 4, as: KernelVector.self))
            t += width
        }
        var sum = laneSum((s0 + s1) + (s2 + s3))
        while t < k {
            sum = scalarMultiplyAdd(sum, a[t], w[t])
            t += 1
        }
        return sum
    }

    /// `dot1` of four rows `lda` apart against the same W row, sharing its loads; each row
    /// takes exactly `dot1`'s steps.
    @inline(__always)
    private static func dot4(_ a: UnsafePointer<Float>, _ lda: Int, _ w: UnsafePointer<Float>, _ k: Int) -> SIMD4<Float> {
        let width = KernelVector.scalarCount
        let y = UnsafeRawPointer(w)
        let x0 = UnsafeRawPointer(a), x1 = UnsafeRawPointer(a + lda), x2 = UnsafeRawPointer(a + 2 * lda)
        let x3 = UnsafeRawPointer(a + 3 * lda)
        var s00 = KernelVector(), s01 = KernelVector(), s02 = KernelVector(), s03 = KernelVector()
        var s10 = KernelVector(), s11 = KernelVector(), s12 = KernelVector(), s13 = KernelVector()
        var s20 = KernelVector(), s21 = KernelVector(), s22 = KernelVector(), s23 = KernelVector()
        var s30 = KernelVector(), s31 = KernelVector(), s32 = KernelVector(), s33 = KernelVector()
        @inline(__always)
        func step(_ s0: inout KernelVector, _ s1: inout KernelVector, _ s2: inout KernelVector, _ s3: inout KernelVector,
                  _ x: UnsafeRawPointer, _ t: Int, _ w0: KernelVector, _ w1: KernelVector, _ w2: KernelVector,
                  _ w3: KernelVector) {
            multiplyAdd(&s0, loadVector(x, t * 4, as: KernelVector.self), w0)
            multiplyAdd(&s1, loadVector(x, (t + width) * 4, as: KernelVector.self), w1)
            multiplyAdd(&s2, loadVector(x, (t + 2 * width) * 4, as: KernelVector.self), w2)
            multiplyAdd(&s3, loadVector(x, (t + 3 * width) * 4, as: KernelVector.self), w3)
        }
        var t = 0
        while t + 4 * width <= k {
            let w0 = loadVector(y, t * 4, as: KernelVector.self)
            let w1 = loadVector(y, (t + width) * 4, as: KernelVector.self)
            let w2 = loadVector(y, (t + 2 * width) * 4, as: KernelVector.self)
            let w3 = loadVector(y, (t + 3 * width) * 4, as: KernelVector.self)
            step(&s00, &s01, &s02, &s03, x0, t, w0, w1, w2, w3)
            step(&s10, &s11, &s12, &s13, x1, t, w0, w1, w2, w3)
            step(&s20, &s21, &s22, &s23, x2, t, w0, w1, w2, w3)
            step(&s30, &s31, &s32, &s33, x3, t, w0, w1, w2, w3)
            t += 4 * width
        }
        while t + width <= k {
            let w0 = loadVector(y, t * 4, as: KernelVector.self)
            multiplyAdd(&s00, loadVector(x0, t * 4, as: KernelVector.self), w0)
            multiplyAdd(&s10, loadVector(x1, t * 4, as: KernelVector.self), w0)
            multiplyAdd(&s20, loadVector(x2, t * 4, as: KernelVector.self), w0)
            multiplyAdd(&s30, loadVector(x3, t * 4, as: KernelVector.self), w0)
            t += width
        }
        var sums = SIMD4<Float>(laneSum((s00 + s01) + (s02 + s03)), laneSum((s10 + s11) + (s12 + s13)),
                                laneSum((s20 + s21) + (s22 + s23)), laneSum((s30 + s31) + (s32 + s33)))
        while t < k {
            for i in 0..<4 { sums[i] = scalarMultiplyAdd(sums[i], a[i * lda + t], w[t]) }
            t += 1
        }
        return sums
    }

    /// The lanes' sum in a fixed tree: halves added until one lane is left.
    @inline(__always)
    private static func laneSum(_ v: KernelVector) -> Float {
        #if KERNEL_AVX512
        let v8 = v.lowHalf + v.highHalf
        let v4 = v8.lowHalf + v8.highHalf
        #elseif KERNEL_AVX2
        let v4 = v.lowHalf + v.highHalf
        #else
        let v4 = v
        #endif
        let v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
    }

    @inline(__always)
    private static func scalarMultiplyAdd(_ sum: Float, _ a: Float, _ b: Float) -> Float {
        #if KERNEL_FMA
        return sum.addingProduct(a, b)
        #else
        return sum + a * b
        #endif
    }
}
