extension Substring {
    /// The substring without leading and trailing spaces and tabs (the optional whitespace,
    /// OWS, around media-type parts and parameters).
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
