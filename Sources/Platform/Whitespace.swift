extension StringProtocol {
    /// The text without leading and trailing whitespace: with `newlines` (the default) every
    /// Unicode White_Space character, as Foundation's `.whitespacesAndNewlines` trims; without,
    /// spaces and tabs only (Unicode's Zs and U+0009), as `.whitespaces` trims.
    ///
    /// Why not `trimmingCharacters(in:)`: it needs full Foundation, and with it ICU's data.
    public func trimmingWhitespace(newlines: Bool = true) -> String {
        let trimmed = { (character: Character) in character.isWhitespace && (newlines || !character.isNewline) }
        guard let first = firstIndex(where: { !trimmed($0) }), let last = lastIndex(where: { !trimmed($0) }) else { return "" }
        return String(self[first...last])
    }
}
