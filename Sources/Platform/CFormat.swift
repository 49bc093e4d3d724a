#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// `printf`-style formatting by the C library's `vsnprintf` ("%.2f", "%5d", "%.4g", "%.2e").
    ///
    /// Why not `String(format:)`: it lives in full Foundation, whose ICU data (34 MB) would be
    /// linked into the binary for a handful of numbers. For the numeric conversions used here
    /// both produce the same bytes (`%d` and `%ld` take an `Int`; `%@` does not exist here).
    public init(cFormat format: String, _ arguments: CVarArg...) {
        self = withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 64)
            // vsnprintf consumes the va_list; a second pass needs a fresh one.
            let needed = Int(vsnprintf(&buffer, buffer.count, format, list))
            guard needed >= buffer.count else { return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            return withVaList(arguments) { again in
                var large = [CChar](repeating: 0, count: needed + 1)
                _ = vsnprintf(&large, large.count, format, again)
                return String(decoding: large.prefix(needed).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }
}
