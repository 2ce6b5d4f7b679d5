import Foundation
import Gate
import GateCore
import GitReading
import Policy
import TestSupport

let claudeTrailer =
  "\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>"

/// A gate over a real repository, with the policy `entryPoint` resolves.
func makeGate(
  _ repo: GitRepo, entryPoint: EntryPoint = .scan, ciEnvironment: [String: String] = [:]
) throws -> Gate {
  let repository = try Repository(path: repo.path, environment: [:])
  let resolver = PolicyResolver(reader: RepositoryRefReader(repository), machine: MachineConfig())
  let resolved = try resolver.resolve(entryPoint: entryPoint, ciEnvironment: ciEnvironment)
  return try Gate.make(repository: repository, resolved: resolved, resolver: resolver)
}
