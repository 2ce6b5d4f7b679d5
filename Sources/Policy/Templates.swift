// `agentgate init` (the starter policy) and `agentgate policy show` (the effective settings and
// where each came from).

import GateCore
import TOML

public enum PolicyTemplates {
  /// A commented policy that sets every key to its default (a test proves it parses to the defaults
  /// and mentions every key). Edit it to tighten or relax the gate for this repository.
  public static let starter = #"""
    # .agentgate.toml: how AgentGate judges commits in this repository.
    # Every key below is set to its default; docs/policy.md describes each one.
    # This file is read from trusted places only: the server reads the default branch as it was
    # before a push, CI reads the base of the change, local hooks read HEAD. A commit that edits
    # this file is therefore judged by the previous version.

    [agents]
    # Markers added to the built-in ones (trailers, author names, message phrases). Example:
    # [[agents.extra_markers]]
    # pattern = '(?i)^Generated-By: our-bot'
    # agent = "our-bot"
    # confidence = "high"     # low | medium | high
    # scope = "trailer"       # any | message | trailer | author | committer
    extra_markers = []
    # Email globs that are always human, e.g. ["*@example.com"].
    human_identities = []
    # Email globs that are always an agent, e.g. ["bot@example.com", { email = "ci-*@example.com", agent = "our-bot" }].
    agent_identities = []
    # Evidence below this confidence does not make a commit an agent's: low | medium | high.
    min_confidence = "medium"
    # Judge commits without any attribution by the agent table below.
    unattributed_as_agent = false

    [scanning]
    # Rule ids that do not run (see `agentgate rules`).
    disabled_rules = []
    # Uncomment to run only these rules:
    # enabled_rules = ["aws-access-key-id"]
    # Findings below this severity never fail a commit (they warn at most): info | low | medium | high | critical.
    fail_on = "medium"
    # Severity given to content that was not scanned (binary or larger than max_blob_size).
    skipped_severity = "low"
    # Whether `agentgate:allow` / `gitleaks:allow` comments are honoured in lines an agent wrote.
    honour_agent_allow_markers = false
    # Larger blobs are reported as skipped instead of scanned (bytes, or "512KiB", "1MiB").
    max_blob_size = "1MiB"
    # Files read at the same trusted ref as this policy:
    # baseline = ".agentgate/baseline.json"    # known findings to suppress (agentgate baseline create)
    # ignore_file = ".agentgateignore"         # finding fingerprints to ignore, one a line

    [scanning.severity]
    # Severity overrides: rule id = severity. Example:
    # generic-api-key = "high"

    [scanning.allowlist]
    # Regular expressions on file paths that are not scanned for secrets.
    paths = []
    # Regular expressions on matched secrets to drop.
    regexes = []
    # Words that, found in a matched secret, drop it (e.g. "example", "dummy").
    stopwords = []
    # Commit ids whose findings are dropped.
    commits = []

    [replay]
    # Shell commands run in the sandbox, in order: fetch (network through the machine's proxy only),
    # then build, then test. Example: build = ["swift build"], test = ["swift test"].
    fetch = []
    build = []
    test = []
    # each: replay every commit; tip: only the tip of each pushed ref.
    mode = "tip"
    # agents: replay agent commits only; all: every commit.
    authors = "agents"
    # A sync replay at a push answers "pending" and finishes in the background after this many seconds.
    sync_budget_seconds = 300

    [replay.when]
    # off | sync | async per entry point.
    pre-receive = "async"
    post-receive = "async"
    ci = "sync"
    pre-commit = "off"
    commit-msg = "off"
    pre-push = "off"
    scan = "off"
    detect = "off"
    replay = "sync"

    [replay.limits]
    # Tighten the machine's ceilings (never loosen them: larger values are clamped and reported).
    # wall_seconds = 600
    # memory = "1GiB"
    # processes = 256
    # cpus = 1
    # disk = "512MiB"
    # tmp = "256MiB"
    # shm = "64MiB"

    [decision]
    # When a replay is required but no sandbox can run: error (exit 2) | fail | warn.
    sandbox_missing = "error"

    [decision.agent]
    # What each finding means for a commit written by an agent: fail | warn | ignore.
    secret = "fail"
    risk_high = "fail"
    risk_medium = "warn"
    risk_low = "ignore"
    replay_failure = "fail"
    skipped = "warn"

    [decision.human]
    # The same for everyone else.
    secret = "fail"
    risk_high = "warn"
    risk_medium = "warn"
    risk_low = "ignore"
    replay_failure = "warn"
    skipped = "ignore"

    [posting]
    # Where verdicts go: auto (from the CI's variables) | none | github | gitlab | gitea | forgejo | bitbucket | webhook.
    # API URLs and tokens are machine settings, never set here.
    forge = "auto"
    # The status check name.
    context = "agentgate"
    # Post a status on every judged commit, not only on each ref's tip.
    post_each = false

    """#
}

/// `agentgate policy show`: the policy in force, how it was chosen, every effective setting and
/// where it came from, the effective replay limits and the machine configuration.
public func explain(_ resolved: ResolvedPolicy) -> String {
  var out: [String] = []
  out.append("Policy in force: \(resolved.identity.label)")
  out.append("  sha256: \(resolved.identity.hash)")
  if let commit = resolved.identity.commit { out.append("  commit: \(commit)") }
  out.append("Entry point: \(resolved.entryPoint.rawValue) (replay: \(resolved.replayTiming.rawValue))")
  out.append("How it was chosen:")
  for step in resolved.trail { out.append("  - \(step)") }
  if !resolved.warnings.isEmpty {
    out.append("Warnings:")
    for w in resolved.warnings { out.append("  - \(w)") }
  }
  out.append("")
  out.append("Settings:")
  for (key, value) in leaves(resolved.policy.table, prefix: "") where !key.hasPrefix("replay.limits") {
    let origin = resolved.origins[key] ?? .builtInDefault
    out.append("  \(key) = \(TOML.encodeInline(value))    # \(origin)")
  }
  out.append("")
  out.append("Replay limits in force (the policy's, clamped to the machine's ceilings):")
  for (key, value) in leaves(resolved.limits.tomlTable, prefix: "replay.limits") {
    let origin = resolved.origins[key] ?? .builtInDefault
    out.append("  \(key) = \(TOML.encodeInline(value))    # \(origin)")
  }
  out.append("")
  out.append("Machine configuration:")
  for (key, value) in leaves(resolved.machine.table, prefix: "") {
    let origin = resolved.machine.origins[key] ?? .builtInDefault
    out.append("  \(key) = \(TOML.encodeInline(value))    # \(origin)")
  }
  return out.joined(separator: "\n") + "\n"
}

private func leaves(_ table: TOMLTable, prefix: String) -> [(String, TOMLValue)] {
  var out: [(String, TOMLValue)] = []
  for e in table.entries {
    let key = prefix.isEmpty ? e.key : "\(prefix).\(e.key)"
    if case .table(let t) = e.value, !t.isEmpty {
      out += leaves(t, prefix: key)
    } else {
      out.append((key, e.value))
    }
  }
  return out
}
