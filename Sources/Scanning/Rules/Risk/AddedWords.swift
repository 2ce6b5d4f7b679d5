// Words that change rules look for in a file's added lines, found by the scanner's keyword pass.
//
// The scanner runs its keyword automaton over every added block anyway. These words are added to
// that automaton as extra entries, so the same pass also records which of them occur in each
// file's added lines, as one bit each. A change rule that reads added lines then skips, without
// another pass over the bytes, every file where none of its words occurs; for the others it does
// its own full check, so the bits only ever rule files out.

import GateCore

enum AddedWords {
  /// Every word, lower-case ASCII; bit `i` of a mask stands for `all[i]`.
  static let all: [String] =
    TautologicalAssertion.tautologyAnchorWords + ManyTypeIgnores.markers
    + CoverageThresholdLowered.keys

  /// The bits of `words` (each must be in `all`).
  static func bits(_ words: [String]) -> UInt64 {
    words.reduce(0) { mask, word in
      guard let i = all.firstIndex(of: word) else { preconditionFailure("\(word) is not in AddedWords.all") }
      return mask | (1 << UInt64(i))
    }
  }
}

/// What the scanner learnt about the files of one commit while scanning their added lines.
struct AddedWordMasks: Sendable {
  /// Per file of the change (same order): the `AddedWords` bits that may occur in its added
  /// lines (a clear bit: the word does not occur), or nil when the scanner did not read them.
  var masks: [UInt64?]

  static let unknown = AddedWordMasks(masks: [])

  /// False only when file `index`'s added lines are known to hold none of `bits`' words.
  func mayContain(_ bits: UInt64, file index: Int) -> Bool {
    guard index < masks.count, let mask = masks[index] else { return true }
    return mask & bits != 0
  }
}

/// A change rule that reads added lines and can use the scanner's `AddedWordMasks`.
protocol AddedLinesChangeRule: ChangeRule {
  func evaluate(_ change: CommitChange, added: AddedWordMasks) -> [Finding]
}
