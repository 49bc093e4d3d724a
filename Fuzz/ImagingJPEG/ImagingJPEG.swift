/// libFuzzer entry for the JPEG path, compiled into the Imaging module by `run-imaging.sh`
/// together with the JPEGShim C file and libjpeg-turbo.
///
/// Each input is decoded as a JPEG (libjpeg behind the shim's error manager, then the EXIF walk
/// and orientation) and whatever decodes is normalized through the photo path. The same bytes
/// are also read as a bare TIFF block, as a PNG eXIf chunk would hold them. Anything but an
/// `ImageError`, a trap, an `exit()` from libjpeg or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func imagingJPEGFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = ExifReader.orientation(tiff: bytes)
    let photo: PhotoImage
    do {
        photo = try JPEGDecoder.decode(bytes, limits: fuzzLimits)
    } catch is ImageError {
        return 0
    } catch {
        fatalError("JPEG decoder threw \(error), not an ImageError")
    }
    precondition(photo.samples.count == photo.width * photo.height * photo.channels, "bad sample count")
    do {
        let sample = try MNISTNormalizer().normalize(.photo(photo))
        precondition(sample.pixels.count == 784 && sample.pixels.allSatisfy { (0...1).contains($0) }, "bad normalized pixels")
    } catch let error as ImageError {
        precondition(error.kind == .unusable, "unexpected \(error)")
    } catch {
        fatalError("normalizer threw \(error)")
    }
    return 0
}

private let fuzzLimits = DecodeLimits(maxWidth: 1024, maxHeight: 1024, maxDecompressedBytes: 4 << 20)
