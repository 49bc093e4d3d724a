@testable import Imaging
import Testing

/// The photo path of `normalize=auto` on synthetic photos whose right answer is known exactly.
struct PhotoNormalizationTests {
    /// A 400x300 photo: cream paper lit from the left (the right edge at 55 % of the light),
    /// a light-blue pen stroke (a "1": a vertical bar 4 px wide, 160 px tall, at x = 250 in the
    /// darker half), a dark speck far from it, and a strip of dark table along the top edge.
    static func photo(pen: (Float, Float, Float) = (90, 120, 210)) -> PhotoImage {
        let width = 400, height = 300
        var samples = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let light = 1 - 0.45 * Float(x) / Float(width)
                var colour: (Float, Float, Float) = (240, 230, 200)
                if (248..<252).contains(x) && (70..<230).contains(y) { colour = pen }
                if (40..<43).contains(x) && (250..<253).contains(y) { colour = (30, 30, 30) }
                if y < 12 { colour = (60, 50, 45) }
                let texture = Float((x * 7 + y * 13) % 11) - 5  // fixed paper grain, +-5
                let i = (y * width + x) * 3
                samples[i] = UInt8(max(0, min(255, colour.0 * light + texture)))
                samples[i + 1] = UInt8(max(0, min(255, colour.1 * light + texture)))
                samples[i + 2] = UInt8(max(0, min(255, colour.2 * light + texture)))
            }
        }
        return PhotoImage(width: width, height: height, channels: 3, samples: samples)
    }

    /// The ink columns and rows of a normalized sample (values above 0.3).
    static func inkExtent(_ sample: MNISTSample) -> (columns: ClosedRange<Int>, rows: ClosedRange<Int>)? {
        var columns: [Int] = [], rows: [Int] = []
        for y in 0..<28 {
            for x in 0..<28 where sample.pixels[y * 28 + x] > 0.3 { columns.append(x); rows.append(y) }
        }
        guard let minX = columns.min(), let maxX = columns.max(), let minY = rows.min(), let maxY = rows.max() else { return nil }
        return (minX...maxX, minY...maxY)
    }

    /// Only the stroke survives (not the speck, the table strip or the shading), framed
    /// MNIST-style: 20 px tall, a few px wide (grown from 4/160 of its height), centred.
    @Test func strokeKeptSpecksAndEdgesDropped() throws {
        let sample = try MNISTNormalizer().normalize(.photo(Self.photo()))
        let extent = try #require(Self.inkExtent(sample))
        #expect(extent.rows.count >= 19 && extent.rows.count <= 21, "rows \(extent.rows)")
        #expect(extent.columns.count >= 2 && extent.columns.count <= 4, "columns \(extent.columns)")
        #expect(extent.columns.contains(13) || extent.columns.contains(14), "centred: \(extent.columns)")
        let centre = try #require(MNISTNormalizer.centreOfMass(GrayImage(width: 28, height: 28, pixels: sample.pixels)))
        #expect(abs(centre.x - 14) <= 1 && abs(centre.y - 14) <= 1)
    }

    /// The stroke is grown towards MNIST's width (a tenth of the digit), not left a hairline.
    @Test func thinStrokesAreGrown() throws {
        let sample = try MNISTNormalizer().normalize(.photo(Self.photo()))
        let row = Array(sample.pixels[(14 * 28)..<(15 * 28)])
        #expect(row.filter { $0 > 0.5 }.count >= 2, "middle row: \(row.map { Int($0 * 9) })")
        #expect(row.max()! > 0.75)
    }

    /// A pen that absorbs in only some channels (a light red, its red channel as bright as the
    /// paper's) is found through the channels where it does.
    @Test func inkFoundByColourNotLuminance() throws {
        let sample = try MNISTNormalizer().normalize(.photo(Self.photo(pen: (235, 100, 90))))
        let extent = try #require(Self.inkExtent(sample))
        #expect(extent.rows.count >= 19 && extent.columns.count <= 4, "\(extent)")
    }

    /// Paper with nothing on it (light, grain and the table strip only) has no ink.
    @Test func blankPaperHasNoInk() throws {
        var photo = Self.photo(pen: (240, 230, 200))
        var samples = photo.samples
        for y in 250..<253 { for x in 40..<43 { for c in 0..<3 { samples[(y * 400 + x) * 3 + c] = 200 } } }
        photo = PhotoImage(width: 400, height: 300, channels: 3, samples: samples)
        #expect(throws: ImageError.self) { try MNISTNormalizer().normalize(.photo(photo)) }
    }

    /// A lit page under a linear lighting gradient with a thin pen line far under 1 % of its
    /// pixels: the two tails of its histogram are equal, and it is still a photo of paper
    /// (a thin 1 on a strongly shaded 12 MP photo was read as a blank scan), and is read.
    @Test func shadedPageWithAThinLineIsAPhoto() throws {
        let width = 400, height = 300
        var samples = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { samples[y * width + x] = UInt8(242 - 128 * x / (width - 1)) }
        }
        let shaded = PhotoImage(width: width, height: height, channels: 1, samples: samples)
        #expect(MNISTNormalizer.isPhotoOfPaper(shaded.grayImage()))
        for y in 120..<170 { for x in 180..<182 { samples[y * width + x + (y - 120) / 10] = 60 } }
        let sample = try MNISTNormalizer().normalize(.photo(PhotoImage(width: width, height: height, channels: 1, samples: samples)))
        let extent = try #require(Self.inkExtent(sample))
        #expect(extent.rows.count >= 19 && extent.columns.count <= 8, "a slanted 1: \(extent)")
    }

    /// A JPEG that is an MNIST digit (white on black) takes the scan path and gives the same
    /// sample as the same pixels as luminance.
    @Test func lightOnDarkTakesTheScanPath() throws {
        var samples = [UInt8](repeating: 0, count: 100 * 100)
        for y in 20..<80 { for x in 45..<55 { samples[y * 100 + x] = 255 } }
        let photo = PhotoImage(width: 100, height: 100, channels: 1, samples: samples)
        #expect(!MNISTNormalizer.isPhotoOfPaper(photo.grayImage()))
        #expect(try MNISTNormalizer().normalize(.photo(photo)) == MNISTNormalizer().normalize(.luminance(photo.grayImage())))
    }
}
