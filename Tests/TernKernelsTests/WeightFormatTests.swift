import Testing
@testable import TernKernels

@Suite("Weight formats")
struct WeightFormatTests {
    @Test(
        "Block sizes and bytes match ggml's layouts",
        arguments: [
            (WeightFormat.f32, 1, 4), (.f16, 1, 2), (.bf16, 1, 2),
            (.q4_0, 32, 18), (.q4_1, 32, 20), (.q8_0, 32, 34), (.q8_1, 32, 36),
            (.mxfp4, 32, 17), (.nvfp4, 64, 36),
            (.tq1_0, 256, 54), (.tq2_0, 256, 66), (.t2_64, 64, 18),
        ])
    func blockLayout(format: WeightFormat, blockSize: Int, bytes: Int) {
        #expect(format.blockSize == blockSize)
        #expect(format.bytesPerBlock == bytes)
        #expect(format.rowBytes(256) == 256 / blockSize * bytes)
    }

    @Test("Rows that are not whole blocks have no size")
    func partialBlocks() {
        #expect(WeightFormat.q4_1.rowBytes(33) == nil)
        #expect(WeightFormat.f16.rowBytes(33) == 66)
    }

    @Test("ggml type ids are kept", arguments: WeightFormat.allCases)
    func typeIDs(format: WeightFormat) {
        let ids: [WeightFormat: UInt32] = [.f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q8_0: 8, .q8_1: 9, .bf16: 30,
                                              .mxfp4: 39, .nvfp4: 40, .tq1_0: 34, .tq2_0: 35, .t2_64: 0x7400]
        #expect(format.rawValue == ids[format])
    }
}
