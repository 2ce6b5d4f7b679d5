// The keyword prefilter: Aho-Corasick automata over every rule's keywords, run once over the bytes
// of a block before any regex. ASCII letters are folded to lower case; other bytes match exactly.
// Each automaton is a dense DFA over byte classes (only bytes that occur in some keyword get their
// own class), so the inner loop is one table load per input byte.
//
// Keywords with non-ASCII bytes (the hidden-content rules' invisible and look-alike characters) live
// in a second automaton that runs only over blocks holding a byte >= 0x80: they would otherwise
// double the byte classes, and so the table, that every ASCII byte of every block walks through.

/// Which rules a block can trigger: rules without keywords always, the others when one of their
/// keywords occurs (case-insensitively).
struct KeywordPrefilter: Sendable {
  private let ascii: KeywordAutomaton
  private let wide: KeywordAutomaton?
  /// Rules that always run (no keywords, or a keyword the automaton cannot hold).
  let alwaysRun: [Int]
  let ruleCount: Int

  /// `keywords[i]` are rule i's keywords; an empty list (or only empty strings) means always run.
  init(keywords: [[String]]) {
    ruleCount = keywords.count
    var always: [Int] = []
    var asciiWords: [[String]] = []
    var wideWords: [[String]] = []
    for (i, words) in keywords.enumerated() {
      let ws = words.filter { !$0.isEmpty }
      if ws.isEmpty { always.append(i) }
      asciiWords.append(ws.filter { $0.utf8.allSatisfy { $0 < 0x80 } })
      wideWords.append(ws.filter { $0.utf8.contains { $0 >= 0x80 } })
    }
    ascii = KeywordAutomaton(keywords: asciiWords)
    wide = wideWords.contains { !$0.isEmpty } ? KeywordAutomaton(keywords: wideWords) : nil
    alwaysRun = Array(Set(always + ascii.unmatchable + (wide?.unmatchable ?? []))).sorted()
  }

  /// Calls `body(rule, end)` for every keyword occurrence in `bytes`: `end` is the offset of the
  /// keyword's last byte. Positions rise within each automaton's pass; the non-ASCII pass (when the
  /// block has such bytes) starts again from the beginning.
  @inline(__always)
  func forEachHit(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
    ascii.forEachHit(bytes, body)
    if let wide, KeywordPrefilter.hasHighByte(bytes) { wide.forEachHit(bytes, body) }
  }

  /// `forEachHit` with the same calls in the same order, the ASCII pass walking the two halves
  /// of a long buffer at once (see `KeywordAutomaton.forEachHitInHalves`); `pending` is a
  /// reused work buffer.
  @inline(__always)
  func forEachHit(_ bytes: UnsafeBufferPointer<UInt8>, pending: inout [Int32], _ body: (Int, Int) -> Void) {
    ascii.forEachHitInHalves(bytes, pending: &pending, body)
    if let wide, KeywordPrefilter.hasHighByte(bytes) { wide.forEachHit(bytes, body) }
  }

  /// True when `bytes` holds a byte >= 0x80 (eight bytes at a time).
  static func hasHighByte(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else { return false }
    let n = bytes.count
    var i = 0
    let raw = UnsafeRawPointer(base)
    while i + 8 <= n {
      if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return true }
      i += 8
    }
    while i < n {
      if bytes[i] >= 0x80 { return true }
      i += 1
    }
    return false
  }

  /// Indices of the rules to run on `bytes`, in rule order.
  func candidates(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
    var triggered = [Bool](repeating: false, count: ruleCount)
    for i in alwaysRun { triggered[i] = true }
    forEachHit(bytes) { r, _ in triggered[r] = true }
    return (0..<ruleCount).filter { triggered[$0] }
  }

  /// States and byte classes of the ASCII automaton (statistics).
  var size: (states: Int, classes: Int) { ascii.size }
}

/// One Aho-Corasick automaton as a dense DFA over byte classes.
struct KeywordAutomaton: Sendable {
  private let byteClass: [UInt8]
  private let classCount: Int
  /// Bits of a row index: rows are `1 << shift` entries long (at least `classCount`).
  private let shift: Int
  /// DFA transitions, indexed by `state << shift | class`. Entries hold the next state,
  /// bit-inverted (negative) when that state has outputs. 16-bit entries when the states allow,
  /// halving the table's share of the caches (the walk waits on its loads); else 32-bit.
  private let narrow: [Int16]
  private let wide: [Int32]
  private let stateCount: Int
  /// Rules whose keyword ends in a state (fail-link outputs merged in), by state number.
  private let outputs: [[Int32]]
  /// Rules with a keyword this automaton cannot hold (over 254 distinct bytes): they must always run.
  let unmatchable: [Int]
  /// No keyword holds a line feed, so no match spans one.
  let noKeywordSpansLines: Bool

  /// `keywords[i]` are rule i's keywords (an empty list: the rule has none here). Automata of up
  /// to `narrowStates` states get 16-bit entries (tests lower it to check the 32-bit ones).
  init(keywords: [[String]], narrowStates: Int = Int(Int16.max)) {
    var always: [Int] = []
    // Byte classes: 0 is "no keyword uses this byte".
    var cls = [UInt8](repeating: 0, count: 256)
    var nextClass = 1
    var folded: [[[UInt8]]] = []
    for words in keywords {
      let ws = words.map { KeywordAutomaton.fold(Array($0.utf8)) }.filter { !$0.isEmpty }
      folded.append(ws)
      for w in ws {
        for b in w where cls[Int(b)] == 0 {
          if nextClass < 255 {
            cls[Int(b)] = UInt8(nextClass)
            nextClass += 1
          }
        }
      }
    }
    // Upper-case ASCII letters share their lower-case class.
    for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { cls[Int(b)] = cls[Int(b | 0x20)] }
    let classes = nextClass
    // A keyword with a byte left without a class (over 254 distinct bytes) cannot be matched:
    // its rule runs always rather than never.
    for (i, ws) in folded.enumerated() where ws.contains(where: { $0.contains { cls[Int($0)] == 0 } }) {
      always.append(i)
      folded[i] = []
    }
    unmatchable = always
    noKeywordSpansLines = !folded.contains { $0.contains { $0.contains(0x0A) } }

    // Trie.
    var children: [[Int32]] = [[Int32](repeating: -1, count: classes)]
    var out: [[Int32]] = [[]]
    for (rule, ws) in folded.enumerated() {
      for w in ws {
        var state = 0
        for b in w {
          let c = Int(cls[Int(b)])
          if children[state][c] < 0 {
            children.append([Int32](repeating: -1, count: classes))
            out.append([])
            children[state][c] = Int32(children.count - 1)
          }
          state = Int(children[state][c])
        }
        if !out[state].contains(Int32(rule)) { out[state].append(Int32(rule)) }
      }
    }
    // Failure links by breadth-first search, then the full DFA.
    let n = children.count
    var fail = [Int32](repeating: 0, count: n)
    var table = [Int32](repeating: 0, count: n * classes)
    var queue: [Int] = []
    for c in 0..<classes {
      let child = children[0][c]
      if child >= 0 {
        fail[Int(child)] = 0
        table[c] = child
        queue.append(Int(child))
      } else {
        table[c] = 0
      }
    }
    // Class 0 (bytes in no keyword) always returns to the root.
    var head = 0
    while head < queue.count {
      let state = queue[head]
      head += 1
      let f = Int(fail[state])
      for r in out[f] where !out[state].contains(r) { out[state].append(r) }
      for c in 0..<classes {
        let child = children[state][c]
        if child >= 0 && c != 0 {
          fail[Int(child)] = table[f * classes + c]
          table[state * classes + c] = child
          queue.append(Int(child))
        } else {
          table[state * classes + c] = c == 0 ? 0 : table[f * classes + c]
        }
      }
    }
    // Renumber the states breadth-first (the root, then depth 1, ...): the shallow states, where
    // the automaton spends nearly all its time, then share a few cache lines of the table.
    var order = [0]
    order.reserveCapacity(n)
    var seen = [Bool](repeating: false, count: n)
    seen[0] = true
    var at = 0
    while at < order.count {
      let state = order[at]
      at += 1
      for c in 0..<classes {
        let child = children[state][c]
        if child >= 0 && c != 0 && !seen[Int(child)] {
          seen[Int(child)] = true
          order.append(Int(child))
        }
      }
    }
    var rank = [Int32](repeating: 0, count: n)
    for (newIndex, old) in order.enumerated() { rank[old] = Int32(newIndex) }
    var bits = 0
    while 1 << bits < classes { bits += 1 }
    var renumbered = [Int32](repeating: 0, count: n << bits)
    var newOutputs = [[Int32]](repeating: [], count: n)
    for old in 0..<n {
      let r = Int(rank[old])
      newOutputs[r] = out[old]
      for c in 0..<classes {
        let next = Int(table[old * classes + c])
        renumbered[r << bits | c] = out[next].isEmpty ? rank[next] : ~rank[next]
      }
    }
    byteClass = cls
    classCount = classes
    shift = bits
    stateCount = n
    if n <= min(narrowStates, Int(Int16.max)) {
      narrow = renumbered.map { Int16($0) }
      wide = []
    } else {
      narrow = []
      wide = renumbered
    }
    outputs = newOutputs
  }

  /// States and byte classes of the automaton (statistics).
  var size: (states: Int, classes: Int) { (stateCount, classCount) }

  private static func fold(_ bytes: [UInt8]) -> [UInt8] {
    bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
  }

  /// Calls `body(rule, end)` for every keyword occurrence in `bytes`: `end` is the offset of the
  /// keyword's last byte. One rule can be reported several times for one position when several of
  /// its keywords end there.
  @inline(__always)
  func forEachHit(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
    guard !bytes.isEmpty, stateCount > 1 else { return }
    if wide.isEmpty {
      narrow.withUnsafeBufferPointer { walk($0, bytes, body) }
    } else {
      wide.withUnsafeBufferPointer { walk($0, bytes, body) }
    }
  }

  @inline(__always)
  private func walk<Entry: FixedWidthInteger & SignedInteger>(
    _ table: UnsafeBufferPointer<Entry>, _ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void
  ) {
    let shift = self.shift
    byteClass.withUnsafeBufferPointer { cls in
      outputs.withUnsafeBufferPointer { outs in
        var state = 0
        var p = 0
        let n = bytes.count
        while p < n {
          if Self.step(table, &state, shift, cls[Int(bytes[p])]) { for r in outs[state] { body(Int(r), p) } }
          p &+= 1
        }
      }
    }
  }

  /// One transition: `state` moves on the byte's class; true when the new state has outputs (the
  /// table marks those states by storing their complement).
  @inline(__always)
  private static func step<Entry: FixedWidthInteger & SignedInteger>(
    _ table: UnsafeBufferPointer<Entry>, _ state: inout Int, _ shift: Int, _ byteClass: UInt8
  ) -> Bool {
    let next = table[state &<< shift | Int(byteClass)]
    if next >= 0 {
      state = Int(next)
      return false
    }
    state = Int(~next)
    return true
  }

  /// Buffers shorter than this are walked in one piece.
  static let halvesMinimum = 128

  /// Where the second half of `bytes` starts: just after the first line feed at or past the
  /// middle (or else the last one before it); nil when there is none.
  static func halfPoint(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    let n = bytes.count
    var k = n / 2
    while k < n - 1, bytes[k] != 0x0A { k += 1 }
    if k < n - 1 { return k + 1 }
    k = n / 2 - 1
    while k >= 0, bytes[k] != 0x0A { k -= 1 }
    return k >= 0 ? k + 1 : nil
  }

  /// `forEachHit`, with the same calls in the same order, walking the two halves of a long
  /// buffer (cut after a line feed) in one loop. Each step of a walk waits for its table load,
  /// the loop's whole cost; two independent walks overlap those waits. No keyword spans a line
  /// feed, so every match lies in one half and each half is walked from the root. Matches of the
  /// first half are reported as found, those of the second are kept in `pending` (state, end)
  /// and reported after.
  @inline(__always)
  func forEachHitInHalves(_ bytes: UnsafeBufferPointer<UInt8>, pending: inout [Int32], _ body: (Int, Int) -> Void) {
    guard bytes.count >= KeywordAutomaton.halvesMinimum, noKeywordSpansLines, stateCount > 1,
      let half = KeywordAutomaton.halfPoint(bytes)
    else { return forEachHit(bytes, body) }
    if wide.isEmpty {
      narrow.withUnsafeBufferPointer { walkHalves($0, bytes, half, &pending, body) }
    } else {
      wide.withUnsafeBufferPointer { walkHalves($0, bytes, half, &pending, body) }
    }
  }

  @inline(__always)
  private func walkHalves<Entry: FixedWidthInteger & SignedInteger>(
    _ table: UnsafeBufferPointer<Entry>, _ bytes: UnsafeBufferPointer<UInt8>, _ half: Int, _ pending: inout [Int32],
    _ body: (Int, Int) -> Void
  ) {
    let shift = self.shift
    pending.removeAll(keepingCapacity: true)
    byteClass.withUnsafeBufferPointer { cls in
      outputs.withUnsafeBufferPointer { outs in
        var stateA = 0
        var stateB = 0
        var a = 0
        var b = half
        let n = bytes.count
        // The two walks' table loads are issued together; each step is `Self.step`.
        while a < half && b < n {
          let hitA = Self.step(table, &stateA, shift, cls[Int(bytes[a])])
          let hitB = Self.step(table, &stateB, shift, cls[Int(bytes[b])])
          if hitA { for r in outs[stateA] { body(Int(r), a) } }
          if hitB {
            pending.append(Int32(stateB))
            pending.append(Int32(b))
          }
          a &+= 1
          b &+= 1
        }
        while a < half {
          if Self.step(table, &stateA, shift, cls[Int(bytes[a])]) { for r in outs[stateA] { body(Int(r), a) } }
          a &+= 1
        }
        while b < n {
          if Self.step(table, &stateB, shift, cls[Int(bytes[b])]) {
            pending.append(Int32(stateB))
            pending.append(Int32(b))
          }
          b &+= 1
        }
        var k = 0
        while k < pending.count {
          for r in outs[Int(pending[k])] { body(Int(r), Int(pending[k + 1])) }
          k += 2
        }
      }
    }
  }
}
