// The keyword prefilter: one Aho-Corasick automaton over every rule's keywords, run once over the
// bytes of a block before any regex. ASCII letters are folded to lower case; other bytes match
// exactly. The automaton is a dense DFA over byte classes (only bytes that occur in some keyword get
// their own class), so the inner loop is one table load per input byte.

/// Which rules a block can trigger: rules without keywords always, the others when one of their
/// keywords occurs (case-insensitively).
struct KeywordPrefilter: Sendable {
  private let byteClass: [UInt8]
  private let classCount: Int
  /// DFA transitions, indexed by `stateOffset + class` where `stateOffset = state * classCount`.
  /// Entries hold the next state's offset, bit-inverted (negative) when that state has outputs.
  private let delta: [Int32]
  /// Rules whose keyword ends in a state (fail-link outputs merged in), by state number.
  private let outputs: [[Int32]]
  /// Rules that always run (no keywords).
  let alwaysRun: [Int]
  let ruleCount: Int

  /// `keywords[i]` are rule i's keywords; an empty list (or only empty strings) means always run.
  init(keywords: [[String]]) {
    ruleCount = keywords.count
    var always: [Int] = []
    // Byte classes: 0 is "no keyword uses this byte".
    var cls = [UInt8](repeating: 0, count: 256)
    var nextClass = 1
    var folded: [[[UInt8]]] = []
    for (i, words) in keywords.enumerated() {
      let ws = words.map { KeywordPrefilter.fold(Array($0.utf8)) }.filter { !$0.isEmpty }
      if ws.isEmpty { always.append(i) }
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
    always.sort()
    alwaysRun = always

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
    var renumbered = [Int32](repeating: 0, count: n * classes)
    var newOutputs = [[Int32]](repeating: [], count: n)
    for old in 0..<n {
      let r = Int(rank[old])
      newOutputs[r] = out[old]
      for c in 0..<classes {
        let next = Int(table[old * classes + c])
        let offset = rank[next] * Int32(classes)
        renumbered[r * classes + c] = out[next].isEmpty ? offset : ~offset
      }
    }
    byteClass = cls
    classCount = classes
    delta = renumbered
    outputs = newOutputs
  }

  /// States and byte classes of the automaton (statistics).
  var size: (states: Int, classes: Int) { (delta.count / max(1, classCount), classCount) }

  private static func fold(_ bytes: [UInt8]) -> [UInt8] {
    bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
  }

  /// Marks `triggered[i] = true` for every rule whose keyword occurs in `bytes` (keyword rules only).
  func mark(_ bytes: UnsafeBufferPointer<UInt8>, _ triggered: inout [Bool]) {
    guard !bytes.isEmpty, delta.count > classCount else { return }
    let c = classCount
    byteClass.withUnsafeBufferPointer { cls in
      delta.withUnsafeBufferPointer { table in
        var offset = 0
        for b in bytes {
          let next = table[offset &+ Int(cls[Int(b)])]
          if next >= 0 {
            offset = Int(next)
          } else {
            offset = Int(~next)
            for r in outputs[offset / c] { triggered[Int(r)] = true }
          }
        }
      }
    }
  }

  /// Calls `body(rule, end)` for every keyword occurrence in `bytes`: `end` is the offset of the
  /// keyword's last byte. One rule can be reported several times for one position when several of
  /// its keywords end there.
  @inline(__always)
  func forEachHit(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
    guard !bytes.isEmpty, delta.count > classCount else { return }
    let c = classCount
    byteClass.withUnsafeBufferPointer { cls in
      delta.withUnsafeBufferPointer { table in
        outputs.withUnsafeBufferPointer { outs in
          var offset = 0
          var p = 0
          let n = bytes.count
          while p < n {
            let next = table[offset &+ Int(cls[Int(bytes[p])])]
            if next >= 0 {
              offset = Int(next)
            } else {
              offset = Int(~next)
              for r in outs[offset / c] { body(Int(r), p) }
            }
            p &+= 1
          }
        }
      }
    }
  }

  /// Indices of the rules to run on `bytes`, in rule order.
  func candidates(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
    var triggered = [Bool](repeating: false, count: ruleCount)
    for i in alwaysRun { triggered[i] = true }
    mark(bytes, &triggered)
    var result: [Int] = []
    for i in 0..<ruleCount where triggered[i] { result.append(i) }
    return result
  }
}
