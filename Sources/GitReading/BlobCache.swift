// The blob cache of a streaming read. In a linear history every blob version is needed twice: as the
// new side of the commit that wrote it and as the old side of the next commit that changes that path.
// Whichever use comes first reads the blob and leaves it here; the second use takes it out. So each
// blob is inflated once instead of twice, and the cache holds only blobs still waiting for their
// second use. It is bounded in bytes: past the bound the oldest entries go (first in, first out), and a
// use that finds nothing simply reads the blob again. Content is addressed by its object id, so a hit
// can never be the wrong content, whatever the order the worker threads take commits in.

import Synchronization

final class BlobCache: Sendable {
  /// Total bytes of blob content kept at most.
  let capacity: Int
  /// Blobs larger than this are never kept.
  let maxEntry: Int

  private struct State {
    var entries: [ObjectID: BlobData] = [:]
    /// Insertion order; ids already taken out are skipped when evicting.
    var order: [ObjectID] = []
    var head = 0
    var bytes = 0
    var hits = 0
    var misses = 0
  }

  private let state = Mutex(State())

  init(capacity: Int = 64 << 20, maxEntry: Int = 4 << 20) {
    self.capacity = capacity
    self.maxEntry = min(maxEntry, capacity)
  }

  /// The size of a blob in the cache, leaving it there.
  func size(of id: ObjectID) -> Int? {
    state.withLock { $0.entries[id]?.count }
  }

  /// Takes a blob out of the cache (its second use).
  func take(_ id: ObjectID) -> BlobData? {
    state.withLock { s in
      guard let hit = s.entries.removeValue(forKey: id) else {
        s.misses += 1
        return nil
      }
      s.hits += 1
      s.bytes -= hit.count
      return hit
    }
  }

  /// Keeps a blob just read for its second use.
  func put(_ id: ObjectID, _ blob: BlobData) {
    let count = blob.count
    guard count <= maxEntry else { return }
    state.withLock { s in
      guard s.entries[id] == nil else { return }
      s.entries[id] = blob
      s.order.append(id)
      s.bytes += count
      while s.bytes > capacity, s.head < s.order.count {
        if let old = s.entries.removeValue(forKey: s.order[s.head]) { s.bytes -= old.count }
        s.head += 1
      }
      // The order list keeps ids already taken out; compact it once it is mostly stale.
      if s.head > 4096, s.head * 2 > s.order.count {
        s.order.removeFirst(s.head)
        s.head = 0
      }
      if s.order.count > 4 * (s.entries.count + 1024) {
        let entries = s.entries
        s.order = s.order[s.head...].filter { entries[$0] != nil }
        s.head = 0
      }
    }
  }

  /// Bytes held now, entries held, and hits and misses so far (for tests and diagnosis).
  var statistics: (bytes: Int, entries: Int, hits: Int, misses: Int) {
    state.withLock { ($0.bytes, $0.entries.count, $0.hits, $0.misses) }
  }
}
