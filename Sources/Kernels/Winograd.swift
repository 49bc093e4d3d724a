// Winograd F(2x2, 3x3) input and output transforms over NHWC images, eight channels at a time
// (see TensorCore's Conv2D+Winograd.swift for the algorithm). Compiled per instruction set like
// the GEMM, which is why they live here.
//
//   input transform   V[ξν][tile][c] = (Bᵀ d B)[ξν],  Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]]
//   output transform  Y = Aᵀ M A + bias,               Aᵀ = [[1,1,1,0],[0,1,−1,−1]]

public typealias Vector8 = SIMD8<Float>

extension Kernel {
    /// Bᵀ d B for every 4x4 tile (stride 2) of one image of `height` x `width` x `channels`
    /// (channels a multiple of 8). Pixels past the image read as zero.
    public static func winogradInput(image: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                                     tileRows: Int, tileColumns: Int, v: UnsafeMutablePointer<Float>) {
        let tiles = tileRows * tileColumns
        let raw = UnsafeRawPointer(image)
        let out = UnsafeMutableRawPointer(v)
        let positionStride = tiles * channels * 4
        for ty in 0..<tileRows {
            for tx in 0..<tileColumns {
                let tile = ty * tileColumns + tx, y = 2 * ty, x = 2 * tx
                let interior = y + 3 < height && x + 3 < width
                var byte = 0
                while byte < channels * 4 {
                    @inline(__always)
                    func d(_ i: Int, _ j: Int) -> Vector8 {
                        if !interior && (y + i >= height || x + j >= width) { return Vector8() }
                        return raw.loadUnaligned(fromByteOffset: ((y + i) * width + x + j) * channels * 4 + byte, as: Vector8.self)
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
                    let base = tile * channels * 4 + byte
                    @inline(__always)
                    func store(_ value: Vector8, _ position: Int) {
                        out.storeBytes(of: value, toByteOffset: position * positionStride + base, as: Vector8.self)
                    }
                    store(t00 - t02, 0); store(t01 + t02, 1); store(t02 - t01, 2); store(t01 - t03, 3)
                    store(t10 - t12, 4); store(t11 + t12, 5); store(t12 - t11, 6); store(t11 - t13, 7)
                    store(t20 - t22, 8); store(t21 + t22, 9); store(t22 - t21, 10); store(t21 - t23, 11)
                    store(t30 - t32, 12); store(t31 + t32, 13); store(t32 - t31, 14); store(t31 - t33, 15)
                    byte += 32
                }
            }
        }
    }

    /// Aᵀ M A + bias (and ReLU) for every tile, into an NHWC image of `height` x `width` x
    /// `channels` (a multiple of 8); outputs past the image are dropped.
    public static func winogradOutput(m: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
                                      height: Int, width: Int, channels: Int, tileRows: Int, tileColumns: Int,
                                      output: UnsafeMutablePointer<Float>) {
        let tiles = tileRows * tileColumns
        let raw = UnsafeRawPointer(m), biasRaw = UnsafeRawPointer(bias)
        let out = UnsafeMutableRawPointer(output)
        let positionStride = tiles * channels * 4
        for ty in 0..<tileRows {
            for tx in 0..<tileColumns {
                let tile = ty * tileColumns + tx, y = 2 * ty, x = 2 * tx
                var byte = 0
                while byte < channels * 4 {
                    let base = tile * channels * 4 + byte
                    @inline(__always)
                    func mv(_ position: Int) -> Vector8 {
                        raw.loadUnaligned(fromByteOffset: position * positionStride + base, as: Vector8.self)
                    }
                    // Aᵀ M: two rows of four.
                    let r00 = mv(0) + mv(4) + mv(8), r01 = mv(1) + mv(5) + mv(9)
                    let r02 = mv(2) + mv(6) + mv(10), r03 = mv(3) + mv(7) + mv(11)
                    let r10 = mv(4) - mv(8) - mv(12), r11 = mv(5) - mv(9) - mv(13)
                    let r12 = mv(6) - mv(10) - mv(14), r13 = mv(7) - mv(11) - mv(15)
                    let b = biasRaw.loadUnaligned(fromByteOffset: byte, as: Vector8.self)
                    @inline(__always)
                    func store(_ value: Vector8, _ i: Int, _ j: Int) {
                        guard y + i < height, x + j < width else { return }
                        var result = value + b
                        if relu { result.replace(with: 0, where: result .< 0) }
                        out.storeBytes(of: result, toByteOffset: ((y + i) * width + x + j) * channels * 4 + byte, as: Vector8.self)
                    }
                    store(r00 + r01 + r02, 0, 0); store(r01 - r02 - r03, 0, 1)
                    store(r10 + r11 + r12, 1, 0); store(r11 - r12 - r13, 1, 1)
                    byte += 32
                }
            }
        }
    }
}
