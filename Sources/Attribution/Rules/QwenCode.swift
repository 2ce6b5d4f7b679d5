import GateCore

extension AgentRule {
  /// Qwen Code.
  public static let qwenCode = AgentRule(
    id: "qwen-code",
    description: "Qwen Code: QWEN_CODE on its shell commands, Assisted-by: Qwen Code, a qwen process",
    env: [EnvMatcher("QWEN_CODE")],
    processes: [ProcessMatcher("qwen")],
    names: ["qwen code", "qwen-code", "qwen"],
    positives: [
      .env(["QWEN_CODE": "1"], .high),
      .commit("Add tokenizer test\n\nAssisted-by: Qwen Code:qwen3-coder-plus", .high),
      .process(["node", "qwen"], .high),
    ],
    negatives: [
      .nearMiss("Add Qwen model pricing"),
      .quietEnv(["QWEN_API_KEY": "sk-000000"]),
    ]
  )
}
