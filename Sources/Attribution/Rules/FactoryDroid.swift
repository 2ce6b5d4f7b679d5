import GateCore

extension AgentRule {
  /// Factory Droid.
  public static let factoryDroid = AgentRule(
    id: "factory-droid",
    description: "Factory Droid: factory-droid[bot] (138933559) as author or co-author, a droid process",
    identities: [.github(138933559)],
    env: [
      EnvMatcher("DROID_PROJECT_DIR", .nonEmpty, .medium),
      EnvMatcher("FACTORY_PROJECT_DIR", .nonEmpty, .medium),
    ],
    processes: [ProcessMatcher("droid")],
    names: ["factory droid", "factory-droid", "droid"],
    positives: [
      .commit(
        "Fix flaky cache test\n\nCo-authored-by: factory-droid[bot] <138933559+factory-droid[bot]@users.noreply.github.com>",
        .high),
      .commit(
        "Add migration", author: "factory-droid[bot] <138933559+factory-droid[bot]@users.noreply.github.com>", .high),
      .process(["bash", "droid"], .high),
    ],
    negatives: [.nearMiss("Fix Android droid detection in the user agent parser")]
  )
}
