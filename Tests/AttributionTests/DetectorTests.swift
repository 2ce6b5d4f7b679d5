// How the detector reads each place markers live, and how it decides between them.

import Attribution
import Foundation
import GateCore
import Testing

let detector = AttributionDetector()

func commit(_ message: String, author: String = AgentExample.human, committer: String? = nil) -> CommitRecord {
  CommitRecord(
    id: String(repeating: "cd", count: 20), author: signature(author), committer: signature(committer ?? author),
    message: message)
}

@Suite struct MessageStructure {
  @Test func finalParagraphTrailerIsTrailerAndSquashBodyLineIsLower() {
    let message =
      "Add exporter (#9)\n\n* Initial plan\n\n* Add exporter\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n\n"
      + "---------\n\nCo-authored-by: Claude <noreply@anthropic.com>\nCo-authored-by: Sam Roe <sam@example.org>"
    let result = detector.attribute(commit(message))
    let cursor = result.evidence.first { $0.agent == "cursor" }
    let claude = result.evidence.first { $0.agent == "claude-code" }
    #expect(cursor?.source == .body)
    #expect(cursor?.confidence == .medium)
    #expect(claude?.source == .trailer)
    #expect(claude?.confidence == .high)
    #expect(result.agent == "claude-code")
  }

  @Test func footerBeforeTrailerBlockAndMarkerIsTheLine() {
    let result = detector.attribute(
      commit(
        "Fix\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
      ))
    #expect(result.agent == "claude-code")
    #expect(result.confidence == .high)
    #expect(
      result.evidence.map(\.source) == [.footer, .trailer], "\(result.evidence)")
    #expect(result.evidence[0].marker == "🤖 Generated with [Claude Code](https://claude.com/claude-code)")
    #expect(result.evidence[1].marker == "Co-Authored-By: Claude <noreply@anthropic.com>")
  }

  @Test func subjectLineIsNeverATrailer() {
    #expect(detector.attribute(commit("Co-authored-by: Claude <noreply@anthropic.com>")).agent == nil)
  }

  @Test func unclosedFenceHidesTheRest() {
    let message = "Docs\n\n```text\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\nMade-with: Cursor\n"
    #expect(detector.attribute(commit(message)).evidence.isEmpty)
  }

  @Test func tildeFenceAndProseMentionsStayQuiet() {
    let message =
      "Explain attribution\n\nCursor writes `Made-with: Cursor` and Claude writes a Co-Authored-By line.\n\n"
      + "~~~\nMade-with: Cursor\n~~~\n"
    #expect(detector.attribute(commit(message)).evidence.isEmpty)
  }

  @Test func replitPlatformOperationDropsOnlyReplitEvidence() {
    let message =
      "Restored to 'abc'\n\nReplit-Restored-To: abc\nReplit-Commit-Author: Agent\n"
      + "Co-authored-by: Claude <noreply@anthropic.com>"
    let result = detector.attribute(commit(message))
    #expect(!result.evidence.contains { $0.agent == "replit-agent" })
    #expect(result.agent == "claude-code")
  }
}

@Suite struct Decision {
  @Test func twoMediumSourcesAgreeToHigh() {
    let result = detector.attribute(
      commit("Merge pull request #3 from acme/codex/csv\n\nCSV\n\nCo-authored-by: Codex <codex@openai.com>"))
    #expect(result.agent == "openai-codex")
    #expect(result.confidence == .high)
  }

  @Test func authorAndCommitterAreOneSource() {
    let result = detector.attribute(
      commit("Fix", author: "Codex <codex@openai.com>", committer: "Codex <codex@openai.com>"))
    #expect(result.agent == "openai-codex")
    #expect(result.confidence == .medium)
    #expect(Set(result.evidence.map(\.source)) == [.author, .committer])
  }

  @Test func namedAgentBeatsUnknownAtSameConfidence() {
    let result = detector.attribute(
      environment: ["AGENT": "1", "OPENCODE": "1"], processChain: [], identity: (nil, nil))
    #expect(result.agent == "opencode")
    #expect(result.evidence.count == 2)
  }

  @Test func strongestEvidenceWinsAndAllEvidenceIsKept() {
    let result = detector.attribute(
      commit("Fix\n\nCo-authored-by: Copilot <copilot@github.com>\nCo-authored-by: Amp <amp@ampcode.com>"))
    #expect(result.agent == "amp")
    #expect(Set(result.evidence.map(\.agent)) == ["amp", "github-copilot"])
  }

  @Test func gitAINotes() {
    let note =
      "src/a.swift\n  abcd1234abcd1234 1-10\n---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"77\","
      + "\"prompts\":{\"abcd1234abcd1234\":{\"agent_id\":{\"tool\":\"cursor\",\"id\":\"6ef2\",\"model\":\"claude-4.5-opus\"},"
      + "\"messages\":[{\"text\":\"say \\\"tool\\\": \\\"x\\\"\"}],\"total_additions\":25,\"total_deletions\":5,"
      + "\"accepted_lines\":20,\"overriden_lines\":0}}}"
    let result = detector.attribute(commit("Add a"), note: note)
    #expect(result.agent == "cursor")
    #expect(result.evidence.map(\.source) == [.note])
    #expect(result.evidence.count == 1)
    let humanOnly = "---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"77\",\"prompts\":{}}"
    #expect(detector.attribute(commit("Add b"), note: humanOnly).evidence.isEmpty)
    #expect(detector.attribute(commit("Add c"), note: "reviewed by Sam").evidence.isEmpty)
    let unknownTool = note.replacingOccurrences(of: "\"cursor\"", with: "\"rovodev\"")
    #expect(detector.attribute(commit("Add d"), note: unknownTool).agent == "unknown-agent")
  }
}

@Suite struct HookEnvironment {
  @Test func evidenceNamesVariablesNeverValues() {
    let env = [
      "CLAUDECODE": "1", "CODEX_THREAD_ID": "secret-thread-9f8e", "AI_AGENT": "crush@1.2",
      "GEMINI_API_KEY": "AIzaSECRETVALUE", "OZ_RUN_ID": "secret-run", "PATH": "/usr/bin",
    ]
    let result = detector.attribute(environment: env, processChain: [], identity: (nil, nil))
    #expect(Set(result.evidence.map(\.marker)) == ["CLAUDECODE", "CODEX_THREAD_ID", "AI_AGENT", "OZ_RUN_ID"])
    #expect(result.evidence.allSatisfy { $0.source == .env && !$0.marker.lowercased().contains("secret") })
  }

  @Test(arguments: [
    ("claude-code", "claude-code"), ("cursor-cli", "cursor"), ("goose", "goose"), ("devin@1", "devin"),
    ("github-copilot", "github-copilot"), ("openhands", "openhands"), ("codex", "openai-codex"),
    ("Crush", "crush"), ("v0", "unknown-agent"), ("kilo", "unknown-agent"), ("1", "unknown-agent"),
  ])
  func aiAgentNamesMapToCanonicalIDs(value: String, agent: String) {
    let result = detector.attribute(environment: ["AI_AGENT": value], processChain: [], identity: (nil, nil))
    #expect(result.agent == agent)
  }

  @Test func agentVariableIsGenericUnlessItNamesAnAgent() {
    let generic = detector.attribute(environment: ["AGENT": "1"], processChain: [], identity: (nil, nil))
    #expect(generic.agent == "unknown-agent")
    #expect(generic.confidence == .medium)
    let odd = detector.attribute(environment: ["AGENT": "jenkins-node-7"], processChain: [], identity: (nil, nil))
    #expect(odd.agent == nil)
    #expect(odd.evidence.map(\.confidence) == [.low])
  }

  @Test func ideTerminalVariablesAreLowAtMost() {
    let env = [
      "CURSOR_TRACE_ID": "1", "TERM_PROGRAM": "cursor", "REPL_ID": "x", "CODEIUM_EDITOR_APP_ROOT": "/w",
      "VSCODE_GIT_ASKPASS_MAIN": "/h/.cursor-server/a", "__CFBundleIdentifier": "dev.kiro.desktop",
    ]
    let result = detector.attribute(environment: env, processChain: [], identity: (nil, nil))
    #expect(result.agent == nil)
    #expect(!result.evidence.isEmpty)
    #expect(result.evidence.allSatisfy { $0.confidence == .low })
    let lowered = AttributionDetector(settings: AttributionSettings(minConfidence: .low))
    #expect(lowered.attribute(environment: env, processChain: [], identity: (nil, nil)).confidence == .low)
  }

  @Test func stagedIdentity() {
    let aider = detector.attribute(
      environment: [:], processChain: [],
      identity: (Signature(name: "Jane Doe (aider)", email: "jane@example.org"), nil))
    #expect(aider.agent == "aider")
    #expect(aider.evidence.first?.source == .author)
    let cursor = detector.attribute(
      environment: [:], processChain: [],
      identity: (
        Signature(name: "Jane", email: "jane@example.org"),
        Signature(name: "Cursor Agent", email: "cursoragent@cursor.com")
      ))
    #expect(cursor.agent == "cursor")
    #expect(cursor.evidence.first?.source == .committer)
  }

  @Test func processChainNamesAndPaths() {
    let result = detector.attribute(
      environment: [:], processChain: ["git", "sh", "/home/u/.local/bin/claude", "tmux: server", "systemd"],
      identity: (nil, nil))
    #expect(result.agent == "claude-code")
    #expect(result.evidence.map(\.marker) == ["claude"])
    #expect(result.evidence.map(\.source) == [.process])
    let near = detector.attribute(
      environment: [:], processChain: ["claude-monitor", "codex-helper", "vim"], identity: (nil, nil))
    #expect(near.evidence.isEmpty)
  }
}

@Suite struct MessageFile {
  @Test func commentsAndScissorsAreIgnored() {
    let message =
      "Add cache\n\n# Please enter the commit message for your changes.\n# Co-authored-by: Claude <noreply@anthropic.com>\n"
      + "# ------------------------ >8 ------------------------\n# Do not modify or remove the line above.\n"
      + "diff --git a/x b/x\n+Made-with: Cursor\n"
    #expect(detector.attribute(message: message, base: nil).evidence.isEmpty)
  }

  @Test func trailersAfterCommentsStillCount() {
    let message = "Add cache\n\nMade-with: Cursor\n# Please enter the commit message for your changes.\n#\n"
    let result = detector.attribute(message: message, base: nil)
    #expect(result.agent == "cursor")
    #expect(result.evidence.first?.source == .trailer)
  }

  @Test func mergesWithPreCommitEvidence() {
    let base = detector.attribute(
      environment: ["CURSOR_TRACE_ID": "t"], processChain: [], identity: (nil, nil))
    #expect(base.agent == nil)
    let merged = detector.attribute(message: "Fix\n\nMade-with: Cursor\n", base: base)
    #expect(merged.agent == "cursor")
    #expect(merged.confidence == .high)
    #expect(Set(merged.evidence.map(\.source)) == [.env, .trailer])
    let quiet = detector.attribute(message: "Fix typo\n", base: base)
    #expect(quiet.agent == nil)
    #expect(quiet.evidence == base.evidence)
  }
}
