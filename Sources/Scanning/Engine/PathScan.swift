// Plain-file scans (`agentgate scan --path P`): files and directories, recursively, skipping `.git`
// and not following symbolic links. A file over `maxFileBytes` is reported as `skipped-too-large`,
// one with a NUL byte in its first 8 KiB as `skipped-binary`, one that cannot be opened as
// `skipped-unreadable`; none is silently dropped. Files are streamed in chunks of whole lines
// (16 MiB), so memory stays bounded; a match spanning a chunk boundary (a multi-line key split at
// exactly that point in a file over 16 MiB) is the one thing a chunked read can miss. Files are
// scanned on `parallelism` threads.

import Dispatch
import GateCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Scanner {
  static let chunkBytes = 16 * 1024 * 1024
  static let binaryProbeBytes = 8192

  /// Scans plain files and directories. Throws when an argument does not exist.
  public func scan(paths: [String]) throws(ScanError) -> ScanResult {
    var found: [String] = []
    for path in paths {
      var st = stat()
      guard lstat(path, &st) == 0 else { throw .pathNotFound(path) }
      if st.st_mode & S_IFMT == S_IFDIR {
        collect(directory: path, into: &found)
      } else if st.st_mode & S_IFMT == S_IFREG {
        found.append(path)
      }
    }
    let files = found
    let results = Mutex<[Int: ScanResult]>([:])
    let next = Atomic<Int>(0)
    let workers = max(1, min(options.parallelism, files.count))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      withScratch { scratch in
        while true {
          let i = next.add(1, ordering: .relaxed).oldValue
          if i >= files.count { break }
          let r = scanFile(atPath: files[i], scratch: scratch)
          results.withLock { $0[i] = r }
        }
      }
    }
    var total = ScanResult()
    let all = results.withLock { $0 }
    for i in files.indices { if let r = all[i] { total.merge(r) } }
    return total
  }

  private func collect(directory: String, into files: inout [String]) {
    guard let dir = opendir(directory) else {
      files.append(directory)  // reported as unreadable by scanFile
      return
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name == "." || name == ".." || name == ".git" { continue }
      names.append(name)
    }
    for name in names.sorted() {
      let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
      var st = stat()
      guard lstat(path, &st) == 0 else { continue }
      switch st.st_mode & S_IFMT {
      case S_IFDIR: collect(directory: path, into: &files)
      case S_IFREG: files.append(path)
      default: continue  // symbolic links, devices, sockets: not content of this tree
      }
    }
  }

  func scanFile(atPath path: String, scratch: PCRE2Scratch) -> ScanResult {
    var result = ScanResult()
    func skip(_ reason: SkipReason, _ detail: String? = nil) -> ScanResult {
      admit(
        skippedFinding(reason, path: path, commit: nil, blob: nil, detail: detail), secret: nil, match: nil,
        line: nil, markers: nil, isAgent: false, scratch: scratch, into: &result)
      return result
    }
    pathOnlyFindings(path: path, commit: nil, isAgent: false, scratch: scratch, into: &result)
    var st = stat()
    guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return skip(.unreadable, "not a regular file") }
    if Int(st.st_size) > options.maxFileBytes {
      return skip(.tooLarge, "\(st.st_size) bytes, limit \(options.maxFileBytes)")
    }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return skip(.unreadable, String(cString: strerror(errno))) }
    defer { close(fd) }
    var carry: [UInt8] = []
    var nextLine = 1
    var first = true
    var buffer = [UInt8](repeating: 0, count: max(1, min(Scanner.chunkBytes, Int(st.st_size) + 1)))
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 { return skip(.unreadable, String(cString: strerror(errno))) }
      if first {
        first = false
        if buffer[0..<min(n, Scanner.binaryProbeBytes)].contains(0) { return skip(.binary) }
      }
      if n == 0 {
        if !carry.isEmpty {
          scanChunk(carry, firstLine: nextLine, path: path, scratch: scratch, into: &result)
        }
        break
      }
      carry.append(contentsOf: buffer[0..<n])
      // Scan up to the last complete line; keep the rest for the next read.
      guard let lastNewline = carry.lastIndex(of: 0x0A) else { continue }
      let chunk = Array(carry[0...lastNewline])
      carry.removeSubrange(0...lastNewline)
      nextLine = scanChunk(chunk, firstLine: nextLine, path: path, scratch: scratch, into: &result)
    }
    return result
  }

  /// Scans whole lines starting at line `firstLine`; returns the number of the line after them.
  @discardableResult
  private func scanChunk(
    _ bytes: [UInt8], firstLine: Int, path: String, scratch: PCRE2Scratch, into result: inout ScanResult
  ) -> Int {
    let block = lineBlock(bytes, firstLine: firstLine)
    scanBlock(block, side: .added, path: path, commit: nil, isAgent: false, scratch: scratch, into: &result)
    return Int(block.numbers.last ?? Int32(firstLine - 1)) + 1
  }
}
