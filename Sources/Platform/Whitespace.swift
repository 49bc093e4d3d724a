extension StringProtocol {
    /// The text without leading and trailing whitespace: with `newlines` (the default) every
    /// Unicode White_Space scalar, as Foundation's `.whitespacesAndNewlines` trims; without,
    /// spaces and tabs only (Unicode's Zs and U+0009), as `.whitespaces` trims. Scalar by
    /// scalar like Foundation, so a combining mark after a space keeps that space.
    ///
    /// Why not `trimmingCharacters(in:)`: it needs full Foundation, and with it ICU's data.
    public func trimmingWhitespace(newlines: Bool = true) -> String {
        let scalars = unicodeScalars
        let trimmed = { (scalar: Unicode.Scalar) in
            scalar.properties.isWhitespace
                && (newlines || !((0x0A...0x0D).contains(scalar.value) || [0x85, 0x2028, 0x2029].contains(scalar.value)))
        }
        guard let first = scalars.firstIndex(where: { !trimmed($0) }),
              let last = scalars.lastIndex(where: { !trimmed($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
