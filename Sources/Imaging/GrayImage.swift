/// A grayscale image as the normalizer consumes it: one byte per pixel.
///
/// Each pixel is a `code` and its luminance is `levels[code]`, in 0...1, 0 black and 1 white,
/// after any alpha has been composited onto white paper (a transparent canvas with black
/// strokes reads as black ink on white paper, which is how it looks to the person who drew it).
///
/// A byte per pixel rather than a `Float` keeps the one large buffer of a request at a quarter
/// of the size (a 4096x4096 image is 16 MiB, not 64), while the level table keeps the values
/// exact: 8-bit gray, palette images and PGMs up to maxval 255 map samples to codes directly,
/// and any other image (RGB, alpha, 16-bit) gets a table of the distinct luminances it holds
/// — a drawing has far fewer than 256. Only an image with more than 256 distinct luminances
/// (a photograph, a 16-bit gradient) is rounded, to the nearest 1/255.
public struct GrayImage: Sendable, PixelGrid {
    public let width: Int
    public let height: Int
    /// `height` rows of `width` codes.
    public let codes: [UInt8]
    /// 256 luminances; `levels[code]` is a pixel's value (codes no pixel uses map to 0).
    public let levels: [Float]

    public init(width: Int, height: Int, codes: [UInt8], levels: [Float]) {
        precondition(width >= 0 && height >= 0 && codes.count == width * height, "GrayImage needs width*height codes")
        precondition(levels.count == 256, "GrayImage needs 256 levels")
        self.width = width
        self.height = height
        self.codes = codes
        self.levels = levels
    }

    /// The image of these luminances: exact when they take at most 256 distinct values,
    /// otherwise each rounded to the nearest 1/255.
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height, "GrayImage needs width*height pixels")
        self = Self.build(width: width, height: height) { y, row in
            for x in 0..<width { row[x] = pixels[y * width + x] }
        }
    }

    /// Builds an image row by row from luminances that `fill` writes for row `y` (it may be
    /// called again for a row if the image turns out to have more than 256 distinct values).
    static func build(width: Int, height: Int, fill: (_ y: Int, _ row: UnsafeMutableBufferPointer<Float>) -> Void) -> GrayImage {
        var row = [Float](repeating: 0, count: width)
        var codes = [UInt8](repeating: 0, count: width * height)
        var palette = LevelPalette()
        var exact = true
        row.withUnsafeMutableBufferPointer { row in
            codes.withUnsafeMutableBufferPointer { codes in
                rows: for y in 0..<height {
                    fill(y, row)
                    for x in 0..<width {
                        guard let code = palette.code(for: row[x]) else { exact = false; break rows }
                        codes[y * width + x] = code
                    }
                }
                if !exact {
                    for y in 0..<height {
                        fill(y, row)
                        for x in 0..<width { codes[y * width + x] = LevelPalette.quantized(row[x]) }
                    }
                }
            }
        }
        return GrayImage(width: width, height: height, codes: codes, levels: exact ? palette.table : LevelPalette.uniform)
    }

    /// The luminances, one `Float` per pixel (four bytes each: for small images and tests).
    public var pixels: [Float] { codes.map { levels[Int($0)] } }

    /// The luminance at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Float {
        levels[Int(codes[y * width + x])]
    }

    /// ITU-R BT.601 luma from linear-coded RGB in 0...1 (the weights MNIST-era tools and PIL's
    /// `convert("L")` use).
    @inline(__always)
    public static func luma(red: Float, green: Float, blue: Float) -> Float {
        0.299 * red + 0.587 * green + 0.114 * blue
    }

    /// Composites a luminance with coverage `alpha` (0 transparent, 1 opaque) onto white paper.
    @inline(__always)
    public static func onWhitePaper(_ luminance: Float, alpha: Float) -> Float {
        luminance * alpha + (1 - alpha)
    }

    /// The picture as it is meant to be seen, for an image that carried an EXIF orientation:
    /// its codes moved, its level table kept, so turning costs one byte per pixel.
    public func oriented(_ orientation: ExifOrientation) -> GrayImage {
        let turned = orientation.apply(to: codes, width: width, height: height, channels: 1)
        return GrayImage(width: turned.width, height: turned.height, codes: turned.samples, levels: levels)
    }
}

extension GrayImage: Equatable {
    /// Images are equal when they have the same size and the same luminance at every pixel,
    /// however the codes are assigned.
    public static func == (lhs: GrayImage, rhs: GrayImage) -> Bool {
        guard lhs.width == rhs.width && lhs.height == rhs.height else { return false }
        return zip(lhs.codes, rhs.codes).allSatisfy { lhs.levels[Int($0)] == rhs.levels[Int($1)] }
    }
}

/// A 2-D grid of luminances, what `MNISTNormalizer.centreOfMass` reads.
public protocol PixelGrid {
    var width: Int { get }
    var height: Int { get }
    subscript(x: Int, y: Int) -> Float { get }
}

/// An image of exact `Float` values: what resampling produces (a 20x20 scaled digit can hold
/// more than 256 distinct values, so it is not a `GrayImage`).
public struct FloatImage: Equatable, Sendable, PixelGrid {
    public let width: Int
    public let height: Int
    /// `height` rows of `width` values.
    public let pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height, "FloatImage needs width*height pixels")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> Float {
        pixels[y * width + x]
    }
}

/// Assigns codes to distinct luminances in order of first appearance, up to 256 of them.
struct LevelPalette {
    private(set) var levels: [Float] = []
    /// Open addressing over the bit patterns: an index into `levels`, or -1 for an empty slot.
    private var slots = [Int16](repeating: -1, count: 1024)
    /// Runs of one value (paper, solid ink) skip the hash.
    private var lastBits: UInt32?
    private var lastCode: UInt8 = 0

    /// The code for `value`, or nil when it would be the 257th distinct value.
    @inline(__always)
    mutating func code(for value: Float) -> UInt8? {
        let bits = value.bitPattern
        if bits == lastBits { return lastCode }
        var slot = Int((bits &* 2_654_435_761) >> 22)
        while true {
            let entry = slots[slot]
            if entry < 0 {
                guard levels.count < 256 else { return nil }
                slots[slot] = Int16(levels.count)
                levels.append(value)
                break
            }
            if levels[Int(entry)].bitPattern == bits { break }
            slot = (slot + 1) & 1023
        }
        lastBits = bits
        lastCode = UInt8(slots[slot])
        return lastCode
    }

    /// The levels, padded with zeros to 256 entries.
    var table: [Float] { levels + [Float](repeating: 0, count: 256 - levels.count) }

    /// `i / 255` for each code `i`: the table of a rounded image.
    static let uniform: [Float] = (0..<256).map { Float($0) / 255 }

    /// The nearest of the uniform levels.
    @inline(__always)
    static func quantized(_ value: Float) -> UInt8 {
        UInt8((min(max(value, 0), 1) * 255).rounded())
    }
}
