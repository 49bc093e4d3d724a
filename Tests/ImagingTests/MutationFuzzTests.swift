import Testing
import Zlib
@testable import Imaging
import TestSupport

/// Seeded mutation fuzzing inside the suite (SQLite's fuzzcheck idea, on the fly): thousands of
/// damaged variants of valid files, each of which must end in a value or a thrown `ImageError`.
/// A trap or a hang fails the run; the seeds make every failure reproducible.
@Suite struct MutationFuzzTests {
    /// Random damage: bit flips, byte overwrites with boundary values, insertions, deletions,
    /// truncation and duplicated ranges.
    struct Mutator {
        var generator: SplitMix64

        static let interesting: [UInt8] = [0, 1, 2, 7, 8, 15, 16, 0x7F, 0x80, 0xFE, 0xFF, 0x20, 0x0A, 0x23, 0x3D]

        mutating func mutate(_ input: [UInt8]) -> [UInt8] {
            var bytes = input
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<7, using: &generator) {
                case 0: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                case 1: bytes[index] = Self.interesting.randomElement(using: &generator)!
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                case 3: bytes.remove(at: index)
                case 4: bytes.removeSubrange(index...)
                case 5:
                    let end = min(bytes.count, index + Int.random(in: 1...16, using: &generator))
                    bytes.insert(contentsOf: bytes[index..<end], at: Int.random(in: 0...bytes.count, using: &generator))
                default: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            return bytes
        }
    }

    /// Runs `body` on `count` mutants of each seed; any error other than `ImageError` is recorded.
    func fuzz(_ seeds: [[UInt8]], count: Int, seed: UInt64, transform: (inout [UInt8]) -> Void = { _ in },
              _ body: ([UInt8]) throws -> Void) {
        var mutator = Mutator(generator: SplitMix64(seed: seed))
        var outcomes = (values: 0, errors: 0)
        for iteration in 0..<count {
            var input = mutator.mutate(seeds[iteration % seeds.count])
            transform(&input)
            do {
                try body(input)
                outcomes.values += 1
            } catch is ImageError {
                outcomes.errors += 1
            } catch {
                Issue.record("mutant \(iteration) of seed \(seed) threw \(error), not an ImageError")
            }
        }
        #expect(outcomes.values + outcomes.errors == count)
    }

    /// Decodes, then normalizes whatever decoded, so the normalizer sees odd images too.
    static func decodeAndNormalize(_ bytes: [UInt8], format: ImageFormat?) throws {
        let decoded = try ImageDecoder.decode(bytes, format: format, limits: DecodeLimits(maxWidth: 512, maxHeight: 512))
        let sample = try MNISTNormalizer().normalize(decoded)
        #expect(sample.pixels.count == 784 && sample.pixels.allSatisfy { (0...1).contains($0) })
    }

    static let pngSeeds: [[UInt8]] = [
        (PNGColorType.palette, 2, true, true), (.rgba, 16, false, false), (.gray, 1, true, false),
        (.rgb, 8, false, true), (.grayAlpha, 8, true, false), (.gray, 16, false, true),
    ].enumerated().map { index, variant in
        let image = TestImages.randomPNG(variant.0, bitDepth: variant.1, width: 9 + index, height: 7, seed: UInt64(index),
                                         withTransparency: variant.3)
        return try! PNGEncoder.encode(image, filter: .fixed(PNGFilter(rawValue: UInt8(index % 5))!), interlaced: variant.2)
    } + [KnownFiles.adwaitaZoomIn, KnownFiles.gvim4Bit, KnownFiles.httplib2OneBitInterlaced]

    /// Recomputes every chunk's CRC so mutants get past the CRC check into the deeper code.
    static func repairCRCs(_ bytes: inout [UInt8]) {
        var position = 8
        while position + 12 <= bytes.count {
            let length = Int(PNGDecoder.readUInt32(bytes, position))
            guard length <= bytes.count - position - 12 else { return }
            let crc = Zlib.crc32(bytes[(position + 4)..<(position + 8 + length)])
            for byte in 0..<4 { bytes[position + 8 + length + byte] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(byte))) }
            position += 12 + length
        }
    }

    /// Raw damage: most mutants die at the signature or a CRC.
    @Test func pngRawMutations() {
        fuzz(Self.pngSeeds, count: 2000, seed: 1) { try Self.decodeAndNormalize($0, format: .png) }
    }

    /// Damage with CRCs repaired: reaches IHDR validation, chunk ordering, PLTE/tRNS and inflate.
    @Test func pngMutationsWithValidCRCs() {
        fuzz(Self.pngSeeds, count: 2000, seed: 2, transform: Self.repairCRCs) { try Self.decodeAndNormalize($0, format: nil) }
    }

    /// Damage to the inflated scanlines, recompressed: reaches filter reconstruction, Adam7
    /// scatter, data-size checks and palette index checks.
    @Test func pngScanlineMutations() throws {
        var mutator = Mutator(generator: SplitMix64(seed: 3))
        var outcomes = 0
        for iteration in 0..<2000 {
            let file = Self.pngSeeds[iteration % Self.pngSeeds.count]
            let chunks = TestImages.chunkOffsets(file)
            let idat = chunks.first { $0.type == "IDAT" }!
            let scanlines = try Zlib.inflate(Array(file[(idat.start + 8)..<(idat.start + 8 + idat.length)]), format: .zlib)
            var mutant = Array(file[..<idat.start])
            PNGEncoder.appendChunk("IDAT", try Zlib.deflate(mutator.mutate(scanlines), format: .zlib), to: &mutant)
            mutant += file[(idat.start + 12 + idat.length)...]
            do {
                try Self.decodeAndNormalize(mutant, format: .png)
            } catch let error as ImageError {
                #expect(error.kind != .unsupported, "\(error)")
            }
            outcomes += 1
        }
        #expect(outcomes == 2000)
    }

    /// JPEGs written by libjpeg-turbo's encoder (Pillow): gray, RGB baseline and progressive,
    /// Adobe CMYK, restart markers, little- and big-endian EXIF.
    static let jpegSeeds: [[UInt8]] = [
        "gray-baseline.jpg", "rgb-baseline.jpg", "rgb-progressive.jpg", "cmyk-adobe.jpg", "rgb-restart.jpg",
        "orientation-5.jpg", "orientation-6-big-endian.jpg",
    ].map { try! JPEGFixtures.bytes($0) }

    /// Damage anywhere in a JPEG: markers, tables, EXIF and entropy-coded data, through
    /// libjpeg behind the shim, the EXIF walk and the photo path. `peek` agrees with `decode` on
    /// every mutant: it fails with decode's error, or it counts the pixels decode produces.
    @Test func jpegMutations() {
        fuzz(Self.jpegSeeds, count: 2000, seed: 6) { bytes in
            let limits = DecodeLimits(maxWidth: 512, maxHeight: 512)
            let header: ImageHeader
            do {
                header = try ImageDecoder.peek(bytes, format: .jpeg, limits: limits)
            } catch let peekError as ImageError {
                #expect(throws: peekError) { try ImageDecoder.decode(bytes, format: .jpeg, limits: limits) }
                throw peekError
            }
            let decoded = try ImageDecoder.decode(bytes, format: .jpeg, limits: limits)
            #expect(header.pixels == decoded.width * decoded.height)
            let sample = try MNISTNormalizer().normalize(decoded)
            #expect(sample.pixels.count == 784 && sample.pixels.allSatisfy { (0...1).contains($0) })
        }
    }

    static let pgmSeeds: [[UInt8]] = [
        PGMEncoder.encode(PGMTests.randomImage(width: 12, height: 9, maxval: 255, seed: 1), comment: "seed"),
        PGMEncoder.encode(PGMTests.randomImage(width: 5, height: 7, maxval: 1000, seed: 2)),
        PGMEncoder.encode(PGMTests.randomImage(width: 9, height: 4, maxval: 65535, seed: 3), plain: true, comment: "p2"),
        PGMEncoder.encode(PGMTests.randomImage(width: 30, height: 30, maxval: 7, seed: 4), plain: true),
    ]

    @Test func pgmMutations() {
        fuzz(Self.pgmSeeds, count: 2000, seed: 4) { try Self.decodeAndNormalize($0, format: .pgm) }
    }

    /// Base64 and data URLs, then whatever they decode to through the image pipeline.
    @Test func base64Mutations() {
        let seeds = [
            Array(("data:image/png;base64," + Base64.encode(Self.pngSeeds[0])).utf8),
            Array(Base64.encode(Self.pgmSeeds[1], urlSafe: true, padded: false).utf8),
            Array(Base64.encode([UInt8](repeating: 200, count: 784)).utf8),
        ]
        fuzz(seeds, count: 2000, seed: 5) { text in
            let payload = try Base64.decodePayload(text)
            try Self.decodeAndNormalize(payload.bytes, format: payload.mediaType.flatMap(ImageFormat.init(mediaType:)))
        }
    }

    /// Sniffing must never trap on any input, including the empty one.
    @Test func sniffingMutations() {
        fuzz(Self.pngSeeds + Self.pgmSeeds + [[UInt8](repeating: 1, count: 784)], count: 2000, seed: 6) { bytes in
            _ = ImageFormat.sniff(bytes)
            try Self.decodeAndNormalize(bytes, format: nil)
        }
    }
}
