/// What every kernel module's `Kernel` provides. The same source is compiled once per
/// instruction set (KernelsAVX512, KernelsAVX2, KernelsBaseline), each into its own type;
/// TensorCore's `GEMMKernel` takes any of them through this protocol and picks one at start.
/// A set is only static functions over the buffers they are given, with no state, so its type
/// may be used from any thread (`SendableMetatype`).
public protocol KernelSet: SendableMetatype {
    /// Rows of the register tile: rows split at a multiple of this are tiled (and so computed)
    /// exactly as the whole would be.
    static var mr: Int { get }
    /// Columns of the register tile: a B operand padded to a multiple of this needs no copy.
    static var nr: Int { get }
    /// Floats of scratch a `gatherGEMM` call needs.
    static var scratchCount: Int { get }

    /// C[m, n] = (C +) Σ_t a[rowOffsets[m] + colOffsets[t]] · b[t * ldb + n] (+ bias[n]),
    /// then max(0, ·) with `relu`.
    static func gatherGEMM(
        c: UnsafeMutablePointer<Float>, ldc: Int,
        a: UnsafePointer<Float>, rowOffsets: UnsafePointer<Int>, colOffsets: UnsafePointer<Int>,
        b: UnsafePointer<Float>, ldb: Int, bIsPadded: Bool, m: Int, n: Int, k: Int,
        accumulate: Bool, bias: UnsafePointer<Float>?, relu: Bool, scratch: UnsafeMutablePointer<Float>)

    /// Winograd F(2x2, 3x3) input transform of one NHWC image.
    static func winogradInput(image: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                              tileRows: Int, tileColumns: Int, v: UnsafeMutablePointer<Float>)
    /// Winograd F(2x2, 3x3) output transform into one NHWC image, plus bias and ReLU.
    static func winogradOutput(m: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
                               height: Int, width: Int, channels: Int, tileRows: Int, tileColumns: Int,
                               output: UnsafeMutablePointer<Float>)
    /// 2x2 max pooling with stride 2 of one NHWC image.
    static func maxPool2x2(input: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                           output: UnsafeMutablePointer<Float>)
    /// C = A·Wᵀ (+ bias, ReLU) as dot products of rows.
    static func dotRows(c: UnsafeMutablePointer<Float>, ldc: Int, a: UnsafePointer<Float>, lda: Int,
                        w: UnsafePointer<Float>, m: Int, n: Int, k: Int, bias: UnsafePointer<Float>?, relu: Bool)
}
