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
  /// Decoded text shorter than this is not rescanned.
  static let minDecoded = 8

  // Byte classes, one table lookup per byte.
  static let base64Flag: UInt8 = 1
  static let hexFlag: UInt8 = 2
  static let stdFlag: UInt8 = 4
  static let urlFlag: UInt8 = 8
  static let urlByteFlag: UInt8 = 16
  static let classes: [UInt8] = (0..<256).map { i in
    let b = UInt8(i)
    var f: UInt8 = 0
    let alnum = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
    if alnum || b == 0x2B || b == 0x2F || b == 0x2D || b == 0x5F { f |= base64Flag }
    if (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) { f |= hexFlag }
    if b == 0x2B || b == 0x2F { f |= stdFlag }
    if b == 0x2D || b == 0x5F { f |= urlFlag }
    if b > 0x20 && b < 0x7F && b != 0x22 && b != 0x27 && b != 0x60 && b != 0x3C && b != 0x3E { f |= urlByteFlag }
    return f
  }

  /// Encoded runs in `buf` whose decoding is text (printable ASCII, tab and line breaks).
  ///
  /// Only maximal runs of base64 bytes at least `minBase64` long are decoded. They are found by
  /// probing every `minBase64`-th byte: when the probe is not a base64 byte, no such run can start
  /// in the `minBase64` bytes up to it, which are skipped unread; when it is, its run is measured
  /// both ways. Most code is short words between other bytes, so most bytes are never read.
  static func segments(in buf: UnsafeBufferPointer<UInt8>) -> [EncodedSegment] {
    var out: [EncodedSegment] = []
    let n = buf.count
    classes.withUnsafeBufferPointer { cls in
      // Base64 (standard and URL-safe) and hex runs. Every run starting before `p` is handled,
      // and `p` follows a byte that is not base64 (or is 0).
      var p = 0
      while p + minBase64 <= n {
        let q = p + minBase64 - 1
        guard cls[Int(buf[q])] & base64Flag != 0 else {
          p = q + 1
          continue
        }
        var i = q
        while i > p, cls[Int(buf[i - 1])] & base64Flag != 0 { i -= 1 }
        var j = q + 1
        while j < n, cls[Int(buf[j])] & base64Flag != 0 { j += 1 }
        let length = j - i
        guard length >= minBase64 else {
          p = j
          continue
        }
        var all: UInt8 = 0xFF
        var any: UInt8 = 0
        for k in i..<j {
          let f = cls[Int(buf[k])]
          all &= f
          any |= f
        }
        var end = j
        var pad = 0
        while end < n, pad < 2, buf[end] == UInt8(ascii: "=") {
          end += 1
          pad += 1
        }
        let run = UnsafeBufferPointer(rebasing: buf[i..<end])
        if all & hexFlag != 0 {
          // Hex has no padding: a run followed by one `=` is not hex (odd length); with two, its
          // digits alone are decoded (`hexValue` of `=` would overflow).
          if length >= minHex, length % 2 == 0, pad % 2 == 0,
            let d = decodeHex(UnsafeBufferPointer(rebasing: buf[i..<j]))
          {
            out.append(EncodedSegment(kind: .hex, offset: i, decoded: d))
          }
        } else if any & stdFlag == 0 || any & urlFlag == 0, let d = decodeBase64(run) {
          out.append(EncodedSegment(kind: .base64, offset: i, decoded: d))
        }
        p = end
      }
      let sawPercent = buf.baseAddress.map { memchr($0, 0x25, n) != nil } ?? false
      guard sawPercent else { return }
      // Percent-encoded runs: non-space, non-quote runs containing at least two %XX escapes.
      var i = 0
      while i < n {
        if buf[i] != 0x25 {
          i += 1
          continue
        }
        var s = i
        while s > 0, cls[Int(buf[s - 1])] & urlByteFlag != 0 { s -= 1 }
        var e = i
        var escapes = 0
        while e < n, cls[Int(buf[e])] & urlByteFlag != 0 {
          if buf[e] == 0x25, e + 2 < n, cls[Int(buf[e + 1])] & hexFlag != 0, cls[Int(buf[e + 2])] & hexFlag != 0 {
            escapes += 1
          }
          e += 1
        }
        if escapes >= minPercentEscapes, let d = decodePercent(UnsafeBufferPointer(rebasing: buf[s..<e])) {
          out.append(EncodedSegment(kind: .percent, offset: s, decoded: d))
        }
        i = max(e, i + 1)
      }
    }
    return out
  }

  @inline(__always) static func isHex(_ b: UInt8) -> Bool { classes[Int(b)] & hexFlag != 0 }

  @inline(__always) static func isTextByte(_ b: UInt8) -> Bool {
    (b >= 0x20 && b < 0x7F) || b == 0x09 || b == 0x0A || b == 0x0D
  }

  static func hexValue(_ b: UInt8) -> UInt8 {
    if b >= 0x30 && b <= 0x39 { return b - 0x30 }
    if b >= 0x61 && b <= 0x66 { return b - 0x61 + 10 }
    return b - 0x41 + 10
  }

  /// Decoded hex, or nil as soon as a byte is not text. Checked without allocating first: most
  /// hex-looking runs (hashes, ids) are not encoded text, and fail within a byte or two.
  static func decodeHex(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    guard run.count % 2 == 0, run.count / 2 >= minDecoded else { return nil }
    var check = 0
    while check < run.count {
      guard isTextByte(hexValue(run[check]) << 4 | hexValue(run[check + 1])) else { return nil }
      check += 2
    }
    var out: [UInt8] = []
    out.reserveCapacity(run.count / 2)
    var k = 0
    while k < run.count {
      let b = hexValue(run[k]) << 4 | hexValue(run[k + 1])
      guard isTextByte(b) else { return nil }
      out.append(b)
      k += 2
    }
    return out.count >= minDecoded ? out : nil
  }

  /// Decoded base64 (either alphabet), or nil as soon as a byte is not text. A first pass checks
  /// without allocating (identifiers and paths look like base64 and fail within a few bytes).
  static func decodeBase64(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    guard base64IsText(run) else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(run.count * 3 / 4)
    var acc: UInt32 = 0
    var bits = 0
    for b in run {
      if b == 0x3D { return out.count >= minDecoded ? out : nil }
      guard let v = base64Digit(b) else { return nil }
      acc = acc << 6 | v
      bits += 6
      if bits >= 8 {
        bits -= 8
        let b = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
        guard isTextByte(b) else { return nil }
        out.append(b)
      }
    }
    return out.count >= minDecoded ? out : nil
  }

  /// The 6-bit value of a base64 or base64url digit; nil for anything else (`=` included).
  @inline(__always) static func base64Digit(_ b: UInt8) -> UInt32? {
    switch b {
    case 0x41...0x5A: UInt32(b - 0x41)
    case 0x61...0x7A: UInt32(b - 0x61 + 26)
    case 0x30...0x39: UInt32(b - 0x30 + 52)
    case 0x2B, 0x2D: 62
    case 0x2F, 0x5F: 63
    default: nil
    }
  }

  /// True when `run` decodes (as base64) to at least `minDecoded` bytes of text, up to any `=`.
  static func base64IsText(_ run: UnsafeBufferPointer<UInt8>) -> Bool {
    var acc: UInt32 = 0
    var bits = 0
    var produced = 0
    for b in run {
      if b == 0x3D { return produced >= minDecoded }
      guard let v = base64Digit(b) else { return false }
      acc = acc << 6 | v
      bits += 6
      if bits >= 8 {
        bits -= 8
        guard isTextByte(UInt8(truncatingIfNeeded: acc >> UInt32(bits))) else { return false }
        produced += 1
      }
    }
    return produced >= minDecoded
  }

  static func decodePercent(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    var out: [UInt8] = []
    var k = 0
    while k < run.count {
      if run[k] == UInt8(ascii: "%"), k + 2 < run.count, isHex(run[k + 1]), isHex(run[k + 2]) {
        let b = hexValue(run[k + 1]) << 4 | hexValue(run[k + 2])
        guard isTextByte(b) else { return nil }
        out.append(b)
        k += 3
      } else {
        out.append(run[k])
        k += 1
      }
    }
    return out.count >= minDecoded ? out : nil
  }
}
