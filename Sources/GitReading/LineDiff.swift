// Added and removed lines of a file by line-hash difference: the common prefix and suffix are
// matched in place, then runs of common lines near each difference inside the middles (anchors), and
// what is left as multisets of lines (found by hash, confirmed by bytes). Moved lines count as
// unchanged; new line numbers are exact.

import Foundation
import GateCore

enum LineDiff {
  /// Byte ranges of the lines of `bytes` (without the `\n`; no empty line after a final `\n`).
  struct Lines {
    var starts: [Int32] = []
    var ends: [Int32] = []
    /// Lines of the file before the first one listed (a common head left out).
    var firstNumber: Int32 = 0
    /// 1-based line numbers, when the listed lines are not consecutive (runs matched in between
    /// were left out); nil: line `i` is number `firstNumber + i + 1`.
    var numbers: [Int32]? = nil
    var count: Int { starts.count }

    func number(_ i: Int) -> Int32 { numbers?[i] ?? firstNumber + Int32(i) + 1 }

    /// Appends the byte ranges of the lines of `buf[from..<to]`; returns how many.
    @discardableResult
    mutating func appendRanges(_ buf: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
      let before = starts.count
      var start = from
      while start < to {
        let end: Int
        if let hit = memchr(buf + start, 0x0A, to - start) {
          end = buf.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        } else {
          end = to
        }
        starts.append(Int32(start))
        ends.append(Int32(end))
        start = end + 1
      }
      return starts.count - before
    }

    /// Appends the lines of `buf[from..<to]` with explicit numbers, the first numbered `first`.
    mutating func append(_ buf: UnsafePointer<UInt8>, from: Int, to: Int, first: Int32) {
      let added = appendRanges(buf, from: from, to: to)
      numbers!.append(contentsOf: (0..<Int32(added)).map { first + $0 })
    }
  }

  static func lines(_ bytes: [UInt8]) -> Lines {
    bytes.withUnsafeBufferPointer { lines($0) }
  }

  static func lines(_ buf: UnsafeBufferPointer<UInt8>) -> Lines {
    lines(buf, from: 0, to: buf.count, firstNumber: 0)
  }

  /// The lines of `buf[from..<to]` (positions in `buf`), numbered after `firstNumber` lines.
  static func lines(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int, firstNumber: Int32) -> Lines {
    var result = Lines()
    result.firstNumber = firstNumber
    if let base = buf.baseAddress { result.appendRanges(base, from: from, to: to) }
    return result
  }

  /// How many bytes from `a` and `b` are equal, at most `limit`: whole chunks go to libc's
  /// vectorised memcmp first, and only the chunk that differs is walked eight bytes, then one byte,
  /// at a time.
  static func matchingPrefix(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, limit: Int) -> Int {
    let chunk = 512
    var p = 0
    while p + chunk <= limit, memcmp(a + p, b + p, chunk) == 0 { p += chunk }
    while p + 8 <= limit,
      a.loadUnaligned(fromByteOffset: p, as: UInt64.self) == b.loadUnaligned(fromByteOffset: p, as: UInt64.self)
    {
      p += 8
    }
    while p < limit, a.load(fromByteOffset: p, as: UInt8.self) == b.load(fromByteOffset: p, as: UInt8.self) {
      p += 1
    }
    return p
  }

  /// The line-aligned common head and tail of two files: `a[0..<head]` and `b[0..<head]` are the
  /// same whole lines (`headLines` of them), and so are the last `tail` bytes of each; the two never
  /// overlap. Only the middles need splitting into lines.
  static func commonEnds(
    _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>
  ) -> (head: Int, headLines: Int32, tail: Int) {
    guard let pa = a.baseAddress, let pb = b.baseAddress else { return (0, 0, 0) }
    let n = min(a.count, b.count)
    let ra = UnsafeRawPointer(pa)
    let rb = UnsafeRawPointer(pb)
    // Heads and tails are most of a file's bytes (79% on curl's history), so both are compared in
    // chunks by memcmp first.
    var head = matchingPrefix(ra, rb, limit: n)
    while head > 0, pa[head - 1] != 0x0A { head -= 1 }
    let headLines = Int32(truncatingIfNeeded: countNewlines(pa, head))
    let limit = n - head
    let chunk = 512
    var q = 0
    while q + chunk <= limit, memcmp(ra + a.count - q - chunk, rb + b.count - q - chunk, chunk) == 0 { q += chunk }
    while q + 8 <= limit,
      ra.loadUnaligned(fromByteOffset: a.count - q - 8, as: UInt64.self)
        == rb.loadUnaligned(fromByteOffset: b.count - q - 8, as: UInt64.self)
    {
      q += 8
    }
    while q < limit, pa[a.count - q - 1] == pb[b.count - q - 1] { q += 1 }
    var tail = 0
    if q > 0, let hit = memchr(pa + a.count - q, 0x0A, q) {
      tail = a.count - (pa.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1)
    }
    return (head, headLines, tail)
  }

  /// The number of `\n` bytes in `base[0..<count]`, sixteen bytes a lane and four lanes a step
  /// (several times faster than a `memchr` per line on source files' short lines).
  static func countNewlines(_ base: UnsafePointer<UInt8>, _ count: Int) -> Int {
    let raw = UnsafeRawPointer(base)
    let newline = SIMD16<UInt8>(repeating: 0x0A)
    let zero = SIMD16<UInt8>()
    let one = SIMD16<UInt8>(repeating: 1)
    var total = 0
    var p = 0
    while count - p >= 64 {
      // Each lane counts at most one per step: 255 steps would overflow a byte; flush after 63.
      var lanes = SIMD16<UInt8>()
      var steps = 0
      while steps < 63, count - p >= 64 {
        let a = raw.loadUnaligned(fromByteOffset: p, as: SIMD16<UInt8>.self)
        let b = raw.loadUnaligned(fromByteOffset: p + 16, as: SIMD16<UInt8>.self)
        let c = raw.loadUnaligned(fromByteOffset: p + 32, as: SIMD16<UInt8>.self)
        let d = raw.loadUnaligned(fromByteOffset: p + 48, as: SIMD16<UInt8>.self)
        lanes &+= zero.replacing(with: one, where: a .== newline)
        lanes &+= zero.replacing(with: one, where: b .== newline)
        lanes &+= zero.replacing(with: one, where: c .== newline)
        lanes &+= zero.replacing(with: one, where: d .== newline)
        p += 64
        steps += 1
      }
      total += Int(SIMD16<UInt16>(truncatingIfNeeded: lanes).wrappedSum())
    }
    while p < count {
      if base[p] == 0x0A { total += 1 }
      p += 1
    }
    return total
  }

  /// Lines of the window searched for the next common run on each side.
  static let anchorWindow = 16
  /// A common run shorter than this many bytes is no anchor (unless it ends both middles).
  static let minimumRun = 32

  /// The lines of the two middles (`old[head..<oldEnd]`, `new[head..<newEnd]`, both starting and
  /// ending on line boundaries) that still need matching by hash. From the start of the middles, the
  /// nearest pair of equal lines within `anchorWindow` lines of each side that starts a common run of
  /// at least `minimumRun` bytes is found; the lines before it are kept, the run is skipped at
  /// `memcmp` speed, and the search goes on after it. Without an anchor in the window the rest is
  /// kept whole. Which pairs of equal lines are matched does not change how many copies of each line
  /// count as added or removed (only which copy), so this is exact in what it reports.
  static func anchoredMiddles(
    _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, head: Int, headLines: Int32, oldEnd: Int,
    newEnd: Int
  ) -> (Lines, Lines) {
    var lo = Lines()
    var ln = Lines()
    lo.numbers = []
    ln.numbers = []
    guard let pa = a.baseAddress, let pb = b.baseAddress else {
      return (
        lines(a, from: head, to: oldEnd, firstNumber: headLines),
        lines(b, from: head, to: newEnd, firstNumber: headLines)
      )
    }
    var o = head
    var n = head
    var oNumber = headLines + 1
    var nNumber = headLines + 1
    // Starts of the window's lines on each side (and where the window's last line ends).
    func window(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> [Int] {
      var starts: [Int] = []
      var at = from
      while at < to, starts.count < anchorWindow {
        starts.append(at)
        guard let hit = memchr(p + at, 0x0A, to - at) else { break }
        at = p.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
      }
      return starts
    }
    search: while o < oldEnd, n < newEnd {
      let oldStarts = window(pa, from: o, to: oldEnd)
      let newStarts = window(pb, from: n, to: newEnd)
      // Nearest anchor first: by distance di + dj, then by di.
      for distance in 1..<max(1, oldStarts.count + newStarts.count - 1) {
        let lowest = max(0, distance - newStarts.count + 1)
        let highest = min(distance, oldStarts.count - 1)
        guard lowest <= highest else { continue }
        for di in lowest...highest {
          let dj = distance - di
          let x = oldStarts[di]
          let y = newStarts[dj]
          guard pa[x] == pb[y] else { continue }
          let limit = min(oldEnd - x, newEnd - y)
          var run = matchingPrefix(pa + x, pb + y, limit: limit)
          let endsBoth = run == oldEnd - x && run == newEnd - y
          if !endsBoth {
            // Whole lines only: the run ends after its last newline.
            while run > 0, pa[x + run - 1] != 0x0A { run -= 1 }
          }
          guard run >= minimumRun || endsBoth else { continue }
          lo.append(pa, from: o, to: x, first: oNumber)
          ln.append(pb, from: n, to: y, first: nNumber)
          oNumber += Int32(di)
          nNumber += Int32(dj)
          let runLines = Int32(truncatingIfNeeded: countNewlines(pa + x, run))
          oNumber += runLines
          nNumber += runLines
          o = x + run
          n = y + run
          continue search
        }
      }
      break
    }
    lo.append(pa, from: o, to: oldEnd, first: oNumber)
    ln.append(pb, from: n, to: newEnd, first: nNumber)
    return (lo, ln)
  }

  /// Line indices (0-based) added in `new` and removed from `old`.
  static func diff(old: [UInt8], new: [UInt8]) -> (added: [Int32], removed: [Int32]) {
    old.withUnsafeBufferPointer { ob in
      new.withUnsafeBufferPointer { nb in
        diff(old: ob, oldLines: lines(ob), new: nb, newLines: lines(nb))
      }
    }
  }

  /// Line indices (0-based) added in `new` and removed from `old`: the common prefix and suffix are
  /// matched in place; in the middles each new line takes the first old line not yet taken with the
  /// same bytes. Hashes only find candidates, bytes are always compared, so a crafted hash collision
  /// cannot hide an added line.
  static func diff(
    old ob: UnsafeBufferPointer<UInt8>, oldLines lo: Lines, new nb: UnsafeBufferPointer<UInt8>, newLines ln: Lines
  ) -> (added: [Int32], removed: [Int32]) {
    let oldBase = ob.baseAddress ?? UnsafePointer(bitPattern: 1)!
    let newBase = nb.baseAddress ?? UnsafePointer(bitPattern: 1)!
    func equal(_ i: Int, _ j: Int) -> Bool {
      let la = Int(lo.ends[i] - lo.starts[i])
      let lb = Int(ln.ends[j] - ln.starts[j])
      guard la == lb else { return false }
      if la == 0 { return true }
      return memcmp(oldBase + Int(lo.starts[i]), newBase + Int(ln.starts[j]), la) == 0
    }
    let common = min(lo.count, ln.count)
    var p = 0
    while p < common, equal(p, p) { p += 1 }
    var s = 0
    while s < common - p, equal(lo.count - 1 - s, ln.count - 1 - s) { s += 1 }
    let oldMid = p..<(lo.count - s)
    let newMid = p..<(ln.count - s)
    if oldMid.isEmpty { return (newMid.map { Int32($0) }, []) }
    if newMid.isEmpty { return ([], oldMid.map { Int32($0) }) }
    let first = oldMid.lowerBound
    let oldCount = oldMid.count
    // Open addressing: each slot holds a hash and the first not yet taken old line with it (chained
    // in ascending order through `next`); -2 marks a free slot, -1 a hash whose lines are all taken.
    var slots = 16
    while slots < 2 * oldCount { slots <<= 1 }
    let mask = slots - 1
    var slotHash = [UInt64](repeating: 0, count: slots)
    var slotHead = [Int32](repeating: -2, count: slots)
    var next = [Int32](repeating: -1, count: oldCount)
    var taken = [Bool](repeating: false, count: oldCount)
    func slot(_ h: UInt64) -> Int {
      var k = Int(truncatingIfNeeded: h) & mask
      while slotHead[k] != -2 && slotHash[k] != h { k = (k + 1) & mask }
      return k
    }
    for k in stride(from: oldCount - 1, through: 0, by: -1) {
      let h = lineHash(oldBase, lo.starts[first + k], lo.ends[first + k])
      let at = slot(h)
      if slotHead[at] == -2 {
        slotHash[at] = h
      } else {
        next[k] = slotHead[at]
      }
      slotHead[at] = Int32(k)
    }
    var added: [Int32] = []
    for j in newMid {
      let h = lineHash(newBase, ln.starts[j], ln.ends[j])
      let at = slot(h)
      var k = slotHead[at]
      var previous: Int32 = -1
      var matched = false
      while k >= 0 {
        let ki = Int(k)
        if equal(first + ki, j) {
          taken[ki] = true
          if previous < 0 { slotHead[at] = next[ki] } else { next[Int(previous)] = next[ki] }
          matched = true
          break
        }
        previous = k
        k = next[ki]
      }
      if !matched { added.append(Int32(j)) }
    }
    var removed: [Int32] = []
    for k in 0..<oldCount where !taken[k] { removed.append(Int32(first + k)) }
    return (added, removed)
  }

  /// A 64-bit hash of a line's bytes, eight bytes at a time (finds candidates; bytes are compared).
  @inline(__always)
  static func lineHash(_ base: UnsafePointer<UInt8>, _ start: Int32, _ end: Int32) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(end - start)
    var p = UnsafeRawPointer(base + Int(start))
    var n = Int(end - start)
    while n >= 8 {
      h = (h ^ p.loadUnaligned(as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 32
      p += 8
      n -= 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while n > 0 {
      tail |= UInt64(p.load(as: UInt8.self)) << shift
      shift += 8
      p += 1
      n -= 1
    }
    h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    return h ^ (h >> 29)
  }

  /// The chosen lines of `bytes` packed into a block, numbered from 1.
  static func block(_ bytes: UnsafeBufferPointer<UInt8>, lines: Lines, picking indices: [Int32]) -> LineBlock {
    guard !indices.isEmpty, let base = bytes.baseAddress else { return LineBlock() }
    var starts: [Int32] = []
    var numbers: [Int32] = []
    starts.reserveCapacity(indices.count)
    numbers.reserveCapacity(indices.count)
    var total = 0
    for i in indices { total += Int(lines.ends[Int(i)] - lines.starts[Int(i)]) + 1 }
    let out = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
      var at = 0
      for (k, i) in indices.enumerated() {
        if k > 0 {
          buffer[at] = 0x0A
          at += 1
        }
        starts.append(Int32(at))
        numbers.append(lines.number(Int(i)))
        let from = Int(lines.starts[Int(i)])
        let length = Int(lines.ends[Int(i)]) - from
        if length > 0 {
          (buffer.baseAddress! + at).initialize(from: base + from, count: length)
          at += length
        }
      }
      initialized = at
    }
    return LineBlock(bytes: out, starts: starts, numbers: numbers)
  }

  /// The lines of `new` added relative to `old` and to every blob of `otherParents` (a merge), and
  /// the lines removed from `old`. A binary old side with no new side (a deleted binary file) has none.
  static func changes(
    old: UnsafeBufferPointer<UInt8>, new: UnsafeBufferPointer<UInt8>, otherParents: [BlobData]
  ) -> LineChanges {
    if isBinary(old) && !old.isEmpty && new.isEmpty { return LineChanges() }
    if otherParents.isEmpty {
      // Only the middles between the common head and tail are split and compared, and of those only
      // what lies between runs of common lines found near each difference.
      let (head, headLines, tail) = commonEnds(old, new)
      let (oldLines, newLines) = anchoredMiddles(
        old, new, head: head, headLines: headLines, oldEnd: old.count - tail, newEnd: new.count - tail)
      let (added, removed) = diff(old: old, oldLines: oldLines, new: new, newLines: newLines)
      return LineChanges(
        added: block(new, lines: newLines, picking: added), removed: block(old, lines: oldLines, picking: removed))
    }
    let oldLines = lines(old)
    let newLines = lines(new)
    var (added, removed) = diff(old: old, oldLines: oldLines, new: new, newLines: newLines)
    for other in otherParents where !added.isEmpty {
      let against = other.withBytes { bytes in
        diff(old: bytes, oldLines: lines(bytes), new: new, newLines: newLines).added
      }
      added = intersect(added, against)
    }
    return LineChanges(
      added: block(new, lines: newLines, picking: added), removed: block(old, lines: oldLines, picking: removed))
  }

  /// Intersection of two ascending index lists.
  static func intersect(_ a: [Int32], _ b: [Int32]) -> [Int32] {
    var result: [Int32] = []
    var i = 0
    var j = 0
    while i < a.count && j < b.count {
      if a[i] == b[j] {
        result.append(a[i])
        i += 1
        j += 1
      } else if a[i] < b[j] {
        i += 1
      } else {
        j += 1
      }
    }
    return result
  }

  /// Git's binary heuristic: a NUL byte in the first 8000 bytes.
  static func isBinary(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = buf.baseAddress else { return false }
    return memchr(base, 0, min(8000, buf.count)) != nil
  }
}
