import Imaging
import Testing

/// Records an issue unless `decode` throws an `ImageError` of `kind` whose description
/// contains `expected`: the check every decoder's malformed-input tests make (PNG, PGM, base64
/// and the format dispatcher), written once.
public func expectImageError(_ kind: ImageError.Kind, containing expected: String,
                             sourceLocation: SourceLocation = #_sourceLocation, _ decode: () throws -> Void) {
    do {
        try decode()
        Issue.record("decoded input that should fail with \"\(expected)\"", sourceLocation: sourceLocation)
    } catch let error as ImageError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(expected), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("threw \(error), not an ImageError", sourceLocation: sourceLocation)
    }
}
