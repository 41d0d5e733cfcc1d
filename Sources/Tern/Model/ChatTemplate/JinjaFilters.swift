/// Jinja's built-in filters that chat templates use (`value | name(args)`), with `tojson` as
/// Hugging Face overrides it. The list-shaped ones (`selectattr`, `map`, `sort`, ...) are in
/// `JinjaFilters+Sequences.swift`.
enum JinjaFilters {
    /// Names the parser accepts; anything else is reported as unsupported at parse time.
    static let supported: Set<String> = [
        "trim", "length", "count", "upper", "lower", "capitalize", "title", "tojson", "default", "d", "join",
        "first", "last", "list", "string", "int", "float", "replace", "items", "safe", "escape", "e", "abs",
        "round", "indent", "attr", "selectattr", "rejectattr", "select", "reject", "map", "dictsort", "sort",
        "unique", "reverse", "min", "max", "sum", "wordcount",
    ]

    static func apply(_ name: String, to value: JinjaValue, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue {
        switch name {
        case "trim":
            let characters = try arguments.string(0, "chars")
            return .string(JinjaText.strip(value.text, characters: characters, leading: true, trailing: true))
        case "length", "count": return .int(try length(of: value))
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize": return .string(JinjaText.capitalize(value.text))
        case "title": return .string(JinjaText.title(value.text))
        case "wordcount": return .int(JinjaText.split(value.text, separator: nil).count)
        case "safe": return value
        case "string": return .string(value.text)
        case "escape", "e": return .string(htmlEscaped(value.text))
        case "tojson":
            let json = try JinjaJSON(
                indent: arguments.value(0, "indent"), separators: arguments.keyword["separators"],
                sortKeys: arguments.keyword["sort_keys"]?.isTruthy ?? false,
                asciiOnly: arguments.keyword["ensure_ascii"]?.isTruthy ?? false)
            return .string(try json.encode(value))
        case "default", "d":
            let fallback = arguments.value(0, "default_value") ?? .string("")
            let useFalsy = arguments.value(1, "boolean")?.isTruthy ?? false
            return value.isUndefined || (useFalsy && !value.isTruthy) ? fallback : value
        case "join":
            let separator = arguments.value(0, "d")?.text ?? ""
            var items = try value.iterated()
            if let attribute = arguments.value(1, "attribute") {
                items = try items.map { (item) throws(JinjaFailure) in try lookup(attribute, in: item) }
            }
            return .string(items.map(\.text).joined(separator: separator))
        case "first": return try value.iterated().first ?? .undefined("the first item of an empty sequence")
        case "last": return try value.iterated().last ?? .undefined("the last item of an empty sequence")
        case "list": return .list(try value.iterated())
        case "items":
            switch value {
            case .undefined: return .list([])
            case let .dict(dict): return .list(dict.entries.map { .list([$0.key, $0.value]) })
            default: throw .runtime("the 'items' filter needs a mapping, not \(value.typeName)")
            }
        case "int": return toInteger(value, fallback: arguments.value(0, "default") ?? .int(0))
        case "float": return toFloat(value, fallback: arguments.value(0, "default") ?? .float(0))
        case "replace":
            guard let old = arguments.value(0, "old"), let new = arguments.value(1, "new") else {
                throw .runtime("the 'replace' filter needs the old and the new text")
            }
            let count = try arguments.integer(2, "count")
            return .string(JinjaText.replace(value.text, old.text, with: new.text, count: count))
        case "abs":
            switch value {
            case let .int(number) where number != .min: return .int(abs(number))
            case let .float(number): return .float(abs(number))
            default: throw .runtime("the 'abs' filter needs a number, not \(value.typeName)")
            }
        case "round": return try round(value, arguments)
        case "indent": return try indent(value.text, arguments)
        case "attr":
            guard let name = arguments.value(0, "name") else { throw .runtime("the 'attr' filter needs a name") }
            return try JinjaAccess.attribute(of: value, try name.string("the attribute name"), path: name.text)
        default:
            return try applySequenceFilter(name, to: value, arguments)
        }
    }

    static func length(of value: JinjaValue) throws(JinjaFailure) -> Int {
        switch value {
        case .undefined: 0
        case let .string(text): text.unicodeScalars.count
        case let .list(items): items.count
        case let .dict(dict): dict.count
        case let .namespace(namespace): namespace.attributes.count
        default: throw .runtime("object of type '\(value.typeName)' has no length")
        }
    }

    private static func htmlEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func toInteger(_ value: JinjaValue, fallback: JinjaValue) -> JinjaValue {
        switch value {
        case let .int(number): return .int(number)
        case let .bool(flag): return .int(flag ? 1 : 0)
        case let .float(number): return Int(exactly: number.rounded(.towardZero)).map { .int($0) } ?? fallback
        case let .string(text):
            let trimmed = JinjaText.strip(text, characters: nil, leading: true, trailing: true)
            if let number = Int(trimmed.replacingAll("_", with: "")) { return .int(number) }
            if let number = Double(trimmed), let whole = Int(exactly: number.rounded(.towardZero)) { return .int(whole) }
            return fallback
        default: return fallback
        }
    }

    private static func toFloat(_ value: JinjaValue, fallback: JinjaValue) -> JinjaValue {
        switch value {
        case let .string(text):
            Double(JinjaText.strip(text, characters: nil, leading: true, trailing: true)).map { .float($0) } ?? fallback
        default: value.number.map { .float($0) } ?? fallback
        }
    }

    private static func round(_ value: JinjaValue, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue {
        guard let number = value.number else { throw .runtime("the 'round' filter needs a number, not \(value.typeName)") }
        let precision = try arguments.value(0, "precision")?.integer("round precision") ?? 0
        let method = arguments.value(1, "method")?.text ?? "common"
        let rule: FloatingPointRoundingRule =
            switch method {
            case "ceil": .up
            case "floor": .down
            default: .toNearestOrAwayFromZero
            }
        var scale = 1.0
        for _ in 0..<min(abs(precision), 300) { scale *= 10 }
        let rounded = precision >= 0 ? (number * scale).rounded(rule) / scale : (number / scale).rounded(rule) * scale
        return .float(rounded)
    }

    /// Jinja's `indent(width=4, first=False, blank=False)`.
    private static func indent(_ text: String, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue {
        let indentation: String
        switch arguments.value(0, "width") {
        case let .string(custom)?: indentation = custom
        case let width?: indentation = String(repeating: " ", count: max(0, min(try width.integer("indent width"), 1000)))
        case nil: indentation = "    "
        }
        let first = arguments.value(1, "first")?.isTruthy ?? false
        let blank = arguments.value(2, "blank")?.isTruthy ?? false
        var lines = JinjaText.split(text + "\n", separator: "\n")
        lines.removeLast()
        var result = lines.isEmpty ? "" : lines.removeFirst()
        for line in lines {
            result += "\n" + (line.isEmpty && !blank ? line : indentation + line)
        }
        return .string(first ? indentation + result : result)
    }
}
