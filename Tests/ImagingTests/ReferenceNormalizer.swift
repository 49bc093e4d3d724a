@testable import Imaging

/// The normalizer as it was before images were decoded to one byte per pixel (commit 28e6a71):
/// every step on full-size `Float` copies. Kept as the reference that the byte-per-pixel
/// pipeline must match bit for bit on every image with at most 256 distinct luminances.
enum ReferenceNormalizer {
    struct Image {
        let width: Int
        let height: Int
        let pixels: [Float]
        subscript(x: Int, y: Int) -> Float { pixels[y * width + x] }
    }

    static func normalize(_ image: Image) throws -> [Float] {
        if looksLikeMNIST(image) { return image.pixels }
        let ink = try inkImage(image)
        guard let box = boundingBox(ink) else { throw ImageError.unusable("image has no ink") }
        var croppedPixels = [Float]()
        for row in box.y..<(box.y + box.height) {
            let rowStart = row * ink.width + box.x
            croppedPixels += ink.pixels[rowStart..<(rowStart + box.width)]
        }
        let cropped = Image(width: box.width, height: box.height, pixels: croppedPixels)
        let scale = Double(20) / Double(max(box.width, box.height))
        func scaledSide(_ length: Int) -> Int { max(1, min(20, Int((Double(length) * scale).rounded()))) }
        let scaled = resampled(cropped, width: scaledSide(box.width), height: scaledSide(box.height))
        guard let centre = centreOfMass(scaled) else { throw ImageError.unusable("image has no ink") }
        let offsetX = min(max(Int((14 - centre.x).rounded()), 0), 28 - scaled.width)
        let offsetY = min(max(Int((14 - centre.y).rounded()), 0), 28 - scaled.height)
        var field = [Float](repeating: 0, count: 784)
        for y in 0..<scaled.height {
            for x in 0..<scaled.width { field[(offsetY + y) * 28 + offsetX + x] = min(scaled[x, y], 1) }
        }
        return field
    }

    static func looksLikeMNIST(_ image: Image) -> Bool {
        guard image.width == 28 && image.height == 28 else { return false }
        let border = borderPixels(image)
        let borderMean = border.reduce(0, +) / Float(border.count)
        guard median(image.pixels) <= 0.05, borderMean <= 0.05, (image.pixels.max() ?? 0) >= 0.5,
              let centre = centreOfMass(image) else { return false }
        return abs(centre.x - 14) <= 2 && abs(centre.y - 14) <= 2
    }

    static func inkImage(_ image: Image) throws -> Image {
        let paperLuminance = median(borderPixels(image))
        let mean = image.pixels.reduce(0, +) / Float(image.pixels.count)
        let darkInk = paperLuminance > mean
        let paper = darkInk ? 1 - paperLuminance : paperLuminance
        let strongest = darkInk ? 1 - (image.pixels.min() ?? 1) : (image.pixels.max() ?? 0)
        guard strongest - paper >= 0.08 else { throw ImageError.unusable("image has no ink") }
        let gain = 1 / (strongest - paper)
        return Image(width: image.width, height: image.height, pixels: image.pixels.map { luminance in
            let stretched = ((darkInk ? 1 - luminance : luminance) - paper) * gain
            return stretched < 0.05 ? 0 : min(stretched, 1)
        })
    }

    static func boundingBox(_ image: Image) -> (x: Int, y: Int, width: Int, height: Int)? {
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        for y in 0..<image.height {
            for x in 0..<image.width where image[x, y] > 0.15 {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return (minX, minY, maxX - minX + 1, maxY - minY + 1)
    }

    static func resampled(_ image: Image, width newWidth: Int, height newHeight: Int) -> Image {
        let horizontal = GrayImage.footprints(from: image.width, to: newWidth)
        let vertical = GrayImage.footprints(from: image.height, to: newHeight)
        var rows = [Float](repeating: 0, count: newWidth * image.height)
        for y in 0..<image.height {
            for (x, taps) in horizontal.enumerated() {
                var sum: Float = 0
                for tap in taps { sum += image.pixels[y * image.width + tap.index] * tap.weight }
                rows[y * newWidth + x] = sum
            }
        }
        var result = [Float](repeating: 0, count: newWidth * newHeight)
        for (y, taps) in vertical.enumerated() {
            for tap in taps {
                for x in 0..<newWidth { result[y * newWidth + x] += rows[tap.index * newWidth + x] * tap.weight }
            }
        }
        return Image(width: newWidth, height: newHeight, pixels: result)
    }

    static func centreOfMass(_ image: Image) -> (x: Float, y: Float)? {
        var total: Float = 0, sumX: Float = 0, sumY: Float = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                total += image[x, y]
                sumX += image[x, y] * Float(x)
                sumY += image[x, y] * Float(y)
            }
        }
        return total > 0 ? (sumX / total, sumY / total) : nil
    }

    static func borderPixels(_ image: Image) -> [Float] {
        if image.width <= 2 || image.height <= 2 { return image.pixels }
        var border = Array(image.pixels[0..<image.width])
        border += image.pixels[((image.height - 1) * image.width)..<(image.height * image.width)]
        for y in 1..<(image.height - 1) {
            border.append(image[0, y])
            border.append(image[image.width - 1, y])
        }
        return border
    }

    static func median(_ values: [Float]) -> Float {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
