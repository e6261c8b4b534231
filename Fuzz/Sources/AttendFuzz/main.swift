import Foundation
import _AttendFuzzTargets

/// The libFuzzer binary for the target named by `ATTEND_FUZZ_TARGET` (a `FuzzTarget` raw value:
/// npy, npz, safetensors, einsum, …). SwiftPM gives executables their own `main`, so this one
/// hands control to libFuzzer's driver (`LLVMFuzzerRunDriver`, in the runtime that
/// `-sanitize=fuzzer` links) with the harness as its callback.
let name = ProcessInfo.processInfo.environment["ATTEND_FUZZ_TARGET"] ?? ""
guard FuzzTarget(rawValue: name) != nil else {
    let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("AttendFuzz: set ATTEND_FUZZ_TARGET to one of: \(known)\n".utf8))
    exit(2)
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target, read from the environment once (not per input: building the environment
/// dictionary cost more than decoding a small input).
enum Selected {
    static let target = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["ATTEND_FUZZ_TARGET"] ?? "") ?? .npy
}

/// The harness: one input through `FuzzTarget.run` (errors are the expected outcome).
let harness: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { bytes, count in
    Selected.target.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, harness))
