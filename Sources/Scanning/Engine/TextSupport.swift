// Small text helpers of the engine: Shannon entropy, allow markers, and the decoder that finds
// base64, hex and percent-encoded runs and turns them back into text to rescan.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Shannon entropy in bits per byte of `bytes` (0 for empty input).
public func shannonEntropy<C: Collection>(_ bytes: C) -> Double where C.Element == UInt8 {
  if bytes.isEmpty { return 0 }
  var counts = [Int](repeating: 0, count: 256)
  for b in bytes { counts[Int(b)] += 1 }
  let n = Double(bytes.count)
  var h = 0.0
  for c in counts where c > 0 {
    let p = Double(c) / n
    h -= p * log2(p)
  }
  return h
}

/// Inline allow markers on a line.
struct AllowMarkers {
  /// A same-line marker, and its byte offset in the line.
  var sameLine: Int?
  /// A next-line marker, and its byte offset in the line.
  var nextLine: Int?

  static let sameLineMarkers: [[UInt8]] = [
    "agentgate:allow", "pragma: allowlist secret", "gitleaks:allow", "betterleaks:allow",
  ].map { Array($0.utf8) }
  static let nextLineMarkers: [[UInt8]] = ["agentgate:allow-next-line", "pragma: allowlist nextline secret"].map {
    Array($0.utf8)
  }

  init<C: Collection>(line: C) where C.Element == UInt8, C.Index == Int {
    let bytes = Array(line)
    for m in AllowMarkers.nextLineMarkers {
      if let at = find(m, in: bytes) {
        nextLine = at
        break
      }
    }
    // `agentgate:allow` must not be the start of `agentgate:allow-next-line`.
    for m in AllowMarkers.sameLineMarkers {
      var from = 0
      while let at = find(m, in: bytes, from: from) {
        let end = at + m.count
        if end < bytes.count, bytes[end] == UInt8(ascii: "-") {
          from = at + 1
          continue
        }
        sameLine = at
        break
      }
      if sameLine != nil { break }
    }
  }
}

/// Case-insensitive (ASCII) search for `needle` in `hay`.
func find(_ needle: [UInt8], in hay: [UInt8], from: Int = 0) -> Int? {
  guard !needle.isEmpty, hay.count - from >= needle.count else { return nil }
  let first = needle[0] | 0x20
  var i = from
  let last = hay.count - needle.count
  while i <= last {
    if hay[i] | 0x20 == first {
      var j = 1
      while j < needle.count, fold(hay[i + j]) == fold(needle[j]) { j += 1 }
      if j == needle.count { return i }
    }
    i += 1
  }
  return nil
}

@inline(__always) private func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

/// An encoded run found in text and what it decodes to.
struct EncodedSegment {
  enum Kind: String { case base64, hex, percent }
  var kind: Kind
  /// Byte offset of the run in the scanned buffer.
  var offset: Int
  var decoded: [UInt8]
}

enum Decoder {
  static let minBase64 = 16
  static let minHex = 32
  static let minPercentEscapes = 2

  /// Encoded runs in `buf` whose decoding is text (valid UTF-8 without control bytes other than
  /// tab and line breaks).
  static func segments(in buf: UnsafeBufferPointer<UInt8>) -> [EncodedSegment] {
    var out: [EncodedSegment] = []
    let n = buf.count
    var i = 0
    // Base64 (standard and URL-safe) and hex runs.
    while i < n {
      guard isBase64Byte(buf[i]) else {
        i += 1
        continue
      }
      var j = i
      var allHex = true
      var hasStd = false
      var hasURL = false
      while j < n, isBase64Byte(buf[j]) {
        let b = buf[j]
        if !isHex(b) { allHex = false }
        if b == UInt8(ascii: "+") || b == UInt8(ascii: "/") { hasStd = true }
        if b == UInt8(ascii: "-") || b == UInt8(ascii: "_") { hasURL = true }
        j += 1
      }
      // Padding.
      var pad = 0
      while j < n, pad < 2, buf[j] == UInt8(ascii: "=") {
        j += 1
        pad += 1
      }
      let run = UnsafeBufferPointer(rebasing: buf[i..<j])
      if allHex && run.count >= minHex && run.count % 2 == 0 {
        if let d = decodeHex(run), isText(d) { out.append(EncodedSegment(kind: .hex, offset: i, decoded: d)) }
      } else if run.count >= minBase64 && !(hasStd && hasURL) {
        if let d = decodeBase64(run, url: hasURL), isText(d) {
          out.append(EncodedSegment(kind: .base64, offset: i, decoded: d))
        }
      }
      i = j
    }
    // Percent-encoded runs: non-space, non-quote runs containing at least two %XX escapes.
    i = 0
    while i < n {
      if buf[i] != UInt8(ascii: "%") {
        i += 1
        continue
      }
      var s = i
      while s > 0, isURLByte(buf[s - 1]) { s -= 1 }
      var e = i
      var escapes = 0
      while e < n, isURLByte(buf[e]) {
        if buf[e] == UInt8(ascii: "%"), e + 2 < n, isHex(buf[e + 1]), isHex(buf[e + 2]) { escapes += 1 }
        e += 1
      }
      if escapes >= minPercentEscapes, let d = decodePercent(UnsafeBufferPointer(rebasing: buf[s..<e])), isText(d) {
        out.append(EncodedSegment(kind: .percent, offset: s, decoded: d))
      }
      i = max(e, i + 1)
    }
    return out
  }

  @inline(__always) static func isBase64Byte(_ b: UInt8) -> Bool {
    (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2B || b == 0x2F
      || b == 0x2D || b == 0x5F
  }

  @inline(__always) static func isHex(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
  }

  @inline(__always) static func isURLByte(_ b: UInt8) -> Bool {
    b > 0x20 && b < 0x7F && b != UInt8(ascii: "\"") && b != UInt8(ascii: "'") && b != UInt8(ascii: "`")
      && b != UInt8(ascii: "<") && b != UInt8(ascii: ">")
  }

  static func hexValue(_ b: UInt8) -> UInt8 {
    if b >= 0x30 && b <= 0x39 { return b - 0x30 }
    if b >= 0x61 && b <= 0x66 { return b - 0x61 + 10 }
    return b - 0x41 + 10
  }

  static func decodeHex(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    guard run.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(run.count / 2)
    var k = 0
    while k < run.count {
      out.append(hexValue(run[k]) << 4 | hexValue(run[k + 1]))
      k += 2
    }
    return out
  }

  static func decodeBase64(_ run: UnsafeBufferPointer<UInt8>, url: Bool) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(run.count * 3 / 4)
    var acc: UInt32 = 0
    var bits = 0
    for b in run {
      let v: UInt32
      switch b {
      case 0x41...0x5A: v = UInt32(b - 0x41)
      case 0x61...0x7A: v = UInt32(b - 0x61 + 26)
      case 0x30...0x39: v = UInt32(b - 0x30 + 52)
      case 0x2B, 0x2D: v = 62
      case 0x2F, 0x5F: v = 63
      case 0x3D: return out
      default: return nil
      }
      acc = acc << 6 | v
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
      }
    }
    return out
  }

  static func decodePercent(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    var out: [UInt8] = []
    var k = 0
    while k < run.count {
      if run[k] == UInt8(ascii: "%"), k + 2 < run.count, isHex(run[k + 1]), isHex(run[k + 2]) {
        out.append(hexValue(run[k + 1]) << 4 | hexValue(run[k + 2]))
        k += 3
      } else {
        out.append(run[k])
        k += 1
      }
    }
    return out
  }

  /// Decoded bytes worth rescanning: at least 8 bytes of valid UTF-8 without control characters
  /// other than tab, CR and LF.
  static func isText(_ bytes: [UInt8]) -> Bool {
    guard bytes.count >= 8 else { return false }
    for b in bytes where b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D || b == 0x7F { return false }
    var it = bytes.makeIterator()
    var utf8 = UTF8()
    while true {
      switch utf8.decode(&it) {
      case .scalarValue: continue
      case .emptyInput: return true
      case .error: return false
      }
    }
  }
}
