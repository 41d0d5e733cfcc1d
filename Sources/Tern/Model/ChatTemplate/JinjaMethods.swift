/// Python methods templates call on values: `str.strip()`, `str.split()`, `dict.get()`,
/// `dict.items()`, ... Returns nil when `object` has no method called `name`, so the caller can
/// fall back to an attribute (a macro stored in a dict) or report the method as unsupported.
/// Mutating list methods (`append`, `pop`) are absent on purpose: Hugging Face renders templates
/// in an immutable sandbox that rejects them too.
enum JinjaMethods {
    static func call(_ name: String, on object: JinjaValue, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue? {
        switch object {
        case let .string(text): try stringMethod(name, text, arguments)
        case let .dict(dict): try dictMethod(name, dict, arguments)
        default: nil
        }
    }

    private static func stringMethod(_ name: String, _ text: String, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue? {
        func optionalString(_ index: Int, _ label: String) throws(JinjaFailure) -> String? {
            guard let value = arguments.value(index, label), !value.isNone else { return nil }
            return try value.string("the \(label) argument of '.\(name)()'")
        }
        func requiredString(_ index: Int, _ label: String) throws(JinjaFailure) -> String {
            guard let value = try optionalString(index, label) else {
                throw .runtime("'.\(name)()' needs a \(label) argument")
            }
            return value
        }
        switch name {
        case "strip", "lstrip", "rstrip":
            return .string(JinjaText.strip(
                text, characters: try optionalString(0, "chars"), leading: name != "rstrip", trailing: name != "lstrip"))
        case "upper": return .string(text.uppercased())
        case "lower": return .string(text.lowercased())
        case "title": return .string(JinjaText.title(text))
        case "capitalize": return .string(JinjaText.capitalize(text))
        case "startswith", "endswith":
            let candidates: [JinjaValue]
            switch arguments.value(0, "prefix") {
            case let .list(items)?: candidates = items
            case let value?: candidates = [value]
            case nil: throw .runtime("'.\(name)()' needs an argument")
            }
            for candidate in candidates {
                let affix = try candidate.string("the argument of '.\(name)()'")
                let (whole, part) = (JinjaText.scalars(text), JinjaText.scalars(affix))
                if name == "startswith" ? whole.starts(with: part) : whole.reversed().starts(with: part.reversed()) {
                    return .bool(true)
                }
            }
            return .bool(false)
        case "split":
            let separator = try optionalString(0, "sep")
            if separator == "" { throw .runtime("'.split()' separator must not be empty") }
            let maxSplits = try arguments.value(1, "maxsplit")?.integer("maxsplit") ?? -1
            return .list(JinjaText.split(text, separator: separator, maxSplits: maxSplits).map { .string($0) })
        case "splitlines":
            let lines = JinjaText.split(text, separator: "\n")
            return .list((lines.last == "" ? lines.dropLast() : lines[...]).map { .string($0) })
        case "replace":
            let count = try arguments.value(2, "count")?.integer("count")
            return .string(JinjaText.replace(
                text, try requiredString(0, "old"), with: try requiredString(1, "new"), count: count))
        case "find":
            return .int(JinjaText.find(try requiredString(0, "sub"), in: text) ?? -1)
        case "count":
            let needle = try requiredString(0, "sub")
            if needle.isEmpty { return .int(text.unicodeScalars.count + 1) }
            return .int(JinjaText.split(text, separator: needle).count - 1)
        case "join":
            let items = try (arguments.value(0, "iterable") ?? .list([])).iterated()
            var parts: [String] = []
            for item in items { parts.append(try item.string("each item joined")) }
            return .string(parts.joined(separator: text))
        case "format":
            return .string(try format(text, arguments))
        case "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper":
            return .bool(classify(name, text))
        default:
            return nil
        }
    }

    private static func classify(_ name: String, _ text: String) -> Bool {
        let scalars = JinjaText.scalars(text)
        switch name {
        case "isdigit": return !scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal }
        case "isalpha": return !scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic }
        case "isalnum":
            return !scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }
        case "isspace": return !scalars.isEmpty && scalars.allSatisfy(JinjaText.isWhitespace)
        case "islower": return text.contains { $0.isLetter } && text == text.lowercased()
        default: return text.contains { $0.isLetter } && text == text.uppercased()
        }
    }

    /// `str.format` with `{}`, `{0}` and `{name}` fields and `{{`/`}}` escapes (no format specs).
    private static func format(_ template: String, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> String {
        let characters = Array(template)
        var result = ""
        var nextIndex = 0
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == "}" {
                guard index < characters.count, characters[index] == "}" else {
                    throw .runtime("single '}' in a '.format()' string")
                }
                index += 1
                result.append("}")
                continue
            }
            guard character == "{" else {
                result.append(character)
                continue
            }
            if index < characters.count, characters[index] == "{" {
                index += 1
                result.append("{")
                continue
            }
            var field = ""
            while index < characters.count, characters[index] != "}" {
                field.append(characters[index])
                index += 1
            }
            guard index < characters.count else { throw .runtime("unclosed '{' in a '.format()' string") }
            index += 1
            if field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[") {
                throw .unsupported("the field '{\(field)}' in '.format()'")
            }
            let value: JinjaValue?
            if field.isEmpty {
                value = arguments.positional.indices.contains(nextIndex) ? arguments.positional[nextIndex] : nil
                nextIndex += 1
            } else if let position = Int(field) {
                value = arguments.positional.indices.contains(position) ? arguments.positional[position] : nil
            } else {
                value = arguments.keyword[field]
            }
            guard let value else { throw .runtime("'.format()' has no argument for '{\(field)}'") }
            result += value.text
        }
        return result
    }

    private static func dictMethod(_ name: String, _ dict: JinjaDict, _ arguments: JinjaCallArguments) throws(JinjaFailure) -> JinjaValue? {
        switch name {
        case "get":
            guard let key = arguments.value(0, "key") else { throw .runtime("'.get()' needs a key") }
            return try dict.value(for: key) ?? arguments.value(1, "default") ?? JinjaValue.none
        case "items": return .list(dict.entries.map { .list([$0.key, $0.value]) })
        case "keys": return .list(dict.keys)
        case "values": return .list(dict.values)
        default: return nil
        }
    }
}
