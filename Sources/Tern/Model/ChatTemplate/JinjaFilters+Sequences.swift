/// Filters that walk a sequence: selecting, mapping, sorting and reducing.
extension JinjaFilters {
    static func applySequenceFilter(
        _ name: String, to value: JinjaValue, _ arguments: JinjaCallArguments
    ) throws(JinjaFailure) -> JinjaValue {
        // Jinja's select family and map yield nothing for a falsy input (none, empty), not an error.
        let selecting: Set<String> = ["selectattr", "rejectattr", "select", "reject", "map"]
        if selecting.contains(name), !value.isTruthy { return .list([]) }
        let items = try value.iterated()
        switch name {
        case "selectattr", "rejectattr":
            guard let attribute = arguments.positional.first else {
                throw .runtime("the '\(name)' filter needs an attribute name")
            }
            return .list(try select(items, keep: name == "selectattr", testArguments: arguments.positional.dropFirst()) {
                (item) throws(JinjaFailure) in try lookup(attribute, in: item)
            })
        case "select", "reject":
            return .list(try select(items, keep: name == "select", testArguments: arguments.positional[...]) { $0 })
        case "map":
            return .list(try map(items, arguments))
        case "reverse":
            if case let .string(text) = value { return .string(String(text.unicodeScalars.reversed().map(Character.init))) }
            return .list(items.reversed())
        case "unique":
            var kept: [JinjaValue] = []
            var seen: [JinjaValue] = []
            let caseSensitive = arguments.value(0, "case_sensitive")?.isTruthy ?? false
            for item in items {
                let key = try sortKey(try attributeOrSelf(item, arguments.value(1, "attribute")), caseSensitive)
                if !seen.contains(where: { $0.equals(key) }) {
                    seen.append(key)
                    kept.append(item)
                }
            }
            return .list(kept)
        case "sort":
            let reverse = arguments.value(0, "reverse")?.isTruthy ?? false
            let caseSensitive = arguments.value(1, "case_sensitive")?.isTruthy ?? false
            return .list(try sorted(items, reverse: reverse) { (item) throws(JinjaFailure) in
                try sortKey(try attributeOrSelf(item, arguments.value(2, "attribute")), caseSensitive)
            })
        case "dictsort":
            guard case let .dict(dict) = value else { throw .runtime("the 'dictsort' filter needs a mapping") }
            let caseSensitive = arguments.value(0, "case_sensitive")?.isTruthy ?? false
            let byValue = arguments.value(1, "by")?.text == "value"
            let reverse = arguments.value(2, "reverse")?.isTruthy ?? false
            let pairs: [JinjaValue] = dict.entries.map { .list([$0.key, $0.value]) }
            return .list(try sorted(pairs, reverse: reverse) { (pair) throws(JinjaFailure) in
                guard case let .list(parts) = pair else { return pair }
                return try sortKey(parts[byValue ? 1 : 0], caseSensitive)
            })
        case "min", "max":
            let caseSensitive = arguments.value(0, "case_sensitive")?.isTruthy ?? false
            let ordered = try sorted(items, reverse: name == "max") { (item) throws(JinjaFailure) in
                try sortKey(try attributeOrSelf(item, arguments.value(1, "attribute")), caseSensitive)
            }
            return ordered.first ?? .undefined("\(name) of an empty sequence")
        case "sum":
            var total = arguments.value(1, "start") ?? .int(0)
            for item in items {
                total = try JinjaOperators.apply(.add, total, try attributeOrSelf(item, arguments.value(0, "attribute")))
            }
            return total
        default:
            throw .unsupported("the '\(name)' filter")
        }
    }

    /// `item.a.b` for an attribute path like `"a.b"` (integer parts index lists), as Jinja's
    /// `selectattr`, `map(attribute=)` and `sort(attribute=)` do.
    static func lookup(_ attribute: JinjaValue, in item: JinjaValue) throws(JinjaFailure) -> JinjaValue {
        if case let .int(index) = attribute { return try JinjaAccess.item(of: item, .int(index), path: String(index)) }
        let path = try attribute.string("an attribute name")
        var current = item
        for part in path.split(separator: ".") {
            let key: JinjaValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try JinjaAccess.item(of: current, key, path: path)
        }
        return current
    }

    private static func attributeOrSelf(_ item: JinjaValue, _ attribute: JinjaValue?) throws(JinjaFailure) -> JinjaValue {
        guard let attribute, !attribute.isNone else { return item }
        return try lookup(attribute, in: item)
    }

    /// Keeps items whose (projected) value passes the named test, or is truthy without one.
    private static func select(
        _ items: [JinjaValue], keep: Bool, testArguments: ArraySlice<JinjaValue>,
        project: (JinjaValue) throws(JinjaFailure) -> JinjaValue
    ) throws(JinjaFailure) -> [JinjaValue] {
        var result: [JinjaValue] = []
        var testName: String?
        if let first = testArguments.first { testName = try first.string("a test name") }
        if let testName, !JinjaTests.supported.contains(testName) { throw .unsupported("the '\(testName)' test") }
        let extra = JinjaCallArguments(positional: Array(testArguments.dropFirst()))
        for item in items {
            let value = try project(item)
            let passes = try testName.map { (name) throws(JinjaFailure) in try JinjaTests.apply(name, to: value, extra) }
                ?? value.isTruthy
            if passes == keep { result.append(item) }
        }
        return result
    }

    /// `map(attribute='x', default=d)` or `map('filter', args...)`.
    private static func map(_ items: [JinjaValue], _ arguments: JinjaCallArguments) throws(JinjaFailure) -> [JinjaValue] {
        var result: [JinjaValue] = []
        if let attribute = arguments.keyword["attribute"] {
            for item in items {
                let value = try lookup(attribute, in: item)
                result.append(value.isUndefined ? arguments.keyword["default"] ?? value : value)
            }
            return result
        }
        guard let filter = arguments.positional.first else {
            throw .runtime("the 'map' filter needs a filter name or attribute=")
        }
        let name = try filter.string("a filter name")
        guard supported.contains(name) else { throw .unsupported("the '\(name)' filter") }
        let rest = JinjaCallArguments(positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword)
        for item in items { result.append(try apply(name, to: item, rest)) }
        return result
    }

    /// What sorting and `unique` compare: numbers as numbers, text case-folded unless asked not to.
    private static func sortKey(_ value: JinjaValue, _ caseSensitive: Bool) throws(JinjaFailure) -> JinjaValue {
        if case let .string(text) = value, !caseSensitive { return .string(text.lowercased()) }
        return value
    }

    /// A stable sort by precomputed keys; all keys must be numbers, or all strings.
    private static func sorted(
        _ items: [JinjaValue], reverse: Bool, key: (JinjaValue) throws(JinjaFailure) -> JinjaValue
    ) throws(JinjaFailure) -> [JinjaValue] {
        var numbers: [Double] = []
        var texts: [[UInt32]] = []
        for item in items {
            switch try key(item) {
            case let .string(text): texts.append(text.unicodeScalars.map(\.value))
            case let other:
                guard let number = other.number else { throw .runtime("cannot sort \(other.typeName) values") }
                numbers.append(number)
            }
        }
        guard numbers.isEmpty || texts.isEmpty else { throw .runtime("cannot sort a mix of strings and numbers") }
        let order = items.indices.sorted { a, b in
            let less = numbers.isEmpty ? texts[a].lexicographicallyPrecedes(texts[b]) : numbers[a] < numbers[b]
            let greater = numbers.isEmpty ? texts[b].lexicographicallyPrecedes(texts[a]) : numbers[b] < numbers[a]
            if reverse ? greater : less { return true }
            if reverse ? less : greater { return false }
            return a < b
        }
        return order.map { items[$0] }
    }
}
