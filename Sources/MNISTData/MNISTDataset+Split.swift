extension MNISTDataset {
    /// The examples in `range`, as a dataset of their own (copied, so the parent can be freed).
    ///
    /// - Precondition: `range` lies within `0..<count`.
    public func subset(_ range: Range<Int>) -> MNISTDataset {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "subset range out of bounds")
        return MNISTDataset(
            rows: rows, columns: columns,
            images: Array(images[range.lowerBound * pixelsPerImage ..< range.upperBound * pixelsPerImage]),
            labels: Array(labels[range]))
    }

    /// Holds out the last `validationFraction` of the examples for validation.
    ///
    /// Deterministic on purpose: the same data and fraction always give the same hold-out, so
    /// validation accuracies of different runs are comparable. The hold-out size is rounded
    /// to the nearest example.
    ///
    /// - Precondition: `0 <= validationFraction <= 1`.
    public func split(validationFraction: Double) -> (train: MNISTDataset, validation: MNISTDataset) {
        precondition((0...1).contains(validationFraction), "validationFraction must be in 0...1")
        let validationCount = Int((Double(count) * validationFraction).rounded())
        let boundary = count - validationCount
        return (subset(0 ..< boundary), subset(boundary ..< count))
    }
}
