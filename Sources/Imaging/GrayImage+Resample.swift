extension GrayImage {
    /// The image scaled to `width` x `height` by area averaging: each output pixel is the mean of
    /// the source over its exact footprint, partial source pixels weighted by the fraction
    /// covered. Downscaling therefore cannot alias (a 4x reduction is exactly the mean of each
    /// 4x4 block), and upscaling replicates pixels, blending only where a footprint straddles
    /// two source pixels. Separable: rows first, then columns.
    public func resampled(width newWidth: Int, height newHeight: Int) -> FloatImage {
        resampled(region: Region(x: 0, y: 0, width: width, height: height), levels: levels, width: newWidth, height: newHeight)
    }

    /// A rectangle of the image, in pixels.
    struct Region: Equatable {
        let x: Int
        let y: Int
        let width: Int
        let height: Int
    }

    /// The `region` of the image, its codes read through `levels`, scaled as above. Reading
    /// through a table lets the normalizer scale its ink image without ever building it:
    /// the only full-size buffer stays the one-byte-per-pixel `codes`.
    func resampled(region: Region, levels: [Float], width newWidth: Int, height newHeight: Int) -> FloatImage {
        precondition(newWidth > 0 && newHeight > 0 && region.width > 0 && region.height > 0, "resampling needs non-empty images")
        precondition(levels.count == 256, "resampling needs 256 levels")
        let horizontal = Self.footprints(from: region.width, to: newWidth)
        let vertical = Self.footprints(from: region.height, to: newHeight)
        var rows = [Float](repeating: 0, count: newWidth * region.height)  // (region.height, newWidth)
        codes.withUnsafeBufferPointer { codes in
            levels.withUnsafeBufferPointer { levels in
                rows.withUnsafeMutableBufferPointer { rows in
                    for y in 0..<region.height {
                        let source = codes.baseAddress! + (region.y + y) * width + region.x
                        for (x, taps) in horizontal.enumerated() {
                            var sum: Float = 0
                            for tap in taps { sum += levels[Int(source[tap.index])] * tap.weight }
                            rows[y * newWidth + x] = sum
                        }
                    }
                }
            }
        }
        var result = [Float](repeating: 0, count: newWidth * newHeight)  // (newHeight, newWidth)
        rows.withUnsafeBufferPointer { rows in
            result.withUnsafeMutableBufferPointer { result in
                for (y, taps) in vertical.enumerated() {
                    for tap in taps {
                        for x in 0..<newWidth { result[y * newWidth + x] += rows[tap.index * newWidth + x] * tap.weight }
                    }
                }
            }
        }
        return FloatImage(width: newWidth, height: newHeight, pixels: result)
    }

    /// One source pixel's share of an output pixel.
    struct Tap {
        let index: Int
        let weight: Float
    }

    /// For each of `outputCount` output pixels, the source pixels its footprint
    /// `[j * scale, (j + 1) * scale)` overlaps, weighted by overlap / footprint.
    static func footprints(from inputCount: Int, to outputCount: Int) -> [[Tap]] {
        let scale = Double(inputCount) / Double(outputCount)
        return (0..<outputCount).map { j in
            let low = Double(j) * scale, high = min(Double(j + 1) * scale, Double(inputCount))
            var taps = [Tap]()
            var i = Int(low.rounded(.down))
            while Double(i) < high && i < inputCount {
                let overlap = min(high, Double(i + 1)) - max(low, Double(i))
                if overlap > 1e-12 { taps.append(Tap(index: i, weight: Float(overlap / scale))) }
                i += 1
            }
            return taps
        }
    }
}
