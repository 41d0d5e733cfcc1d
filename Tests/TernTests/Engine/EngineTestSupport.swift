import Testing

@testable import Tern

/// A sequence with greedy params and `maxTokens` tokens to generate.
func makeSequence(_ id: Int, _ prompt: [Int], maxTokens: Int = 16) -> SequenceState {
    SequenceState(id: id, prompt: prompt, params: SamplingParams(temperature: 0, maxTokens: maxTokens))
}

/// Marks every allocated position of `seq` as computed (as the model runner would) and
/// commits its full blocks.
func computeAll(_ seq: SequenceState, in manager: BlockManager) {
    seq.computedCount = min(seq.count, seq.blockTable.count * manager.blockSize)
    manager.commitFullBlocks(seq)
}

/// A stand-in for the model runner that checks what a real one would read and write.
///
/// It keeps a shadow of the KV storage: each slot holds a fingerprint of the token prefix whose
/// last key and value it stores. Running a batch first checks that every position a sequence
/// reads (below its chunk) holds its own prefix's fingerprint — which fails if a prefix-cache
/// hit, a shared block or a reused block gave a sequence someone else's keys and values —
/// then writes the chunk and samples a token per sampling entry.
struct ShadowRunner {
    private var slots: [[UInt64?]]
    private let blockSize: Int
    var random: RandomGenerator
    /// Tokens are drawn from `0..<vocabularySize`.
    let vocabularySize: Int

    init(blockCount: Int, blockSize: Int, seed: UInt64, vocabularySize: Int = 8) {
        slots = Array(repeating: Array(repeating: nil, count: blockSize), count: blockCount)
        self.blockSize = blockSize
        random = RandomGenerator(seed: seed)
        self.vocabularySize = vocabularySize
    }

    /// Runs `batch`; returns a sampled token per sequence id for every entry that samples.
    mutating func run(_ batch: ScheduledBatch) -> [Int: Int] {
        var sampled: [Int: Int] = [:]
        for entry in batch.entries {
            let seq = entry.sequence
            var fingerprint: UInt64 = 0
            for position in 0..<entry.positions.upperBound {
                fingerprint = BlockManager.chainedHash(parentHash: fingerprint, tokens: seq.tokens[position...position])
                let block = seq.blockTable[position / blockSize]
                if position < entry.positions.lowerBound {
                    #expect(
                        slots[block][position % blockSize] == fingerprint,
                        "sequence \(seq.id) reads a wrong key/value at position \(position) (block \(block))")
                } else {
                    slots[block][position % blockSize] = fingerprint
                }
            }
            if entry.samplesToken { sampled[seq.id] = Int.random(in: 0..<vocabularySize, using: &random) }
        }
        return sampled
    }
}

/// One engine step over `scheduler`: schedule, run, update, then finish sequences that reached
/// their max tokens. Returns the batch that ran.
@discardableResult
func step(_ scheduler: Scheduler, _ runner: inout ShadowRunner) -> ScheduledBatch {
    let batch = scheduler.schedule()
    scheduler.update(after: batch, sampled: runner.run(batch))
    for entry in batch.entries where entry.samplesToken && entry.sequence.generatedCount >= entry.sequence.params.maxTokens {
        scheduler.finish(entry.sequence, reason: .length)
    }
    return batch
}
