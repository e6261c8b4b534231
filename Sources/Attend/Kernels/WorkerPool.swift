import Dispatch
import Foundation
import Synchronization
import _AttendKernels

#if canImport(Glibc)
    import Glibc
#endif

/// Threads that stay alive between Attend's parallel calls, so that a call wakes no thread when
/// its helpers are still spinning from the previous one.
///
/// A decode step of a small language model is ~200 parallel matrix-vector products of 20–200 µs
/// each; handing every one to Dispatch wakes a parked thread each time (a futex wake and a context
/// switch, tens of µs, more on a loaded machine). Here a helper that finishes a job spins — on a
/// `pause` loop, about ``spinIterations`` rounds (≈ 0.1–0.2 ms) — waiting for the next job, and
/// only then parks on its semaphore. Between two matrix-vector products of the same step it is
/// still spinning; between two requests it sleeps.
///
/// One job runs on the pool at a time: ``run(helpers:_:)`` returns false when another caller holds
/// the pool, and that caller's work goes to Dispatch instead (``Parallelism`` decides; the slot
/// budget, not the pool, bounds the threads).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Spin rounds (each one `pause`) before a helper parks: ≈ 0.1–0.2 ms on current x86 cores.
    static let spinIterations = 4_000
    /// Every this many spin rounds a waiting thread yields its core, so that spinning costs little
    /// when the machine has more runnable threads than cores.
    static let yieldEvery = 64

    /// One helper thread's parking state.
    private final class Helper: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
        /// 1 while the helper is parked (or about to park) on `wake`.
        let parked = Atomic<Int>(0)
    }

    /// Serializes thread creation; never held while a job runs.
    private let growth = Mutex<Void>(())
    /// The helpers (grown on demand, never shrunk); written only under `growth` before the
    /// generation that hands them work is published.
    private nonisolated(unsafe) var helpers: [Helper] = []
    private let helperCount = Atomic<Int>(0)
    /// Held (1) by the caller whose job the helpers are running.
    private let busy = Atomic<Int>(0)
    /// The current job's number (high bits, bumped for every job) and its helper count (low 16
    /// bits) in one word, so a helper reads both consistently; helpers compare it with the last
    /// one they saw.
    private let generation = Atomic<Int>(0)
    private static let countBits = 16
    /// Helpers of the current job that have not finished it.
    private let pending = Atomic<Int>(0)
    /// The current job: helper i < the job's count runs `job(i + 1)`. Written before `generation`
    /// is bumped (release) and read only by those helpers after they see it (acquire); the caller
    /// changes it again only after all of them have reported.
    private nonisolated(unsafe) var job: ((Int) -> Void)?

    /// Runs `body(0)` on the calling thread and `body(1) … body(helpers)` on pool threads, and
    /// returns when all have returned; false (nothing run) if the pool is running another job or
    /// `helpers` does not fit the job word (65 535 at most).
    func run(helpers count: Int, _ body: (Int) -> Void) -> Bool {
        guard count < 1 << Self.countBits else { return false }
        guard busy.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(0, ordering: .releasing) }
        ensureHelpers(count)
        withoutActuallyEscaping(body) { body in
            job = body
            pending.store(count, ordering: .relaxed)
            let sequence = (generation.load(ordering: .relaxed) >> Self.countBits) &+ 1
            generation.store(sequence << Self.countBits | count, ordering: .sequentiallyConsistent)
            for helper in helpers.prefix(count)
            where helper.parked.compareExchange(expected: 1, desired: 0, ordering: .sequentiallyConsistent).exchanged {
                helper.wake.signal()
            }
            body(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                // A helper that is not running (the machine has more runnable threads than cores)
                // needs this core more than this loop does.
                spins += 1
                if spins % Self.yieldEvery == 0 { sched_yield() } else { attend_cpu_relax() }
            }
            job = nil
        }
        return true
    }

    /// Calls the current job; not inlined, so that this thread's reference to the closure is gone
    /// before it reports (the caller's `withoutActuallyEscaping` checks that none is left).
    @inline(never)
    private func runJob(worker: Int) {
        job?(worker)
    }

    private func ensureHelpers(_ count: Int) {
        guard helperCount.load(ordering: .acquiring) < count else { return }
        growth.withLock { _ in
            while helpers.count < count {
                let helper = Helper()
                let index = helpers.count
                helpers.append(helper)
                // The generation before the caller's job: a thread that starts after the job is
                // published must still see it as new.
                let seen = generation.load(ordering: .acquiring)
                let thread = Thread { [unowned self] in self.serve(helper, index: index, seen: seen) }
                thread.name = "attend-worker-\(index + 1)"
                thread.start()
            }
            helperCount.store(helpers.count, ordering: .releasing)
        }
    }

    /// A helper's life: wait for a new generation (spinning, then parked), run its part if the job
    /// wants it, report, repeat. The spin budget restarts only after work or a wake-up: a helper
    /// that jobs keep leaving out (they want fewer helpers than the pool has) parks.
    private func serve(_ helper: Helper, index: Int, seen first: Int) {
        var seen = first
        var spins = 0
        while true {
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                if spins < Self.spinIterations {
                    spins += 1
                    if spins % Self.yieldEvery == 0 { sched_yield() } else { attend_cpu_relax() }
                } else {
                    helper.parked.store(1, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) != seen {
                        // A job arrived while parking: take back the flag, or consume the wake-up
                        // its caller has already sent.
                        if !helper.parked.compareExchange(expected: 1, desired: 0, ordering: .sequentiallyConsistent)
                            .exchanged
                        {
                            helper.wake.wait()
                        }
                    } else {
                        helper.wake.wait()
                    }
                    spins = 0
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if index < current & (1 << Self.countBits - 1) {
                runJob(worker: index + 1)
                pending.subtract(1, ordering: .releasing)
                spins = 0
            }
        }
    }
}
