import Imaging

/// Writes netpbm graymaps, binary (P5) or plain (P2), for the tests of the PGM decoder in
/// `Imaging` (the service reads PGM but never writes one).
public enum PGMEncoder {
    /// The file bytes for `image`.
    ///
    /// - Parameters:
    ///   - plain: P2 (ASCII samples, lines of at most 70 characters as pgm(5) asks) instead of P5.
    ///   - comment: written as a `#` line after the magic; line breaks in it are replaced by spaces.
    public static func encode(_ image: PGMImage, plain: Bool = false, comment: String? = nil) -> [UInt8] {
        var header = plain ? "P2\n" : "P5\n"
        if let comment {
            header += "# " + comment.map { $0 == "\n" || $0 == "\r" ? " " : $0 } + "\n"
        }
        header += "\(image.width) \(image.height)\n\(image.maxval)\n"
        var output = Array(header.utf8)
        if plain {
            appendPlainRaster(image, to: &output)
        } else if image.maxval > 255 {
            output.reserveCapacity(output.count + 2 * image.samples.count)
            for sample in image.samples {
                output.append(UInt8(sample >> 8))
                output.append(UInt8(truncatingIfNeeded: sample))
            }
        } else {
            output.reserveCapacity(output.count + image.samples.count)
            for sample in image.samples { output.append(UInt8(truncatingIfNeeded: sample)) }
        }
        return output
    }

    /// The samples as decimals separated by spaces, a line break after each row and before any
    /// line would pass 70 characters.
    private static func appendPlainRaster(_ image: PGMImage, to output: inout [UInt8]) {
        for row in 0..<image.height {
            var lineLength = 0
            for column in 0..<image.width {
                let digits = Array(String(image.samples[row * image.width + column]).utf8)
                if lineLength > 0 && lineLength + 1 + digits.count > 70 {
                    output.append(0x0A)
                    lineLength = 0
                } else if lineLength > 0 {
                    output.append(0x20)
                    lineLength += 1
                }
                output.append(contentsOf: digits)
                lineLength += digits.count
            }
            output.append(0x0A)
        }
    }
}
