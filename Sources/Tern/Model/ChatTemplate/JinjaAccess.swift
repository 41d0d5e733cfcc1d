/// Looking inside values: `obj.name`, `obj[key]` and `obj[start:stop:step]`, with Jinja's
/// leniency: a missing attribute, key or index is undefined rather than an error. Only looking
/// inside something that is itself undefined fails, as in Jinja.
enum JinjaAccess {
    static func attribute(of object: JinjaValue, _ name: String, path: String) throws(JinjaFailure) -> JinjaValue {
        switch object {
        case let .undefined(what):
            throw .runtime("'\(what)' is undefined, so it has no attribute '\(name)'")
        case let .dict(dict):
            return dict[name] ?? .undefined(path)
        case let .namespace(namespace):
            return namespace.attributes[name] ?? .undefined(path)
        case let .loop(state):
            return state.field(name) ?? .undefined(path)
        default:
            return .undefined(path)
        }
    }

    static func item(of object: JinjaValue, _ key: JinjaValue, path: String) throws(JinjaFailure) -> JinjaValue {
        switch (object, key) {
        case let (.undefined(what), _):
            throw .runtime("'\(what)' is undefined, so it has no item \(key.repr)")
        case let (.dict(dict), _):
            return try dict.value(for: key) ?? .undefined(path)
        case let (.list(items), .int), let (.list(items), .bool):
            guard let index = resolve(try key.integer("a list index"), count: items.count) else { return .undefined(path) }
            return items[index]
        case let (.string(text), .int), let (.string(text), .bool):
            let scalars = Array(text.unicodeScalars)
            guard let index = resolve(try key.integer("a string index"), count: scalars.count) else {
                return .undefined(path)
            }
            return .string(String(scalars[index]))
        case let (_, .string(name)):
            // Jinja falls back from `obj['x']` to `obj.x`.
            return try attribute(of: object, name, path: path)
        default:
            return .undefined(path)
        }
    }

    /// A Python index (negative counts from the end) if it is in range.
    private static func resolve(_ index: Int, count: Int) -> Int? {
        let resolved = index < 0 ? index + count : index
        return resolved >= 0 && resolved < count ? resolved : nil
    }

    static func slice(
        _ object: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?, path: String
    ) throws(JinjaFailure) -> JinjaValue {
        func bound(_ value: JinjaValue?, _ role: String) throws(JinjaFailure) -> Int? {
            guard let value, !value.isNone else { return nil }
            return try value.integer("a slice \(role)")
        }
        let start = try bound(start, "start"), stop = try bound(stop, "stop")
        let step = try bound(step, "step") ?? 1
        guard step != 0 else { throw .runtime("slice step cannot be zero") }
        switch object {
        case let .list(items):
            return .list(indices(count: items.count, start: start, stop: stop, step: step).map { items[$0] })
        case let .string(text):
            let scalars = Array(text.unicodeScalars)
            var result = String.UnicodeScalarView()
            for index in indices(count: scalars.count, start: start, stop: stop, step: step) {
                result.append(scalars[index])
            }
            return .string(String(result))
        case let .undefined(what):
            throw .runtime("'\(what)' is undefined, so it cannot be sliced")
        default:
            throw .runtime("'\(path)' is a \(object.typeName), which cannot be sliced")
        }
    }

    /// The indices Python's `seq[start:stop:step]` visits.
    static func indices(count: Int, start: Int?, stop: Int?, step: Int) -> [Int] {
        func clamp(_ value: Int, low: Int, high: Int) -> Int {
            let shifted = value < 0 ? value + count : value
            return min(max(shifted, low), high)
        }
        var result: [Int] = []
        if step > 0 {
            var index = start.map { clamp($0, low: 0, high: count) } ?? 0
            let end = stop.map { clamp($0, low: 0, high: count) } ?? count
            while index < end {
                result.append(index)
                let (next, overflow) = index.addingReportingOverflow(step)
                if overflow { break }
                index = next
            }
        } else {
            var index = start.map { clamp($0, low: -1, high: count - 1) } ?? count - 1
            let end = stop.map { clamp($0, low: -1, high: count - 1) } ?? -1
            while index > end {
                result.append(index)
                let (next, overflow) = index.addingReportingOverflow(step)
                if overflow { break }
                index = next
            }
        }
        return result
    }
}
