// Installing the hooks: scripts that exec the absolute path of the installing agentgate (falling
// back to PATH), chaining any hook that was already there, and removing them again.

import Foundation

public enum HookInstaller {
  /// The first line after the shebang marks a hook as ours.
  public static let marker = "# agentgate hook: installed by `agentgate install`; remove with --uninstall"
  public static let chainedSuffix = ".agentgate-chained"

  /// Hooks whose input arrives on stdin (it is saved so the chained hook and the gate both read it).
  static let stdinHooks: Set<String> = ["pre-push", "pre-receive", "post-receive"]

  /// The script for `hook`: runs a chained earlier hook first (its failure stops the commit or push),
  /// then execs the gate with the hook's arguments and input.
  public static func script(hook: String, binary: String, extraArgs: [String]) -> String {
    let args = extraArgs.map(shellQuote).joined(separator: " ")
    let gate = "\"$AGENTGATE\" \(hook)\(args.isEmpty ? "" : " " + args) \"$@\""
    var lines = [
      "#!/bin/sh", marker,
      "AGENTGATE=\(shellQuote(binary))",
      "[ -x \"$AGENTGATE\" ] || AGENTGATE=agentgate",
      "chained=\"$0\(chainedSuffix)\"",
    ]
    if stdinHooks.contains(hook) {
      lines += [
        "input=$(mktemp \"${TMPDIR:-/tmp}/agentgate-hook.XXXXXX\") || exit 2",
        "trap 'rm -f \"$input\"' EXIT",
        "cat > \"$input\"",
        "if [ -x \"$chained\" ]; then \"$chained\" \"$@\" < \"$input\" || exit $?; fi",
        "\(gate) < \"$input\"",
      ]
    } else {
      lines += [
        "if [ -x \"$chained\" ]; then \"$chained\" \"$@\" || exit $?; fi",
        "exec \(gate)",
      ]
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes the hooks into `directory`; an existing hook that is not ours is kept as
  /// `NAME.agentgate-chained` and runs first. Returns what was done, one line each.
  public static func install(
    hooks: [String], into directory: String, binary: String, extraArgs: [String: [String]] = [:]
  ) throws -> [String] {
    let fm = FileManager.default
    try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var done: [String] = []
    for hook in hooks {
      let path = "\(directory)/\(hook)"
      if let existing = try? String(contentsOfFile: path, encoding: .utf8), !existing.contains(marker) {
        let chained = path + chainedSuffix
        if fm.fileExists(atPath: chained) {
          throw GateError.invalid("\(chained) already exists: remove one of \(path) and \(chained) first")
        }
        try fm.moveItem(atPath: path, toPath: chained)
        done.append("kept the existing \(hook) hook as \(chained); it runs first")
      } else if fm.fileExists(atPath: path), (try? fm.destinationOfSymbolicLink(atPath: path)) != nil {
        let chained = path + chainedSuffix
        try fm.moveItem(atPath: path, toPath: chained)
        done.append("kept the existing \(hook) hook (a link) as \(chained); it runs first")
      }
      let text = script(hook: hook, binary: binary, extraArgs: extraArgs[hook] ?? [])
      try? fm.removeItem(atPath: path)
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
      done.append("installed \(path)")
    }
    return done
  }

  /// Removes our hooks and puts chained ones back.
  public static func uninstall(hooks: [String], from directory: String) throws -> [String] {
    let fm = FileManager.default
    var done: [String] = []
    for hook in hooks {
      let path = "\(directory)/\(hook)"
      guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(marker) else { continue }
      try fm.removeItem(atPath: path)
      done.append("removed \(path)")
      let chained = path + chainedSuffix
      if fm.fileExists(atPath: chained) {
        try fm.moveItem(atPath: chained, toPath: path)
        done.append("restored the earlier \(hook) hook")
      }
    }
    return done
  }

  /// Lines to add to a hook manager's tracked files (core.hooksPath inside the work tree).
  public static func instructions(hooks: [String], hooksPath: String, binary: String) -> String {
    var lines = [
      "core.hooksPath points into the work tree (\(hooksPath)); agentgate does not edit tracked files.",
      "Add these lines to the hooks there:",
    ]
    for hook in hooks {
      let args = hook == "commit-msg" ? " \"$1\"" : hook == "pre-push" ? " \"$@\"" : ""
      lines.append("  \(hooksPath)/\(hook):  \(shellQuote(binary)) \(hook)\(args) || exit $?")
    }
    return lines.joined(separator: "\n")
  }

  public static func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-=:+@,".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
