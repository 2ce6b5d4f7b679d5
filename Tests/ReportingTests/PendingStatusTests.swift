import CurlTransport
import Foundation
import GateCore
import Reporting
import TestSupport
import Testing

/// An async replay not run yet: each forge gets its pending state, never a success not yet earned.
@Suite struct PendingStatusTests {
  static let cases: [(Forge, String, String)] = [
    (.github, "/api/v3", "pending"), (.gitlab, "/api/v4", "pending"), (.gitea, "/api/v1", "pending"),
    (.bitbucket, "/2.0", "INPROGRESS"), (.azure, "/org/proj", "pending"),
  ]

  @Test(arguments: cases)
  func pendingReplayPostsThePendingState(_ c: (Forge, String, String)) throws {
    var verdict = Sample.verdict()
    verdict.commits = verdict.commits.map { commit in
      var v = commit
      v.decision = .pass
      v.findings = []
      v.replay = ReplayOutcome(status: .pending, reason: "replay runs after the push (async)")
      return v
    }
    verdict.decision = .pass
    let rig = try Rig(fallback: { _ in .status(201, "{}") })
    let repo = c.0 == .bitbucket ? "ws/slug" : c.0 == .azure ? "repo-id" : "octo/repo"
    let target = PostTarget(forge: c.0, apiURL: rig.server.baseURL + c.1, repo: repo)
    let outcome = try rig.post(verdict, target: target)
    #expect(outcome.status == .delivered, "\(outcome.message)")
    let request = try #require(rig.server.requests.first)
    #expect(request.json["state"] as? String == c.2)
  }
}
