// Guard tampering: a commit that edits the gate's own policy, the Git hooks, code ownership or the
// agents' instructions, that bypasses hooks, or that adds markers silencing other scanners.

import GateCore

extension RiskRules {
  static func isGatePolicy(_ path: String) -> Bool {
    RiskPath.basename(path) == ".agentgate.toml" || RiskPath.components(path).contains(".agentgate")
  }

  static func isHookConfig(_ path: String) -> Bool {
    let parts = RiskPath.components(path)
    if parts.contains(where: { [".husky", ".githooks", ".git-hooks"].contains($0) }) { return true }
    let name = RiskPath.basename(path).lowercased()
    return [
      "lefthook.yml", "lefthook.yaml", "lefthook.json", "lefthook.toml", ".lefthook.yml", ".lefthook.yaml",
      "lefthook-local.yml", "lefthook-local.yaml", ".pre-commit-config.yaml", ".pre-commit-config.yml",
      ".overcommit.yml",
    ].contains(name)
  }

  static func isCodeOwners(_ path: String) -> Bool {
    let parts = RiskPath.components(path)
    guard parts.last == "CODEOWNERS" else { return false }
    return parts.count == 1 || (parts.count == 2 && [".github", ".gitlab", "docs"].contains(parts[0]))
  }

  static func isAgentInstructions(_ path: String) -> Bool {
    let name = RiskPath.basename(path)
    if ["AGENTS.md", "CLAUDE.md", "GEMINI.md", ".cursorrules", ".windsurfrules", ".clinerules"].contains(name) {
      return true
    }
    if path == ".github/copilot-instructions.md" || RiskPath.isUnder(path, ".github/instructions") { return true }
    if RiskPath.isUnder(path, ".cursor/rules") { return true }
    guard path.hasPrefix(".claude/") else { return false }
    let parts = RiskPath.components(path)
    return parts.first == ".claude"
      && (name.hasPrefix("settings") || parts.contains("hooks") || parts.contains("commands"))
  }

  static var guardChangeRules: [any ChangeRule] {
    [
      FileEventRule(
        id: "guard-agent-instructions-changed",
        description: "Instructions or settings for AI coding agents were edited.",
        severity: .low,
        message:
          "the commit edits what coding agents are told or allowed to do: read the change as you would a "
          + "permission change, and look for hidden or injected instructions",
        matches: { RiskRules.isAgentInstructions($0) }, mayMatch: { PathGate.mayBeAgentInstructions($0) },
        positives: [
          ChangeExample("AGENTS.md", ChangeFixture.commit(.modified("AGENTS.md", added: ["Always run the tests."]))),
          ChangeExample("claude settings", ChangeFixture.commit(.modified(".claude/settings.json", added: ["{}"]))),
          ChangeExample("cursor rule", ChangeFixture.commit(.added(".cursor/rules/style.mdc", ["Use tabs"]))),
        ],
        negatives: [
          ChangeExample("README", ChangeFixture.commit(.modified("README.md", added: ["Usage"]))),
          ChangeExample(
            "agents source dir", ChangeFixture.commit(.modified("Sources/Agents/Agent.swift", added: ["x"]))),
        ]),
      FileEventRule(
        id: "guard-codeowners-changed",
        description: "The CODEOWNERS file was edited.",
        severity: .medium,
        message: "the commit changes who must review which paths: check no required reviewer was removed",
        matches: { RiskRules.isCodeOwners($0) }, mayMatch: { PathGate.mayBeCodeOwners($0) },
        positives: [
          ChangeExample(
            "github codeowners", ChangeFixture.commit(.modified(".github/CODEOWNERS", removed: ["* @sec"]))),
          ChangeExample("root codeowners", ChangeFixture.commit(.deleted("CODEOWNERS"))),
        ],
        negatives: [
          ChangeExample("owners doc", ChangeFixture.commit(.modified("docs/owners.md", added: ["CODEOWNERS"])))
        ]),
      FileEventRule(
        id: "guard-hooks-changed",
        description: "Git hook scripts or hook manager configuration were edited.",
        severity: .medium,
        message:
          "the commit edits the Git hooks that check commits before they leave a machine: check no check was "
          + "removed, weakened or made to pass",
        matches: { RiskRules.isHookConfig($0) }, mayMatch: { PathGate.mayBeHookConfig($0) },
        positives: [
          ChangeExample("husky hook", ChangeFixture.commit(.modified(".husky/pre-commit", added: ["exit 0"]))),
          ChangeExample("githooks", ChangeFixture.commit(.deleted(".githooks/pre-push"))),
          ChangeExample("lefthook", ChangeFixture.commit(.modified("lefthook.yml", added: ["  skip: true"]))),
          ChangeExample("pre-commit", ChangeFixture.commit(.modified(".pre-commit-config.yaml", removed: ["- id: x"]))),
        ],
        negatives: [
          ChangeExample("react hook", ChangeFixture.commit(.added("src/hooks/useUser.ts", ["export {}"]))),
          ChangeExample("docs", ChangeFixture.commit(.modified("docs/hooks.md", added: ["husky"]))),
        ]),
      FileEventRule(
        id: "guard-policy-changed",
        description: "The gate's own policy file (.agentgate.toml) was edited.",
        severity: .high,
        message:
          "the commit edits AgentGate's policy. The gate judges commits by the trusted policy, never the "
          + "committed one, but the edit takes effect once merged: a person must review it",
        matches: { RiskRules.isGatePolicy($0) }, mayMatch: { PathGate.mayBeGatePolicy($0) },
        positives: [
          ChangeExample(
            "policy edited", ChangeFixture.commit(.modified(".agentgate.toml", added: ["fail_on = \"critical\""]))),
          ChangeExample("policy deleted", ChangeFixture.commit(.deleted(".agentgate.toml"))),
        ],
        negatives: [
          ChangeExample("other toml", ChangeFixture.commit(.modified("Cargo.toml", added: ["[dependencies]"]))),
          ChangeExample("gate sources", ChangeFixture.commit(.modified("Sources/AgentGate/main.swift", added: ["x"]))),
        ]),
    ]
  }

  static var guardLineRules: [PatternRule] {
    [
      PatternRule(
        id: "guard-hook-bypass", category: .risk,
        description: "A script skips or redirects Git hooks (--no-verify, HUSKY=0, core.hooksPath).",
        severity: .medium, keywords: ["no-verify", "husky", "lefthook", "hookspath"],
        pattern:
          #"--no-verify(?![\w-])|\b(?:HUSKY|LEFTHOOK)=["']?0\b|\bHUSKY_SKIP_HOOKS=["']?(?:1|true)\b|\bcore\.hooksPath\b"#,
        paths: [], allowlist: RuleAllowlist(paths: [RiskPath.docsPathPattern]),
        message:
          "the commit makes a script skip the Git hooks (or point them elsewhere), so the checks they run "
          + "no longer happen: check why",
        positives: [
          RuleExample(#"git commit --no-verify -m "wip""#, path: "scripts/release.sh"),
          RuleExample("export HUSKY=0", path: "scripts/ci.sh"),
          RuleExample("git config core.hooksPath /dev/null", path: "Makefile"),
          RuleExample(#"    "push": "git push --no-verify""#, path: "package.json"),
        ],
        negatives: [
          RuleExample("npm publish --no-verify-access", path: "scripts/release.sh"),
          RuleExample("Never use --no-verify.", path: "CONTRIBUTING.md"),
          RuleExample("export HUSKY=1", path: "scripts/ci.sh"),
        ]),
      PatternRule(
        id: "guard-suppression-marker", category: .risk,
        description: "A marker that silences a security scanner or linter for a line was added.",
        severity: .medium,
        keywords: [
          "agentgate:allow", "gitleaks:allow", "allowlist secret", "nosec", "noqa", "nosonar", "nosemgrep",
          "trufflehog:ignore", "checkov:skip", "tfsec:ignore", "trivy:ignore", "kics-scan ignore",
        ],
        pattern:
          #"\bagentgate:allow\b|\bgitleaks:allow\b|\bpragma:\h*allowlist\h+(?:nextline\h+)?secret\b|(?:#|//|/\*)\h*#?nosec\b|#\h*noqa\h*:\h*[^\n]*\bS\d{3}\b|\bNOSONAR\b|\bnosemgrep\b|\btrufflehog:ignore\b|\bcheckov:skip=|\btfsec:ignore:|\btrivy:ignore:|\bkics-scan\h+ignore"#,
        message:
          "the commit silences a security scanner for this line: check the finding it hides is really a false "
          + "positive (an agent must never suppress findings itself)",
        positives: [
          RuleExample("    subprocess.call(cmd, shell=True)  # nosec", path: "tool/run.py"),
          RuleExample("\tcmd := exec.Command(name) // #nosec G204", path: "cmd/run.go"),
          RuleExample("    eval(expr)  # noqa: S307", path: "calc.py"),
          RuleExample("String q = \"select \" + x; // NOSONAR", path: "Dao.java"),
          RuleExample("# checkov:skip=CKV_AWS_20: public bucket", path: "main.tf"),
          RuleExample("    run(cmd)  # nosemgrep", path: "run.py"),
        ],
        negatives: [
          RuleExample("import os  # noqa: F401", path: "pkg/__init__.py"),
          RuleExample("let nosecurity = false", path: "App.swift"),
          RuleExample("The nosec marker is documented in bandit's manual.", path: "notes.txt"),
        ]),
    ]
  }
}
