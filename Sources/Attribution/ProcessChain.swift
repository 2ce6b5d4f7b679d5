// The one piece of I/O in this module: the executable names of the current process's ancestors,
// read from /proc. Only names, never command lines (they can hold tokens).

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

public enum ProcessChain {
  /// Executable names of the ancestors of this process, parent first, at most `maxDepth` of them.
  /// Empty where /proc is not available (the caller then has no process evidence, which is the truth).
  public static func current(maxDepth: Int = 32) -> [String] {
    ancestors(of: getpid(), maxDepth: maxDepth)
  }

  /// Executable names of the ancestors of `pid` (not `pid` itself), parent first.
  ///
  /// The name is the basename of `/proc/<pid>/exe`; when that is unreadable, or is an interpreter
  /// (`node`, `python3.12`, `bun`...) that runs the agent as a script, it is the kernel's `comm` from
  /// `/proc/<pid>/stat` instead, which is the script's name or the title the agent set (`claude`).
  public static func ancestors(of pid: Int32, maxDepth: Int = 32) -> [String] {
    var names: [String] = []
    var current = parentPID(of: pid)
    while let p = current, p > 1, names.count < maxDepth {
      guard let stat = readStat(p) else { break }
      names.append(name(exe: executableName(p), comm: stat.comm))
      current = stat.ppid
    }
    return names
  }

  static func name(exe: String?, comm: String) -> String {
    guard let exe else { return comm }
    let lower = exe.lowercased()
    let interpreted = interpreters.contains { lower == $0 || lower.hasPrefix($0 + ".") || lower.hasPrefix($0 + "3") }
    return interpreted && !comm.isEmpty ? comm : exe
  }

  static let interpreters = ["node", "nodejs", "bun", "deno", "python", "ruby", "perl", "java"]

  private static func parentPID(of pid: Int32) -> Int32? { readStat(pid)?.ppid }

  /// `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so it ends at the last `)`.
  private static func readStat(_ pid: Int32) -> (comm: String, ppid: Int32)? {
    guard let text = readFile("/proc/\(pid)/stat"),
      let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
    else { return nil }
    let comm = String(text[text.index(after: open)..<close])
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count >= 2, let ppid = Int32(fields[1]) else { return nil }
    return (comm, ppid)
  }

  private static func executableName(_ pid: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    var path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
    return path.split(separator: "/").last.map(String.init)
  }

  private static func readFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1024)
    while true {
      let n = read(fd, &chunk, chunk.count)
      if n <= 0 { break }
      data += chunk[0..<n]
    }
    return data.isEmpty ? nil : String(decoding: data, as: UTF8.self)
  }
}
