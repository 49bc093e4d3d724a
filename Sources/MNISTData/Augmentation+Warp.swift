#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Augmentation {
    /// Applies `transform` to `source` (`rows * columns` bytes), writing `rows * columns`
    /// floats in 0...1 to `destination`.
    ///
    /// Inverse mapping: each output pixel looks up where it came from and interpolates the
    /// source bilinearly, reading zero outside it. The identity transform reproduces the input
    /// exactly (`pixel / 255`). No heap allocation.
    public static func warp(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<Float>,
                            rows: Int, columns: Int, transform: Transform) {
        // The source is copied into a zero border (1 pixel left and top, 2 right and bottom),
        // so that interpolation never needs a bounds check: the checks, not the arithmetic,
        // dominated the time. For MNIST this is 31x31 = 961 bytes, kept on the stack.
        let stride = columns + 3
        let capacity = stride * (rows + 3)
        if capacity <= MemoryLayout<StackScratch>.size {
            var scratch = StackScratch()
            withUnsafeMutableBytes(of: &scratch) { raw in
                warp(source, into: destination, rows: rows, columns: columns, transform: transform,
                     padded: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        } else {
            var heap = [UInt8](repeating: 0, count: capacity)
            heap.withUnsafeMutableBufferPointer { buffer in
                warp(source, into: destination, rows: rows, columns: columns, transform: transform,
                     padded: buffer.baseAddress!)
            }
        }
    }

    /// 1,024 zeroed bytes of stack: room for a padded image up to 29x29.
    ///
    /// Not `withUnsafeTemporaryAllocation`: with Swift 6.3.1 its `throws(Never)` closure came
    /// back with the error register set in a release build and the process trapped.
    private struct StackScratch {
        var bytes: (SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>,
                    SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>,
                    SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>,
                    SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>) =
            (.zero, .zero, .zero, .zero, .zero, .zero, .zero, .zero,
             .zero, .zero, .zero, .zero, .zero, .zero, .zero, .zero)
    }

    /// `warp` with a zeroed scratch buffer of `(columns + 3) * (rows + 3)` bytes.
    private static func warp(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<Float>,
                             rows: Int, columns: Int, transform: Transform, padded: UnsafeMutablePointer<UInt8>) {
        let stride = columns + 3
        let origin = padded + stride + 1
        switch transform.stroke {
        case .unchanged:
            for y in 0..<rows { (origin + y * stride).update(from: source + y * columns, count: columns) }
        case .thicker, .thinner:
            morph(source, into: origin, stride: stride, rows: rows, columns: columns, dilate: transform.stroke == .thicker)
        }
        if let ink = inkBox(UnsafePointer(origin), stride: stride, rows: rows, columns: columns) {
            resample(UnsafePointer(origin), stride: stride, ink: ink, into: destination, rows: rows, columns: columns,
                     transform: transform)
        } else {
            destination.update(repeating: 0, count: rows * columns)
        }
    }

    /// The affine part of `warp`: inverse mapping with bilinear interpolation over a source
    /// that has a zero border of 1 pixel before and 2 after each row and column.
    ///
    /// Only the stretch of each output row whose source falls near `ink` is interpolated; the
    /// rest is background by construction. MNIST digits fill about a 20x20 box, so this skips
    /// about half the work.
    private static func resample(_ source: UnsafePointer<UInt8>, stride: Int, ink: InkBox,
                                 into destination: UnsafeMutablePointer<Float>,
                                 rows: Int, columns: Int, transform: Transform) {
        let radians = Float.pi / 180
        let angle = transform.rotationDegrees * radians
        let cosine = cosf(angle), sine = sinf(angle)
        let shear = tanf(transform.shearDegrees * radians)
        let scale = transform.scale
        // Forward A = rotation · shear · scale = [[a, b], [c, d]].
        let a = cosine * scale
        let b = (cosine * shear - sine) * scale
        let c = sine * scale
        let d = (sine * shear + cosine) * scale
        let determinant = a * d - b * c
        // Inverse: source = A⁻¹ (out - centre - shift) + centre.
        let i00 = d / determinant, i01 = -b / determinant
        let i10 = -c / determinant, i11 = a / determinant
        let centreX = Float(columns - 1) / 2, centreY = Float(rows - 1) / 2
        let width = Float(columns), height = Float(rows)

        for y in 0..<rows {
            let dy = Float(y) - centreY - transform.shiftY
            let rowX = i01 * dy + centreX
            let rowY = i11 * dy + centreY
            let out = destination + y * columns
            // Where along this row the source is inside the ink box widened by one pixel
            // (bilinear reads reach one pixel further); outside it every sample is zero.
            let span = columnSpan(slope: i00, offset: rowX - i00 * (centreX + transform.shiftX),
                                  low: Float(ink.columns.lowerBound) - 1, high: Float(ink.columns.upperBound) + 1,
                                  columns: columns)
                .clamped(to: columnSpan(slope: i10, offset: rowY - i10 * (centreX + transform.shiftX),
                                        low: Float(ink.rows.lowerBound) - 1, high: Float(ink.rows.upperBound) + 1,
                                        columns: columns))
            out.update(repeating: 0, count: span.lowerBound)
            (out + span.upperBound).update(repeating: 0, count: columns - span.upperBound)
            for x in span {
                let dx = Float(x) - centreX - transform.shiftX
                // Clamped into -1...width (NaN goes to -1): anything beyond lands on the zero
                // border, so it reads as background.
                var sourceX = i00 * dx + rowX
                var sourceY = i10 * dx + rowY
                sourceX = sourceX > -1 ? (sourceX < width ? sourceX : width) : -1
                sourceY = sourceY > -1 ? (sourceY < height ? sourceY : height) : -1
                // floor() by truncating a positive number: baseline x86-64 has no rounding
                // instruction, and the libm call cost more than the interpolation.
                let x0 = Int(sourceX + 1) - 1, y0 = Int(sourceY + 1) - 1
                let fx = sourceX - Float(x0), fy = sourceY - Float(y0)
                let base = source + y0 * stride + x0
                let p00 = Float(base[0]), p01 = Float(base[1])
                let p10 = Float(base[stride]), p11 = Float(base[stride + 1])
                let top = p00 + (p01 - p00) * fx
                let bottom = p10 + (p11 - p10) * fx
                let value = top + (bottom - top) * fy
                out[x] = min(max(value, 0), 255) / 255
            }
        }
    }

    /// The rows and columns (inclusive) that hold nonzero pixels.
    struct InkBox {
        var rows: ClosedRange<Int>
        var columns: ClosedRange<Int>
    }

    /// The bounding box of the nonzero pixels, or nil for a blank image.
    private static func inkBox(_ image: UnsafePointer<UInt8>, stride: Int, rows: Int, columns: Int) -> InkBox? {
        var top = Int.max, bottom = -1, left = Int.max, right = -1
        for y in 0..<rows {
            let row = image + y * stride
            var first = -1, last = -1
            for x in 0..<columns where row[x] != 0 {
                if first < 0 { first = x }
                last = x
            }
            guard first >= 0 else { continue }
            top = min(top, y); bottom = y
            left = min(left, first); right = max(right, last)
        }
        guard bottom >= 0 else { return nil }
        return InkBox(rows: top...bottom, columns: left...right)
    }

    /// The output columns `x` in `0..<columns` for which `slope * x + offset` may lie strictly
    /// between `low` and `high`, widened by a pixel each side against rounding. A NaN slope or
    /// offset gives all columns (the per-pixel clamp then handles them).
    private static func columnSpan(slope: Float, offset: Float, low: Float, high: Float, columns: Int) -> Range<Int> {
        let all = 0..<columns
        guard slope.isFinite, offset.isFinite else { return all }
        if abs(slope) < 1e-6 {
            // Constant along the row: inside for every column or for none.
            return (offset > low - 1 && offset < high + 1) ? all : 0..<0
        }
        let first = (low - offset) / slope, second = (high - offset) / slope
        let from = min(first, second), to = max(first, second)
        // Clamp in floating point before converting, so huge values cannot trap.
        let start = Int(min(max(from - 1, -1), Float(columns)).rounded(.down))
        let end = Int(min(max(to + 2, -1), Float(columns)).rounded(.down))
        guard end > start else { return 0..<0 }
        return max(start, 0)..<min(end, columns)
    }

    /// 3x3 grayscale dilation (maximum) or erosion (minimum, counting outside as 0), written
    /// into rows `stride` apart.
    private static func morph(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>, stride: Int,
                              rows: Int, columns: Int, dilate: Bool) {
        for y in 0..<rows {
            for x in 0..<columns {
                var extreme: UInt8 = dilate ? 0 : 255
                for ny in (y - 1)...(y + 1) {
                    for nx in (x - 1)...(x + 1) {
                        let inside = nx >= 0 && nx < columns && ny >= 0 && ny < rows
                        let value: UInt8 = inside ? source[ny * columns + nx] : 0
                        extreme = dilate ? max(extreme, value) : min(extreme, value)
                    }
                }
                destination[y * stride + x] = extreme
            }
        }
    }
}
