/// libFuzzer entry for the PGM decoder, compiled into the Imaging module by `run-imaging.sh`.
///
/// Whatever decodes must survive a round trip through our encoder (P5 and P2) unchanged and
/// normalize to 784 values in 0...1. Anything but an `ImageError` is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func imagingPGMFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = DecodeLimits(maxWidth: 1024, maxHeight: 1024, maxDecompressedBytes: 4 << 20)
    let image: PGMImage
    do {
        image = try PGMDecoder.decode(bytes, limits: limits)
    } catch is ImageError {
        return 0
    } catch {
        fatalError("PGM decoder threw \(error), not an ImageError")
    }
    do {
        for plain in [false, true] {
            let decodedAgain = try PGMDecoder.decode(PGMEncoder.encode(image, plain: plain), limits: limits)
            precondition(decodedAgain == image, "PGM round trip changed the image")
        }
        let sample = try MNISTNormalizer().normalize(.luminance(image.grayImage()))
        precondition(sample.pixels.count == 784 && sample.pixels.allSatisfy { (0...1).contains($0) }, "bad normalized pixels")
    } catch let error as ImageError {
        precondition(error.description == "image has no ink", "unexpected \(error)")
    } catch {
        fatalError("round trip threw \(error)")
    }
    return 0
}
