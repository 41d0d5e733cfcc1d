/// Formats a human-readable report of a GGUF file: header, metadata, tensor table, totals.
///
/// Used by `tern inspect`. Long arrays and strings are summarised unless the
/// caller asks for everything, so the tokenizer's 49,152 tokens take one line.
public enum GGUFInspector {
    /// Elements shown before `...` when an array is summarised.
    static let previewCount = 3
    /// Characters of a long string shown when summarising.
    static let stringPreviewLength = 60

    /// The report for `file`.
    /// - Parameters:
    ///   - file: a file already read and validated.
    ///   - summarizeArraysLongerThan: arrays with more elements, and strings with
    ///     more characters than `stringPreviewLength`, are shortened; nil shows everything.
    public static func report(_ file: GGUFFile, summarizeArraysLongerThan limit: Int? = 16) -> String {
        var lines: [String] = []
        lines.append("file:      \(file.path)")
        lines.append("size:      \(sizeText(file.fileSize))")
        lines.append("GGUF version \(file.version), \(count(file.tensors.count, "tensor")), \(count(file.metadataKeys.count, "metadata key"))")
        lines.append("alignment \(file.alignment), tensor data at byte \(file.dataOffset)")
        lines.append("")
        lines.append("metadata:")
        let keyWidth = file.metadataKeys.map(\.count).max() ?? 0
        let values = file.metadataKeys.map { file.metadata[$0] }  // arrays decoded once each
        let types = values.map { $0.map(typeName) ?? "" }
        let typeWidth = types.map(\.count).max() ?? 0
        for (key, (value, type)) in zip(file.metadataKeys, zip(values, types)) {
            guard let value else { continue }
            let text = render(value, limit: limit)
            lines.append("  \(pad(key, keyWidth))  \(pad(type, typeWidth))  \(text)")
        }
        lines.append("")
        lines.append("tensors:")
        lines.append(contentsOf: tensorTable(file.tensors))
        let parameters = file.tensors.reduce(0) { $0 + $1.elementCount }
        let bytes = file.tensors.reduce(0) { $0 + $1.byteCount }
        lines.append("")
        lines.append("total: \(count(file.tensors.count, "tensor")), \(grouped(parameters)) parameters, \(sizeText(bytes))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `string`, `uint32`, `array[string]`, `array[array[int32]]`.
    static func typeName(_ value: GGUFValue) -> String {
        guard case let .array(elementType, values) = value else { return "\(value.type)" }
        if elementType == .array, let first = values.first { return "array[\(typeName(first))]" }
        return "array[\(elementType)]"
    }

    /// A value as shown in the report: strings quoted and escaped, arrays in brackets.
    static func render(_ value: GGUFValue, limit: Int?) -> String {
        switch value {
        case let .uint8(v): "\(v)"
        case let .int8(v): "\(v)"
        case let .uint16(v): "\(v)"
        case let .int16(v): "\(v)"
        case let .uint32(v): "\(v)"
        case let .int32(v): "\(v)"
        case let .uint64(v): "\(v)"
        case let .int64(v): "\(v)"
        case let .float32(v): "\(v)"
        case let .float64(v): "\(v)"
        case let .bool(v): "\(v)"
        case let .string(s): render(string: s, limit: limit)
        case let .array(elementType, values): render(array: values, elementType: elementType, limit: limit)
        }
    }

    static func render(string: String, limit: Int?) -> String {
        guard limit != nil, string.count > stringPreviewLength else { return quoted(string) }
        return quoted(String(string.prefix(stringPreviewLength))) + "... (\(string.count) characters)"
    }

    static func render(array values: [GGUFValue], elementType: GGUFValueType, limit: Int?) -> String {
        guard let limit, values.count > limit else {
            return "[" + values.map { render($0, limit: limit) }.joined(separator: ", ") + "]"
        }
        let noun = switch elementType {
        case .string: "strings"
        case .array: "arrays"
        default: "\(elementType) values"
        }
        let shown = values.prefix(previewCount).map { render($0, limit: limit) }
        return "[\(values.count) \(noun): " + shown.joined(separator: ", ") + ", ... ]"
    }

    /// Double-quoted, with quotes, backslashes and control characters escaped so a value is one line.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Rows `name  type  shape  bytes` with aligned columns (bytes right-aligned).
    static func tensorTable(_ tensors: [GGUFTensorInfo]) -> [String] {
        let header = ["name", "type", "shape", "bytes"]
        let rows = tensors.map { t in
            [t.name, t.type.name, t.shape.map(String.init).joined(separator: " x "), grouped(t.byteCount)]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            "  " + pad(cells[0], widths[0]) + "  " + pad(cells[1], widths[1]) + "  " + pad(cells[2], widths[2]) + "  "
                + String(repeating: " ", count: widths[3] - cells[3].count) + cells[3]
        }
        return [line(header)] + rows.map(line)
    }

    /// `1 tensor`, `272 tensors`.
    static func count(_ n: Int, _ noun: String) -> String {
        "\(grouped(n)) \(noun)\(n == 1 ? "" : "s")"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `134515008` as `134,515,008`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// `832 bytes`, or `98,362,432 bytes (93.8 MiB)` from 1 KiB up.
    static func sizeText(_ n: Int) -> String {
        n < 1024 ? "\(n) bytes" : "\(grouped(n)) bytes (\(humanBytes(n)))"
    }

    /// `88.7 MiB`: one decimal in the largest binary unit that keeps the number at least 1.
    static func humanBytes(_ n: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(n) bytes" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
