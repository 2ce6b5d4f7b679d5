// PCRE2 wrapper: the only code that touches the C library.
//
// A `PCRE2Regex` owns one compiled pattern (`pcre2_code`). Patterns compile in UTF mode with
// PCRE2_MATCH_INVALID_UTF, so a subject that is not valid UTF-8 (a Latin-1 file, a stray byte in a
// diff) never fails or crashes a match: invalid sequences simply never match. JIT compilation is a
// separate, explicit step (`jitCompile()`) that the engine runs lazily, under a lock, the first time
// a rule is needed; after that the code is read-only and shared by every thread.
//
// `PCRE2Scratch` holds what a match mutates (match data, JIT stack, match context). It is owned by
// one thread at a time: the scanner keeps a small pool and hands one to each scan call.

internal import CPCRE2

/// A PCRE2 failure, with the library's own message.
struct PCRE2Failure: Error {
  var call: String
  var code: Int32
  var message: String
  /// Offset in the pattern where compilation failed (compile errors only).
  var offset: Int?
}

/// The one place PCRE2 status codes become errors: names the failing call, keeps the library text.
func pcre2Failure(_ call: String, _ code: Int32, offset: Int? = nil) -> PCRE2Failure {
  var buffer = [UInt8](repeating: 0, count: 256)
  let n = buffer.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(code, $0.baseAddress, 256) }
  let text = n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "PCRE2 error \(code)"
  return PCRE2Failure(call: call, code: code, message: text, offset: offset)
}

/// The offset PCRE2 uses for an unset capture group (PCRE2_UNSET).
private let pcre2Unset = Int(bitPattern: UInt.max)

/// One compiled pattern. Immutable once `jitCompile()` has run; only the engine calls that, once,
/// under a lock, before any match.
final class PCRE2Regex: @unchecked Sendable {
  private let code: OpaquePointer
  let pattern: String
  /// Number of capture groups in the pattern.
  let captureCount: Int
  private(set) var isJITCompiled = false

  /// Compiles `pattern` (UTF, invalid UTF-8 in subjects tolerated). `caseless` adds PCRE2_CASELESS.
  init(_ pattern: String, caseless: Bool = false) throws(PCRE2Failure) {
    var errorCode: Int32 = 0
    var errorOffset: Int = 0
    var options = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
    if caseless { options |= UInt32(PCRE2_CASELESS) }
    let bytes = Array(pattern.utf8)
    let compiled = bytes.withUnsafeBufferPointer { buf in
      pcre2_compile_8(buf.baseAddress, buf.count, options, &errorCode, &errorOffset, nil)
    }
    guard let compiled else { throw pcre2Failure("pcre2_compile", errorCode, offset: errorOffset) }
    self.code = compiled
    self.pattern = pattern
    var count: UInt32 = 0
    let rc = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
    self.captureCount = rc == 0 ? Int(count) : 0
  }

  deinit { pcre2_code_free_8(code) }

  /// JIT-compiles the pattern. Not thread-safe: call once, before any match, under a lock.
  /// A pattern the JIT cannot handle still matches through the interpreter.
  func jitCompile() {
    guard !isJITCompiled else { return }
    _ = pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE))
    isJITCompiled = true
  }

  /// Calls `body` with the capture groups of every non-overlapping match in `subject`, as byte
  /// ranges of the subject (nil for an unset group). `body` returns false to stop.
  /// Throws when PCRE2 gives up on the subject (match or JIT stack limit).
  func forEachMatch(
    in subject: UnsafeBufferPointer<UInt8>, scratch: PCRE2Scratch,
    _ body: (_ groups: [Range<Int>?]) -> Bool
  ) throws(PCRE2Failure) {
    guard let base = subject.baseAddress else {
      let zero: [UInt8] = [0]
      try zero.withUnsafeBufferPointer { (buf) throws(PCRE2Failure) in
        try run(base: buf.baseAddress!, length: 0, from: 0, scratch: scratch, body)
      }
      return
    }
    try run(base: base, length: subject.count, from: 0, scratch: scratch, body)
  }

  /// Like `forEachMatch(in:scratch:_:)`, but matches start at or after `range.lowerBound` and end
  /// by `range.upperBound`. Bytes before the range stay visible to lookbehinds, `\b` and `^`, so a
  /// range of whole lines matches as those lines do inside the whole subject.
  func forEachMatch(
    in subject: UnsafeBufferPointer<UInt8>, range: Range<Int>, scratch: PCRE2Scratch,
    _ body: (_ groups: [Range<Int>?]) -> Bool
  ) throws(PCRE2Failure) {
    guard let base = subject.baseAddress, !range.isEmpty else { return }
    try run(base: base, length: range.upperBound, from: range.lowerBound, scratch: scratch, body)
  }

  private func run(
    base: UnsafePointer<UInt8>, length: Int, from: Int, scratch: PCRE2Scratch,
    _ body: (_ groups: [Range<Int>?]) -> Bool
  ) throws(PCRE2Failure) {
    var start = from
    let groupCount = min(captureCount + 1, scratch.pairs)
    while start <= length {
      let rc = pcre2_match_8(code, base, length, start, 0, scratch.matchData, scratch.context)
      if rc == PCRE2_ERROR_NOMATCH { return }
      if rc < 0 { throw pcre2Failure("pcre2_match", rc) }
      let ovector = pcre2_get_ovector_pointer_8(scratch.matchData)!
      var groups: [Range<Int>?] = []
      groups.reserveCapacity(groupCount)
      for g in 0..<groupCount {
        let s = ovector[2 * g]
        let e = ovector[2 * g + 1]
        if s == pcre2Unset || e == pcre2Unset || e < s {
          groups.append(nil)
        } else {
          groups.append(s..<e)
        }
      }
      guard let whole = groups.first ?? nil else { return }
      if !body(groups) { return }
      if whole.upperBound > whole.lowerBound {
        start = whole.upperBound
      } else {
        // Empty match: step past one character (skip UTF-8 continuation bytes).
        var next = whole.upperBound + 1
        while next < length, base[next] & 0xC0 == 0x80 { next += 1 }
        start = next
      }
    }
  }

  /// True when the pattern matches anywhere in `text`.
  func matches(_ text: String, scratch: PCRE2Scratch) throws(PCRE2Failure) -> Bool {
    var found = false
    let bytes = Array(text.utf8)
    try bytes.withUnsafeBufferPointer { (buf) throws(PCRE2Failure) in
      try forEachMatch(in: buf, scratch: scratch) { _ in
        found = true
        return false
      }
    }
    return found
  }
}

/// Per-thread matching state: match data, a JIT stack and the match context that points at it.
final class PCRE2Scratch: @unchecked Sendable {
  let matchData: OpaquePointer
  let context: OpaquePointer
  private let jitStack: OpaquePointer?
  let pairs: Int

  // The engine's per-thread work buffers, reused across blocks so a block allocates nothing for
  // its keyword hits: (rule, line start, line end) of every keyword hit, and per rule the line of
  // its last hit in the current pass (`hitStamp` says which pass wrote `hitLine`).
  var hits: [(rule: Int32, start: Int32, end: Int32)] = []
  var hitLine: [Int32] = []
  var hitStamp: [UInt32] = []
  var stamp: UInt32 = 0
  /// `AddedWords` bits found so far in the block being scanned (see `Scanner.scanBlock`).
  var blockWords: UInt64 = 0
  /// The keyword automaton's matches in the second half of a block, reported after the first's.
  var pendingHits: [Int32] = []

  init(pairs: Int = 64) {
    self.pairs = pairs
    guard let data = pcre2_match_data_create_8(UInt32(pairs), nil),
      let context = pcre2_match_context_create_8(nil)
    else { fatalError("pcre2_match_data_create/pcre2_match_context_create: out of memory") }
    self.matchData = data
    self.context = context
    // 32 KiB start, 1 MiB max: deep patterns on long lines need more than the default 32 KiB.
    self.jitStack = pcre2_jit_stack_create_8(32 * 1024, 1024 * 1024, nil)
    if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
    // Bound backtracking in the interpreter (allowlist and path patterns, JIT fallbacks).
    pcre2_set_match_limit_8(context, 10_000_000)
  }

  deinit {
    pcre2_match_data_free_8(matchData)
    pcre2_match_context_free_8(context)
    if let jitStack { pcre2_jit_stack_free_8(jitStack) }
  }
}
