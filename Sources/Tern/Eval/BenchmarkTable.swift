import Foundation

/// llama-bench's markdown table, column for column, so the two read side by side.
public enum BenchmarkTable {
    public static let header = """
        | model                          |       size |     params | backend    | threads |            test |                  t/s |
        | ------------------------------ | ---------: | ---------: | ---------- | ------: | --------------: | -------------------: |
        """

    /// One table line for `r`: `| llama 135M Q4_1 | 92.10 MiB | 134.52 M | CPU | 2 | pp512 | 301.20 ± 2.10 |`, padded.
    public static func row(_ r: BenchmarkResult) -> String {
        let size = String(format: "%.2f MiB", Double(r.modelSize) / 1_048_576)
        let params = r.modelParameterCount >= 1_000_000_000
            ? String(format: "%.2f B", Double(r.modelParameterCount) / 1e9)
            : String(format: "%.2f M", Double(r.modelParameterCount) / 1e6)
        let speed = String(format: "%.2f ± %.2f", r.averageTokensPerSecond, r.standardDeviationTokensPerSecond)
        let cells = [
            left(r.modelType, 30), right(size, 10), right(params, 10), left(r.backend, 10),
            right(String(r.threadCount), 7), right(r.test, 15), right(speed, 20),
        ]
        return "| " + cells.joined(separator: " | ") + " |"
    }

    private static func left(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    private static func right(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
