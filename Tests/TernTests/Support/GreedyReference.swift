import Foundation

/// One greedy continuation by llama.cpp on the default model, parsed from
/// `Fixtures/reference/greedy-smollm2-135m-instruct-q4_1.txt`.
struct GreedyReference: CustomStringConvertible, Sendable {
    struct Step: Sendable {
        let token: Int
        let logit: Float
        let secondToken: Int
        let margin: Float
    }

    let prompt: String
    let promptTokens: [Int]
    let generatedTokens: [Int]
    let continuation: String
    let steps: [Step]

    var description: String { prompt }

    /// Margin below which llama.cpp's top-1 may legitimately flip with arithmetic order.
    static let nearTie: Float = 0.25

    /// How far one decisive step's logit may sit from llama.cpp's, and the root mean square over
    /// all decisive steps. Correct implementations differ here by arithmetic order alone: the same
    /// llama.cpp commit built for AVX2 (this project's Zen 3) instead of AVX-512 (the reference's
    /// Zen 4) moves these logits by up to 0.44 (RMS 0.17), and Tern's two q4 tile layouts sit
    /// 0.58 and 0.42 from that AVX2 build at worst. A wrong scale, a dropped block or a broken
    /// cache moves every step by whole units, which the RMS bound catches.
    static let logitTolerance: Float = 0.75
    static let logitRMSTolerance: Float = 0.25

    /// Steps before the first near tie: the prefix every correct implementation must reproduce exactly.
    var decisiveStepCount: Int { steps.firstIndex { $0.margin < Self.nearTie } ?? steps.count }

    private static let stepPattern = try! NSRegularExpression(
        pattern: #"id=\s*(\d+)\s+logit=([-\d.]+)\s+2nd id=\s*(\d+)\s+logit=([-\d.]+)\s+margin=([-\d.]+)"#)

    static func all() throws -> [GreedyReference] {
        let url = try TestModel.fixture("reference/greedy-smollm2-135m-instruct-q4_1.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var result: [GreedyReference] = []
        for block in text.components(separatedBy: "\nprompt: ").enumerated() {
            let body = block.offset == 0 ? String(block.element.dropFirst("prompt: ".count)) : block.element
            let lines = body.components(separatedBy: "\n")
            func value(_ key: String) -> String? {
                lines.first { $0.hasPrefix(key) }.map { String($0.dropFirst(key.count)) }
            }
            func ids(_ s: String?) -> [Int] {
                guard let s, let open = s.firstIndex(of: "[") else { return [] }
                return s[s.index(after: open)...].split(whereSeparator: { ", ]".contains($0) }).compactMap { Int($0) }
            }
            var steps: [Step] = []
            for line in lines where line.hasPrefix("  step ") {
                // "  step  0: id= 7042 logit=17.5692  2nd id=  260 logit=15.0329  margin=2.5363  piece= Paris"
                let range = NSRange(line.startIndex..., in: line)
                guard let match = stepPattern.firstMatch(in: line, range: range) else { continue }
                func group(_ i: Int) -> String { String(line[Range(match.range(at: i), in: line)!]) }
                steps.append(Step(
                    token: Int(group(1))!, logit: Float(group(2))!, secondToken: Int(group(3))!, margin: Float(group(5))!))
            }
            result.append(GreedyReference(
                prompt: lines[0], promptTokens: ids(value("prompt_ids: ")), generatedTokens: ids(value("generated_ids")),
                continuation: value("continuation: ") ?? "", steps: steps))
        }
        return result
    }
}
