import Foundation

/// One row of a benchmark report, with llama-bench's JSON field names so the two tools'
/// outputs can be read by the same scripts.
public struct BenchmarkResult: Sendable, Equatable, Codable {
    public var modelFilename: String
    /// Architecture, parameters and format: `llama 135M Q4_1`.
    public var modelType: String
    public var modelSize: Int
    public var modelParameterCount: Int
    public var backend = "CPU"
    public var threadCount: Int
    /// `pp512` or `tg128`.
    public var test: String
    public var promptTokens: Int
    public var generatedTokens: Int
    public var samplesNanoseconds: [Int]
    public var samplesTokensPerSecond: [Double]
    public var averageTokensPerSecond: Double
    public var standardDeviationTokensPerSecond: Double
    /// Weight bytes one decode step reads (text generation rows only).
    public var weightBytesPerToken: Int?
    /// Weight bytes read per second while decoding, over the measured read bandwidth
    /// (text generation rows, when the bandwidth was probed).
    public var fractionOfBandwidth: Double?

    enum CodingKeys: String, CodingKey {
        case modelFilename = "model_filename", modelType = "model_type", modelSize = "model_size"
        case modelParameterCount = "model_n_params", backend = "backends", threadCount = "n_threads", test
        case promptTokens = "n_prompt", generatedTokens = "n_gen"
        case samplesNanoseconds = "samples_ns", samplesTokensPerSecond = "samples_ts"
        case averageTokensPerSecond = "avg_ts", standardDeviationTokensPerSecond = "stddev_ts"
        case weightBytesPerToken = "weight_bytes_per_token", fractionOfBandwidth = "fraction_of_bandwidth"
    }

    /// A row for `test` run on the model at `path`, from the seconds each repetition took.
    public init(test: BenchmarkTest, seconds: [Double], path: String, model: LlamaModel, footprint: ModelFootprint, threadCount: Int) {
        modelFilename = path
        modelType = footprint.typeName(architecture: model.config.architecture)
        modelSize = footprint.fileBytes
        modelParameterCount = footprint.parameterCount
        self.threadCount = threadCount
        self.test = test.name
        switch test {
        case let .promptProcessing(n): (promptTokens, generatedTokens) = (n, 0)
        case let .textGeneration(n): (promptTokens, generatedTokens) = (0, n)
        case let .batchedGeneration(n, b): (promptTokens, generatedTokens) = (0, n * b)
        }
        samplesNanoseconds = seconds.map { Int(($0 * 1e9).rounded()) }
        samplesTokensPerSecond = seconds.map { $0 > 0 ? Double(test.tokenCount) / $0 : 0 }
        (averageTokensPerSecond, standardDeviationTokensPerSecond) = Self.meanAndDeviation(samplesTokensPerSecond)
        if case .textGeneration = test { weightBytesPerToken = footprint.weightBytesPerToken }
    }

    /// Mean and sample standard deviation (n − 1, as llama-bench; 0 for one sample).
    public static func meanAndDeviation(_ values: [Double]) -> (mean: Double, deviation: Double) {
        guard !values.isEmpty else { return (0, 0) }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (squares / Double(values.count - 1)).squareRoot())
    }
}
