import Foundation
import ModelFile
import TensorCore
import Testing

/// Recording int8 calibration touches only `__metadata__`: every tensor's bytes, name, dtype,
/// shape and order stay as they were, so PyTorch and other readers see the same model.
@Suite struct Int8CalibrationMetadataTests {
    static var shippedModelPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/mnist-cnn.safetensors").path
    }

    @Test func calibrationChangesOnlyTheMetadata() throws {
        var original = try SafeTensorsFile.read(path: Self.shippedModelPath)
        original.metadata[Int8Calibration.metadataKey] = nil
        let before = try SafeTensorsFile.decode(original.encode(), path: "before")
        #expect(try before.int8Calibration == nil)

        var calibrated = before
        let calibration = Int8Calibration(activationScales: [0.5, 0.25, 0.125], source: "train[0..<3]", images: 3, percentile: 1)
        try calibrated.setInt8Calibration(calibration)
        let after = try SafeTensorsFile.decode(calibrated.encode(), path: "after")

        #expect(after.names == before.names)
        for name in before.names { #expect(after[name] == before[name], "\(name)") }
        #expect(Set(after.metadata.keys).subtracting(before.metadata.keys) == [Int8Calibration.metadataKey])
        for (key, value) in before.metadata { #expect(after.metadata[key] == value, "\(key)") }
        #expect(try after.int8Calibration == calibration)
    }
}
