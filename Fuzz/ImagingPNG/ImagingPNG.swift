import Zlib

/// libFuzzer entry for the PNG decoder, compiled into the Imaging module by `run-imaging.sh`.
///
/// Each input is decoded twice: as given (exercising the signature and CRC checks) and with
/// every chunk's CRC recomputed, which lets mutations reach IHDR validation, inflate,
/// unfiltering and Adam7. Whatever decodes must survive the round trip through our encoder
/// unchanged and normalize to 784 values in 0...1. Anything but an `ImageError` is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func imagingPNGFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    check(withRepairedCRCs(bytes))
    return 0
}

private let fuzzLimits = DecodeLimits(maxWidth: 1024, maxHeight: 1024, maxDecompressedBytes: 4 << 20)

private func check(_ bytes: [UInt8]) {
    let image: PNGImage
    do {
        image = try PNGDecoder.decode(bytes, limits: fuzzLimits)
    } catch is ImageError {
        return
    } catch {
        fatalError("PNG decoder threw \(error), not an ImageError")
    }
    do {
        let reencoded = try PNGEncoder.encode(image, filter: .adaptive, interlaced: bytes.count % 2 == 0)
        let decodedAgain = try PNGDecoder.decode(reencoded, limits: fuzzLimits)
        precondition(decodedAgain == image, "PNG round trip changed the image")
        let sample = try MNISTNormalizer().normalize(.luminance(image.grayImage()))
        precondition(sample.pixels.count == 784 && sample.pixels.allSatisfy { (0...1).contains($0) }, "bad normalized pixels")
    } catch let error as ImageError {
        precondition(error.description == "image has no ink", "unexpected \(error)")
    } catch {
        fatalError("round trip threw \(error)")
    }
}

/// The input with each chunk's CRC recomputed (chunks that run past the end are left alone).
private func withRepairedCRCs(_ input: [UInt8]) -> [UInt8] {
    var bytes = input
    var position = 8
    while position + 12 <= bytes.count {
        let length = Int(PNGDecoder.readUInt32(bytes, position))
        guard length <= bytes.count - position - 12 else { break }
        let crc = Zlib.crc32(bytes[(position + 4)..<(position + 8 + length)])
        for byte in 0..<4 { bytes[position + 8 + length + byte] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(byte))) }
        position += 12 + length
    }
    return bytes
}
