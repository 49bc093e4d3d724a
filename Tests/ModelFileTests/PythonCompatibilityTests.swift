import Foundation
import Testing
import ModelFile

/// Checks against `Fixtures/python-written.safetensors`, written once by the reference
/// implementation (Python `safetensors` 0.8.0, `safetensors.numpy.save_file`, numpy 2.4.6):
///
///     save_file({"0.weight": float32 [[0.5, -1.25, 3.0], [1e-3, -0.0, 65504.0]],
///                "0.bias": float32 [0.1, -0.2], "step": int64 42,
///                "half": float16 [1.0, -2.0, 0.5], "empty": uint8 zeros (0, 4),
///                "mask": uint8 [1, 0, 255], "scale": float64 [2.5, -1.0]},
///               path, metadata={"architecture": "conv \"3x3\" → relu"})
///
/// The reference writer orders tensors by dtype (widest first) then name; we write in
/// insertion order, so the same order gives the same bytes.
@Suite struct PythonCompatibilityTests {
    private static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/python-written.safetensors").path

    /// The same tensors built with our API, in the order the reference writer uses.
    private static func expected() -> SafeTensorsFile {
        func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
        return SafeTensorsFile([
            ("step", .init(dtype: .I64, shape: [], data: le64(42))),
            ("scale", .init(dtype: .F64, shape: [2], data: le64((2.5 as Double).bitPattern) + le64((-1.0 as Double).bitPattern))),
            ("0.bias", .init(shape: [2], floats: [0.1, -0.2])),
            ("0.weight", .init(shape: [2, 3], floats: [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0])),
            ("half", .init(dtype: .F16, shape: [3], data: [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38])),
            ("empty", .init(dtype: .U8, shape: [0, 4], data: [])),
            ("mask", .init(dtype: .U8, shape: [3], data: [1, 0, 255])),
        ], metadata: ["architecture": "conv \"3x3\" → relu"])
    }

    /// We read every tensor and the metadata exactly as Python wrote them.
    @Test func readsPythonFile() throws {
        let file = try SafeTensorsFile.read(path: Self.fixture)
        #expect(file == Self.expected())
        #expect(try file["0.weight"]?.floats == [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0])
        #expect(file["0.weight"]?.shape == [2, 3] && file["step"]?.shape == [])
    }

    /// Our writer produces the reference writer's bytes exactly for the same tensors in the same order.
    @Test func writesPythonBytes() throws {
        let python = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
        #expect(Self.expected().encode() == python)
    }
}
