import Foundation
import MNISTData
import TestSupport

/// One real MNIST test digit: 28x28 bytes in MNIST polarity (0 background, 255 ink).
struct TestDigit: Sendable, CustomStringConvertible {
    /// Its index in the MNIST test split.
    let index: Int
    let label: Int
    let pixels: [UInt8]

    var description: String { "test[\(index)] (a \(label))" }
}

/// Real digits from `MNIST_DIR` (tests that use them are enabled by `TestData.runsMNISTTests`).
enum TestDigits {
    /// Digits the service tests draw from: the head of the test split, loaded once per process.
    static let poolSize = 400

    private static let pool: Result<[TestDigit], Error> = Result {
        guard let directory = try TestData.mnistDirectory() else {
            throw MissingMNIST()
        }
        let set = try MNISTDataset.load(directory: directory, split: .test, limit: poolSize)
        return (0..<set.count).map { TestDigit(index: $0, label: Int(set.labels[$0]), pixels: Array(set.image(at: $0))) }
    }

    struct MissingMNIST: Error, CustomStringConvertible {
        var description: String { "MNIST_DIR is not set: these tests need the MNIST test set" }
    }

    /// The first `count` digits of the test split (at most `poolSize`).
    static func first(_ count: Int) throws -> [TestDigit] {
        precondition(count <= poolSize)
        return Array(try pool.get().prefix(count))
    }

    /// The first digit of each class, 0 through 9, in label order: ten different digits that
    /// cover every class.
    static func oneOfEachClass() throws -> [TestDigit] {
        let digits = try pool.get()
        return (0..<10).map { label in digits.first { $0.label == label }! }
    }
}

/// Pixel transformations the format tests apply to a digit before encoding it.
enum DigitPixels {
    /// Dark ink on light paper (how people draw and scan digits).
    static func inverted(_ pixels: [UInt8]) -> [UInt8] { pixels.map { 255 - $0 } }

    /// `pixels` (a `side`x`side` square) scaled to `size`x`size` by bilinear interpolation,
    /// so the result looks like a larger drawing rather than blocky nearest-neighbour pixels.
    static func upscaled(_ pixels: [UInt8], side: Int = 28, to size: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size * size)
        let scale = Double(side) / Double(size)
        func sample(_ x: Int, _ y: Int) -> Double {
            Double(pixels[min(max(y, 0), side - 1) * side + min(max(x, 0), side - 1)])
        }
        for y in 0..<size {
            let sourceY = (Double(y) + 0.5) * scale - 0.5
            let y0 = Int(sourceY.rounded(.down)), fy = sourceY - Double(y0)
            for x in 0..<size {
                let sourceX = (Double(x) + 0.5) * scale - 0.5
                let x0 = Int(sourceX.rounded(.down)), fx = sourceX - Double(x0)
                let top = sample(x0, y0) * (1 - fx) + sample(x0 + 1, y0) * fx
                let bottom = sample(x0, y0 + 1) * (1 - fx) + sample(x0 + 1, y0 + 1) * fx
                output[y * size + x] = UInt8((top * (1 - fy) + bottom * fy).rounded())
            }
        }
        return output
    }

    /// A `width`x`height` canvas of `background` with the 28x28 digit pasted at (`x`, `y`).
    static func placed(_ pixels: [UInt8], onCanvasWidth width: Int, height: Int, x: Int, y: Int,
                       background: UInt8 = 0) -> [UInt8] {
        var canvas = [UInt8](repeating: background, count: width * height)
        for row in 0..<28 {
            for column in 0..<28 {
                canvas[(y + row) * width + x + column] = pixels[row * 28 + column]
            }
        }
        return canvas
    }
}
