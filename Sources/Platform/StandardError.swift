#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's stderr as `write(2)` calls: progress lines, error messages, log records
/// (what `FileHandle.standardError.write` did, without linking full Foundation).
public enum StandardError {
    /// Writes all of `text`, continuing after partial writes and interrupting signals; gives
    /// up silently when stderr is gone (there is nowhere left to report that).
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                #if canImport(Darwin)
                let written = Darwin.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                #elseif canImport(Musl)
                let written = Musl.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                #else
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                #endif
                if written > 0 {
                    offset += written
                } else if !(written < 0 && errno == EINTR) {
                    return
                }
            }
        }
    }
}
