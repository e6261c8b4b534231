import Dispatch

/// The one serial queue every model computation of the server runs on: embedding batches and
/// decode steps take turns on it, each using all of `Parallelism`'s workers. Jobs never
/// run on the HTTP event loops or Swift's cooperative pool, which stay free to accept and answer
/// requests while a batch computes.
final class ComputeLane: Sendable {
    private let queue = DispatchQueue(label: "attend.server.compute", qos: .userInitiated)

    /// Runs `job` after every job submitted before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        queue.async(execute: job)
    }
}
