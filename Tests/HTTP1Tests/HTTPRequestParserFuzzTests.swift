import Testing
import TestSupport
@testable import HTTP1

/// Mutates parser inputs the way a hostile client would: flipped and inserted bytes, cut
/// and repeated ranges, and splices of the tokens that matter to framing.
struct ParserMutator {
    var random: SplitMix64
    static let tokens: [[UInt8]] = [
        "\r\n", "\n", "\r", ":", " ", "\t", "0", "9", "F", ";", "=", "\"", "\r\n\r\n", "chunked", "gzip,",
        "Content-Length: ", "Transfer-Encoding: chunked\r\n", "Content-Length: 99999999999999999999\r\n",
        "Expect: 100-continue\r\n", "Host: y\r\n", "HTTP/1.0", "HTTP/2.0", "%", "%0", "ffffffffffffffff",
    ].map { Array($0.utf8) }

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...Int.random(in: 0...3, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1:
                bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 2 where !bytes.isEmpty:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...8, using: &random)))
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 4:
                bytes.insert(contentsOf: Self.tokens.randomElement(using: &random)!, at: position)
            default:
                bytes = Array(bytes.prefix(position))
            }
        }
        return bytes
    }
}

/// The property every input must satisfy: parsing ends in requests followed by an error or
/// by a wait for more bytes, and slicing the input differently never changes the outcome.
func checkParserInvariants(_ input: [UInt8], sliceLength: Int) -> Bool {
    let whole = parse(input, limits: testLimits)
    let sliced = parse(input, limits: testLimits, sliceLength: sliceLength)
    return whole.requests == sliced.requests && whole.error == sliced.error
}

@Suite("HTTPRequestParser fuzzing")
struct HTTPRequestParserFuzzTests {
    /// Seeded mutations of every table input: no crash, no hang, and the same outcome whole
    /// and sliced.
    @Test func seededMutations() {
        var mutator = ParserMutator(random: SplitMix64(seed: 0x5EED_2026))
        let corpus = validCases.map { Array($0.raw.utf8) } + malformedCases.map { Array($0.raw.utf8) }
        var outcomes: [String: Int] = [:]
        for iteration in 0..<20_000 {
            let input = mutator.mutate(corpus[iteration % corpus.count])
            let sliceLength = Int.random(in: 1...7, using: &mutator.random)
            let whole = parse(input, limits: testLimits)
            #expect(checkParserInvariants(input, sliceLength: sliceLength), "input \(input)")
            outcomes[whole.error.map { "\($0)" } ?? (whole.requests.isEmpty ? "needMore" : "request"), default: 0] += 1
        }
        // The mutations reach both sides: plenty of accepted requests and many distinct errors.
        #expect(outcomes["request", default: 0] > 300)
        #expect(outcomes.keys.count > 15)
    }

    /// Inputs the libFuzzer harness (Fuzz/HTTP1Parser) was run on, kept as regressions.
    @Test(arguments: FuzzRegressions.all)
    func fuzzerRegression(_ input: [UInt8]) {
        for sliceLength in 1...4 {
            #expect(checkParserInvariants(input, sliceLength: sliceLength))
        }
    }
}
