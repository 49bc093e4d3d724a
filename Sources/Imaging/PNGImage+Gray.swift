extension PNGImage {
    /// The luminance image: RGB through BT.601 luma, every sample scaled by its depth's
    /// maximum, alpha (an alpha channel, a tRNS key color or palette alpha) composited onto
    /// white paper.
    ///
    /// Gray images up to 8 bits and palette images keep their samples as codes (a tRNS key
    /// becomes the maximum sample, which is white too); other images go through
    /// `GrayImage.build`, which keeps their distinct luminances exact up to 256 of them.
    public func grayImage() -> GrayImage {
        let rowBytes = self.rowBytes
        let depth = bitDepth
        let scale = SampleScale(bitDepth: depth)
        switch colorType {
        case .gray where depth <= 8, .palette:
            let levels: [Float]
            var key: UInt16?
            if colorType == .palette {
                levels = paletteTable()
            } else {
                levels = scale.table
                if case .grayKey(let value)? = transparency { key = value }
            }
            let white = UInt8((1 << depth) - 1)
            var codes = [UInt8](repeating: 0, count: width * height)
            data.withUnsafeBufferPointer { packed in
                codes.withUnsafeMutableBufferPointer { codes in
                    for y in 0..<height {
                        let row = packed.baseAddress! + y * rowBytes
                        let output = codes.baseAddress! + y * width
                        if let key {
                            for x in 0..<width {
                                let sample = PackedSamples.get(row, x, bitDepth: depth)
                                output[x] = sample == key ? white : UInt8(sample)
                            }
                        } else {
                            for x in 0..<width { output[x] = UInt8(PackedSamples.get(row, x, bitDepth: depth)) }
                        }
                    }
                }
            }
            return GrayImage(width: width, height: height, codes: codes,
                             levels: levels + [Float](repeating: 0, count: 256 - levels.count))
        default:
            return data.withUnsafeBufferPointer { packed in
                GrayImage.build(width: width, height: height) { y, output in
                    let row = packed.baseAddress! + y * rowBytes
                    // One switch per row; the loops below run without per-pixel dispatch.
                    switch (colorType, transparency) {
                    case (.gray, .grayKey(let key)?):
                        for x in 0..<width {
                            let sample = PackedSamples.get(row, x, bitDepth: depth)
                            output[x] = sample == key ? 1 : scale[sample]
                        }
                    case (.gray, _):
                        for x in 0..<width { output[x] = scale[PackedSamples.get(row, x, bitDepth: depth)] }
                    case (.rgb, let key):
                        for x in 0..<width {
                            let red = PackedSamples.get(row, 3 * x, bitDepth: depth)
                            let green = PackedSamples.get(row, 3 * x + 1, bitDepth: depth)
                            let blue = PackedSamples.get(row, 3 * x + 2, bitDepth: depth)
                            if case .rgbKey(red, green, blue)? = key {
                                output[x] = 1
                            } else {
                                output[x] = GrayImage.luma(red: scale[red], green: scale[green], blue: scale[blue])
                            }
                        }
                    case (.grayAlpha, _):
                        for x in 0..<width {
                            output[x] = GrayImage.onWhitePaper(scale[PackedSamples.get(row, 2 * x, bitDepth: depth)],
                                                               alpha: scale[PackedSamples.get(row, 2 * x + 1, bitDepth: depth)])
                        }
                    case (.rgba, _):
                        for x in 0..<width {
                            let luma = GrayImage.luma(red: scale[PackedSamples.get(row, 4 * x, bitDepth: depth)],
                                                      green: scale[PackedSamples.get(row, 4 * x + 1, bitDepth: depth)],
                                                      blue: scale[PackedSamples.get(row, 4 * x + 2, bitDepth: depth)])
                            output[x] = GrayImage.onWhitePaper(luma, alpha: scale[PackedSamples.get(row, 4 * x + 3, bitDepth: depth)])
                        }
                    case (.palette, _):
                        preconditionFailure("palette images are converted through their codes above")
                    }
                }
            }
        }
    }

    /// Sample value → 0...1: a lookup table up to 8 bits, a division at 16 (a 65,536-entry
    /// table would cost more to build than most images take to convert).
    struct SampleScale {
        let table: [Float]
        let maximum: Float

        init(bitDepth: Int) {
            let maximum = Float((1 << bitDepth) - 1)
            self.maximum = maximum
            table = bitDepth <= 8 ? (0...Int(maximum)).map { Float($0) / maximum } : []
        }

        @inline(__always)
        subscript(sample: UInt16) -> Float {
            table.isEmpty ? Float(sample) / maximum : table[Int(sample)]
        }
    }

    /// Luminance of each palette entry, on white paper where tRNS gives it alpha.
    private func paletteTable() -> [Float] {
        let alphas: [UInt8]
        if case .paletteAlpha(let values) = transparency { alphas = values } else { alphas = [] }
        return (palette ?? []).enumerated().map { index, entry in
            let luma = GrayImage.luma(red: Float(entry.red) / 255, green: Float(entry.green) / 255, blue: Float(entry.blue) / 255)
            return index < alphas.count ? GrayImage.onWhitePaper(luma, alpha: Float(alphas[index]) / 255) : luma
        }
    }
}
