import Testing

@testable import Tern

@Suite("StopStringMatcher")
struct StopStringMatcherTests {
    /// Feeds `chunks` in order and returns everything emitted (plus the flush) and whether it stopped.
    private func run(_ stops: [String], _ chunks: [String]) -> (text: String, stopped: Bool) {
        var matcher = StopStringMatcher(stops: stops)
        var text = ""
        for chunk in chunks {
            let (emit, stopped) = matcher.append(chunk)
            text += emit
            if stopped { return (text, true) }
        }
        return (text + matcher.flush(), false)
    }

    @Test func withoutStopsPassesTextThrough() {
        var matcher = StopStringMatcher(stops: [])
        #expect(matcher.append("Hello") == ("Hello", false))
        #expect(matcher.flush() == "")
    }

    @Test func stopInsideOneChunkDropsItAndTheRest() {
        var matcher = StopStringMatcher(stops: ["END"])
        let (emit, stopped) = matcher.append("abcENDxyz")
        #expect(emit == "abc")
        #expect(stopped)
        #expect(matcher.flush() == "")
        #expect(matcher.append("more") == ("", true))
    }

    @Test func stopSplitAcrossChunks() {
        var matcher = StopStringMatcher(stops: ["<|end|>"])
        #expect(matcher.append("Hi <|") == ("Hi ", false))
        #expect(matcher.append("en") == ("", false))
        #expect(matcher.append("d|> tail") == ("", true))
    }

    @Test func heldBackPrefixIsReleasedWhenItDoesNotMatch() {
        var matcher = StopStringMatcher(stops: ["STOP"])
        #expect(matcher.append("go ST") == ("go ", false))
        #expect(matcher.append("O") == ("", false))
        #expect(matcher.append("RE") == ("STORE", false))
        #expect(matcher.append("S") == ("", false))
        #expect(matcher.flush() == "S")
    }

    @Test func overlappingPrefixStillFindsTheStop() {
        // "aab": after "aa" fails at the second "a", the tail "a" must stay held as a possible start.
        #expect(run(["ab"], ["a", "a", "b", "c"]) == ("a", true))
        #expect(run(["abab"], ["xaba", "bab!"]) == ("x", true))
        #expect(run(["abab"], ["xaba", "c"]) == ("xabac", false))
    }

    @Test func earliestOfSeveralStopsWins() {
        #expect(run(["world", "lo"], ["hello world"]) == ("hel", true))
        #expect(run(["###", "\n\n"], ["one\n", "\ntwo###"]) == ("one", true))
        #expect(run(["###", "\n\n"], ["one #", "## two\n\n"]) == ("one ", true))
    }

    @Test func stopAtTheVeryStart() {
        var matcher = StopStringMatcher(stops: ["User:"])
        #expect(matcher.append("User:") == ("", true))
        #expect(run(["User:"], ["Us", "er: hi"]) == ("", true))
    }

    @Test func textIsNeverLostWithoutAStop() {
        let chunks = ["The st", "op sign", " is <", "/s", "> no", "t here <", "/"]
        #expect(run(["</stop>", "stop!"], chunks) == (chunks.joined(), false))
    }

    @Test func unicodeText() {
        #expect(run(["🛑"], ["héllo ", "wörld 🛑 ", "after"]) == ("héllo wörld ", true))
        #expect(run(["終わり"], ["これは", "終", "わ", "り です"]) == ("これは", true))
        // A held-back "終" followed by something else is released intact.
        #expect(run(["終わり"], ["これは", "終", "了"]) == ("これは終了", false))
        #expect(run(["→END"], ["a→", "E", "x"]) == ("a→Ex", false))
    }

    @Test func emptyStopStringsAreIgnored() {
        #expect(run(["", "X"], ["abc", "dXe"]) == ("abcd", true))
        #expect(run([""], ["abc"]) == ("abc", false))
    }
}
