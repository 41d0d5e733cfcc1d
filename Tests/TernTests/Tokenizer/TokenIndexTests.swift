import Testing

@testable import Tern

/// The byte-exact lookup tables behind the tokenizer.
@Suite("Token index and merge table")
struct TokenIndexTests {
    @Test("keys are compared as bytes: canonically equivalent texts stay distinct, a repeat keeps the last id")
    func byteExactKeys() {
        var index = TokenIndex(capacity: 2)
        index.insert("\u{E9}", id: 1)  // é precomposed
        index.insert("e\u{301}", id: 2)  // e + combining acute
        index.insert("", id: 3)
        index.insert("\u{E9}", id: 4)
        #expect(index.id(of: "\u{E9}") == 4)
        #expect(index.id(of: "e\u{301}") == 2)
        #expect(index.id(of: "") == 3)
        #expect(index.id(of: "e") == nil)
        #expect(index.count == 3)
    }

    @Test("the index grows past its initial capacity and still finds every key")
    func growth() {
        var index = TokenIndex(capacity: 1)
        for id in 0..<5000 { index.insert("token\(id)", id: Int32(id)) }
        #expect((0..<5000).allSatisfy { index.id(of: "token\($0)") == Int32($0) })
        #expect(index.id(of: "token5000") == nil)
    }

    @Test("a merge rule for a pair is kept from its first (highest-priority) occurrence")
    func mergeTable() {
        var table = MergeTable(capacity: 3)
        table.insertIfAbsent(1, 2, .init(rank: 0, result: 10))
        table.insertIfAbsent(1, 2, .init(rank: 5, result: 11))
        table.insertIfAbsent(2, 1, .init(rank: 1, result: 12))
        #expect(table.merge(1, 2)?.rank == 0 && table.merge(1, 2)?.result == 10)
        #expect(table.merge(2, 1)?.result == 12)
        #expect(table.merge(1, 1) == nil)
        #expect(table.count == 2)
    }

    @Test("the merge queue pops the lowest rank first, then the leftmost pair")
    func mergeQueueOrder() {
        var queue = MergeQueue()
        for (rank, left) in [(3, 0), (1, 4), (1, 2), (2, 1), (1, 7)] {
            queue.insert(.init(rank: Int32(rank), left: Int32(left), right: Int32(left + 1), leftID: 0, rightID: 0, result: 0))
        }
        var order: [(Int32, Int32)] = []
        while let next = queue.popFirst() { order.append((next.rank, next.left)) }
        #expect(order.map(\.0) == [1, 1, 1, 2, 3] && order.map(\.1) == [2, 4, 7, 1, 0])
    }
}
