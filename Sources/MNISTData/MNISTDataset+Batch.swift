extension MNISTDataset {
    /// Writes the images at `indices`, in that order, as floats in 0...1 (pixel / 255) into
    /// `destination`, one after another: the input of a training or evaluation batch, laid out
    /// [batch, rows, columns] (NHWC with one channel). With an `augmentation`, each image gets
    /// its own random transform drawn from `rng`, in index order, so a seed fixes the batch.
    ///
    /// - Parameter destination: room for `indices.count * pixelsPerImage` floats.
    /// - Precondition: every index is in `0..<count`.
    public func writeImages(at indices: some Collection<Int>, into destination: UnsafeMutablePointer<Float>,
                            augmentation: Augmentation? = nil, rng: inout some RandomNumberGenerator) {
        let pixels = pixelsPerImage
        images.withUnsafeBufferPointer { all in
            for (slot, index) in indices.enumerated() {
                precondition(index >= 0 && index < count, "MNISTDataset.writeImages: index \(index) out of 0..<\(count)")
                let source = all.baseAddress! + index * pixels
                let target = destination + slot * pixels
                if let augmentation {
                    augmentation.augment(source, into: target, rows: rows, columns: columns, rng: &rng)
                } else {
                    for pixel in 0..<pixels { target[pixel] = Float(source[pixel]) / 255 }
                }
            }
        }
    }

    /// `writeImages` without augmentation (evaluation, inference checks): no generator needed.
    public func writeImages(at indices: some Collection<Int>, into destination: UnsafeMutablePointer<Float>) {
        var unused = SystemRandomNumberGenerator()
        writeImages(at: indices, into: destination, augmentation: nil, rng: &unused)
    }
}
