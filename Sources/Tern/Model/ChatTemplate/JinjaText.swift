/// Python `str` operations on Unicode code points (Python strings index code points, not
/// grapheme clusters, so templates slicing or searching text must see the same units).
enum JinjaText {
    static func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    static func string<S: Sequence<Unicode.Scalar>>(_ scalars: S) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Python's `str.isspace()` per character.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// Code point offset of the first occurrence of `needle` at or after `start`.
    static func find(_ needle: String, in haystack: String, from start: Int = 0) -> Int? {
        find(scalars(needle), in: scalars(haystack), from: start)
    }

    static func find(_ needle: [Unicode.Scalar], in haystack: [Unicode.Scalar], from start: Int = 0) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = max(0, start)
        while index + needle.count <= haystack.count {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// Python's `str.replace(old, new, count)`; an empty `old` inserts `new` around every character.
    static func replace(_ text: String, _ old: String, with new: String, count limit: Int? = nil) -> String {
        let source = scalars(text), target = scalars(old), replacement = scalars(new)
        var remaining = limit.map { $0 < 0 ? Int.max : $0 } ?? Int.max
        var result: [Unicode.Scalar] = []
        if target.isEmpty {
            for scalar in source {
                if remaining > 0 { result += replacement; remaining -= 1 }
                result.append(scalar)
            }
            if remaining > 0 { result += replacement }
            return string(result)
        }
        var index = 0
        while remaining > 0, let found = find(target, in: source, from: index) {
            result += source[index..<found]
            result += replacement
            index = found + target.count
            remaining -= 1
        }
        result += source[index...]
        return string(result)
    }

    /// Python's `str.split(sep, maxsplit)`: with no separator, splits on whitespace runs and drops
    /// empty parts.
    static func split(_ text: String, separator: String?, maxSplits: Int = -1) -> [String] {
        let source = scalars(text)
        var remaining = maxSplits < 0 ? Int.max : maxSplits
        var parts: [String] = []
        guard let separator else {
            var index = 0
            while index < source.count {
                while index < source.count, isWhitespace(source[index]) { index += 1 }
                guard index < source.count else { break }
                if remaining == 0 {
                    var end = source.count
                    while end > index, isWhitespace(source[end - 1]) { end -= 1 }
                    parts.append(string(source[index..<end]))
                    break
                }
                let start = index
                while index < source.count, !isWhitespace(source[index]) { index += 1 }
                parts.append(string(source[start..<index]))
                remaining -= 1
            }
            return parts
        }
        let target = scalars(separator)
        var index = 0
        while remaining > 0, let found = find(target, in: source, from: index) {
            parts.append(string(source[index..<found]))
            index = found + target.count
            remaining -= 1
        }
        parts.append(string(source[index...]))
        return parts
    }

    /// Python's `strip`/`lstrip`/`rstrip`: removes whitespace, or any of `characters`.
    static func strip(_ text: String, characters: String?, leading: Bool, trailing: Bool) -> String {
        let source = scalars(text)
        let set = characters.map { Set($0.unicodeScalars) }
        func removable(_ scalar: Unicode.Scalar) -> Bool { set?.contains(scalar) ?? isWhitespace(scalar) }
        var start = 0, end = source.count
        if leading { while start < end, removable(source[start]) { start += 1 } }
        if trailing { while end > start, removable(source[end - 1]) { end -= 1 } }
        return string(source[start..<end])
    }

    /// Python's `str.capitalize()`: first character upper case, the rest lower case.
    static func capitalize(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst().lowercased()
    }

    /// Python's `str.title()`: each run of letters starts upper case, the rest is lower case.
    static func title(_ text: String) -> String {
        var result = ""
        var previousIsLetter = false
        for character in text {
            let isLetter = character.isLetter
            result += isLetter && !previousIsLetter ? character.uppercased() : character.lowercased()
            previousIsLetter = isLetter
        }
        return result
    }
}
