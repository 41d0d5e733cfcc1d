import Foundation
import Testing

@testable import Tern

@Suite("SamplingParams")
struct SamplingParamsTests {
    @Test func defaultsAndGreedyAreValid() throws {
        #expect(try SamplingParams().validated() == SamplingParams())
        #expect(try SamplingParams.greedy.validated().temperature == 0)
    }

    @Test(arguments: [
        (SamplingParams(temperature: -0.1), "temperature"),
        (SamplingParams(temperature: .nan), "temperature"),
        (SamplingParams(temperature: .infinity), "temperature"),
        (SamplingParams(topK: -1), "topK"),
        (SamplingParams(topP: 0), "topP"),
        (SamplingParams(topP: 1.01), "topP"),
        (SamplingParams(topP: -0.5), "topP"),
        (SamplingParams(minP: -0.01), "minP"),
        (SamplingParams(minP: 1.5), "minP"),
        (SamplingParams(repetitionPenalty: 0), "repetitionPenalty"),
        (SamplingParams(repetitionPenalty: -1), "repetitionPenalty"),
        (SamplingParams(presencePenalty: 2.5), "presencePenalty"),
        (SamplingParams(frequencyPenalty: -3), "frequencyPenalty"),
        (SamplingParams(penaltyLastN: -2), "penaltyLastN"),
        (SamplingParams(maxTokens: 0), "maxTokens"),
    ])
    func rejectsOutOfRangeField(params: SamplingParams, field: String) {
        #expect {
            try params.validated()
        } throws: { error in
            guard case let .outOfRange(name, _, _) = error as? SamplingError else { return false }
            return name == field && (error as? SamplingError)?.description.contains(field) == true
        }
    }

    @Test func errorMessageNamesFieldValueAndRange() {
        let error = #expect(throws: SamplingError.self) { try SamplingParams(topP: 1.5).validated() }
        #expect(error?.description.contains("'topP' is 1.5") == true)
        #expect(error?.description.contains("(0, 1]") == true)
    }

    @Test(arguments: [
        SamplingParams(temperature: 0), SamplingParams(topK: 0), SamplingParams(topP: 1), SamplingParams(minP: 0),
        SamplingParams(minP: 1), SamplingParams(penaltyLastN: -1), SamplingParams(presencePenalty: -2),
    ])
    func acceptsBoundaryValues(params: SamplingParams) throws {
        #expect(try params.validated() == params)
    }

    @Test func rejectsEmptyStopString() {
        #expect(throws: SamplingError.emptyStopString(index: 1)) {
            try SamplingParams(stop: ["\n\n", ""]).validated()
        }
    }

    @Test func decodesMissingKeysAsDefaults() throws {
        let json = #"{"temperature": 0.2, "stop": ["END"], "seed": 9}"#
        let params = try JSONDecoder().decode(SamplingParams.self, from: Data(json.utf8))
        #expect(params == SamplingParams(temperature: 0.2, seed: 9, stop: ["END"]))
        #expect(try JSONDecoder().decode(SamplingParams.self, from: Data("{}".utf8)) == SamplingParams())
    }

    @Test func roundTripsThroughJSON() throws {
        let params = SamplingParams(
            temperature: 1.3, topK: 5, topP: 0.5, minP: 0.1, repetitionPenalty: 1.1, presencePenalty: 0.5,
            frequencyPenalty: -0.5, penaltyLastN: 32, seed: 123, maxTokens: 17, stop: ["a", "bc"])
        let data = try JSONEncoder().encode(params)
        #expect(try JSONDecoder().decode(SamplingParams.self, from: data) == params)
    }
}
