// The replay's fetch phase through the shipped binary: the trusted policy's `fetch` steps run
// first, with the gate's proxy as their only network, and leave their downloads for the offline
// build and test steps.

import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct FetchPhaseTests {
  @Test func policyFetchStepsRunFirstBehindTheProxyAndFeedTheOfflineBuild() throws {
    let repo = try GitRepo()
    try repo.commit("Add the app", files: ["app.py": "print('hi')\n"])
    let dir = TempDir()
    // The fetch step sees the proxy (and only it); the build step runs with no proxy and no network.
    try dir.write(
      "policy.toml",
      """
      [replay]
      fetch = ["test -n \\"$HTTPS_PROXY\\" && echo fetched > vendor.txt"]
      build = ["test -f vendor.txt && test -z \\"$HTTPS_PROXY\\""]
      test = ["grep -q fetched vendor.txt"]
      """)
    let r = try runProcess(
      [
        agentgateBinary(), "replay", "--repo", repo.path, "--commit", "HEAD", "--policy", dir.file("policy.toml"),
        "--format", "json",
      ], env: ["HOME": dir.path, "XDG_CONFIG_HOME": dir.file("xdg")], timeout: 120)
    #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let commits = try #require(json["commits"] as? [[String: Any]])
    let replay = try #require(commits.first?["replay"] as? [String: Any])
    #expect(replay["status"] as? String == "passed")
    let steps = (replay["steps"] as? [[String: Any]]) ?? []
    #expect(steps.compactMap { $0["kind"] as? String } == ["fetch", "build", "test"])
  }
}
