// Added and removed lines of a file by line-hash difference: the common prefix and suffix are
// matched in place, the middles as multisets of line hashes. Moved lines count as unchanged; new
// line numbers are exact.

import Foundation
import GateCore

enum LineDiff {
  /// Byte ranges of the lines of `bytes` (without the `\n`; no empty line after a final `\n`).
  struct Lines {
    var starts: [Int32] = []
    var ends: [Int32] = []
    var count: Int { starts.count }
  }

  static func lines(_ bytes: [UInt8]) -> Lines {
    var result = Lines()
    bytes.withUnsafeBufferPointer { buf in
      guard let base = buf.baseAddress, buf.count > 0 else { return }
      var start = 0
      while start < buf.count {
        let rest = buf.count - start
        if let hit = memchr(base + start, 0x0A, rest) {
          let end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
          result.starts.append(Int32(start))
          result.ends.append(Int32(end))
          start = end + 1
        } else {
          result.starts.append(Int32(start))
          result.ends.append(Int32(buf.count))
          start = buf.count
        }
      }
    }
    return result
  }

  /// Line indices (0-based) added in `new` and removed from `old`.
  static func diff(old: [UInt8], new: [UInt8]) -> (added: [Int32], removed: [Int32]) {
    let lo = lines(old)
    let ln = lines(new)
    return diff(old: old, oldLines: lo, new: new, newLines: ln)
  }

  static func diff(
    old: [UInt8], oldLines lo: Lines, new: [UInt8], newLines ln: Lines
  ) -> (
    added: [Int32], removed: [Int32]
  ) {
    old.withUnsafeBufferPointer { ob in
      new.withUnsafeBufferPointer { nb in
        func equal(_ i: Int, _ j: Int) -> Bool {
          let la = Int(lo.ends[i] - lo.starts[i])
          let lb = Int(ln.ends[j] - ln.starts[j])
          guard la == lb else { return false }
          if la == 0 { return true }
          return memcmp(ob.baseAddress! + Int(lo.starts[i]), nb.baseAddress! + Int(ln.starts[j]), la) == 0
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
        func hash(_ base: UnsafePointer<UInt8>, _ start: Int32, _ end: Int32) -> UInt64 {
          var h: UInt64 = 0xcbf2_9ce4_8422_2325
          var k = Int(start)
          while k < Int(end) {
            h = (h ^ UInt64(base[k])) &* 0x0000_0100_0000_01b3
            k += 1
          }
          return h ^ UInt64(end - start)
        }
        var oldCounts: [UInt64: Int32] = [:]
        var oldHashes: [UInt64] = []
        oldHashes.reserveCapacity(oldMid.count)
        for i in oldMid {
          let h = hash(ob.baseAddress!, lo.starts[i], lo.ends[i])
          oldHashes.append(h)
          oldCounts[h, default: 0] += 1
        }
        var newCounts: [UInt64: Int32] = [:]
        var added: [Int32] = []
        for j in newMid {
          let h = hash(nb.baseAddress!, ln.starts[j], ln.ends[j])
          newCounts[h, default: 0] += 1
          if let c = oldCounts[h], c > 0 {
            oldCounts[h] = c - 1
          } else {
            added.append(Int32(j))
          }
        }
        var removed: [Int32] = []
        for (k, i) in oldMid.enumerated() {
          let h = oldHashes[k]
          if let c = newCounts[h], c > 0 {
            newCounts[h] = c - 1
          } else {
            removed.append(Int32(i))
          }
        }
        return (added, removed)
      }
    }
  }

  /// The chosen lines of `bytes` packed into a block, numbered from 1.
  static func block(_ bytes: [UInt8], lines: Lines, picking indices: [Int32]) -> LineBlock {
    var out: [UInt8] = []
    var starts: [Int32] = []
    var numbers: [Int32] = []
    starts.reserveCapacity(indices.count)
    numbers.reserveCapacity(indices.count)
    var total = 0
    for i in indices { total += Int(lines.ends[Int(i)] - lines.starts[Int(i)]) + 1 }
    out.reserveCapacity(total)
    for (k, i) in indices.enumerated() {
      if k > 0 { out.append(0x0A) }
      starts.append(Int32(out.count))
      numbers.append(i + 1)
      out.append(contentsOf: bytes[Int(lines.starts[Int(i)])..<Int(lines.ends[Int(i)])])
    }
    return LineBlock(bytes: out, starts: starts, numbers: numbers)
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
  static func isBinary(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { buf in
      guard let base = buf.baseAddress else { return false }
      return memchr(base, 0, min(8000, buf.count)) != nil
    }
  }
}
