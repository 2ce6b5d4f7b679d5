// CI and automation tampering: edits to pipeline definitions, and the constructs in them that hand
// untrusted code a token, hide failures, leak secrets or run code nobody pinned.

import GateCore

extension RiskRules {
  /// CI definition files of the common systems.
  static func isCIConfig(_ path: String) -> Bool {
    let name = RiskPath.basename(path)
    let lower = name.lowercased()
    if RiskPath.isUnder(path, ".github/workflows") || RiskPath.isUnder(path, ".github/actions")
      || RiskPath.isUnder(path, ".gitea/workflows") || RiskPath.isUnder(path, ".forgejo/workflows")
      || RiskPath.isUnder(path, ".circleci") || RiskPath.isUnder(path, ".buildkite")
      || RiskPath.isUnder(path, ".gitlab/ci") || RiskPath.isUnder(path, ".woodpecker")
    {
      return true
    }
    if lower == ".gitlab-ci.yml" || lower == ".gitlab-ci.yaml" || name == "Jenkinsfile"
      || name.hasPrefix("Jenkinsfile.")
      || lower.hasPrefix("azure-pipelines") && (lower.hasSuffix(".yml") || lower.hasSuffix(".yaml"))
    {
      return true
    }
    return [
      ".travis.yml", "bitbucket-pipelines.yml", ".drone.yml", ".woodpecker.yml", "cloudbuild.yaml", "cloudbuild.yml",
      "appveyor.yml", ".appveyor.yml",
    ].contains(lower)
  }

  static var ciChangeRules: [any ChangeRule] {
    [
      FileEventRule(
        id: "ci-config-changed",
        description: "A CI or automation pipeline definition was added, edited, renamed or deleted.",
        severity: .medium,
        message:
          "the commit edits a CI pipeline: check every step, trigger, permission and secret it touches, "
          + "and that no check was removed or made optional",
        matches: { RiskRules.isCIConfig($0) }, mayMatch: { PathGate.mayBeCIConfig($0) },
        positives: [
          ChangeExample(
            "workflow edited", ChangeFixture.commit(.modified(".github/workflows/ci.yml", added: ["  - run: make"]))),
          ChangeExample(
            "gitlab ci added", ChangeFixture.commit(.added(".gitlab-ci.yml", ["test:", "  script: make"]))),
          ChangeExample("Jenkinsfile deleted", ChangeFixture.commit(.deleted("Jenkinsfile"))),
          ChangeExample("circleci config", ChangeFixture.commit(.modified(".circleci/config.yml", added: ["x: 1"]))),
          ChangeExample("azure pipelines", ChangeFixture.commit(.added("azure-pipelines.yml", ["trigger: [main]"]))),
          ChangeExample("buildkite pipeline", ChangeFixture.commit(.added(".buildkite/pipeline.yml", ["steps: []"]))),
          ChangeExample(
            "workflow renamed away",
            ChangeFixture.commit(.renamed(from: ".github/workflows/test.yml", to: "docs/old-test.yml"))),
        ],
        negatives: [
          ChangeExample("source edit", ChangeFixture.commit(.modified("Sources/App/main.swift", added: ["print(1)"]))),
          ChangeExample("docs about ci", ChangeFixture.commit(.modified("docs/ci.md", added: ["Our CI runs make"]))),
          ChangeExample("nested github dir", ChangeFixture.commit(.added("vendor/x/.github/FUNDING.yml", ["a: b"]))),
        ]),
      PullRequestTargetHeadCheckout(),
    ]
  }

  static var ciLineRules: [PatternRule] {
    [
      PatternRule(
        id: "ci-checkout-pull-request-head", category: .risk,
        description: "A workflow checks out the pull request's head commit.",
        severity: .low, keywords: ["head.sha", "head.ref", "head_ref", "refs/pull/"],
        pattern:
          #"(?m)^\h*(?:-\h*)?ref:\h*["']?(?:\$\{\{\h*(?:github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref)\h*\}\}|refs/pull/)"#,
        paths: [RiskPath.workflowPathPattern],
        message:
          "the workflow checks out the pull request's own code: safe under `pull_request`, dangerous under "
          + "`pull_request_target` or `workflow_run`, which run it with secrets and a write token",
        positives: [
          RuleExample("      ref: ${{ github.event.pull_request.head.sha }}", path: ".github/workflows/ci.yml"),
          RuleExample("          ref: ${{ github.head_ref }}", path: ".github/workflows/pr.yaml"),
        ],
        negatives: [
          RuleExample("      ref: ${{ github.sha }}", path: ".github/workflows/ci.yml"),
          RuleExample("      ref: main", path: ".github/workflows/ci.yml"),
        ]),
      PatternRule(
        id: "ci-continue-on-error", category: .risk,
        description: "A CI step or job is allowed to fail without failing the pipeline.",
        severity: .medium, keywords: ["continue-on-error", "allow_failure"],
        pattern: #"(?m)^[^#\n]*\b(?:continue-on-error|allow_failure)\h*:\h*(?:true|yes)\b"#,
        paths: [RiskPath.workflowPathPattern, #"(?:^|/)\.gitlab-ci\.ya?ml$|^\.gitlab/"#],
        message:
          "a failing step or job no longer fails the pipeline: check it is not a test, lint or security step",
        positives: [
          RuleExample("        continue-on-error: true", path: ".github/workflows/test.yml"),
          RuleExample("  allow_failure: true", path: ".gitlab-ci.yml"),
        ],
        negatives: [
          RuleExample("        continue-on-error: false", path: ".github/workflows/test.yml"),
          RuleExample("        # continue-on-error: true was removed", path: ".github/workflows/test.yml"),
          RuleExample("        continue-on-error: true", path: "docs/ci.yml"),
        ]),
      PatternRule(
        id: "ci-pull-request-target", category: .risk,
        description: "A workflow is triggered by pull_request_target (runs with secrets on untrusted pull requests).",
        severity: .medium, keywords: ["pull_request_target"],
        pattern: #"(?m)^[^#\n]*\bpull_request_target\b"#,
        paths: [RiskPath.workflowPathPattern],
        message:
          "`pull_request_target` runs with the base repository's secrets and a write token: check the "
          + "workflow never checks out, builds or runs the pull request's code",
        positives: [
          RuleExample("on: pull_request_target", path: ".github/workflows/label.yml"),
          RuleExample("  pull_request_target:", path: ".github/workflows/label.yml"),
          RuleExample("on: [push, pull_request_target]", path: ".github/workflows/label.yml"),
        ],
        negatives: [
          RuleExample("on: pull_request", path: ".github/workflows/ci.yml"),
          RuleExample("# never use pull_request_target here", path: ".github/workflows/ci.yml"),
        ]),
      PatternRule(
        id: "ci-secret-echoed", category: .risk,
        description: "A workflow prints a secret (or all secrets) to the log.",
        severity: .high, keywords: ["{{ secrets.", "{{secrets.", "{{  secrets.", "tojson(secrets", "tojson( secrets"],
        pattern:
          #"\b(?:echo|printf|print|Write-Host|Write-Output|cat|tee)\b[^\n]*\$\{\{\h*secrets\.|\$\{\{\h*toJSON\(\h*secrets\h*\)\h*\}\}"#,
        message:
          "a secret is written to the job log or output, where masking is easy to defeat (encoding, "
          + "splitting): pass it through an environment variable to the tool that needs it",
        positives: [
          RuleExample(#"      - run: echo "${{ secrets.NPM_TOKEN }}""#, path: ".github/workflows/release.yml"),
          RuleExample(#"        run: echo ${{ secrets.DEPLOY_KEY }} | base64"#, path: ".github/workflows/d.yml"),
          RuleExample(#"        env: { ALL: "${{ toJSON(secrets) }}" }"#, path: ".github/workflows/d.yml"),
        ],
        negatives: [
          RuleExample(#"        env: { TOKEN: "${{ secrets.NPM_TOKEN }}" }"#, path: ".github/workflows/release.yml"),
          RuleExample(#"      - run: echo "deploying""#, path: ".github/workflows/release.yml"),
        ]),
      PatternRule(
        id: "ci-unpinned-action", category: .risk,
        description: "A third-party action is referenced by a tag or branch instead of a full commit SHA.",
        severity: .medium, keywords: ["uses"],
        pattern:
          #"(?m)^\h*(?:-\h*)?uses:\h*["']?(?!actions/|github/|\./|docker://)[\w.-]+/[\w./-]+@(?![0-9a-f]{40}(?![\w.-]))[\w./-]+"#,
        paths: [RiskPath.workflowPathPattern],
        message:
          "a third-party action pinned by tag or branch runs whatever its owner (or whoever takes over the "
          + "tag) pushes next, with this workflow's token and secrets: pin it to a full 40-character commit SHA",
        positives: [
          RuleExample("      - uses: someone/setup-thing@v1", path: ".github/workflows/ci.yml"),
          RuleExample("        uses: 'acme/deploy-action@main'", path: ".github/workflows/ci.yml"),
        ],
        negatives: [
          RuleExample(
            "      - uses: someone/setup-thing@8f4b7f84864484a7bf31766abe9204da3cbe65b3 # v1",
            path: ".github/workflows/ci.yml"),
          RuleExample("      - uses: actions/checkout@v4", path: ".github/workflows/ci.yml"),
          RuleExample("      - uses: ./.github/actions/local", path: ".github/workflows/ci.yml"),
          RuleExample("      - uses: docker://alpine:3.20", path: ".github/workflows/ci.yml"),
        ]),
      PatternRule(
        id: "ci-unpinned-first-party-action", category: .risk,
        description: "A GitHub first-party action is referenced by a tag instead of a full commit SHA.",
        severity: .low, keywords: ["uses"],
        pattern: #"(?m)^\h*(?:-\h*)?uses:\h*["']?(?:actions|github)/[\w./-]+@(?![0-9a-f]{40}(?![\w.-]))[\w./-]+"#,
        paths: [RiskPath.workflowPathPattern],
        message: "a GitHub-owned action is pinned by tag; a full commit SHA makes the build reproducible",
        positives: [RuleExample("      - uses: actions/checkout@v4", path: ".github/workflows/ci.yml")],
        negatives: [
          RuleExample(
            "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", path: ".github/workflows/ci.yml")
        ]),
      PatternRule(
        id: "ci-write-all-permissions", category: .risk,
        description: "A workflow grants its token write access to everything.",
        severity: .medium, keywords: ["write-all"],
        pattern: #"(?m)^[^#\n]*\bpermissions\h*:\h*["']?write-all\b"#,
        paths: [RiskPath.workflowPathPattern],
        message:
          "`permissions: write-all` gives every step a token that can push code, edit releases and change "
          + "settings: grant only the scopes the job needs",
        positives: [
          RuleExample("permissions: write-all", path: ".github/workflows/ci.yml"),
          RuleExample("    permissions: 'write-all'", path: ".github/workflows/ci.yml"),
        ],
        negatives: [
          RuleExample("permissions: read-all", path: ".github/workflows/ci.yml"),
          RuleExample("  contents: write", path: ".github/workflows/ci.yml"),
        ]),
    ]
  }
}

/// `pull_request_target` added to a workflow in the same commit as a checkout of the pull
/// request's head: the classic "pwn request".
struct PullRequestTargetHeadCheckout: ChangeRule {
  let id = "ci-pull-request-target-head-checkout"
  let description =
    "A workflow triggered by pull_request_target checks out the pull request's head (untrusted code with secrets)."
  let severity = Severity.high

  static let headMarkers = [
    "github.event.pull_request.head.sha", "github.event.pull_request.head.ref", "github.head_ref", "refs/pull/",
  ]

  func evaluate(_ change: CommitChange) -> [Finding] {
    var findings: [Finding] = []
    // `isUnder` needs the path to start with `.github/`: a byte test picks the files, by index.
    let files = change.files
    for i in files.indices where files[i].path.utf8.first == UInt8(ascii: ".") {
      let file = files[i]
      guard file.status != .deleted && RiskPath.isUnder(file.path, ".github/workflows") else { continue }
      guard let lines = try? file.changes.get() else { continue }
      let bytes = lines.added.bytes
      guard RiskPath.containsASCII(bytes, "pull_request_target") else { continue }
      guard Self.headMarkers.contains(where: { RiskPath.containsASCII(bytes, $0) }) else { continue }
      let line = lines.added.lines.first { l in Self.headMarkers.contains { l.text.contains($0) } }
      findings.append(
        riskFinding(
          rule: id, severity: severity, change: change, path: file.path, line: line?.number,
          match: "pull_request_target + head checkout",
          message:
            "this workflow runs on `pull_request_target` (secrets and a write token) and checks out the pull "
            + "request's head: any contributor's code then runs with those secrets. Use `pull_request`, or never "
            + "build or run the checked-out code"))
    }
    return findings
  }

  var positives: [ChangeExample] {
    [
      ChangeExample(
        "pwn request",
        ChangeFixture.commit(
          .added(
            ".github/workflows/pr.yml",
            [
              "on: pull_request_target", "jobs:", "  build:", "    steps:", "      - uses: actions/checkout@v4",
              "        with:", "          ref: ${{ github.event.pull_request.head.sha }}", "      - run: npm test",
            ])))
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample(
        "pull_request with head checkout",
        ChangeFixture.commit(
          .added(
            ".github/workflows/pr.yml",
            ["on: pull_request", "      - uses: actions/checkout@v4", "          ref: ${{ github.head_ref }}"]))),
      ChangeExample(
        "pull_request_target labeler without checkout",
        ChangeFixture.commit(
          .added(".github/workflows/label.yml", ["on: pull_request_target", "      - uses: actions/labeler@v5"]))),
    ]
  }
}
