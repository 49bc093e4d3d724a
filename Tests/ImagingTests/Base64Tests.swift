import Testing
@testable import Imaging
import TestSupport

/// Base64 in the forms clients send it, and the errors for the forms nobody can decode.
@Suite struct Base64Tests {
    func expectError(_ text: String, _ kind: ImageError.Kind = .malformed, containing expected: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        expectImageError(kind, containing: expected, sourceLocation: sourceLocation) {
            _ = try Base64.decodePayload(Array(text.utf8))
        }
    }

    /// RFC 4648 §10 test vectors, with and without padding.
    @Test func rfc4648Vectors() throws {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(try Base64.decode(encoded) == Array(plain.utf8))
            let unpadded = String(encoded.prefix { $0 != "=" })
            #expect(Base64.encode(Array(plain.utf8), padded: false) == unpadded)
            #expect(try Base64.decode(unpadded) == Array(plain.utf8))
        }
    }

    /// All 256 byte values round-trip through both alphabets, and a mix of the two decodes.
    @Test func bothAlphabetsAndMixed() throws {
        var generator = SplitMix64(seed: 64)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) } + Array(0...255)
            let standard = Base64.encode(bytes)
            let urlSafe = Base64.encode(bytes, urlSafe: true, padded: false)
            #expect(try Base64.decode(standard) == bytes)
            #expect(try Base64.decode(urlSafe) == bytes)
            #expect(!urlSafe.contains("+") && !urlSafe.contains("/"))
            let mixed = String(zip(standard, urlSafe).enumerated().map { $0.offset % 2 == 0 ? $0.element.0 : $0.element.1 })
            #expect(try Base64.decode(mixed) == bytes)
        }
    }

    /// Whitespace anywhere, including MIME-style CRLF line breaks and inside the padding.
    @Test func whitespaceTolerated() throws {
        #expect(try Base64.decode(" Zm9v\r\nYm\tE =\n") == Array("fooba".utf8))
        #expect(try Base64.decode("Zg\n=\n=") == Array("f".utf8))
    }

    /// Trailing bits are ignored (documented leniency): "Zh" decodes like "Zg".
    @Test func nonZeroTrailingBitsAreIgnored() throws {
        #expect(try Base64.decode("Zh") == Array("f".utf8))
        #expect(try Base64.decode("Zm9=") == Array("fo".utf8))
    }

    /// Data URLs as a browser canvas writes them, and variants in case and parameters.
    @Test func dataURLs() throws {
        let png = try PNGEncoder.encodeGray8(width: 2, height: 2, pixels: [0, 1, 2, 3])
        let canvas = try Base64.decodePayload(Array(("data:image/png;base64," + Base64.encode(png)).utf8))
        #expect(canvas == Base64Payload(mediaType: "image/png", bytes: png))
        let variant = try Base64.decodePayload(Array("  DATA:Image/X-Portable-Graymap;name=a.pgm;BASE64,Zm9v\n".utf8))
        #expect(variant == Base64Payload(mediaType: "image/x-portable-graymap", bytes: Array("foo".utf8)))
        #expect(try Base64.decodePayload(Array("data:;base64,Zm8".utf8)) == Base64Payload(mediaType: nil, bytes: Array("fo".utf8)))
        #expect(try Base64.decodePayload(Array("Zm8=".utf8)) == Base64Payload(mediaType: nil, bytes: Array("fo".utf8)))
    }

    /// Each way base64 can be broken names what is wrong.
    @Test func errors() {
        expectError("Zm9v!mFy", containing: "invalid character '!' at offset 4")
        expectError("Zm9v\u{7F}", containing: "invalid character 0x7F at offset 4")
        expectError("Zm9vY", containing: "length is impossible")
        expectError("Z", containing: "1 mod 4")
        expectError("Zm9v=", containing: "padding is wrong")
        expectError("Zg=", containing: "padding is wrong")
        expectError("Zg===", containing: "padding is wrong")
        expectError("Zg==Zg==", containing: "data after its '=' padding")
        expectError("data:image/png,%89PNG", .unsupported, containing: "not base64-encoded")
        expectError("data:image/png;base64", containing: "no ','")
        expectError("data:image/png;base64,Zm9v*", containing: "invalid character '*'")
    }
}
