/// The engine thread's loop and everything it owns: scheduler, block manager, model runner
/// and each request's sampling state. `LLMEngine` creates it and hands it to its thread;
/// from then on only that thread touches it.
final class EngineCore: @unchecked Sendable {
    // @unchecked: handed to the engine thread once, then used only there.
    private let runner: ModelRunner
    private let blocks: BlockManager
    private let scheduler: Scheduler
    private let tokenizer: Tokenizer
    private let configuration: EngineConfiguration
    private let mailbox: EngineMailbox
    private var contexts: [Int: RequestContext] = [:]
    private var sequences: [Int: SequenceState] = [:]
    private var sampled: [Int: Int] = [:]
    private var finished: [(Int, FinishReason)] = []
    /// Requests ended this round whose streams close once the snapshot shows their blocks freed.
    private var closing: [(RequestContext, FinishReason)] = []

    init(model: LlamaModel, tokenizer: Tokenizer, configuration c: EngineConfiguration, mailbox: EngineMailbox) {
        runner = ModelRunner(
            model: model, blockCount: c.blockCount, blockSize: c.blockSize, maxBatchedTokens: c.maxBatchedTokens,
            maxSequences: c.maxSequences, threadCount: c.threadCount)
        blocks = BlockManager(blockCount: c.blockCount, blockSize: c.blockSize)
        scheduler = Scheduler(maxBatchedTokens: c.maxBatchedTokens, maxSequences: c.maxSequences, blockManager: blocks)
        self.tokenizer = tokenizer
        configuration = c
        self.mailbox = mailbox
    }

    /// Loops until the mailbox is closed and every request has finished.
    func run() {
        while let (submissions, aborts) = mailbox.take(idle: contexts.isEmpty) {
            for s in submissions { admit(s) }
            for id in aborts { end(id, .cancelled) }
            if mailbox.isCancelling { for id in Array(contexts.keys) { end(id, .cancelled) } }
            if !contexts.isEmpty { step() }
            if configuration.checksInvariants { checkInvariants() }
            mailbox.publish(scheduler.snapshot())
            // After the snapshot: a client that sees its stream end also sees its blocks free.
            mailbox.finished(closing.count)
            for (context, reason) in closing { context.finish(reason) }
            closing.removeAll(keepingCapacity: true)
        }
    }

    private func checkInvariants() {
        do {
            try scheduler.checkInvariants()
            mailbox.recordInvariantCheck(nil)
        } catch {
            mailbox.recordInvariantCheck(error)
        }
    }

    private func admit(_ s: EngineMailbox.Submission) {
        let context = RequestContext(
            id: s.id, request: s.request, tokenizer: tokenizer, contextLength: configuration.contextLength,
            continuation: s.continuation, submitted: s.submitted)
        let sequence = SequenceState(id: s.id, prompt: s.request.promptTokens, params: s.request.params)
        contexts[s.id] = context
        sequences[s.id] = sequence
        scheduler.add(sequence)
    }

    /// Ends request `id` if it is still live: frees its blocks and closes its stream.
    private func end(_ id: Int, _ reason: FinishReason) {
        guard let context = contexts.removeValue(forKey: id), let sequence = sequences.removeValue(forKey: id) else {
            return
        }
        scheduler.finish(sequence, reason: reason)
        closing.append((context, reason))
    }

    /// One step: schedule, run the batch, sample a token for every sequence whose chunk
    /// reached its last token, report, and retire finished requests.
    private func step() {
        let batch = scheduler.schedule()
        guard !batch.isEmpty else { return }
        runner.batch.removeAll()
        for entry in batch.entries {
            runner.batch.append(
                tokens: entry.tokens, startPosition: entry.positions.lowerBound,
                blockTable: entry.sequence.blockTable, logits: entry.samplesToken)
        }
        let logits = runner.run()
        let vocabulary = tokenizer.vocabularySize
        let now = ContinuousClock.now
        sampled.removeAll(keepingCapacity: true)
        finished.removeAll(keepingCapacity: true)
        var row = 0
        for entry in batch.entries where entry.samplesToken {
            let sequence = entry.sequence
            let rowLogits = UnsafeMutableBufferPointer(rebasing: logits[row * vocabulary..<(row + 1) * vocabulary])
            row += 1
            guard let context = contexts[sequence.id] else { continue }
            if context.generated == 0 { context.cachedPromptTokens = sequence.cachedPromptCount }
            let (token, finish) = context.step(logits: rowLogits, history: sequence.tokens, now: now)
            sampled[sequence.id] = token
            if let finish { finished.append((sequence.id, finish)) }
        }
        scheduler.update(after: batch, sampled: sampled)
        for (id, reason) in finished { end(id, reason) }
    }
}
