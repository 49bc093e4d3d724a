import Foundation

/// A fresh directory under the system temporary directory, removed when the test is done
/// with it (`remove()`, usually in a `defer`).
public struct TemporaryDirectory: Sendable {
    /// The directory's absolute path, without a trailing slash.
    public let path: String

    /// Creates the directory (mkdtemp, so parallel tests never share one).
    public init(prefix: String = "mnist-cnn-test") throws {
        let pattern = NSTemporaryDirectory() + "/\(prefix)-XXXXXX"
        var template = Array(pattern.utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: pattern])
        }
        path = String(cString: created)
    }

    /// `path` joined with `name`.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to the file `name` in this directory and returns its path.
    @discardableResult
    public func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// The names of the entries in the directory, sorted.
    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
