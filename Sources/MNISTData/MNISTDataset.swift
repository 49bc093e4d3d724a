#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// MNIST images and their labels, held as raw bytes exactly as the IDX files store them.
///
/// Images stay `UInt8` (47 MB for the training set rather than 188 MB as floats); the
/// training loop converts a batch at a time, which is also where augmentation happens.
public struct MNISTDataset: Equatable, Sendable {
    /// Which of the two standard MNIST sets to read.
    public enum Split: String, Sendable, CaseIterable {
        /// 60,000 images, files `train-*`.
        case train
        /// 10,000 images, files `t10k-*`.
        case test

        /// The file-name stem MNIST uses for this split.
        var filePrefix: String {
            switch self {
            case .train: return "train"
            case .test: return "t10k"
            }
        }
    }

    /// The number of examples.
    public let count: Int
    /// Image height in pixels (28 for MNIST).
    public let rows: Int
    /// Image width in pixels (28 for MNIST).
    public let columns: Int
    /// All images, `count * rows * columns` bytes, image-major then row-major; 0 is background,
    /// 255 is ink.
    public let images: [UInt8]
    /// One digit 0...9 per image.
    public let labels: [UInt8]

    /// Bytes per image: `rows * columns`.
    public var pixelsPerImage: Int { rows * columns }

    /// Wraps images and labels that are already known to agree.
    ///
    /// - Precondition: `images.count == labels.count * rows * columns`.
    public init(rows: Int, columns: Int, images: [UInt8], labels: [UInt8]) {
        precondition(rows >= 0 && columns >= 0 && images.count == labels.count * rows * columns,
                     "MNISTDataset: images must hold labels.count images of rows x columns")
        self.count = labels.count
        self.rows = rows
        self.columns = columns
        self.images = images
        self.labels = labels
    }

    /// The pixels of image `index`, row-major.
    public func image(at index: Int) -> ArraySlice<UInt8> {
        images[index * pixelsPerImage ..< (index + 1) * pixelsPerImage]
    }

    /// Reads one split from an MNIST directory.
    ///
    /// Accepts each file plain or gzipped under its usual name (`train-images-idx3-ubyte`,
    /// `train-images-idx3-ubyte.gz`, and the same for `train-labels-idx1-ubyte`, `t10k-...`),
    /// preferring the plain file when both exist. Checks that images and labels agree in count
    /// and that every label is a digit.
    ///
    /// - Parameter limit: keep only the first `limit` examples (all are still validated).
    /// - Throws: `MNISTDataError` naming the directory or file at fault.
    public static func load(directory: String, split: Split, limit: Int? = nil) throws -> MNISTDataset {
        guard Self.directoryExists(directory) else { throw MNISTDataError.directoryNotFound(directory) }
        let imagesPath = try locate(directory: directory, stem: "\(split.filePrefix)-images-idx3-ubyte")
        let labelsPath = try locate(directory: directory, stem: "\(split.filePrefix)-labels-idx1-ubyte")
        let labelFile = try IDXFile.read(path: labelsPath, dimensionCount: 1)
        let imageFile = try IDXFile.read(path: imagesPath, dimensionCount: 3)
        let labelCount = labelFile.dimensions[0]
        let imageCount = imageFile.dimensions[0]
        guard imageCount == labelCount else {
            throw MNISTDataError.countMismatch(imagesPath: imagesPath, images: imageCount,
                                               labelsPath: labelsPath, labels: labelCount)
        }
        if let bad = labelFile.data.firstIndex(where: { $0 > 9 }) {
            throw MNISTDataError.invalidLabel(path: labelsPath, index: bad, value: labelFile.data[bad])
        }
        let dataset = MNISTDataset(rows: imageFile.dimensions[1], columns: imageFile.dimensions[2],
                                   images: imageFile.data, labels: labelFile.data)
        guard let limit, limit < dataset.count else { return dataset }
        return dataset.subset(0 ..< max(0, limit))
    }

    /// The path of the plain or gzipped file named `stem` in `directory`.
    private static func locate(directory: String, stem: String) throws -> String {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let candidates = [stem, stem + ".gz"]
        for name in candidates where Self.fileExists(base + name) {
            return base + name
        }
        throw MNISTDataError.fileNotFound(directory: directory, candidates: candidates)
    }

    /// Whether `path` names an existing file (of any kind other than a directory).
    private static func fileExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFDIR
    }

    /// Whether `path` names an existing directory.
    private static func directoryExists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }
}
