import Testing
import ModelFile
import TestSupport

/// Hostile-input checks in the style of SQLite's fuzzcheck: the decoder must end every input
/// in a value or an error, never a crash.
@Suite struct SafeTensorsFuzzTests {
    /// Every truncation of a valid file is an error (a prefix can never be complete).
    @Test func everyTruncationIsAnError() {
        let bytes = sampleFile().encode()
        for cut in 0..<bytes.count {
            #expect(decodeError(Array(bytes.prefix(cut))) != nil, "cut at \(cut)")
        }
    }

    /// 2,000 seeded mutations (byte flips, inserted and deleted runs, digit changes in the
    /// header) decode to a value or an error; a decoded value re-encodes and decodes equal.
    @Test func seededMutationsNeverCrash() throws {
        let original = sampleFile().encode()
        let headerEnd = 8 + original[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        var rng = SplitMix64(seed: 0x5AFE)
        var decodedCount = 0
        for _ in 0..<2_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                mutate(&bytes, headerEnd: headerEnd, rng: &rng)
            }
            if let file = try? SafeTensorsFile.decode(bytes) {
                decodedCount += 1
                #expect(try SafeTensorsFile.decode(file.encode()) == file)
            }
        }
        // Data-only mutations leave a valid file, so some inputs must decode.
        #expect(decodedCount > 0)
    }

    private func mutate(_ bytes: inout [UInt8], headerEnd: Int, rng: inout SplitMix64) {
        guard !bytes.isEmpty else { bytes = [0]; return }
        let position = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        case 1:
            bytes[position] = UInt8.random(in: 0...255, using: &rng)
        case 2:
            bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &rng)))
        case 3:
            let interesting: [UInt8] = Array("{}[],:\"0-9e.\\ ".utf8) + [0, 0xFF, 0xC3]
            bytes.insert(interesting.randomElement(using: &rng)!, at: position)
        case 4:
            // A digit in the header: changes a shape or an offset while keeping the JSON valid.
            let digits = (8..<min(headerEnd, bytes.count)).filter { (0x30...0x39).contains(bytes[$0]) }
            if let index = digits.randomElement(using: &rng) { bytes[index] = UInt8.random(in: 0x30...0x39, using: &rng) }
        default:
            // A byte in the data buffer: must still decode, to a different value.
            if headerEnd < bytes.count { bytes[Int.random(in: headerEnd..<bytes.count, using: &rng)] &+= 1 }
        }
    }
}
