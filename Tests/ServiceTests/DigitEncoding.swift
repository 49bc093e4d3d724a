import Foundation
import Imaging
import Testing
import TestSupport

/// One way a client sends a digit to `POST /predict`: the Content-Type (nil sends none), the
/// body the test encodes from a real MNIST digit, and what the answer must look like.
struct DigitEncoding: Sendable, CustomTestStringConvertible {
    let name: String
    let contentType: String?
    /// The body carries the digit's exact MNIST bytes in MNIST polarity at 28x28, so the
    /// answer must be bit-identical to the raw 784-byte request's.
    let exact: Bool
    /// The body names a list (TF Serving `instances`), so the answer is `predictions` of one.
    let answersAsBatch: Bool
    let encode: @Sendable (TestDigit) throws -> [UInt8]

    init(_ name: String, _ contentType: String?, exact: Bool = false, answersAsBatch: Bool = false,
         _ encode: @escaping @Sendable (TestDigit) throws -> [UInt8]) {
        self.name = name
        self.contentType = contentType
        self.exact = exact
        self.answersAsBatch = answersAsBatch
        self.encode = encode
    }

    var testDescription: String { name }

    static let pgm = "image/x-portable-graymap"
    static let png = "image/png"

    /// Every body form of the contract (issue 4) and the image variants people send.
    static let all: [DigitEncoding] = [
        DigitEncoding("octet-stream, 784 raw bytes", "application/octet-stream", exact: true) { $0.pixels },

        // PGM: binary 8 and 16 bit, plain with comments.
        DigitEncoding("PGM P5 8-bit", pgm, exact: true) { digit in
            PGMEncoder.encode(PGMImage(width: 28, height: 28, maxval: 255, samples: digit.pixels.map(UInt16.init)))
        },
        DigitEncoding("PGM P5 16-bit, black on white", pgm) { digit in
            PGMEncoder.encode(PGMImage(width: 28, height: 28, maxval: 65535,
                                       samples: DigitPixels.inverted(digit.pixels).map { UInt16($0) * 257 }))
        },
        DigitEncoding("PGM P2 with comments", pgm, exact: true) { digit in
            let file = PGMEncoder.encode(PGMImage(width: 28, height: 28, maxval: 255, samples: digit.pixels.map(UInt16.init)),
                                         plain: true, comment: "MNIST \(digit)")
            // A second comment between the dimensions and maxval, where pgm(5) also allows one.
            let text = String(decoding: file, as: UTF8.self)
            return Array(text.replacingOccurrences(of: "28 28\n", with: "28 28\n# maxval follows\n").utf8)
        },

        // PNG: every color type, the sub-byte depths, 16 bit, transparency, interlace.
        DigitEncoding("PNG gray 8-bit", png, exact: true) { digit in
            try PNGEncoder.encode(gray(digit.pixels, depth: 8))
        },
        DigitEncoding("PNG gray 1-bit, thresholded", png) { digit in try PNGEncoder.encode(gray(digit.pixels, depth: 1)) },
        DigitEncoding("PNG gray 2-bit", png) { digit in try PNGEncoder.encode(gray(digit.pixels, depth: 2)) },
        DigitEncoding("PNG gray 4-bit", png) { digit in try PNGEncoder.encode(gray(digit.pixels, depth: 4)) },
        DigitEncoding("PNG gray 16-bit, black on white", png) { digit in
            try PNGEncoder.encode(PNGImage(width: 28, height: 28, colorType: .gray, bitDepth: 16,
                                           samples: DigitPixels.inverted(digit.pixels).map { UInt16($0) * 257 }))
        },
        DigitEncoding("PNG RGB, blue ink on white", png) { digit in
            try PNGEncoder.encode(blueInkRGB(digit.pixels))
        },
        DigitEncoding("PNG RGBA, black ink whose alpha is the ink, composited on white", png) { digit in
            try PNGEncoder.encode(PNGImage(width: 28, height: 28, colorType: .rgba, bitDepth: 8,
                                           samples: digit.pixels.flatMap { [0, 0, 0, UInt16($0)] }))
        },
        DigitEncoding("PNG palette 4-bit with tRNS (transparent black paper)", png) { digit in
            try PNGEncoder.encode(paletteWithTransparentPaper(digit.pixels))
        },
        DigitEncoding("PNG gray+alpha 16-bit", png) { digit in
            try PNGEncoder.encode(PNGImage(width: 28, height: 28, colorType: .grayAlpha, bitDepth: 16,
                                           samples: digit.pixels.flatMap { [0, UInt16($0) * 257] }))
        },
        DigitEncoding("PNG gray 8-bit, Adam7 interlaced", png, exact: true) { digit in
            try PNGEncoder.encode(gray(digit.pixels, depth: 8), interlaced: true)
        },
        DigitEncoding("PNG RGBA, Adam7 interlaced", png) { digit in
            try PNGEncoder.encode(PNGImage(width: 28, height: 28, colorType: .rgba, bitDepth: 8,
                                           samples: digit.pixels.flatMap { [0, 0, 0, UInt16($0)] }),
                                  interlaced: true)
        },
    ] + PNGFilter.allCases.map { filter in
        DigitEncoding("PNG RGB, every row filtered with \(filter)", png) { digit in
            try PNGEncoder.encode(blueInkRGB(digit.pixels), filter: .fixed(filter))
        }
    } + [
        // What people photograph or draw: big, dark on light, not centred.
        DigitEncoding("PNG 200x200, black on white, upscaled", png) { digit in
            let large = DigitPixels.upscaled(DigitPixels.inverted(digit.pixels), to: 200)
            return try PNGEncoder.encodeGray8(width: 200, height: 200, pixels: large)
        },
        DigitEncoding("PGM 120x90 with the digit off-centre", pgm) { digit in
            let canvas = DigitPixels.placed(digit.pixels, onCanvasWidth: 120, height: 90, x: 84, y: 55)
            return PGMEncoder.encode(PGMImage(width: 120, height: 90, maxval: 255, samples: canvas.map(UInt16.init)))
        },

        // JSON, text and form bodies.
        DigitEncoding("JSON image, base64 PNG", "application/json", exact: true) { digit in
            json(["image": Base64.encode(try PNGEncoder.encode(gray(digit.pixels, depth: 8)))])
        },
        DigitEncoding("JSON TF Serving instances with b64 PGM", "application/json", exact: true, answersAsBatch: true) { digit in
            let pgm = PGMEncoder.encode(PGMImage(width: 28, height: 28, maxval: 255, samples: digit.pixels.map(UInt16.init)))
            return json(["instances": [["b64": Base64.encode(pgm)]]])
        },
        DigitEncoding("JSON image, data URL of a PNG", "application/json", exact: true) { digit in
            json(["image": "data:image/png;base64," + Base64.encode(try PNGEncoder.encode(gray(digit.pixels, depth: 8)))])
        },
        DigitEncoding("JSON image, URL-safe base64 without padding of 784 raw bytes", "application/json; charset=utf-8",
                      exact: true) { digit in
            // 784 = 3 * 261 + 1, so standard base64 would end in "=="; 0xFF bytes give '_'.
            let text = Base64.encode(digit.pixels, urlSafe: true, padded: false)
            precondition(text.contains("_") && !text.hasSuffix("="))
            return json(["image": text])
        },
        DigitEncoding("text/plain base64 with line breaks", "text/plain") { digit in
            let text = Base64.encode(try PNGEncoder.encode(gray(digit.pixels, depth: 8, inverted: true)))
            return Array(stride(from: 0, to: text.count, by: 76).map { start -> String in
                let from = text.index(text.startIndex, offsetBy: start)
                return String(text[from..<(text.index(from, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex)])
            }.joined(separator: "\r\n").utf8)
        },
        DigitEncoding("multipart/form-data, the first file part", "multipart/form-data; boundary=\(MultipartBody.boundary)",
                      exact: true) { digit in
            // As curl -F sends it, with a text field before the file and a blank image after
            // it: answering from any other part than the first file gives a wrong digit or 422.
            let blank = try PNGEncoder.encodeGray8(width: 28, height: 28, pixels: [UInt8](repeating: 255, count: 784))
            return MultipartBody.encode([
                .field(name: "note", value: "a digit"),
                .file(name: "image", filename: "digit.png", contentType: "image/png",
                      bytes: try PNGEncoder.encode(gray(digit.pixels, depth: 8))),
                .file(name: "other", filename: "blank.png", contentType: "image/png", bytes: blank),
            ])
        },

        // No Content-Type at all: the content decides.
        DigitEncoding("no Content-Type, PNG sniffed", nil, exact: true) { digit in
            try PNGEncoder.encode(gray(digit.pixels, depth: 8))
        },
        DigitEncoding("no Content-Type, 784 raw bytes sniffed", nil, exact: true) { $0.pixels },
        // `curl --data-binary @digit.png` without -H labels the body like a form.
        DigitEncoding("curl's default x-www-form-urlencoded, PNG sniffed", "application/x-www-form-urlencoded", exact: true) { digit in
            try PNGEncoder.encode(gray(digit.pixels, depth: 8))
        },
    ]

    /// A grayscale PNG of the digit at `depth` bits, keeping the top bits of each sample
    /// (1 bit is a threshold at 128).
    static func gray(_ pixels: [UInt8], depth: Int, inverted: Bool = false) -> PNGImage {
        let source = inverted ? DigitPixels.inverted(pixels) : pixels
        return PNGImage(width: 28, height: 28, colorType: .gray, bitDepth: depth,
                        samples: source.map { UInt16($0) >> UInt16(8 - depth) })
    }

    /// Navy ink on white paper, so the luminance conversion (not one channel) finds the ink.
    static func blueInkRGB(_ pixels: [UInt8]) -> PNGImage {
        PNGImage(width: 28, height: 28, colorType: .rgb, bitDepth: 8,
                 samples: pixels.flatMap { v -> [UInt16] in [255 - UInt16(v), 255 - UInt16(v), 255 - UInt16(v) / 3] })
    }

    /// Sixteen gray levels, ink darker with a higher index; entry 0 (the paper) is black but
    /// fully transparent, so only alpha compositing onto white makes the paper light.
    static func paletteWithTransparentPaper(_ pixels: [UInt8]) -> PNGImage {
        let palette = (0..<16).map { index -> PNGPaletteEntry in
            let level = index == 0 ? 0 : UInt8(255 - index * 17)
            return PNGPaletteEntry(red: level, green: level, blue: level)
        }
        return PNGImage(width: 28, height: 28, colorType: .palette, bitDepth: 4,
                        samples: pixels.map { UInt16($0 >> 4) }, palette: palette, transparency: .paletteAlpha([0]))
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object))
    }
}

/// `multipart/form-data` bodies as curl -F writes them (RFC 7578).
enum MultipartBody {
    static let boundary = "------------------------d74496d66958873e"

    enum Part {
        case field(name: String, value: String)
        case file(name: String, filename: String, contentType: String, bytes: [UInt8])
    }

    /// The body; `closed: false` leaves out the closing delimiter (`--boundary--`).
    static func encode(_ parts: [Part], closed: Bool = true) -> [UInt8] {
        var body = [UInt8]()
        for part in parts {
            body += Array("--\(boundary)\r\n".utf8)
            switch part {
            case .field(let name, let value):
                body += Array("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
            case .file(let name, let filename, let contentType, let bytes):
                body += Array(("Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n"
                               + "Content-Type: \(contentType)\r\n\r\n").utf8)
                body += bytes + Array("\r\n".utf8)
            }
        }
        if closed { body += Array("--\(boundary)--\r\n".utf8) }
        return body
    }
}
