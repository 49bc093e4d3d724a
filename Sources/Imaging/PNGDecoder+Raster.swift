/// From inflated scanlines to packed rows: filter reconstruction, Adam7 de-interlacing and the
/// palette index check.
extension PNGDecoder {
    /// Reconstructs `height` filtered rows starting at `start` into packed rows without
    /// filter bytes.
    static func unfilterRows(_ filtered: [UInt8], from start: Int, width: Int, height: Int, header: Header) throws -> [UInt8] {
        let rowBytes = header.rowBytes(width: width)
        let stride = header.filterStride
        var output = [UInt8](repeating: 0, count: rowBytes * height)
        try filtered.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { output in
                guard let inputBase = input.baseAddress, let outputBase = output.baseAddress else { return }
                for row in 0..<height {
                    let lineStart = start + row * (rowBytes + 1)
                    guard let filter = PNGFilter(rawValue: inputBase[lineStart]) else {
                        throw ImageError.malformed("PNG row \(row) has filter type \(inputBase[lineStart]), not 0...4")
                    }
                    PNGFilter.unfilter(filter, input: inputBase + lineStart + 1,
                                       previous: row == 0 ? nil : UnsafePointer(outputBase + (row - 1) * rowBytes),
                                       output: outputBase + row * rowBytes, count: rowBytes, bpp: stride)
                }
            }
        }
        return output
    }

    /// Unfilters each Adam7 pass and scatters its pixels into the full image.
    static func deinterlace(_ filtered: [UInt8], header: Header) throws -> [UInt8] {
        let rowBytes = header.rowBytes(width: header.width)
        var output = [UInt8](repeating: 0, count: rowBytes * header.height)
        var offset = 0
        for pass in PNGInterlace.adam7 {
            let passWidth = pass.width(of: header.width), passHeight = pass.height(of: header.height)
            guard passWidth > 0 && passHeight > 0 else { continue }
            let passRows = try unfilterRows(filtered, from: offset, width: passWidth, height: passHeight, header: header)
            let passRowBytes = header.rowBytes(width: passWidth)
            offset += passHeight * (passRowBytes + 1)
            passRows.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { destination in
                    for passY in 0..<passHeight {
                        let sourceRow = source.baseAddress! + passY * passRowBytes
                        let destinationRow = destination.baseAddress! + (pass.yStart + passY * pass.yStep) * rowBytes
                        for passX in 0..<passWidth {
                            PNGInterlace.copyPixel(from: sourceRow, passX, to: destinationRow,
                                                   pass.xStart + passX * pass.xStep, bitsPerPixel: header.bitsPerPixel)
                        }
                    }
                }
            }
        }
        return output
    }

    /// The spec makes an index past the palette's end an error; reporting it beats guessing a color.
    static func checkPaletteIndices(_ image: PNGImage, paletteCount: Int) throws {
        guard paletteCount < 1 << image.bitDepth else { return }
        let rowBytes = image.rowBytes
        try image.data.withUnsafeBufferPointer { data in
            for y in 0..<image.height {
                for x in 0..<image.width {
                    let index = Int(PackedSamples.get(data.baseAddress! + y * rowBytes, x, bitDepth: image.bitDepth))
                    if index >= paletteCount {
                        throw ImageError.malformed("PNG pixel (\(x), \(y)) uses palette index \(index) but the palette has \(paletteCount) entries")
                    }
                }
            }
        }
    }
}
