import GateCore

extension AgentRule {
  /// Amazon Q Developer.
  public static let amazonQ = AgentRule(
    id: "amazon-q",
    description: "Amazon Q Developer: amazon-q-developer[bot] (208079219), AWS_EXECUTION_ENV naming amazonq, "
      + "a qchat process",
    identities: [.github(208079219, .medium)],
    env: [EnvMatcher("AWS_EXECUTION_ENV", .contains("amazonq"), .medium)],
    processes: [ProcessMatcher("qchat", .medium)],
    names: ["amazon q", "amazon-q", "amazon q developer", "q developer", "amazonq"],
    positives: [
      .commit(
        "Add S3 lifecycle rule",
        author: "amazon-q-developer[bot] <208079219+amazon-q-developer[bot]@users.noreply.github.com>", .medium),
      .env(["AWS_EXECUTION_ENV": "AmazonQ-For-CLI Version/1.12.0"], .medium),
      .commit("Fix IAM policy\n\nAssisted-by: Amazon Q Developer", .high),
    ],
    negatives: [
      .nearMiss("Add Amazon Q to the supported tools table"),
      .quietEnv(["AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"]),
    ]
  )
}
