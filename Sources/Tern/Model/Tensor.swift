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
    /// The format the file stores this matrix in: `format` unless the matrix was
    /// repacked at load (a t2_64r tensor read from a tq2_0 file says `tq2_0` here).
    public let fileFormat: WeightFormat
    /// Owns `data` when it is not in the mapped file (repacked weights); else nil.
    var storage: TensorStorage? = nil

    public var rowBytes: Int { format.rowBytes(columns)! }  // validated at load: columns is whole blocks

    /// Pointer to row `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer { data + row * rowBytes }

    /// Row `row` as f32 into `destination` (`columns` values), whatever the layout: rows
    /// repacked for the lookup-table kernels are interleaved in groups, so they are not at
    /// `row(_:)`.
    func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        if format == .t2_64r {
            TernaryRepacking.dequantizeRow(ofRepacked: data, row: row, rows: rows, columns: columns, into: destination)
        } else if format == .q4_0r || format == .q4_1r {
            Q4Repacking.dequantizeRow(
                ofRepacked: data, format: format, row: row, rows: rows, columns: columns, into: destination)
        } else {
            RowQuantization.dequantizeRow(format: format, source: self.row(row), destination: destination, count: columns)
        }
    }

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

    init(name: String, format: WeightFormat, rows: Int, columns: Int, data: UnsafeRawPointer,
         fileFormat: WeightFormat? = nil, storage: TensorStorage? = nil) {
        self.name = name
        self.format = format
        self.rows = rows
        self.columns = columns
        self.data = data
        self.fileFormat = fileFormat ?? format
        self.storage = storage
    }

    /// This matrix in the layout the fastest kernels read when it has one (on x86:
    /// t2_64, tq1_0 and tq2_0 become `t2_64r`, see `TernaryRepacking`; q4_0 and q4_1
    /// become `q4_0r` and `q4_1r`, see `Q4Repacking`), else itself. Costs a copy of the
    /// bytes in memory (as many as the file's for q4, 9% more for tq2_0, 33% for tq1_0):
    /// the caller may drop the file's pages of the source once it holds the copy.
    func repackedForKernels() -> Tensor {
        if TernaryRepacking.repackedFormat(for: format, rows: rows, columns: columns) != nil,
           let bytes = TernaryRepacking.repackedBytes(for: format, rows: rows, columns: columns) {
            return repacked(bytes: bytes) { TernaryRepacking.repack(data, format: format, rows: rows, columns: columns, into: $0) }
        }
        if Q4Repacking.repackedFormat(for: format, rows: rows, columns: columns) != nil {
            return repacked(bytes: rows * rowBytes) { Q4Repacking.repack(data, format: format, rows: rows, columns: columns, into: $0) }
        }
        return self
    }

    /// This matrix with `write`'s bytes (in `bytes` new bytes) and the format it returns;
    /// itself when it returns nil.
    private func repacked(bytes: Int, _ write: (UnsafeMutableRawPointer) -> WeightFormat?) -> Tensor {
        let storage = TensorStorage(bytes: bytes)
        guard let repacked = write(storage.pointer) else { return self }
        return Tensor(
            name: name, format: repacked, rows: rows, columns: columns, data: UnsafeRawPointer(storage.pointer),
            fileFormat: fileFormat, storage: storage)
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
