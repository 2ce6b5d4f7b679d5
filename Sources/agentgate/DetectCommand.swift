// `agentgate detect`: which commits an AI agent wrote, which agent, how sure, and why.

import ArgumentParser
import Attribution
import Foundation
import Gate
import GateCore
import GitReading
import Policy

struct DetectCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "detect", abstract: "Attribute commits to AI agents, with confidence and evidence.",
    discussion: """
      Exit 0 unless --fail-on-agent and an agent was found (then 1); 2 when it cannot decide.
      With --staged the evidence is the process environment, the identity about to be used and the
      process chain; --message-file adds a commit message being written (what commit-msg calls).
      """)

  @OptionGroup var selection: CommitSelectionOptions
  @OptionGroup var policy: PolicyOptions

  @Option(
    name: .customLong("message-file"),
    help: ArgumentHelp("A commit message being written (commit-msg's argument).", valueName: "FILE"))
  var messageFile: String?

  @Option(name: .customLong("format"), help: "text or json.")
  var format: String = "text"

  @Flag(name: .customLong("fail-on-agent"), help: "Exit 1 when any judged commit is an agent's.")
  var failOnAgent = false

  func validate() throws {
    guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
  }

  func run() async throws {
    let env = Environment()
    let machine = try loadMachineConfig(configFile: policy.configFile, environment: env.values)
    var results: [(CommitRecord?, Attribution)] = []

    if selection.chosenCount == 0, let messageFile {
      // A message alone (no repository needed): what commit-msg sees.
      let detector = AttributionDetector(settings: AttributionSettings(RepositoryPolicy.default.agents))
      let message = try readMessage(messageFile)
      results = [(nil, detector.attribute(message: message, base: nil))]
    } else {
      let repository = try selection.openRepository(environment: env.values)
      let resolver = PolicyResolver(reader: RepositoryRefReader(repository), machine: machine)
      let resolved = try resolver.resolve(
        entryPoint: .detect, policyFile: policy.policyFile, policyRef: policy.policyRef, ciEnvironment: env.values)
      let settings = AttributionSettings(resolved.policy.agents)
      do { try settings.validate() } catch { throw GateError.invalid("policy [agents]: \(error.description)") }
      let detector = AttributionDetector(settings: settings)
      let chosen = try selection.selection(readingStdin: CommitSelectionOptions.readStandardInput)
      if case .staged = chosen {
        let change = try repository.stagedChange(options: DiffOptions(), environment: env.values)
        var attribution = detector.attribute(
          environment: env.values, processChain: ProcessChain.current(),
          identity: (author: change.commit.author, committer: change.commit.committer))
        if let messageFile {
          attribution = detector.attribute(message: try readMessage(messageFile), base: attribution)
        }
        results = [(nil, attribution)]
      } else {
        let notesRef = "refs/notes/ai"
        let hasNotes = (try? repository.resolveCommit(notesRef)) != nil
        for id in try repository.commitIDs(chosen) {
          let commit = try repository.commit(id)
          let note = hasNotes ? repository.note(ref: notesRef, commit: id) : nil
          results.append((commit, detector.attribute(commit, note: note)))
        }
      }
    }

    if format == "json" {
      Terminal.write(AttributionJSON.render(commits: results))
    } else {
      for (commit, attribution) in results {
        Terminal.write(AttributionText.line(commit: commit, attribution: attribution))
      }
      let agents = results.filter { $0.1.isAgent }.count
      Terminal.write("\(results.count) commit\(results.count == 1 ? "" : "s"), \(agents) by an agent")
    }
    if failOnAgent && results.contains(where: { $0.1.isAgent }) { throw JudgedExit(code: 1) }
  }

  private func readMessage(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ValidationError("cannot read the message file \(path)")
    }
    return cleanCommitMessage(MessageText.decode(Array(data), encoding: nil))
  }
}

/// A message file as git will store it: comment lines and everything below the scissors line go.
func cleanCommitMessage(_ text: String) -> String {
  var kept: [Substring] = []
  for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
    if line.hasPrefix("# ------------------------ >8 ------------------------") { break }
    if line.hasPrefix("#") { continue }
    kept.append(line)
  }
  return kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
}
