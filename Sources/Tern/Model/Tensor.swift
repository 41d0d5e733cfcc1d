import TernKernels

/// A weight matrix used in place from the mapped file: `rows` packed rows of
/// `columns` values in `format`. Never copied to f32.
public struct Tensor: @unchecked Sendable {
    // @unchecked: `data` points into a read-only mapping kept alive by the owner of this tensor.
    public let name: String
    public let format: WeightFormat
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer

    public var rowBytes: Int { format.rowBytes(columns)! }  // validated at load: columns is whole blocks

    /// Pointer to row `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer { data + row * rowBytes }

    /// Reads tensor `name` from `file`, checking its shape is `[columns, rows]` (ggml order).
    static func load(_ name: String, from file: GGUFFile, columns: Int, rows: Int) throws(ModelError) -> Tensor {
        guard let info = file.tensorInfo(name) else { throw .missingTensor(path: file.path, name: name) }
        let expected = rows == 1 ? [columns] : [columns, rows]
        let got = info.shape.count == 2 && info.shape[1] == 1 && rows == 1 ? [info.shape[0]] : info.shape
        guard got == expected else {
            throw .wrongShape(path: file.path, tensor: name, expected: expected, got: info.shape)
        }
        guard let format = info.type.format, format != .q8_1, format.rowBytes(columns) != nil else {
            throw .unsupportedTensorType(path: file.path, tensor: name, type: info.type.name)
        }
        let bytes = file.bytes(of: info)
        return Tensor(name: name, format: format, rows: rows, columns: columns, data: bytes.baseAddress!)
    }
}
