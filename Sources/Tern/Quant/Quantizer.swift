#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TernKernels

/// `tern quantize`: reads a GGUF model, converts its tensors as a `QuantizationPlan`
/// says, and writes a new GGUF file.
///
/// Every input type Tern decodes is read (through f32 rows); metadata is copied, with
/// `general.file_type` set for the new main type and the run recorded under
/// `tern.quantize.*`. Tensors stream from the mapped input to the output one slab
/// of rows at a time, so memory stays small whatever the model's size. The output
/// is written to a temporary beside it and renamed into place only when complete:
/// on any error or cancellation nothing is left behind, and the input is only read.
public struct Quantizer: Sendable {
    public let options: QuantizationOptions

    /// Version of the `tern.quantize.*` record (bump when its meaning changes).
    public static let metadataVersion: UInt32 = 1
    /// ggml's quantization version (GGML_QNT_VERSION), which llama-quantize writes.
    public static let ggmlQuantizationVersion: UInt32 = 2

    public init(options: QuantizationOptions) {
        self.options = options
    }

    /// Quantizes `input` into `output`.
    /// - Parameters:
    ///   - input: a GGUF file; never modified.
    ///   - output: the file to create or replace; not the input, not a directory.
    ///   - progress: called on the calling thread after each tensor and each slab of
    ///     rows; return false to stop (then `QuantizeError.cancelled` is thrown).
    /// - Returns: the plan that was carried out, sizes and time.
    /// - Throws: `QuantizeError`; the output path is then as it was before.
    @discardableResult
    public func quantize(
        input: String, output: String, progress: @escaping (QuantizationProgress) -> Bool = { _ in true }
    ) throws(QuantizeError) -> QuantizationSummary {
        let start = ContinuousClock.now
        let file: GGUFFile
        do {
            file = try GGUFFile(path: input)
        } catch {
            throw .unreadableInput(path: input, reason: Self.reason(error))
        }
        try Self.checkOutput(output, input: input)
        let plan = try QuantizationPlan(tensors: file.tensors, options: options)
        var writer = GGUFWriter()
        copyMetadata(of: file, into: &writer)

        let pool = ThreadPool(threadCount: options.threadCount)
        let converter = TensorConverter(pool: pool)
        let elementCount = plan.elementCount
        // The producers run one after another inside `write(to:)`, on this thread.
        var elementsDone = 0
        var stopped = false
        for (index, entry) in plan.entries.enumerated() {
            let tensor = entry.tensor
            writer.addTensor(name: tensor.name, shape: tensor.shape, type: entry.target) { sink in
                let report = { (done: Int, finished: Bool) -> Bool in
                    progress(QuantizationProgress(
                        tensorsDone: index + (finished ? 1 : 0), tensorCount: plan.entries.count, tensorName: tensor.name,
                        elementsDone: done, elementCount: elementCount))
                }
                let source = file.bytes(of: tensor)
                if entry.isCopy {
                    try sink.write(source)
                } else if let from = tensor.type.format, let to = entry.target.format {
                    let base = elementsDone
                    let complete = try converter.convert(
                        source, from: from, to: to, rowLength: tensor.rowLength, rowCount: tensor.rowCount, into: &sink
                    ) { rows in rows == tensor.rowCount || report(base + rows * tensor.rowLength, false) }
                    guard complete else {
                        stopped = true
                        throw QuantizeError.cancelled(output: output)
                    }
                }
                Self.releasePages(of: source)
                elementsDone += tensor.elementCount
                guard report(elementsDone, true) else {
                    stopped = true
                    throw QuantizeError.cancelled(output: output)
                }
            }
        }
        do {
            try writer.write(to: output)
        } catch {
            if stopped { throw .cancelled(output: output) }
            switch error {
            case let .cannotWrite(path, reason): throw .cannotWrite(path: path, reason: reason)
            default: throw .cannotWrite(path: output, reason: error.description)
            }
        }
        var status = stat()
        let outputBytes = stat(output, &status) == 0 ? Int(status.st_size) : 0
        return QuantizationSummary(
            plan: plan, inputFileBytes: file.fileSize, outputFileBytes: outputBytes,
            seconds: (ContinuousClock.now - start).seconds)
    }

    /// The input's metadata in its order, minus split and earlier `tern.quantize.*`
    /// keys, plus the file type and this run's record.
    func copyMetadata(of file: GGUFFile, into writer: inout GGUFWriter) {
        for key in file.metadataKeys where !key.hasPrefix("split.") && !key.hasPrefix("tern.quantize.") {
            if let value = file.metadata[key] { writer.setMetadata(key, value) }
        }
        writer.setMetadata("general.quantization_version", .uint32(Self.ggmlQuantizationVersion))
        writer.setMetadata("general.file_type", .uint32(LlamaFileType.value(for: options.type)))
        writer.setMetadata("tern.quantize.version", .uint32(Self.metadataVersion))
        writer.setMetadata("tern.quantize.type", .string(options.type.name))
        if let sourceType = file.int("general.file_type"), let value = UInt32(exactly: sourceType) {
            writer.setMetadata("tern.quantize.source_file_type", .uint32(value))
        }
        writer.setMetadata("tern.quantize.pure", .bool(options.pure))
        if let format = options.outputType { writer.setMetadata("tern.quantize.output_type", .string(format.name)) }
        if let format = options.embeddingType {
            writer.setMetadata("tern.quantize.embedding_type", .string(format.name))
        }
        if !options.overrides.isEmpty {
            writer.setMetadata(
                "tern.quantize.overrides", .array(elementType: .string, options.overrides.map { GGUFValue.string($0.description) }))
        }
    }

    /// Refuses an output that is a directory or the input itself (also through a link).
    static func checkOutput(_ output: String, input: String) throws(QuantizeError) {
        var target = stat()
        guard stat(output, &target) == 0 else {
            if output.hasSuffix("/") { throw .outputIsDirectory(path: output) }
            return  // a new file; whether its directory is writable shows when it is created
        }
        if target.st_mode & S_IFMT == S_IFDIR { throw .outputIsDirectory(path: output) }
        var source = stat()
        if stat(input, &source) == 0 && source.st_dev == target.st_dev && source.st_ino == target.st_ino {
            throw .sameFile(path: output)
        }
    }

    /// Lets the kernel drop this process's mapping of input bytes already converted,
    /// so resident memory stays near one tensor instead of growing to the input's
    /// size. The input is mapped read-only, so the pages are only unmapped, never lost.
    static func releasePages(of bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + bytes.count) / page * page
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, Int32(MADV_DONTNEED))
    }

    /// A reader error as the reason of `unreadableInput`, without the reader's
    /// advice about `--model`, which does not apply here.
    static func reason(_ error: GGUFError) -> String {
        if case let .cannotOpen(_, reason) = error { return "\(reason). Check the path" }
        return error.description
    }
}
