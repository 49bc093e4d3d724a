// libFuzzer entry point for the HTTP1 parsers, built by Fuzz/run.sh together with the
// parser sources of Sources/HTTP1 (no Logging, no sockets).
//
// Properties checked on every input:
// - HTTPRequestParser never crashes, and feeding the input whole or in slices (the slice
//   length taken from the first byte) gives the same requests and the same error;
// - MediaType and MultipartFormData never crash on the input.
// A violated property traps, which libFuzzer reports as a crash with the input saved.

/// The requests (as comparable text) and the final error or "needMore" for one feeding.
private func outcome(_ bytes: ArraySlice<UInt8>, sliceLength: Int, limits: HTTPLimits) -> [String] {
    var parser = HTTPRequestParser(limits: limits)
    var results: [String] = []
    var offset = bytes.startIndex
    repeat {
        let end = min(bytes.endIndex, offset + sliceLength)
        parser.append(bytes[offset..<end])
        offset = end
        drain: while true {
            switch parser.next() {
            case .needMore:
                _ = parser.takeContinueRequest()
                break drain
            case .request(let request):
                results.append("\(request.method) \(request.target) \(request.path) \(request.version) "
                    + "\(request.headers.map { "\($0.name)=\($0.value)" }) \(request.body)")
            case .error(let error):
                results.append("error \(error) \(error.status)")
                return results
            }
        }
    } while offset < bytes.endIndex
    return results
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1Parser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let sliceLength = Int(bytes[0] % 7) + 1
    let input = bytes[1...]
    let limits = HTTPLimits(maxRequestLineLength: 100, maxHeaderBytes: 300, maxHeaderCount: 10,
                            maxBodyBytes: 1000, maxChunkLineLength: 64)
    let whole = outcome(input, sliceLength: max(input.count, 1), limits: limits)
    let sliced = outcome(input, sliceLength: sliceLength, limits: limits)
    precondition(whole == sliced, "slicing changed the outcome:\n\(whole)\n\(sliced)")

    let text = String(decoding: input, as: UTF8.self)
    if let mediaType = MediaType(parsing: text) {
        precondition(mediaType.type == mediaType.type.lowercased())
    }
    _ = try? MultipartFormData.parse(body: Array(input), boundary: "b")
    return 0
}
