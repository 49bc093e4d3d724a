import Foundation

/// The phone-photo samples in `Tests/ImagingTests/Fixtures/photos`, written by
/// `scripts/photo-digits.py sample` (MNIST test digits 0 to 3 written in pen on paper and
/// photographed; the file names say the digit, the pen, the EXIF orientation and the size).
/// The imaging tests decode them; the service tests send them to `/predict`.
public enum PhotoFixtures {
    public static let names = [
        "digit7-black-exif1-640x480.jpg", "digit2-blue-exif6-640x480.jpg",
        "digit1-blue-exif3-800x600.jpg", "digit0-black-exif8-1024x768.jpg",
    ]

    /// The file's bytes, found beside this source file (the fixtures stay with the imaging tests).
    public static func bytes(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ImagingTests/Fixtures/photos").appendingPathComponent(name)
        return [UInt8](try Data(contentsOf: url))
    }

    /// The digit a file name says it holds ("digit7-..." → 7).
    public static func label(_ name: String) -> Int { Int(String(name.dropFirst(5).prefix(1)))! }
}
