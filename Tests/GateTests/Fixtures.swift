import Foundation
import Gate
import GateCore
import GitReading
import Policy
import TestSupport

/// A token-shaped string drawn from a seeded generator (never a real credential).
func fakeToken(prefix: String, count: Int, seed: UInt64) -> String {
  var state = seed &+ 0x9E37_79B9_7F4A_7C15
  let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
  var out = prefix
  for _ in 0..<count {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    out.append(alphabet[Int(state % UInt64(alphabet.count))])
  }
  return out
}

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
