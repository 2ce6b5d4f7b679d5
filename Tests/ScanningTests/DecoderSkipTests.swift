// The decoder's skipping search for encoded runs finds exactly the segments that reading every
// byte finds (the reference below is that byte-by-byte loop), in the same order.

import TestSupport
import Testing

@testable import Scanning

/// The byte-by-byte search the decoder used before it skipped bytes (with the fix for hex runs
/// followed by `==`, which made it trap).
enum ByteByByteDecoder {
  static func segments(in buf: UnsafeBufferPointer<UInt8>) -> [EncodedSegment] {
    var out: [EncodedSegment] = []
    let n = buf.count
    Decoder.classes.withUnsafeBufferPointer { cls in
      var i = 0
      var sawPercent = false
      // Base64 (standard and URL-safe) and hex runs.
      while i < n {
        var f = cls[Int(buf[i])]
        guard f & Decoder.base64Flag != 0 else {
          if buf[i] == 0x25 { sawPercent = true }
          i += 1
          continue
        }
        var j = i
        var all: UInt8 = 0xFF
        var any: UInt8 = 0
        while j < n {
          f = cls[Int(buf[j])]
          if f & Decoder.base64Flag == 0 { break }
          all &= f
          any |= f
          j += 1
        }
        let length = j - i
        if length >= Decoder.minBase64 {
          var end = j
          var pad = 0
          while end < n, pad < 2, buf[end] == UInt8(ascii: "=") {
            end += 1
            pad += 1
          }
          let run = UnsafeBufferPointer(rebasing: buf[i..<end])
          if all & Decoder.hexFlag != 0 {
            // As in the decoder: a hex run followed by `==` crashed here (`hexValue` of `=`).
            if length >= Decoder.minHex, length % 2 == 0, pad % 2 == 0,
              let d = Decoder.decodeHex(UnsafeBufferPointer(rebasing: buf[i..<j]))
            {
              out.append(EncodedSegment(kind: .hex, offset: i, decoded: d))
            }
          } else if any & Decoder.stdFlag == 0 || any & Decoder.urlFlag == 0, let d = Decoder.decodeBase64(run) {
            out.append(EncodedSegment(kind: .base64, offset: i, decoded: d))
          }
          j = end
        }
        i = j
      }
      guard sawPercent else { return }
      // Percent-encoded runs: non-space, non-quote runs containing at least two %XX escapes.
      i = 0
      while i < n {
        if buf[i] != 0x25 {
          i += 1
          continue
        }
        var s = i
        while s > 0, cls[Int(buf[s - 1])] & Decoder.urlByteFlag != 0 { s -= 1 }
        var e = i
        var escapes = 0
        while e < n, cls[Int(buf[e])] & Decoder.urlByteFlag != 0 {
          if buf[e] == 0x25, e + 2 < n, cls[Int(buf[e + 1])] & Decoder.hexFlag != 0,
            cls[Int(buf[e + 2])] & Decoder.hexFlag != 0
          {
            escapes += 1
          }
          e += 1
        }
        if escapes >= Decoder.minPercentEscapes,
          let d = Decoder.decodePercent(UnsafeBufferPointer(rebasing: buf[s..<e]))
        {
          out.append(EncodedSegment(kind: .percent, offset: s, decoded: d))
        }
        i = max(e, i + 1)
      }
    }
    return out
  }
}

@Suite struct DecoderSkipTests {
  func same(_ text: [UInt8]) -> Bool {
    text.withUnsafeBufferPointer { buf in
      let fast = Decoder.segments(in: buf)
      let slow = ByteByByteDecoder.segments(in: buf)
      return fast.map { "\($0.kind) \($0.offset) \($0.decoded)" }
        == slow.map { "\($0.kind) \($0.offset) \($0.decoded)" }
    }
  }

  @Test func skippingFindsWhatReadingEveryByteFinds() {
    var rng = SeededGenerator(seed: secretRulesSeed)
    let b64 = "dGhpcyBpcyBhIHNlY3JldCB0b2tlbg=="
    let hex = "7468697320697320612073656372657420746f6b656e"
    let pieces = [
      b64, hex, "c2VjcmV0", "=", "==", " ", "\n", "%", "%41%42%43", "x", "abcdefghijklmnop", "ABCDEFGHIJKLMNOPQ", "_",
      "-",
      "+", "/", "\"", "int main(void)", "0123456789abcdef", "0123456789abcdef0123456789abcdef",
    ]
    var found = 0
    for round in 0..<2000 {
      let text = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      let bytes = Array(text.utf8)
      #expect(same(bytes), "seed \(secretRulesSeed), round \(round): \(text.debugDescription)")
      found += bytes.withUnsafeBufferPointer { Decoder.segments(in: $0).count }
    }
    #expect(found > 0)
  }

  @Test func hexFollowedByPaddingDecodesItsDigits() throws {
    // This used to trap: the `==` went into the hex decoder.
    let text = Array("x = 7468697320697320612073656372657420746f6b656e==".utf8)
    let segments = text.withUnsafeBufferPointer { Decoder.segments(in: $0) }
    let hex = try #require(segments.first { $0.kind == .hex })
    #expect(String(decoding: hex.decoded, as: UTF8.self) == "this is a secret token")
    #expect(hex.offset == 4)
    let odd = Array("x = 7468697320697320612073656372657420746f6b656e=".utf8)
    #expect(odd.withUnsafeBufferPointer { Decoder.segments(in: $0) }.allSatisfy { $0.kind != .hex })
  }

  @Test(arguments: [15, 16, 17, 31, 32, 33])
  func runsAtTheEdges(length: Int) {
    let run = String(repeating: "QUJD", count: 10).prefix(length)
    for text in [String(run), "x \(run)", "\(run) x", "%%\(run)==", "\(run)\(run)"] {
      #expect(same(Array(text.utf8)), "\(text)")
    }
  }
}
