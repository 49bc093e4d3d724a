import Imaging
import Zlib

/// Writes PNG files: every color type and bit depth `PNGImage` can hold, a chosen or adaptive
/// filter, optionally Adam7-interlaced, so the tests can produce every PNG variant the decoder
/// in `Imaging` must read. Test-only: the service decodes PNG but never writes one.
public enum PNGEncoder {
    /// How each row's filter is chosen.
    public enum FilterStrategy: Equatable, Sendable {
        /// The same filter on every row.
        case fixed(PNGFilter)
        /// Per row, the filter with the smallest sum of absolute signed bytes (the PNG spec's
        /// recommended heuristic, 12.8).
        case adaptive
    }

    /// The file bytes for `image`.
    ///
    /// - Throws: `Zlib.Error` if zlib itself fails (out of memory).
    public static func encode(_ image: PNGImage, filter: FilterStrategy = .adaptive, interlaced: Bool = false) throws -> [UInt8] {
        var output = ImageFormat.pngSignature
        var header = [UInt8]()
        appendUInt32(UInt32(image.width), to: &header)
        appendUInt32(UInt32(image.height), to: &header)
        header += [UInt8(image.bitDepth), image.colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        appendChunk("IHDR", header, to: &output)
        if let palette = image.palette {
            appendChunk("PLTE", palette.flatMap { [$0.red, $0.green, $0.blue] }, to: &output)
        }
        if let transparency = image.transparency {
            appendChunk("tRNS", transparencyBytes(transparency), to: &output)
        }
        let filtered = interlaced ? filteredPasses(image, filter: filter) : filteredRows(
            image.data, width: image.width, height: image.height, image: image, filter: filter)
        appendChunk("IDAT", try Zlib.deflate(filtered, format: .zlib, level: 6), to: &output)
        appendChunk("IEND", [], to: &output)
        return output
    }

    /// An 8-bit grayscale PNG of `pixels` (`height` rows of `width` bytes, 0 black, 255 white).
    public static func encodeGray8(width: Int, height: Int, pixels: [UInt8]) throws -> [UInt8] {
        try encode(PNGImage(width: width, height: height, colorType: .gray, bitDepth: 8,
                            samples: pixels.map(UInt16.init)))
    }

    public static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        output += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// Appends length, type, data and the CRC over type and data.
    public static func appendChunk(_ type: String, _ data: [UInt8], to output: inout [UInt8]) {
        appendUInt32(UInt32(data.count), to: &output)
        let typeAndData = Array(type.utf8) + data
        output += typeAndData
        appendUInt32(Zlib.crc32(typeAndData), to: &output)
    }

    private static func transparencyBytes(_ transparency: PNGTransparency) -> [UInt8] {
        func twoBytes(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }
        switch transparency {
        case .grayKey(let gray): return twoBytes(gray)
        case .rgbKey(let red, let green, let blue): return twoBytes(red) + twoBytes(green) + twoBytes(blue)
        case .paletteAlpha(let alphas): return alphas
        }
    }

    /// Each packed row of `rows` preceded by its filter byte and filtered.
    private static func filteredRows(_ rows: [UInt8], width: Int, height: Int, image: PNGImage, filter: FilterStrategy) -> [UInt8] {
        let rowBytes = PNGImage.rowBytes(width: width, colorType: image.colorType, bitDepth: image.bitDepth)
        let stride = max(1, image.colorType.channels * image.bitDepth / 8)
        var output = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        rows.withUnsafeBufferPointer { rows in
            output.withUnsafeMutableBufferPointer { output in
                candidate.withUnsafeMutableBufferPointer { candidate in
                    guard let rowBase = rows.baseAddress, let outputBase = output.baseAddress else { return }
                    for row in 0..<height {
                        let input = rowBase + row * rowBytes
                        let previous = row == 0 ? nil : rowBase + (row - 1) * rowBytes
                        let line = outputBase + row * (rowBytes + 1)
                        let choices: [PNGFilter]
                        if case .fixed(let chosen) = filter { choices = [chosen] } else { choices = PNGFilter.allCases }
                        var bestCost = Int.max
                        for choice in choices {
                            filterRow(choice, input: input, previous: previous,
                                      output: candidate.baseAddress!, count: rowBytes, bpp: stride)
                            let cost = choices.count == 1 ? 0 : candidate.reduce(0) { $0 + abs(Int(Int8(bitPattern: $1))) }
                            if cost < bestCost {
                                bestCost = cost
                                line[0] = choice.rawValue
                                (line + 1).update(from: candidate.baseAddress!, count: rowBytes)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The seven Adam7 passes, each extracted as its own small image and filtered.
    private static func filteredPasses(_ image: PNGImage, filter: FilterStrategy) -> [UInt8] {
        let bitsPerPixel = image.colorType.channels * image.bitDepth
        let rowBytes = image.rowBytes
        var output = [UInt8]()
        for pass in PNGInterlace.adam7 {
            let passWidth = pass.width(of: image.width), passHeight = pass.height(of: image.height)
            guard passWidth > 0 && passHeight > 0 else { continue }
            let passRowBytes = PNGImage.rowBytes(width: passWidth, colorType: image.colorType, bitDepth: image.bitDepth)
            var passRows = [UInt8](repeating: 0, count: passRowBytes * passHeight)
            image.data.withUnsafeBufferPointer { source in
                passRows.withUnsafeMutableBufferPointer { destination in
                    for passY in 0..<passHeight {
                        let sourceRow = source.baseAddress! + (pass.yStart + passY * pass.yStep) * rowBytes
                        let destinationRow = destination.baseAddress! + passY * passRowBytes
                        for passX in 0..<passWidth {
                            PNGInterlace.copyPixel(from: sourceRow, pass.xStart + passX * pass.xStep,
                                                   to: destinationRow, passX, bitsPerPixel: bitsPerPixel)
                        }
                    }
                }
            }
            output += filteredRows(passRows, width: passWidth, height: passHeight, image: image, filter: filter)
        }
        return output
    }

    /// Applies `filter` to the raw row `input` (with raw `previous`, nil on a first row): the
    /// inverse of the decoder's unfiltering, spec 9.2.
    private static func filterRow(_ filter: PNGFilter, input: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>?,
                                  output: UnsafeMutablePointer<UInt8>, count: Int, bpp: Int) {
        for i in 0..<count {
            let left = i >= bpp ? input[i - bpp] : 0
            let above = previous?[i] ?? 0
            let upperLeft = (i >= bpp ? previous?[i - bpp] : nil) ?? 0
            let prediction: UInt8
            switch filter {
            case .none: prediction = 0
            case .sub: prediction = left
            case .up: prediction = above
            case .average: prediction = UInt8((Int(left) + Int(above)) >> 1)
            case .paeth: prediction = PNGFilter.paethPredictor(left, above, upperLeft)
            }
            output[i] = input[i] &- prediction
        }
    }
}
