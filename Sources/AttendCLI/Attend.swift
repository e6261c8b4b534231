import ArgumentParser

@main
struct AttendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attend",
        abstract: "Transformer attention on OpenBLAS, cross-checked against an independent reference.",
        subcommands: [Bench.self])
}
