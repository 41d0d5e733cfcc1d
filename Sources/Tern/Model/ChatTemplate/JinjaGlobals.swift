#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The global functions a chat template can call: Jinja's own (`namespace`, `range`, `dict`)
/// and the two Hugging Face transformers adds (`raise_exception`, `strftime_now`).
enum JinjaGlobals {
    static let functionNames = ["raise_exception", "strftime_now", "namespace", "range", "dict"]

    static var values: [String: JinjaValue] {
        Dictionary(uniqueKeysWithValues: functionNames.map { ($0, JinjaValue.function($0)) })
    }

    /// Most items `range()` may produce, so a hostile template cannot exhaust memory.
    static let maximumRangeCount = 100_000

    static func call(_ name: String, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue {
        switch name {
        case "raise_exception":
            throw .raised(arguments.value(0, "message")?.text ?? "raise_exception() called without a message")
        case "strftime_now":
            guard case let .string(format)? = arguments.value(0, "format") else {
                throw .runtime("strftime_now() needs a format string")
            }
            return .string(JinjaPlatform.formatNow(format))
        case "namespace":
            var attributes = JinjaDict()
            if case let .dict(initial)? = arguments.positional.first { attributes = initial }
            for name in arguments.keywordOrder { attributes[name] = arguments.keyword[name] }
            return .namespace(JinjaNamespace(attributes: attributes))
        case "dict":
            var dict = JinjaDict()
            if case let .dict(initial)? = arguments.positional.first { dict = initial }
            for name in arguments.keywordOrder { dict[name] = arguments.keyword[name] }
            return .dict(dict)
        case "range":
            return try range(arguments.positional)
        default:
            throw .unsupported("the function '\(name)()'")
        }
    }

    private static func range(_ arguments: [JinjaValue]) throws(JinjaFailure) -> JinjaValue {
        var bounds: [Int] = []
        for argument in arguments { bounds.append(try argument.integer("a range() argument")) }
        let (start, stop, step): (Int, Int, Int)
        switch bounds.count {
        case 1: (start, stop, step) = (0, bounds[0], 1)
        case 2: (start, stop, step) = (bounds[0], bounds[1], 1)
        case 3: (start, stop, step) = (bounds[0], bounds[1], bounds[2])
        default: throw .runtime("range() takes 1 to 3 arguments, not \(bounds.count)")
        }
        guard step != 0 else { throw .runtime("range() step must not be zero") }
        var values: [JinjaValue] = []
        var current = start
        while step > 0 ? current < stop : current > stop {
            guard values.count < maximumRangeCount else {
                throw .runtime("range() would produce more than \(maximumRangeCount) numbers")
            }
            values.append(.int(current))
            let (next, overflow) = current.addingReportingOverflow(step)
            if overflow { break }
            current = next
        }
        return .list(values)
    }
}

/// The few C library calls the interpreter needs.
enum JinjaPlatform {
    static func power(_ base: Double, _ exponent: Double) -> Double { pow(base, exponent) }

    /// The current local time formatted with C `strftime` (what Python's `datetime.strftime` uses).
    static func formatNow(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        let length = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
