/// `tojson` as Hugging Face transformers defines it for chat templates:
/// `json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)`.
/// Keys keep their insertion order unless sorted; non-ASCII text is written as is.
struct JinjaJSON {
    /// nil for single-line output; otherwise the string repeated per nesting level.
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys: Bool
    var asciiOnly: Bool

    init(indent: JinjaValue?, separators: JinjaValue?, sortKeys: Bool, asciiOnly: Bool) throws(JinjaFailure) {
        switch indent {
        case nil, .none?: self.indent = nil
        case let .string(text)?: self.indent = text
        case let value?: self.indent = String(repeating: " ", count: max(0, try value.integer("tojson indent")))
        }
        if case let .list(parts)? = separators, parts.count == 2 {
            itemSeparator = try parts[0].string("a tojson separator")
            keySeparator = try parts[1].string("a tojson separator")
        } else {
            // Python drops the space after ',' when indenting, since a newline follows anyway.
            itemSeparator = self.indent == nil ? ", " : ","
            keySeparator = ": "
        }
        self.sortKeys = sortKeys
        self.asciiOnly = asciiOnly
    }

    func encode(_ value: JinjaValue) throws(JinjaFailure) -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: JinjaValue, level: Int, into out: inout String) throws(JinjaFailure) {
        guard level < 200 else { throw .runtime("value is nested too deeply for tojson") }
        switch value {
        case .none: out += "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case let .int(number): out += String(number)
        case let .float(number):
            if number.isNaN {
                out += "NaN"
            } else if number.isInfinite {
                out += number < 0 ? "-Infinity" : "Infinity"
            } else {
                out += JinjaValue.pythonFloat(number)
            }
        case let .string(text): out += JinjaStringEscapes.jsonQuoted(text, asciiOnly: asciiOnly)
        case let .list(items):
            try writeContainer(open: "[", close: "]", count: items.count, level: level, into: &out) {
                (index, out) throws(JinjaFailure) in
                try write(items[index], level: level + 1, into: &out)
            }
        case let .dict(dict):
            let entries = sortKeys ? dict.entries.sorted { $0.key.jsonKey.unicodeScalars.lexicographicallyPrecedes($1.key.jsonKey.unicodeScalars) } : dict.entries
            try writeContainer(open: "{", close: "}", count: entries.count, level: level, into: &out) {
                (index, out) throws(JinjaFailure) in
                out += JinjaStringEscapes.jsonQuoted(entries[index].key.jsonKey, asciiOnly: asciiOnly) + keySeparator
                try write(entries[index].value, level: level + 1, into: &out)
            }
        case let .namespace(namespace):
            try write(.dict(namespace.attributes), level: level, into: &out)
        case let .undefined(what):
            throw .runtime("'\(what)' is undefined and cannot be converted to JSON")
        case .macro, .function, .loop:
            throw .runtime("a \(value.typeName) cannot be converted to JSON")
        }
    }

    private func writeContainer(
        open: String, close: String, count: Int, level: Int, into out: inout String,
        item: (Int, inout String) throws(JinjaFailure) -> Void
    ) throws(JinjaFailure) {
        guard count > 0 else {
            out += open + close
            return
        }
        out += open
        let newline = indent.map { "\n" + String(repeating: $0, count: level + 1) }
        for index in 0..<count {
            if index > 0 { out += itemSeparator }
            if let newline { out += newline }
            try item(index, &out)
        }
        if let indent { out += "\n" + String(repeating: indent, count: level) }
        out += close
    }
}
