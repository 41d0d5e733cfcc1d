import Foundation
import Testing

/// `tern bench` as a user runs it: the real default model, tiny test sizes.
@Suite("tern bench", .serialized)
struct BenchCommandTests {
    @Test("prints llama-bench's table with a pp and a tg row of positive speeds")
    func table() throws {
        let result = try TernCLI.run(["bench", "-p", "8", "-n", "2", "-r", "1", "-t", "2"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("| model ") == true, "stdout: \(result.stdout)")
        for test in ["pp8", "tg2"] {
            let row = try #require(lines.first { $0.contains("| \(test) |") || $0.contains(" \(test) |") }, "no \(test) row in \(result.stdout)")
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cells.count == 7, "row: \(row)")
            #expect(cells[0].hasPrefix("llama ") && cells[0].hasSuffix("Q4_1"), "row: \(row)")
            #expect(cells[4] == "2", "threads in row: \(row)")
            let mean = try #require(Double(cells[6].components(separatedBy: " ± ")[0]), "row: \(row)")
            #expect(mean > 0, "row: \(row)")
        }
        #expect(result.stdout.contains("weights read per decoded token:"), "stdout: \(result.stdout)")
    }

    @Test("--json prints an array of rows with llama-bench's field names")
    func json() throws {
        let result = try TernCLI.run(["bench", "-p", "4", "-n", "2", "-r", "2", "-t", "2", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["test"] as? String } == ["pp4", "tg2"])
        for row in rows {
            #expect((row["avg_ts"] as? Double ?? 0) > 0, "row: \(row)")
            #expect((row["samples_ns"] as? [Int])?.count == 2, "row: \(row)")
            #expect(row["n_threads"] as? Int == 2)
            #expect((row["model_size"] as? Int ?? 0) > 0)
        }
        #expect(rows[0]["n_prompt"] as? Int == 4 && rows[1]["n_gen"] as? Int == 2)
        #expect((rows[1]["weight_bytes_per_token"] as? Int ?? 0) > 0)
    }

    @Test("--batch adds a row decoding several sequences together, counting all their tokens")
    func batched() throws {
        let result = try TernCLI.run(["bench", "-p", "4", "-n", "3", "-r", "1", "-t", "2", "--batch", "4", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["test"] as? String } == ["pp4", "tg3", "tg3@b4"])
        #expect(rows.last?["n_gen"] as? Int == 12)
        #expect((rows.last?["avg_ts"] as? Double ?? 0) > 0)
    }

    @Test("-p 0 skips the prompt tests, as in llama-bench")
    func zeroSkips() throws {
        let result = try TernCLI.run(["bench", "-p", "0", "-n", "3", "-r", "1", "-t", "2", "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["test"] as? String } == ["tg3"])
    }

    @Test("bad flag values are refused before loading, saying which flag and why", arguments: [
        (["-p", "0", "-n", "0"], "Nothing to measure: -p and -n are both 0"),
        (["-r", "0"], "-r/--repetitions must be at least 1, got 0"),
        (["-p", "abc"], "-p/--n-prompt expects token counts separated by commas"),
        (["-n", "4,-1"], "-n/--n-gen values must be 0 (skip) or more, got -1"),
        (["--batch", "0"], "--batch must be between 1 and 1024 sequences, got 0"),
    ])
    func badValues(arguments: [String], message: String) throws {
        let result = try TernCLI.run(["bench"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
    }
}
