import TensorCore

/// Which arithmetic `/predict` runs in (`serve --precision`).
public enum InferencePrecision: String, CaseIterable, Sendable, LosslessStringConvertible {
    /// The float network, as trained.
    case fp32
    /// The int8 network; a model without int8 calibration (`mnist-cnn quantize`) does not load.
    case int8
    /// int8 where the model has calibration and the CPU has AVX-512 VNNI (where int8 pays
    /// most), fp32 otherwise.
    case auto

    public init?(_ description: String) { self.init(rawValue: description.lowercased()) }
    public var description: String { rawValue }

    /// The int8 kernel to serve `calibration`'s model with, or nil for fp32.
    /// - Throws: `QuantizationError.badCalibration` for `int8` without calibration.
    public func int8Kernel(calibration: Int8Calibration?) throws -> Int8InstructionSet? {
        switch self {
        case .fp32:
            return nil
        case .int8:
            guard calibration != nil else {
                throw QuantizationError.badCalibration("the model has no int8 calibration (run mnist-cnn quantize on it)")
            }
            return .best
        case .auto:
            return calibration != nil && Int8InstructionSet.avx512vnni.isSupported ? .avx512vnni : nil
        }
    }
}
