/// Finds stop strings in streamed text, holding back text that could be the start of a stop string.
///
/// Text arrives a token at a time, and a stop string may be split over several tokens, so any
/// tail of the text that is a prefix of some stop string is kept back until the next chunk shows
/// whether it completes the stop string (then it is dropped) or not (then it is released).
///
/// Matching is on Unicode scalars, so a stop string matches exactly the scalars it is written
/// with (no normalization: "é" precomposed does not match "e" + U+0301). When several stop strings
/// match, the one that starts earliest wins.
public struct StopStringMatcher: Sendable {
    // Each stop string as scalars; empty stop strings are ignored.
    private let stops: [[Unicode.Scalar]]
    // The longest stop string, in scalars: at most this minus one scalars are ever held back.
    private let longestStop: Int
    // Text received but not yet emitted because it could begin a stop string.
    private var pending: [Unicode.Scalar] = []
    /// Whether a stop string has been found; after that all further text is dropped.
    public private(set) var stopped = false

    /// Creates a matcher for the given stop strings. Empty strings are ignored.
    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) }
        longestStop = self.stops.map(\.count).max() ?? 0
    }

    /// Feeds newly decoded text.
    /// - Parameter text: the next piece of generated text.
    /// - Returns: `emit`, the text that is safe to show now; and `stopped`, true once a stop string
    ///   has been hit. The stop string and anything after it are never emitted.
    public mutating func append(_ text: String) -> (emit: String, stopped: Bool) {
        if stopped { return ("", true) }
        if stops.isEmpty { return (text, false) }
        pending.append(contentsOf: text.unicodeScalars)

        if let start = earliestMatch() {
            let emit = Self.string(pending[..<start])
            pending.removeAll()
            stopped = true
            return (emit, true)
        }
        let held = longestHeldBackTail()
        let emit = Self.string(pending[..<(pending.count - held)])
        pending.removeFirst(pending.count - held)
        return (emit, false)
    }

    /// Ends the stream.
    /// - Returns: the text still held back (a partial stop string that never completed);
    ///   empty if a stop string was hit.
    public mutating func flush() -> String {
        let rest = Self.string(pending[...])
        pending.removeAll()
        return rest
    }

    /// Where the first full stop string in `pending` starts, if any.
    private func earliestMatch() -> Int? {
        // `pending` held no full match before this chunk, so a match ends in the new text; a plain
        // scan is fine, as `pending` is at most one chunk plus `longestStop - 1` scalars.
        for start in pending.indices {
            for stop in stops where pending.count - start >= stop.count {
                if pending[start..<(start + stop.count)].elementsEqual(stop) { return start }
            }
        }
        return nil
    }

    /// The length of the longest tail of `pending` that is a proper prefix of some stop string.
    private func longestHeldBackTail() -> Int {
        var length = min(longestStop - 1, pending.count)
        while length > 0 {
            let tail = pending[(pending.count - length)...]
            if stops.contains(where: { $0.count > length && $0[..<length].elementsEqual(tail) }) { return length }
            length -= 1
        }
        return 0
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
