import Platform
import Foundation
import Synchronization
import Testing
import ModelFile
import TestSupport

/// `SafeTensorsFile.readHeader`: what a registry lists a model by, read without its weights.
@Suite struct SafeTensorsHeaderTests {
    /// The header gives the same metadata and shapes as the whole file, and reads only the
    /// header's bytes (counted through an injected file system), not the tensor data.
    @Test func headerMatchesTheFileAndReadsNoTensorData() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("model.safetensors")
        var file = sampleFile()
        file["big"] = SafeTensors.Tensor(shape: [100_000], floats: [Float](repeating: 1, count: 100_000))
        try file.write(path: path)
        let counted = ReadCounter()
        var fileSystem = FileSystem.posix
        fileSystem.read = { descriptor, buffer in
            let count = FileSystem.posix.read(descriptor, buffer)
            counted.add(max(0, count))
            return count
        }
        let header = try SafeTensorsFile.readHeader(path: path, fileSystem: fileSystem)
        #expect(header.metadata == file.metadata)
        #expect(header.shapes == file.tensors.mapValues(\.shape))
        #expect(header.elementCount == file.tensors.values.reduce(0) { $0 + $1.elementCount })
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(counted.total < size - 400_000, "read \(counted.total) of \(size) bytes")
    }

    /// A truncated file fails the header check exactly as a full read fails: its tensors no
    /// longer tile what the file holds.
    @Test func truncatedFileIsRefusedFromItsHeader() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("cut.safetensors")
        let bytes = sampleFile().encode()
        try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: path))
        let fromHeader = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.readHeader(path: path) }
        let fromFile = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(path: path) }
        #expect(fromHeader.map(String.init(describing:)) == fromFile.map(String.init(describing:)))
        try Data(bytes.prefix(5)).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.readHeader(path: path) }
    }
}

/// Bytes read through an injected file system, from any thread.
private final class ReadCounter: Sendable {
    private let bytes = Mutex(0)
    func add(_ count: Int) { bytes.withLock { $0 += count } }
    var total: Int { bytes.withLock { $0 } }
}
