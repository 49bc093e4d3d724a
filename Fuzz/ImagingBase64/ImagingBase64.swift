/// libFuzzer entry for base64 and data URLs, compiled into the Imaging module by `run-imaging.sh`.
///
/// Whatever decodes must re-encode (both alphabets, padded or not) to text that decodes to the
/// same bytes, and then go through the image decoder (sniffed or by the data URL's media type)
/// without anything but an `ImageError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func imagingBase64FuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let payload = try Base64.decodePayload(bytes)
        for urlSafe in [false, true] {
            for padded in [false, true] {
                let text = Base64.encode(payload.bytes, urlSafe: urlSafe, padded: padded)
                let decodedAgain = try Base64.decode(text)
                precondition(decodedAgain == payload.bytes, "base64 round trip changed the bytes")
            }
        }
        let format = payload.mediaType.flatMap(ImageFormat.init(mediaType:))
        let decoded = try ImageDecoder.decode(payload.bytes, format: format,
                                              limits: DecodeLimits(maxWidth: 1024, maxHeight: 1024, maxDecompressedBytes: 4 << 20))
        _ = try MNISTNormalizer().normalize(decoded)
    } catch is ImageError {
        return 0
    } catch {
        fatalError("threw \(error), not an ImageError")
    }
    return 0
}
