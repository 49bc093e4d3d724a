// Winograd F(2x2, 3x3) for inference (Lavin & Gray 2016): a 3x3 stride-1 convolution computed
// on 4x4 input tiles that each yield a 2x2 output tile, with 16 multiplies per tile and channel
// pair instead of 36 — 2.25x fewer multiply-adds, in 16 independent GEMMs the kernel runs.
//
// Glossary: T tiles per image (ceil(OH/2) x ceil(OW/2)), ξν one of the 16 transform positions.
//   U  [16][Cin][Cout]  transformed weights G g Gᵀ (recomputed when parameters change)
//   V  [16][T][Cin]     transformed input tiles Bᵀ d B
//   M  [16][T][Cout]    V · U for each ξν
//   Y  = Aᵀ M A         the 2x2 outputs of each tile, plus bias, ReLU when fused
//
// The transforms are in the kernel modules (Sources/Kernels), compiled per instruction set.
// Training keeps the direct implicit GEMM (its backward is written for it); both agree to
// float rounding, which the tests check against the reference convolution.

extension Conv2D {
    /// Whether this layer uses Winograd at inference: 3x3, stride 1, channels in vectors of 8.
    var supportsWinograd: Bool {
        kernelSize == 3 && stride == 1 && inputShape.channels % 8 == 0 && outputShape.channels % 8 == 0
    }

    /// Tile rows transformed and multiplied at once: as many as keep a strip's transformed
    /// tiles (V and M) within 256 KiB, near the core. Measured: the whole of a 24x24x32 layer
    /// (590 KB of tiles) ran slower than the direct convolution; in strips it runs faster.
    var winogradStripRows: Int {
        let bytesPerTileRow = 16 * winogradTiles.columns * (inputShape.channels + outputShape.channels) * MemoryLayout<Float>.stride
        return max(1, min(winogradTiles.rows, (256 << 10) / bytesPerTileRow))
    }

    var winogradTiles: (rows: Int, columns: Int) { ((outputShape.height + 1) / 2, (outputShape.width + 1) / 2) }

    /// U = G g Gᵀ for every (ci, co) of `weight` (this layer's layout), with
    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    func transformWeights(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let cin = inputShape.channels, cout = outputShape.channels
        for ci in 0..<cin {
            for co in 0..<cout {
                var g = [[Float]](repeating: [0, 0, 0], count: 3)
                for kh in 0..<3 { for kw in 0..<3 { g[kh][kw] = weight[((kh * 3 + kw) * cin + ci) * cout + co] } }
                // Gg: 4x3
                var gg = [[Float]](repeating: [0, 0, 0], count: 4)
                for j in 0..<3 {
                    gg[0][j] = g[0][j]
                    gg[1][j] = 0.5 * (g[0][j] + g[1][j] + g[2][j])
                    gg[2][j] = 0.5 * (g[0][j] - g[1][j] + g[2][j])
                    gg[3][j] = g[2][j]
                }
                // (Gg)Gᵀ: 4x4
                for i in 0..<4 {
                    let row = gg[i]
                    let values: [Float] = [row[0], 0.5 * (row[0] + row[1] + row[2]), 0.5 * (row[0] - row[1] + row[2]), row[2]]
                    for j in 0..<4 { u[((i * 4 + j) * cin + ci) * cout + co] = values[j] }
                }
            }
        }
    }
}
