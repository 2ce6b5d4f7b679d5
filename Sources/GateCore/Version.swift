/// The version `agentgate --version` prints and reports carry.
public enum AgentGateVersion {
  public static let string = "0.1.0"
}
