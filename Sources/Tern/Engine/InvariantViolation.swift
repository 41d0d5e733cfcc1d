/// A broken accounting rule found by `BlockManager.checkInvariants(sequences:)` or
/// `Scheduler.checkInvariants()`: always a bug in the engine, never in the user's input.
public struct InvariantViolation: Error, Equatable, CustomStringConvertible {
    /// Which rule broke and the values that broke it.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
