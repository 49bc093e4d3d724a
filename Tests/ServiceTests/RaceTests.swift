import Foundation
import Testing
import TestSupport
import Training
@testable import Service

/// Operations that race in production, run against each other many times, each run checked
/// for one consistent outcome.
@Suite struct RaceTests {
    /// `if_better` against a concurrent manual activation of a model that beats the candidate:
    /// whichever comes first, the better model must end up active. (Deciding outside the
    /// activation lock let the candidate, compared with the old active model, overwrite the
    /// manual choice.) The persisted choice, the registry and the slot agree every time.
    @Test func ifBetterNeverOverwritesABetterManualActivation() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory(shippedAccuracy: 0.1)
        defer { temporary.remove() }
        let slot = ModelSlot()
        let registry = try JobsFixtures.registry(state, shipped: shipped, slot: slot)
        try JobsFixtures.register("model-good", in: registry, testAccuracy: 0.6)
        try JobsFixtures.register("model-best", in: registry, testAccuracy: 0.9)
        for round in 0..<40 {
            try registry.activate(ModelRegistry.shippedID)
            let group = DispatchGroup()
            let policyOutcome = JobsTestBox<(Bool, String)?>(nil)
            DispatchQueue.global().async(group: group) {
                policyOutcome.value = registry.apply(.ifBetter, to: "model-good")
            }
            DispatchQueue.global().async(group: group) {
                if round % 2 == 0 { usleep(UInt32.random(in: 0...300)) }
                _ = try? registry.activate("model-best")
            }
            group.wait()
            #expect(registry.activeModelID == "model-best", "round \(round): \(policyOutcome.value.map { "\($0)" } ?? "")")
            #expect(slot.current?.id == "model-best")
            let persisted = try JSONDecoder().decode(ActiveModelChoice.self,
                                                     from: Data(contentsOf: URL(fileURLWithPath: state.activeModelPath)))
            #expect(persisted.id == "model-best")
        }
    }

    /// The same race made certain: a manual activation of the better model is started in the
    /// gap between `if_better`'s decision and its switch, and given time to finish there. It
    /// must wait for the activation lock, so it lands last and the better model stays active.
    @Test func ifBetterHoldsTheLockFromDecisionToSwitch() throws {
        let (temporary, state, shipped) = try JobsFixtures.stateDirectory(shippedAccuracy: 0.1)
        defer { temporary.remove() }
        let registry = try JobsFixtures.registry(state, shipped: shipped)
        try JobsFixtures.register("model-good", in: registry, testAccuracy: 0.6)
        try JobsFixtures.register("model-best", in: registry, testAccuracy: 0.9)
        let manual = DispatchGroup()
        registry.afterPolicyDecision = {
            DispatchQueue.global().async(group: manual) { _ = try? registry.activate("model-best") }
            usleep(200_000)
        }
        let (activated, _) = registry.apply(.ifBetter, to: "model-good")
        manual.wait()
        #expect(activated)
        #expect(registry.activeModelID == "model-best")
    }

    /// `DELETE` against a job's completion, with the cancel landing anywhere from before the
    /// first step to after the model is registered: the job ends either cancelled with no
    /// model, or succeeded with its model registered and the cancel refused (409); never
    /// `cancelling` forever, never both.
    @Test func cancelAgainstCompletionEndsInOneState() throws {
        // How long a run takes from the gate opening to the job's end, so the cancels can be
        // spread over all of it (start, training, registration, after).
        let timing = try TrainingQueueTests.setup(factory: StartGate(open: true).factory())
        let started = Date()
        let timed = try timing.queue.submit(TrainingQueueTests.request(seed: 99))
        timing.queue.start()
        #expect(JobsFixtures.eventually { timing.finished([timed.id]) })
        let runMicroseconds = Date().timeIntervalSince(started) * 1e6
        timing.tearDown()
        let rounds = 30
        var outcomes: [String: Int] = [:]
        for round in 0..<rounds {
            let gate = StartGate(open: false)
            let setup = try TrainingQueueTests.setup(factory: gate.factory())
            defer { setup.tearDown() }
            let job = try setup.queue.submit(TrainingQueueTests.request(seed: UInt64(round + 1)))
            setup.queue.start()
            #expect(JobsFixtures.eventually { gate.started.count == 1 })
            let cancelResult = JobsTestBox<Result<TrainingJob.CancelOutcome, any Error>?>(nil)
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { gate.open() }
            let queue = setup.queue
            DispatchQueue.global().async(group: group) {
                usleep(UInt32(runMicroseconds * 0.3 * Double(round) / Double(rounds)))
                cancelResult.value = Result { try queue.cancel(job.id).outcome }
            }
            group.wait()
            #expect(JobsFixtures.eventually { setup.finished([job.id]) }, "round \(round): never finished")
            let final = try #require(setup.queue.store.job(job.id))
            let modelID = "model-" + job.id.dropFirst("job-".count)
            switch (final.status, cancelResult.value) {
            case (.cancelled, .success):
                #expect(setup.registry.record(modelID) == nil, "round \(round): cancelled but its model is registered")
            case (.succeeded, .failure(let error as JobStateError)):
                #expect(setup.registry.record(modelID) != nil)
                switch error {
                case .finishing, .alreadyFinished: break
                default: Issue.record("round \(round): unexpected refusal \(error)")
                }
            default:
                Issue.record("round \(round): ended \(final.status) after the cancel answered \(String(describing: cancelResult.value))")
            }
            // The runner deletes the checkpoint just after recording the end.
            #expect(JobsFixtures.eventually(timeout: 10) { !FileManager.default.fileExists(atPath: setup.state.checkpointPath(job.id)) })
            outcomes[final.status.rawValue, default: 0] += 1
        }
        print("cancel against completion, \(rounds) rounds over a \(Int(runMicroseconds / 1000)) ms run: \(outcomes)")
    }
}
