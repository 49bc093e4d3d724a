/// Brings any decoded image into MNIST form the way MNIST itself was made (LeCun et al.: the
/// NIST digits were size-normalized into a 20x20 box keeping their aspect ratio, anti-aliased,
/// then centred by centre of mass in a 28x28 field).
///
/// `.auto` (the default):
/// 1. 784 raw bytes are MNIST-ready by contract and pass through untouched.
/// 2. A 28x28 image that already looks like an MNIST digit passes through unchanged, values as
///    stored (bright ink = 1). It looks like one when its background is black (median ≤ 0.05 and
///    the one-pixel border's mean ≤ 0.05), it has ink (maximum ≥ 0.5), and its centre of mass
///    is within 2 px of (14, 14) on both axes.
/// 3. Anything else: polarity detection (the median of the one-pixel border is the paper; paper
///    brighter than the image's mean means dark ink on light paper, which is inverted);
///    background subtraction and contrast stretch (paper → 0, the strongest ink → 1, values
///    below 0.05 → 0 so paper noise is exactly 0); the bounding box of pixels above 0.15
///    (a faint speck or anti-aliasing halo does not widen it); area-averaged scaling so the
///    longer side is 20 px (`GrayImage.resampled`); and an integer shift that puts the centre of
///    mass at (14, 14) — pixel-index coordinates, as MNIST-style preprocessing scripts compute
///    it with `scipy.ndimage.center_of_mass` — clamped so the digit stays inside the field.
///    An integer shift keeps the values exact and lands within 0.5 px.
///
/// A JPEG (`DecodedImage.photo`) is read as a photo of paper, dark marks on a lighter page, by
/// the steps in `MNISTNormalizer+Photo.swift` (paper estimate under uneven light, ink by
/// colour, specks and edges dropped, strokes grown to MNIST's width) before the same framing;
/// a JPEG that looks like an MNIST digit or has light strokes on dark takes rules 2 and 3.
///
/// `.off`: no processing. The image must be 28x28; its values are taken as stored, bright = ink
/// (the MNIST convention of digits exported from the dataset), without polarity detection:
/// whoever turns normalization off is saying the image is already in MNIST form.
public struct MNISTNormalizer: Sendable {
    /// What `?normalize=` selects.
    public enum Mode: String, Equatable, Sendable, CaseIterable {
        case auto
        case off
    }

    /// The side of MNIST's field.
    public static let side = 28
    /// The side of the box the digit is scaled into.
    public static let boxSide = 20

    public var mode: Mode

    public init(mode: Mode = .auto) {
        self.mode = mode
    }

    /// Paper and ink must differ by at least this much after polarity detection, or the image
    /// is blank.
    static let minimumContrast: Float = 0.08
    /// Stretched values below this are paper noise and become 0.
    static let noiseFloor: Float = 0.05
    /// Pixels above this count towards the ink's bounding box.
    static let boundingBoxThreshold: Float = 0.15

    /// - Throws: `ImageError` (`.unusable`): "image has no ink" for a blank image; in `.off` mode
    ///   a size other than 28x28.
    public func normalize(_ image: DecodedImage) throws -> MNISTSample {
        switch image {
        case .mnistReady(let bytes):
            return MNISTSample(pixels: MNISTSample.pixels(fromBytes: bytes))
        case .luminance(let gray):
            switch mode {
            case .off:
                guard gray.width == Self.side && gray.height == Self.side else {
                    throw ImageError.unusable("normalize=off needs a 28x28 image, got \(gray.width)x\(gray.height)")
                }
                return MNISTSample(pixels: gray.pixels)
            case .auto:
                if Self.looksLikeMNIST(gray) { return MNISTSample(pixels: gray.pixels) }
                return try Self.normalizeFully(gray)
            }
        case .photo(let photo):
            let gray = photo.grayImage()
            switch mode {
            case .off:
                return try normalize(.luminance(gray))
            case .auto:
                if Self.looksLikeMNIST(gray) { return MNISTSample(pixels: gray.pixels) }
                if !Self.isPhotoOfPaper(gray) { return try Self.normalizeFully(gray) }
                let ink = try Self.photoInk(photo)
                return try Self.framed(ink, ink: ink.levels)
            }
        }
    }

    /// Rule 2 of `.auto`: a 28x28 image with a black background, bright ink and a centred mass.
    static func looksLikeMNIST(_ image: GrayImage) -> Bool {
        guard image.width == side && image.height == side else { return false }
        let pixels = image.pixels
        let border = borderPixels(image)
        let borderMean = border.reduce(0, +) / Float(border.count)
        let brightest = pixels.max() ?? 0
        guard median(pixels) <= 0.05, borderMean <= 0.05, brightest >= 0.5,
              let centre = centreOfMass(image) else { return false }
        return abs(centre.x - 14) <= 2 && abs(centre.y - 14) <= 2
    }

    /// Rule 3 of `.auto`. The ink image is never built: it is the image's own codes read
    /// through a second level table (`inkLevels`), so the only full-size buffer is the decoded
    /// image's one byte per pixel.
    static func normalizeFully(_ image: GrayImage) throws -> MNISTSample {
        try framed(image, ink: inkLevels(image))
    }

    /// The ink of `image` (its codes read through `ink`: 0 paper, 1 ink) framed MNIST-style:
    /// bounding box, longer side scaled to 20 px, centre of mass at (14, 14).
    static func framed(_ image: GrayImage, ink: [Float]) throws -> MNISTSample {
        guard let box = boundingBox(image, levels: ink) else { throw ImageError.unusable("image has no ink") }
        let scale = Double(boxSide) / Double(max(box.width, box.height))
        func scaledSide(_ length: Int) -> Int { max(1, min(boxSide, Int((Double(length) * scale).rounded()))) }
        let scaled = image.resampled(region: box, levels: ink, width: scaledSide(box.width), height: scaledSide(box.height))
        guard let centre = centreOfMass(scaled) else { throw ImageError.unusable("image has no ink") }
        let offsetX = min(max(Int((14 - centre.x).rounded()), 0), side - scaled.width)
        let offsetY = min(max(Int((14 - centre.y).rounded()), 0), side - scaled.height)
        var field = [Float](repeating: 0, count: side * side)
        for y in 0..<scaled.height {
            for x in 0..<scaled.width {
                field[(offsetY + y) * side + offsetX + x] = min(scaled[x, y], 1)
            }
        }
        return MNISTSample(pixels: field)
    }

    /// The level table of the polarity-corrected, background-subtracted, contrast-stretched
    /// ink (0...1) of each code of `image`.
    static func inkLevels(_ image: GrayImage) throws -> [Float] {
        let paperLuminance = median(borderPixels(image))
        var sum: Float = 0
        var used = [Bool](repeating: false, count: 256)
        image.codes.withUnsafeBufferPointer { codes in
            image.levels.withUnsafeBufferPointer { levels in
                // In pixel order, so the Float sum rounds exactly as summing the pixels would.
                for code in codes {
                    sum += levels[Int(code)]
                    used[Int(code)] = true
                }
            }
        }
        let mean = sum / Float(image.codes.count)
        let present = (0..<256).filter { used[$0] }.map { image.levels[$0] }
        let darkInk = paperLuminance > mean
        let paper = darkInk ? 1 - paperLuminance : paperLuminance
        let strongest = darkInk ? 1 - (present.min() ?? 1) : (present.max() ?? 0)
        guard strongest - paper >= minimumContrast else { throw ImageError.unusable("image has no ink") }
        let gain = 1 / (strongest - paper)
        return image.levels.map { luminance -> Float in
            let stretched = ((darkInk ? 1 - luminance : luminance) - paper) * gain
            return stretched < noiseFloor ? 0 : min(stretched, 1)
        }
    }

    /// The smallest rectangle holding every pixel whose ink (`levels[code]`) is above
    /// `boundingBoxThreshold`; nil if none is.
    static func boundingBox(_ image: GrayImage, levels: [Float]) -> GrayImage.Region? {
        let inked = levels.map { $0 > boundingBoxThreshold }
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        image.codes.withUnsafeBufferPointer { codes in
            for y in 0..<image.height {
                let row = codes.baseAddress! + y * image.width
                for x in 0..<image.width where inked[Int(row[x])] {
                    minX = min(minX, x); maxX = max(maxX, x)
                    minY = min(minY, y); maxY = max(maxY, y)
                }
            }
        }
        guard maxX >= 0 else { return nil }
        return GrayImage.Region(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// The intensity-weighted mean pixel position, in pixel-index coordinates; nil for an
    /// all-zero image.
    public static func centreOfMass<Grid: PixelGrid>(_ image: Grid) -> (x: Float, y: Float)? {
        var total: Float = 0, sumX: Float = 0, sumY: Float = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let value = image[x, y]
                total += value
                sumX += value * Float(x)
                sumY += value * Float(y)
            }
        }
        return total > 0 ? (sumX / total, sumY / total) : nil
    }

    /// The outermost ring of pixels.
    static func borderPixels(_ image: GrayImage) -> [Float] {
        if image.width <= 2 || image.height <= 2 { return image.pixels }
        var border = (0..<image.width).map { image[$0, 0] }
        border += (0..<image.width).map { image[$0, image.height - 1] }
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
