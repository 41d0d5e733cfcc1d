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
    /// Owns `data` when it is not in the mapped file (repacked weights); else nil.
    var storage: TensorStorage? = nil

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

    /// This matrix in the layout the fastest kernels read when it has one (t2_64
    /// on x86 becomes `t2_64r`, see `TernaryRepacking`), else itself. Costs a copy
    /// of the bytes in memory; only for matrices used in products, never for
    /// tensors whose rows are looked up (embeddings).
    func repackedForKernels() -> Tensor {
        guard TernaryRepacking.repackedFormat(for: format, rows: rows, columns: columns) != nil else { return self }
        let bytes = rows * rowBytes
        let storage = TensorStorage(bytes: bytes)
        guard let repacked = TernaryRepacking.repack(
            data, format: format, rows: rows, columns: columns, into: storage.pointer) else { return self }
        return Tensor(
            name: name, format: repacked, rows: rows, columns: columns, data: UnsafeRawPointer(storage.pointer),
            storage: storage)
    }
}

/// Heap bytes a `Tensor` points into, freed with the last tensor that holds them.
final class TensorStorage: @unchecked Sendable {
    // @unchecked: written once before any tensor shares it, read-only afterwards.
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
    }

    deinit { pointer.deallocate() }
}
