import Testing
import MNISTData
import TestSupport
import Zlib

/// Writes an MNIST-style directory: `count` images of 3x2 (pixel = index) and labels `index % 10`.
private func writeDataset(in directory: TemporaryDirectory, prefix: String = "train", count: Int = 12,
                          labelCount: Int? = nil, labels overrideLabels: [UInt8]? = nil, gzip: Bool) throws {
    let images = IDXFile(dimensions: [count, 3, 2], data: (0..<count * 6).map { UInt8($0 % 256) })
    let labelValues = overrideLabels ?? (0..<(labelCount ?? count)).map { UInt8($0 % 10) }
    let labels = IDXFile(dimensions: [labelValues.count], data: labelValues)
    let suffix = gzip ? ".gz" : ""
    func bytes(_ file: IDXFile) throws -> [UInt8] {
        gzip ? try Zlib.deflate(file.encoded(), format: .gzip) : file.encoded()
    }
    try directory.write(try bytes(images), to: "\(prefix)-images-idx3-ubyte\(suffix)")
    try directory.write(try bytes(labels), to: "\(prefix)-labels-idx1-ubyte\(suffix)")
}

@Suite struct MNISTDatasetTests {
    /// Both plain and gzipped directories load the same dataset.
    @Test(arguments: [false, true])
    func loadsSyntheticDirectory(gzip: Bool) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeDataset(in: directory, prefix: "t10k", gzip: gzip)
        let dataset = try MNISTDataset.load(directory: directory.path, split: .test)
        #expect(dataset.count == 12 && dataset.rows == 3 && dataset.columns == 2)
        #expect(dataset.labels == (0..<12).map { UInt8($0 % 10) })
        #expect(Array(dataset.image(at: 2)) == [12, 13, 14, 15, 16, 17])
    }

    /// `limit` keeps the first examples only.
    @Test func honoursLimit() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeDataset(in: directory, gzip: false)
        let dataset = try MNISTDataset.load(directory: directory.path, split: .train, limit: 5)
        #expect(dataset.count == 5 && dataset.images.count == 30 && dataset.labels == [0, 1, 2, 3, 4])
        #expect(try MNISTDataset.load(directory: directory.path, split: .train, limit: 100).count == 12)
    }

    /// Images and labels that disagree in count are refused, naming both files.
    @Test func rejectsCountMismatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeDataset(in: directory, count: 12, labelCount: 11, gzip: true)
        #expect(throws: MNISTDataError.countMismatch(
            imagesPath: directory.file("train-images-idx3-ubyte.gz"), images: 12,
            labelsPath: directory.file("train-labels-idx1-ubyte.gz"), labels: 11)) {
            try MNISTDataset.load(directory: directory.path, split: .train)
        }
    }

    /// A label that is not a digit is refused with its index.
    @Test func rejectsLabelAboveNine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeDataset(in: directory, count: 3, labels: [1, 10, 2], gzip: false)
        #expect(throws: MNISTDataError.invalidLabel(path: directory.file("train-labels-idx1-ubyte"), index: 1, value: 10)) {
            try MNISTDataset.load(directory: directory.path, split: .train)
        }
    }

    /// The test split is missing from a directory that only has training files.
    @Test func reportsMissingFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeDataset(in: directory, gzip: false)
        let error = MNISTDataError.fileNotFound(directory: directory.path,
                                                candidates: ["t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"])
        #expect(throws: error) { try MNISTDataset.load(directory: directory.path, split: .test) }
        #expect(error.description.contains("t10k-images-idx3-ubyte.gz"))
    }

    /// A directory that does not exist is named as such.
    @Test func reportsMissingDirectory() {
        #expect(throws: MNISTDataError.directoryNotFound("/nonexistent/mnist")) {
            try MNISTDataset.load(directory: "/nonexistent/mnist", split: .train)
        }
    }

    /// `subset` copies exactly the requested examples.
    @Test func subsetSelectsRange() {
        let dataset = MNISTDataset(rows: 1, columns: 2, images: [0, 1, 2, 3, 4, 5, 6, 7], labels: [9, 8, 7, 6])
        let middle = dataset.subset(1..<3)
        #expect(middle == MNISTDataset(rows: 1, columns: 2, images: [2, 3, 4, 5], labels: [8, 7]))
    }

    /// The validation hold-out is the last fraction, rounded, and the two parts cover everything.
    @Test func splitHoldsOutTheTail() {
        let dataset = MNISTDataset(rows: 1, columns: 1, images: Array(0..<10), labels: (0..<10).map { UInt8($0) })
        let (train, validation) = dataset.split(validationFraction: 0.2)
        #expect(train.labels == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(validation.labels == [8, 9])
        #expect(dataset.split(validationFraction: 0).validation.count == 0)
        #expect(dataset.split(validationFraction: 1).train.count == 0)
    }
    /// Batch images come out in index order, scaled to 0...1; augmented batches repeat for a seed.
    @Test func writesBatchImages() {
        let dataset = MNISTDataset(rows: 28, columns: 28, images: (0..<3 * 784).map { UInt8($0 % 251) }, labels: [1, 2, 3])
        var plain = [Float](repeating: -1, count: 2 * 784)
        plain.withUnsafeMutableBufferPointer { dataset.writeImages(at: [2, 0], into: $0.baseAddress!) }
        #expect(Array(plain[0..<784]) == dataset.image(at: 2).map { Float($0) / 255 })
        #expect(Array(plain[784...]) == dataset.image(at: 0).map { Float($0) / 255 })

        func augmented(seed: UInt64) -> [Float] {
            var output = [Float](repeating: -1, count: 3 * 784)
            var rng = SplitMix64(seed: seed)
            output.withUnsafeMutableBufferPointer {
                dataset.writeImages(at: 0..<3, into: $0.baseAddress!, augmentation: Augmentation(), rng: &rng)
            }
            return output
        }
        #expect(augmented(seed: 5) == augmented(seed: 5))
        #expect(augmented(seed: 5) != dataset.images.map { Float($0) / 255 })
        #expect(augmented(seed: 5) != augmented(seed: 6))
        #expect(augmented(seed: 5).allSatisfy { (0...1).contains($0) })
    }
}
