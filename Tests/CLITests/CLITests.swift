import Foundation
import TestSupport
import Testing

@Suite struct CLIContractTests {
  @Test func versionPrints() throws {
    let r = try runProcess([agentgateBinary(), "--version"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("0.1.0"))
  }

  @Test func unknownFlagExitsTwoWithOneLineReason() throws {
    let r = try runProcess([agentgateBinary(), "--no-such-flag"])
    #expect(r.status == 2)
    #expect(r.stderr.hasPrefix("agentgate: "))
  }
}
