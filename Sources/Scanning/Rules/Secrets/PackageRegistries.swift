// Package registries and their client configuration files: npm, PyPI, RubyGems, NuGet, crates.io,
// Clojars, Maven, Gradle, Yarn, Hex, Anaconda.

import GateCore

extension SecretRules {
  static let packageRegistryRules: [PatternRule] = [
    .prefixed(
      "npm-access-token", "npm access token", .high, [.lit("npm_"), .run(.alnum, 36)],
      positives: ["NPM_TOKEN=npm_rO5YY28qugxFkpkxK4aORdEltXj9BoA6lXcN"],
      negatives: ["NPM_TOKEN=npm_suYLRZadIE75", "run npm_config_cache"]),
    PatternRule(
      id: "npmrc-auth-token", description: "Registry auth token in an .npmrc file", keywords: ["_authtoken"],
      pattern: #"(?i)_authToken[ \t]*=[ \t]*["']?([^\s"'$][^\s"']{7,})"#, secretGroup: 1, entropy: 3.0,
      paths: [#"(?:^|/)\.?npmrc$"#],
      allowlist: RuleAllowlist(regexes: [#"^\$\{?[A-Z_]+\}?$"#], stopwords: placeholderStopwords),
      positives: [
        RuleExample("//registry.npmjs.org/:_authToken=DLRr3t1rK7KG4WUe1KBWznuaFFgt2xaRckP5", path: ".npmrc"),
        RuleExample(
          "//npm.pkg.github.com/:_authToken=\"xp_oJpDswrwZi-M_O37FMD600McpE9WAxuMVJm5h\"", path: "app/.npmrc"),
      ],
      negatives: [
        RuleExample("//registry.npmjs.org/:_authToken=${NPM_TOKEN}", path: ".npmrc"),
        RuleExample("//registry.npmjs.org/:_authToken=fNh0In3Sh3L6GeGKdXyy8J1LS2nJ6BbsyjFM", path: "docs/setup.md"),
      ],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.base64url, count: 40)], context: "//registry.example.org/:_authToken={}",
          path: ".npmrc")
      ]),
    PatternRule(
      id: "npmrc-basic-auth", description: "Base64 credentials (_auth or _password) in an .npmrc file",
      keywords: ["_auth", "_password"],
      pattern: #"(?i)(?:^|[\s:])_(?:auth|password)[ \t]*=[ \t]*["']?([A-Za-z0-9+/]{8,}={0,2})"#,
      secretGroup: 1, entropy: 2.5, paths: [#"(?:^|/)\.?npmrc$"#],
      positives: [
        RuleExample("_auth=Ff9jqPKK2fDzZ4Ku0JHU8RITay8eJ3sOQQWVDcFG=", path: ".npmrc"),
        RuleExample("//registry.example.org/:_password=FAZ3ZM6HCCiG1ArFvq+VR5HP", path: ".npmrc"),
      ],
      negatives: [
        RuleExample("_auth=${NPM_AUTH}", path: ".npmrc"),
        RuleExample("_auth=U6RWM8qXWNJagPzBYautGMnvAQdo0wOLEaTK5+7H=", path: "notes.txt"),
      ],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.base64, count: 32), .literal("=")], context: "_auth={}", path: ".npmrc")
      ]),
    .prefixed(
      "pypi-upload-token", "PyPI API upload token", .high, [.lit("pypi-AgEIcHlwaS5vcmc"), .run(.base64url, 50, 250)],
      keywords: ["pypi-ageichlwas5vcmc"],
      positives: [
        "TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcREhLn9bJd3ZZDMthNTY-LXB4BhXMi2slOX348b9whAAOR51b0J9lc2HfkYEWGCMtoxRrIbJnkZPnzvnEZAGkC148duWwm3FIPeVX_lfuGKl6heuuMYWDhUAh3Mn2S3lkt8Boes4-QpH5yBBwuAPrZCdtWGlQPQZX"
      ], negatives: ["TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc"]),
    .prefixed(
      "testpypi-upload-token", "TestPyPI API upload token", .medium,
      [.lit("pypi-AgENdGVzdC5weXBpLm9yZw"), .run(.base64url, 50, 250)],
      keywords: ["pypi-agendgvzdc5wexbplm9yzw"],
      positives: [
        "TWINE_PASSWORD=pypi-AgENdGVzdC5weXBpLm9yZw2Z0Ofi29oOobFXGmL1px1K48vgPUnZhWZFbrtWKi5TQoKpZRNDrLUq9qnyCPohxEdmdZP69FyseiQoIiZcnCtJbLmzhmPGZS6DN8RrVFghVWDbn7-gBh2YCF6kfk54CyXBT1MqoSky43gn1pzTtLW6XJsssVIgH9"
      ], negatives: ["TWINE_PASSWORD=pypi-AgENdGVzdC5weXBpLm9yZw"]),
    PatternRule(
      id: "pypirc-password", description: "Password line in a .pypirc file", keywords: ["password"],
      pattern: #"(?im)^[ \t]*password[ \t]*[=:][ \t]*([^\s$%{][^\s]{5,})"#, secretGroup: 1, entropy: 2.5,
      paths: [#"(?:^|/)\.?pypirc$"#],
      allowlist: RuleAllowlist(stopwords: placeholderStopwords + ["<password>", "your"]),
      positives: [
        RuleExample(
          "[pypi]\nusername = __token__\npassword = pypi-AgEIewV65d_BsOh-KssbuOZk9oUIGQC6aUH05jQ9A5YcAPcsBB_5ZOqEItFE6DqQ",
          path: ".pypirc"),
        RuleExample("password: 6EsArPuqy6wd7Y7v", path: "home/.pypirc"),
      ],
      negatives: [
        RuleExample("password = %(PYPI_PASSWORD)s", path: ".pypirc"),
        RuleExample("password = DHGQpSCS7VM2kjNa", path: "setup.cfg"),
      ],
      shapes: [
        TokenShape([.random(alphabet: TokenShape.alnum, count: 20)], context: "password = {}", path: ".pypirc")
      ]),
    .prefixed(
      "rubygems-api-key", "RubyGems API key", .high, [.lit("rubygems_"), .run(.hex, 48)],
      positives: ["GEM_HOST_API_KEY=rubygems_c4da71193bb4adcf4f3458728515d3738556c77c9a837aec"],
      negatives: ["GEM_HOST_API_KEY=rubygems_7172d6e0f4"]),
    PatternRule(
      id: "rubygems-credentials-file", description: "API key in a RubyGems credentials file",
      keywords: ["rubygems_api_key"], pattern: #":rubygems_api_key:[ \t]*["']?([0-9a-f]{32}|rubygems_[0-9a-f]{48})"#,
      secretGroup: 1, paths: [#"(?:^|/)\.gem/credentials$"#],
      positives: [RuleExample("---\n:rubygems_api_key: 2365c0198a5b5aa5deef72ce88db3894", path: ".gem/credentials")],
      negatives: [RuleExample(":rubygems_api_key: daee53e727946fd44f6682e45b12a286", path: "README.md")],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.hexLower, count: 32)], context: ":rubygems_api_key: {}",
          path: "home/.gem/credentials")
      ]),
    .prefixed(
      "nuget-api-key", "NuGet.org API key", .high, [.lit("oy2"), .run(.lowerAlnum, 43)],
      positives: ["NUGET_API_KEY=oy2s7217pf0b40bjytiq1uzzz7n994a9j5qv7l6xk8yfzx"],
      negatives: ["NUGET_API_KEY=oy2ki27cdg1ox"]),
    .prefixed(
      "crates-io-api-token", "crates.io API token", .high, [.lit("cio"), .run(.alnum, 32)],
      positives: ["CARGO_REGISTRY_TOKEN=ciooi8o0fPPeWRh46Mn1yM6TVFlt2aCbR5O"],
      negatives: ["CARGO_REGISTRY_TOKEN=cioYh32qCJI", "audio cio"]),
    .prefixed(
      "clojars-deploy-token", "Clojars deploy token", .high, [.lit("CLOJARS_"), .run(.lowerAlnum, 60)],
      positives: ["CLOJARS_PASSWORD=CLOJARS_0h7vxd7wru7czcqx5zcbdxwwvcnzib8ciuuuvvaj2qp0pa6cheacsvmo7fv2"],
      negatives: ["CLOJARS_PASSWORD=CLOJARS_TOKEN"]),
    PatternRule(
      id: "maven-settings-password", description: "Password in a Maven settings.xml server entry",
      keywords: ["<password>"], pattern: #"<password>([^<${\s][^<\s]{5,})</password>"#, secretGroup: 1, entropy: 2.5,
      paths: [#"(?:^|/)settings(?:-[\w.-]+)?\.xml$"#],
      allowlist: RuleAllowlist(stopwords: placeholderStopwords),
      positives: [RuleExample("    <password>JzBzO69EnGyJSnFVebWM</password>", path: ".m2/settings.xml")],
      negatives: [
        RuleExample("    <password>${env.MAVEN_PASSWORD}</password>", path: ".m2/settings.xml"),
        RuleExample("    <password>WUP147RGu603phIlbXVW</password>", path: "pom.xml"),
      ],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.alnum, count: 24)], context: "<password>{}</password>",
          path: "ci/settings.xml")
      ]),
    PatternRule(
      id: "gradle-properties-password", description: "Repository or signing password in gradle.properties",
      keywords: ["password"],
      pattern: #"(?im)^[ \t]*[\w.]{0,40}(?:password|token|secret)[ \t]*[=:][ \t]*([^\s$][^\s]{7,})"#,
      secretGroup: 1, entropy: 3.0, paths: [#"(?:^|/)gradle\.properties$"#],
      allowlist: RuleAllowlist(stopwords: placeholderStopwords),
      positives: [
        RuleExample("ossrhPassword=JyXWSr1A1bsHydkYLPbZ", path: "gradle.properties"),
        RuleExample("signing.password=xR0GmoVUWtrNzwWt", path: "app/gradle.properties"),
      ],
      negatives: [
        RuleExample("ossrhPassword=${OSSRH_PASSWORD}", path: "gradle.properties"),
        RuleExample("ossrhPassword=yJfpCgJdQYSaEKPDbkwU", path: "build.gradle"),
      ],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.alnum, count: 20)], context: "mavenPassword={}", path: "gradle.properties")
      ]),
    PatternRule(
      id: "yarnrc-auth-token", description: "npmAuthToken in a .yarnrc.yml file", keywords: ["npmauthtoken"],
      pattern: #"(?i)npmAuth(?:Token|Ident)[ \t]*:[ \t]*["']?([^\s"'$][^\s"']{7,})"#, secretGroup: 1, entropy: 3.0,
      paths: [#"(?:^|/)\.yarnrc(?:\.yml)?$"#],
      positives: [RuleExample("npmAuthToken: \"npm_3XFKLcgsW0nVrdcAToe818lHEeStBiLr6keO\"", path: ".yarnrc.yml")],
      negatives: [
        RuleExample("npmAuthToken: \"${NPM_TOKEN}\"", path: ".yarnrc.yml"),
        RuleExample("npmAuthToken: 8k4xQhxVAjRcZWquYXBf2oYVeWucc6nmQOBf", path: "docs.md"),
      ],
      shapes: [
        TokenShape([.random(alphabet: TokenShape.alnum, count: 36)], context: "  npmAuthToken: {}", path: ".yarnrc.yml")
      ]),
    .keyed(
      "hex-pm-api-key", "Hex.pm API key", .high, words: ["hex_"], [.run(.hex, 32)], qualifier: "key",
      keywords: ["hex_"], context: "HEX_API_KEY={}",
      positives: ["HEX_API_KEY=1c4d3f9a27cfb872742e23fb9d6da69b"], negatives: ["HEX_API_KEY=ad8a14e3"]),
    .keyed(
      "anaconda-api-token", "Anaconda.org API token", .high, words: ["anaconda", "conda"],
      [.run(.base64url, 30, 40)], qualifier: "token", entropy: 3.5, context: "ANACONDA_API_TOKEN={}",
      positives: ["ANACONDA_API_TOKEN=gAsCwH1aLpcrMSm_dCwLoXUHk6oSqGA3Z8"], negatives: ["CONDA_ENV=base"]),
    .keyed(
      "cocoapods-trunk-token", "CocoaPods trunk session token", .high,
      words: ["cocoapods", "pod_trunk", "cocoapods_trunk"],
      [.run(.hex, 32)], qualifier: "token", keywords: ["cocoapods", "pod_trunk"], context: "COCOAPODS_TRUNK_TOKEN={}",
      positives: ["COCOAPODS_TRUNK_TOKEN=da536f5e210c9068812b671bbe9e3cdc"], negatives: ["COCOAPODS_VERSION=1.15.0"]),
    .keyed(
      "pub-dev-token", "Dart pub.dev credentials token", .high, words: ["pub_token", "pub_dev", "pub-dev"],
      [.lit("ya29."), .run(.base64url, 60, 300)], qualifier: "", keywords: ["pub_token", "pub_dev", "pub-dev"],
      context: "PUB_DEV_TOKEN={}",
      positives: [
        "PUB_DEV_TOKEN=ya29.bNVJ4NQpNd-EFn3Utj8AyJvaJ26l2e1q3fXol8u4B5_AlDqaHVgm8KDUsFmzCqHa-B0621Trv7XXgT2yTVZzwD0BJDu0vZ_iFYgCj1UntpM7-J7HIw6R_f1N"
      ], negatives: ["PUB_DEV_URL=https://pub.dev"]),
    .keyed(
      "sonatype-password", "Sonatype (OSSRH / Central) token password", .high,
      words: ["sonatype", "ossrh", "central_"],
      [.run(.base64, 36, 48)], qualifier: "pass|token|secret", keywords: ["sonatype", "ossrh", "central_"],
      entropy: 3.5,
      context: "SONATYPE_PASSWORD={}",
      positives: ["SONATYPE_PASSWORD=EBLve9E1tZRG5WXCszHs5vm4T/z10Nwwq4yFO8rSaghG"],
      negatives: ["SONATYPE_USERNAME=deployer"]),
    .keyed(
      "packagist-token", "Packagist API or update token", .high, words: ["packagist"],
      [.lit("packagist_"), .run(.lower, 3), .lit("_"), .run(.hex, 40, 80)], qualifier: "",
      context: "PACKAGIST_TOKEN={}",
      positives: ["PACKAGIST_TOKEN=packagist_uut_b325b5f30c81f44da6767839ce18a8755b6224dd194a45651f5cf8770cea817f96e3"],
      negatives: ["PACKAGIST_USERNAME=acme"]),
  ]
}
