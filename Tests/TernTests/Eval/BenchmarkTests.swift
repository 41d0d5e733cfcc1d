import Foundation
import Testing
import TernKernels
@testable import Tern

@Suite("Benchmark")
struct BenchmarkTests {
    @Test("tests are named as llama-bench names them")
    func names() {
        #expect(BenchmarkTest.promptProcessing(tokens: 512).name == "pp512")
        #expect(BenchmarkTest.textGeneration(tokens: 128).name == "tg128")
    }

    @Test("mean and sample standard deviation", arguments: [
        ([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 5.0, 2.138_089_935),
        ([3.0], 3.0, 0.0),
    ])
    func statistics(values: [Double], mean: Double, deviation: Double) {
        let (m, d) = BenchmarkResult.meanAndDeviation(values)
        #expect(abs(m - mean) < 1e-9 && abs(d - deviation) < 1e-6)
    }

    @Test("a table row matches llama-bench's column widths")
    func tableRow() throws {
        let model = try TestModel.load()
        let footprint = ModelFootprint(model: model.model)
        let result = BenchmarkResult(
            test: .textGeneration(tokens: 128), seconds: [1.0, 2.0], path: "m.gguf", model: model.model,
            footprint: footprint, threadCount: 2)
        #expect(result.averageTokensPerSecond == 96 && result.samplesNanoseconds == [1_000_000_000, 2_000_000_000])
        let row = BenchmarkTable.row(result)
        let headerLine = try #require(BenchmarkTable.header.split(separator: "\n").first)
        #expect(row.count == headerLine.count, "\(row)")
        #expect(row.contains("| llama 135M Q4_1 ") && row.contains("92.10 MiB") && row.contains("134.52 M"), "\(row)")
        #expect(row.hasSuffix("|  96.00 ± 45.25 |") || row.contains("96.00 ± 45.25"), "\(row)")
    }

    @Test("a decode step reads every layer matrix and the output head, not the whole embedding")
    func weightBytes() throws {
        let model = try TestModel.load().model
        let w = model.weights
        let footprint = ModelFootprint(model: model)
        let layerBytes = w.layers.reduce(0) { sum, l in
            sum + [l.query, l.key, l.value, l.output, l.gate, l.up, l.down].reduce(0) { $0 + $1.rows * $1.rowBytes }
        }
        #expect(footprint.weightBytesPerToken > layerBytes + w.output.rows * w.output.rowBytes)
        #expect(footprint.weightBytesPerToken <= footprint.fileBytes + w.tokenEmbedding.rowBytes)
        #expect(footprint.dominantFormat == .q4_1)
    }

    @Test("measure times each repetition of a tiny prefill and decode")
    func measure() throws {
        let benchmark = Benchmark(model: try TestModel.load().model, threadCount: 2)
        for test in [BenchmarkTest.promptProcessing(tokens: 2), .textGeneration(tokens: 1)] {
            let seconds = benchmark.measure(test, repetitions: 2)
            #expect(seconds.count == 2 && seconds.allSatisfy { $0 > 0 }, "\(test.name): \(seconds)")
        }
    }

    @Test("the bandwidth probe reads its buffer and reports bytes per second")
    func bandwidth() {
        let probe = BandwidthProbe(byteCount: 1 << 20)
        let samples = probe.measure(pool: ThreadPool(threadCount: 2), repetitions: 2)
        #expect(samples.count == 2 && samples.allSatisfy { $0 > 1e6 }, "\(samples)")
        // Every byte is 1, so each 64-bit word is 0x0101…01 and the checksum is their count times that.
        #expect(probe.lastChecksum == UInt64(probe.byteCount / 8) &* 0x0101_0101_0101_0101)
    }
}
