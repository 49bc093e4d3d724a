import Foundation

/// The files in `Fixtures/jpeg`, written by Pillow (libjpeg-turbo's encoder) with
/// `scripts/make-jpeg-fixtures.py`; the picture they hold is described there.
enum JPEGFixtures {
    static func bytes(_ name: String, filePath: String = #filePath) throws -> [UInt8] {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/jpeg").appendingPathComponent(name)
        return [UInt8](try Data(contentsOf: url))
    }

    /// The upright 24x16 picture as darkness per pixel: 1 where the black block is, 0.5 for
    /// the gray one, 0 for paper. Decoded pixels are compared against it within JPEG error.
    static func expectedUpright(x: Int, y: Int) -> Float {
        if x < 8 && y < 4 { return 1 }
        if x >= 20 && y >= 8 { return 0.5 }
        return 0
    }

    /// The largest difference between a decoded 24x16 luminance and `expectedUpright`,
    /// ignoring the pixels next to an edge (where JPEG's ringing lives).
    static func uprightError(_ image: (width: Int, height: Int, luminance: (Int, Int) -> Float)) -> Float? {
        guard image.width == 24 && image.height == 16 else { return nil }
        var worst: Float = 0
        for y in 0..<16 {
            for x in 0..<24 {
                let expected = expectedUpright(x: x, y: y)
                let nearEdge = (-1...1).contains { dy in
                    (-1...1).contains { dx in
                        let nx = min(max(x + dx, 0), 23), ny = min(max(y + dy, 0), 15)
                        return expectedUpright(x: nx, y: ny) != expected
                    }
                }
                if nearEdge { continue }
                worst = max(worst, abs((1 - image.luminance(x, y)) - expected))
            }
        }
        return worst
    }
}
