// The range a CI run judges when none is given: the CI's own variables, never the whole history.

import Foundation

public enum CIRange {
  static let zeros = String(repeating: "0", count: 40)

  /// The revisions to judge from the CI's variables (and GitHub's event file), or an error that says
  /// what was missing. `defaultBranchRef` (e.g. `origin/main`) bounds a new branch's first push.
  public static func detect(
    environment env: [String: String], eventJSON: [String: Any]? = nil, defaultBranchRef: String? = nil
  ) throws -> (revisions: [String], origin: String) {
    func v(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
    func isSHA(_ s: String?) -> Bool { s.map { $0.count >= 7 && $0 != zeros && !$0.allSatisfy { $0 == "0" } } ?? false }

    if v("GITHUB_ACTIONS") == "true" {
      let event = eventJSON ?? [:]
      if let pr = event["pull_request"] as? [String: Any],
        let base = (pr["base"] as? [String: Any])?["sha"] as? String,
        let head = (pr["head"] as? [String: Any])?["sha"] as? String
      {
        return (["\(base)..\(head)"], "GitHub pull request base..head")
      }
      if let before = event["before"] as? String, let after = event["after"] as? String ?? v("GITHUB_SHA") {
        if isSHA(before) { return (["\(before)..\(after)"], "GitHub push before..after") }
        if let base = defaultBranchRef { return (["\(base)..\(after)"], "GitHub new branch: \(base)..after") }
      }
      if let baseRef = v("GITHUB_BASE_REF"), let sha = v("GITHUB_SHA") {
        return (["origin/\(baseRef)..\(sha)"], "GitHub origin/GITHUB_BASE_REF..GITHUB_SHA")
      }
      throw GateError.noRange(
        "GitHub Actions gave no pull request base, push 'before' or GITHUB_BASE_REF; pass a REV-RANGE")
    }
    if v("GITLAB_CI") == "true" {
      let head = v("CI_COMMIT_SHA") ?? "HEAD"
      if let base = v("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
        return (["\(base)..\(head)"], "GitLab merge request diff base")
      }
      if let before = v("CI_COMMIT_BEFORE_SHA"), isSHA(before) {
        return (["\(before)..\(head)"], "GitLab CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA")
      }
      if let base = defaultBranchRef { return (["\(base)..\(head)"], "GitLab new branch: \(base)..CI_COMMIT_SHA") }
      throw GateError.noRange("GitLab gave no merge request base or CI_COMMIT_BEFORE_SHA; pass a REV-RANGE")
    }
    if let base = v("BITBUCKET_PR_DESTINATION_COMMIT"), let head = v("BITBUCKET_COMMIT") {
      return (["\(base)..\(head)"], "Bitbucket pull request destination..commit")
    }
    if let target = v("SYSTEM_PULLREQUEST_TARGETBRANCH"), let head = v("BUILD_SOURCEVERSION") {
      let branch = target.replacingOccurrences(of: "refs/heads/", with: "")
      return (["origin/\(branch)..\(head)"], "Azure Pipelines pull request target..source")
    }
    if let previous = v("GIT_PREVIOUS_SUCCESSFUL_COMMIT"), let head = v("GIT_COMMIT") {
      return (["\(previous)..\(head)"], "Jenkins previous successful..current")
    }
    if let base = v("BUILDKITE_PULL_REQUEST_BASE_BRANCH"), let head = v("BUILDKITE_COMMIT") {
      return (["origin/\(base)..\(head)"], "Buildkite pull request base..commit")
    }
    throw GateError.noRange(
      "no CI variables name one (GitHub, GitLab, Bitbucket, Azure, Jenkins, Buildkite); pass a REV-RANGE")
  }

  /// Reads GitHub's event file (GITHUB_EVENT_PATH) when set.
  public static func githubEvent(environment: [String: String]) -> [String: Any]? {
    guard let path = environment["GITHUB_EVENT_PATH"], let data = FileManager.default.contents(atPath: path) else {
      return nil
    }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
  }
}
