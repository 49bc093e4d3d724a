import TensorCore

extension SafeTensorsFile {
    /// The int8 calibration in `__metadata__` (nil when the file has none). Setting it touches
    /// only that metadata entry: the fp32 tensors are written back byte for byte, so PyTorch
    /// and every other reader see the same model.
    public var int8Calibration: Int8Calibration? {
        get throws { try Int8Calibration.from(metadata: metadata) }
    }

    /// Records `calibration` in the metadata (replacing any earlier one).
    public mutating func setInt8Calibration(_ calibration: Int8Calibration) throws {
        metadata[Int8Calibration.metadataKey] = try calibration.metadataValue()
    }
}
