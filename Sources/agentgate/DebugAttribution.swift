// `agentgate debug attribute-history`: the attribution benchmark's driver. Reads the selected
// commits' records once (timed on its own), then attributes them in one thread, so the figure is
// attribution's own cost on top of reading.

import ArgumentParser
import Attribution
import Foundation
import GateCore
import GitReading

struct AttributeHistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "attribute-history",
    abstract: "Attribute the selected commits and print read and attribution times as JSON.")

  @OptionGroup var selection: CommitSelectionOptions

  @Option(help: "Times to attribute the whole set (the figure is their mean).")
  var rounds: Int = 3

  func validate() throws {
    guard rounds > 0 else { throw ValidationError("--rounds must be positive") }
  }

  func run() throws {
    let environment = ProcessInfo.processInfo.environment
    let repository = try selection.openRepository(environment: environment)
    let chosen = try selection.selection(readingStdin: CommitSelectionOptions.readStandardInput)
    let readStart = DispatchTime.now()
    let records = try repository.commitIDs(chosen).map { try repository.commit($0) }
    let readSeconds = seconds(since: readStart)

    let detector = AttributionDetector()
    var agents: [String: Int] = [:]
    var evidence = 0
    let start = DispatchTime.now()
    let cpuStart = threadCPUSeconds()
    for round in 0..<rounds {
      for record in records {
        let a = detector.attribute(record)
        if round == 0 {
          evidence += a.evidence.count
          if let agent = a.agent { agents[agent, default: 0] += 1 }
        }
      }
    }
    let attributeSeconds = seconds(since: start) / Double(rounds)
    let cpuSeconds = (threadCPUSeconds() - cpuStart) / Double(rounds)
    // Per second of this thread's CPU: on a busy machine wall time also counts other processes.
    let perSecond = cpuSeconds > 0 ? Double(records.count) / cpuSeconds : 0
    let byAgent = agents.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
    print(
      "{\"commits\":\(records.count),\"agentCommits\":\(agents.values.reduce(0, +)),\"evidence\":\(evidence),"
        + "\"readSeconds\":\(String(format: "%.4f", readSeconds)),"
        + "\"attributeSeconds\":\(String(format: "%.4f", attributeSeconds)),"
        + "\"attributeCPUSeconds\":\(String(format: "%.4f", cpuSeconds)),"
        + "\"commitsPerSecond\":\(Int(perSecond)),\"agents\":{\(byAgent)}}")
  }

  private func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  private func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }
}
