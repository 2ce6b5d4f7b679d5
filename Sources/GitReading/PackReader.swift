// Reading blobs straight from pack files, for whole-history reads. libgit2 1.5 resolves delta chains
// through a 16 MiB delta-base cache that it empties completely whenever it fills; on a long history
// that happens every few thousand objects, and every blob after it is rebuilt from the far end of
// its delta chain (up to 50 deltas). Here the packs are mapped read-only and their version-2 indexes
// searched directly; a delta is applied to a base kept in `DeltaBaseCache`, which holds bases and
// whole objects alike and forgets the least recently used half, never everything. Reading
// newest-first, a file's older version is then one delta away from the version read just before.
// Anything this reader cannot do (loose objects, alternates, a damaged or unknown pack, a base in
// another pack) returns nil and the caller reads the object through libgit2 instead.

internal import CDeflate
internal import CGit2
import Foundation
import Synchronization

/// A read-only memory map of a whole file, unmapped in deinit.
final class MappedFile: @unchecked Sendable {
  let base: UnsafeRawPointer
  let count: Int

  init?(path: String) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
    let size = Int(info.st_size)
    guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else { return nil }
    base = UnsafeRawPointer(map)
    count = size
  }

  deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }

  /// Lets the kernel drop this mapping's pages from the process (they stay in the page cache and
  /// come back on the next read: the file is only read, so nothing is lost).
  func release() { _ = madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_DONTNEED) }

  func byte(_ at: Int) -> UInt8 { base.load(fromByteOffset: at, as: UInt8.self) }

  func bigEndian32(_ at: Int) -> UInt32 {
    UInt32(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self))
  }
}

/// One pack file with its version-2 index.
final class Pack: Sendable {
  let index: MappedFile
  let data: MappedFile
  let objects: Int
  /// Compressed bytes read since the mapping's pages were last released.
  private let readSinceRelease = Atomic<Int>(0)
  /// Pages of the mapping kept resident at most, roughly: a whole-history read touches the whole
  /// pack, and mapped pages count towards the process's memory.
  private static let residentBound = 16 << 20

  /// Notes `bytes` of the pack read; releases the mapping's pages past the bound.
  func noteRead(_ bytes: Int) {
    let total = readSinceRelease.add(bytes, ordering: .relaxed).newValue
    if total > Self.residentBound {
      readSinceRelease.store(0, ordering: .relaxed)
      data.release()
    }
  }

  /// Maps `path` (ending in `.idx`) and its `.pack`; nil unless both are well-formed version-2 files
  /// that belong together (the index names the pack's checksum).
  init?(indexPath: String) {
    guard let index = MappedFile(path: indexPath),
      let data = MappedFile(path: String(indexPath.dropLast(4)) + ".pack")
    else { return nil }
    guard index.count >= 8 + 1024 + 40, index.bigEndian32(0) == 0xff74_4f63, index.bigEndian32(4) == 2 else {
      return nil
    }
    let objects = Int(index.bigEndian32(8 + 255 * 4))
    guard index.count >= 8 + 1024 + objects * 28 + 40 else { return nil }
    guard data.count >= 32, data.bigEndian32(0) == 0x5041_434b, [2, 3].contains(data.bigEndian32(4)),
      Int(data.bigEndian32(8)) == objects,
      memcmp(index.base + index.count - 40, data.base + data.count - 20, 20) == 0
    else { return nil }
    self.index = index
    self.data = data
    self.objects = objects
  }

  /// The offset of an object in the pack, nil when the pack does not hold it.
  func offset(of id: ObjectID) -> Int? {
    withUnsafeBytes(of: id.raw) { key -> Int? in
      let first = Int(key[0])
      var low = first == 0 ? 0 : Int(index.bigEndian32(8 + (first - 1) * 4))
      var high = Int(index.bigEndian32(8 + first * 4))
      let names = 8 + 1024
      // The search compares the ids' first eight bytes as one big-endian number (the same order as
      // memcmp); only where those are equal does memcmp look at the rest.
      let wanted = UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
      while low < high {
        let mid = (low + high) / 2
        let name = index.base + names + mid * 20
        let head = UInt64(bigEndian: name.loadUnaligned(as: UInt64.self))
        let c: Int32 = head != wanted ? (head < wanted ? -1 : 1) : memcmp(name, key.baseAddress!, 20)
        if c == 0 { return entryOffset(mid) }
        if c < 0 { low = mid + 1 } else { high = mid }
      }
      return nil
    }
  }

  private func entryOffset(_ k: Int) -> Int? {
    let small = 8 + 1024 + objects * 24
    let value = index.bigEndian32(small + k * 4)
    if value & 0x8000_0000 == 0 { return Int(value) }
    let large = 8 + 1024 + objects * 28 + Int(value & 0x7fff_ffff) * 8
    guard large + 8 <= index.count - 40 else { return nil }
    let high = UInt64(index.bigEndian32(large))
    let low = UInt64(index.bigEndian32(large + 4))
    return Int(exactly: high << 32 | low)
  }
}

/// The packs of a repository's object directories, mapped once and shared by the workers.
final class PackSet: Sendable {
  let packs: [Pack]

  init(objectDirectories: [String]) {
    var packs: [Pack] = []
    for dir in objectDirectories {
      let packDir = dir + "/pack"
      guard let names = try? FileManager.default.contentsOfDirectory(atPath: packDir) else { continue }
      for name in names.sorted() where name.hasSuffix(".idx") {
        if let pack = Pack(indexPath: packDir + "/" + name) { packs.append(pack) }
      }
    }
    self.packs = packs
  }
}

/// Resolved objects and delta bases by (pack, offset), bounded in bytes. Two generations: new
/// entries go to the young one; when it holds half the bound it becomes the old one and the previous
/// old one is dropped; a hit in the old generation moves the entry back to the young one.
final class DeltaBaseCache: Sendable {
  struct Key: Hashable {
    var pack: Int
    var offset: Int
  }

  struct Entry {
    var type: UInt8
    var data: BlobData
  }

  /// One store: two generations bounded together by `capacity` bytes.
  private struct Generations {
    var young: [Key: Entry] = [:]
    var old: [Key: Entry] = [:]
    var youngBytes = 0
    let capacity: Int

    /// A hit in the old generation moves back to the young one.
    mutating func get(_ key: Key, dropping dropped: inout [Key: Entry]) -> Entry? {
      if let hit = young[key] { return hit }
      guard let hit = old.removeValue(forKey: key) else { return nil }
      add(key, hit, dropping: &dropped)
      return hit
    }

    /// Adds an entry to the young generation; an old generation it replaces goes to `dropped`, for
    /// the caller to free outside the lock.
    mutating func add(_ key: Key, _ entry: Entry, dropping dropped: inout [Key: Entry]) {
      guard young[key] == nil else { return }
      young[key] = entry
      youngBytes += entry.data.count + 64
      guard youngBytes > capacity / 2 else { return }
      dropped = old
      old = young
      young = [:]
      youngBytes = 0
    }

    var residentBytes: Int {
      young.values.reduce(0) { $0 + $1.data.count + 64 } + old.values.reduce(0) { $0 + $1.data.count + 64 }
    }
  }

  /// A shard's two stores under one lock: chain results, and the whole objects at the roots of delta
  /// chains, kept apart (a quarter of the bound in a sharded cache) so the stream of chain results
  /// does not push them out; a missing root means inflating it again.
  private struct State {
    var main: Generations
    var roots: Generations
  }

  private final class Shard: Sendable {
    let state: Mutex<State>
    init(capacity: Int, rootCapacity: Int) {
      state = Mutex(State(main: Generations(capacity: capacity), roots: Generations(capacity: rootCapacity)))
    }
  }

  let capacity: Int
  /// A large cache is split by offset into shards, each with its own lock: the workers look up every
  /// link of every delta chain here, and one lock made them queue (a contended lock is a system call).
  private let shards: [Shard]
  /// Bytes of one shard's stores.
  private let shardCapacity: Int
  private let rootCapacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    let count = capacity >= 8 << 20 ? 8 : 1
    let rootShare = count > 1 ? capacity / 4 : 0
    shardCapacity = (capacity - rootShare) / count
    rootCapacity = rootShare / count
    shards = (0..<count).map { [shardCapacity, rootCapacity] _ in
      Shard(capacity: shardCapacity, rootCapacity: rootCapacity)
    }
  }

  private func shard(_ key: Key) -> Shard {
    if shards.count == 1 { return shards[0] }
    let mixed = UInt64(truncatingIfNeeded: key.offset &+ key.pack) &* 0x9E37_79B9_7F4A_7C15
    return shards[Int(mixed >> 61) & (shards.count - 1)]
  }

  /// An entry from the chain results, else from the chain roots.
  func get(_ key: Key) -> Entry? {
    var dropped: [Key: Entry] = [:]
    let hit = shard(key).state.withLock { s in
      s.main.get(key, dropping: &dropped) ?? s.roots.get(key, dropping: &dropped)
    }
    _ = consume dropped
    return hit
  }

  func put(_ key: Key, _ entry: Entry) {
    guard entry.data.count <= max(capacity / 8, shardCapacity / 2) else { return }
    var dropped: [Key: Entry] = [:]
    shard(key).state.withLock { $0.main.add(key, entry, dropping: &dropped) }
    _ = consume dropped
  }

  /// Keeps the whole object at the root of a delta chain (with the chain results when there is no
  /// separate room for roots, or it does not fit there).
  func putRoot(_ key: Key, _ entry: Entry) {
    guard rootCapacity > 0, entry.data.count <= rootCapacity / 2 else { return put(key, entry) }
    var dropped: [Key: Entry] = [:]
    shard(key).state.withLock { $0.roots.add(key, entry, dropping: &dropped) }
    _ = consume dropped
  }

  /// Bytes held in all stores, with a small allowance per entry.
  var residentBytes: Int {
    shards.reduce(0) { total, shard in total + shard.state.withLock { $0.main.residentBytes + $0.roots.residentBytes } }
  }
}

/// One worker's reader over the shared packs and base cache. Not safe for concurrent use (it owns
/// one zlib stream and one libdeflate decompressor): callers serialise on their repository handle's
/// lock.
final class PackReader: @unchecked Sendable {
  let packs: PackSet
  let bases: DeltaBaseCache
  /// zlib, for reading just the first bytes of an entry (a delta's sizes).
  private let stream: UnsafeMutablePointer<z_stream>
  private var ready = false
  /// libdeflate, for inflating whole entries (their size is in the entry header); nil when it could
  /// not be allocated, and zlib then does all the work.
  private let decompressor: OpaquePointer?
  /// Where deltas are inflated before they are applied (grown as needed, freed in deinit).
  private var scratch: UnsafeMutableRawPointer?
  private var scratchCapacity = 0
  /// Longest delta chain followed before giving the object to libgit2.
  private static let maxChain = 10_000
  /// Deltas that `blobSize` inflated whole to learn their result size, kept for the read that
  /// usually follows (first in, first out, a few hundred small ones at most).
  private var recentDeltas: [DeltaBaseCache.Key: [UInt8]] = [:]
  private var recentOrder: [DeltaBaseCache.Key] = []
  private var recentBytes = 0
  /// Deltas up to this size are inflated whole by `blobSize` (libdeflate); larger ones only in part.
  private static let recentDeltaLimit = 64 << 10

  init(packs: PackSet, bases: DeltaBaseCache) {
    self.packs = packs
    self.bases = bases
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    decompressor = libdeflate_alloc_decompressor()
  }

  deinit {
    if let decompressor { libdeflate_free_decompressor(decompressor) }
    if ready { inflateEnd(stream) }
    scratch?.deallocate()
    stream.deinitialize(count: 1)
    stream.deallocate()
  }

  /// Where an object lives in the packs.
  func locate(_ id: ObjectID) -> (pack: Int, offset: Int)? {
    for (k, pack) in packs.packs.enumerated() {
      if let offset = pack.offset(of: id) { return (k, offset) }
    }
    return nil
  }

  /// A blob's size without inflating it whole; nil when the packs cannot tell.
  func blobSize(_ id: ObjectID) -> Int? {
    guard let (k, offset) = locate(id) else { return nil }
    if let hit = bases.get(.init(pack: k, offset: offset)) { return hit.type == 3 ? hit.data.count : nil }
    let pack = packs.packs[k]
    guard let header = entryHeader(pack, offset) else { return nil }
    switch header.type {
    case 3: return header.size
    case 6, 7:
      // The result size is the delta's second varint. The type is the chain root's and is checked
      // when the blob is read (the tree entry says it is a blob). A small delta is inflated whole and
      // kept for that read; of a large one only the first bytes.
      if header.size <= Self.recentDeltaLimit, decompressor != nil {
        let key = DeltaBaseCache.Key(pack: k, offset: offset)
        let delta: [UInt8]
        if let kept = recentDeltas[key] {
          delta = kept
        } else {
          var whole = [UInt8](repeating: 0, count: header.size)
          let got = whole.withUnsafeMutableBytes { inflate(pack, at: header.dataStart, into: $0, partial: false) }
          guard got == header.size else { return nil }
          keepDelta(key, whole)
          delta = whole
        }
        var at = 0
        guard varint(delta, delta.count, &at) != nil, let size = varint(delta, delta.count, &at) else { return nil }
        return size
      }
      var head = [UInt8](repeating: 0, count: 32)
      let got = head.withUnsafeMutableBytes { inflate(pack, at: header.dataStart, into: $0, partial: true) }
      guard let got else { return nil }
      var at = 0
      guard varint(head, got, &at) != nil, let size = varint(head, got, &at) else { return nil }
      return size
    default: return nil
    }
  }

  /// A blob's content; nil when the packs do not hold it or cannot be read here.
  func readBlob(_ id: ObjectID) -> BlobData? { readObject(id, type: 3) }

  /// An object's content if it has pack type `type` (1 commit, 2 tree, 3 blob, 4 tag); nil when the
  /// packs do not hold it, cannot be read here, or hold another type (libgit2 then says which).
  func readObject(_ id: ObjectID, type: UInt8) -> BlobData? {
    guard let (k, offset) = locate(id), let entry = read(pack: k, offset: offset), entry.type == type else {
      return nil
    }
    return entry.data
  }

  private struct Header {
    var type: UInt8
    var size: Int
    var dataStart: Int
    var base: Int?
  }

  /// Parses the entry header at `offset`: its type, size and where its data starts; for an offset
  /// delta the base's offset, for a reference delta the base's offset in this pack (nil if absent).
  private func entryHeader(_ pack: Pack, _ offset: Int) -> Header? {
    let limit = pack.data.count - 20
    guard offset >= 12, offset < limit else { return nil }
    var at = offset
    var c = pack.data.byte(at)
    at += 1
    let type = (c >> 4) & 7
    var size = Int(c & 15)
    var shift = 4
    while c & 0x80 != 0 {
      guard at < limit, shift < 57 else { return nil }
      c = pack.data.byte(at)
      at += 1
      size |= Int(c & 0x7f) << shift
      shift += 7
    }
    var header = Header(type: type, size: size, dataStart: at, base: nil)
    if type == 6 {
      guard at < limit else { return nil }
      c = pack.data.byte(at)
      at += 1
      var back = Int(c & 0x7f)
      while c & 0x80 != 0 {
        guard at < limit, back < (1 << 55) else { return nil }
        c = pack.data.byte(at)
        at += 1
        back = ((back + 1) << 7) | Int(c & 0x7f)
      }
      guard back > 0, back < offset else { return nil }
      header.base = offset - back
      header.dataStart = at
    } else if type == 7 {
      guard at + 20 <= limit else { return nil }
      var oid = git_oid()
      withUnsafeMutableBytes(of: &oid) {
        $0.copyMemory(from: UnsafeRawBufferPointer(start: pack.data.base + at, count: 20))
      }
      guard let base = pack.offset(of: ObjectID(oid)) else { return nil }
      header.base = base
      header.dataStart = at + 20
    } else if !(1...4).contains(type) {
      return nil
    }
    return header
  }

  /// The object at `offset` in pack `k`, its delta chain applied on the nearest cached base.
  private func read(pack k: Int, offset: Int) -> DeltaBaseCache.Entry? {
    if let hit = bases.get(.init(pack: k, offset: offset)) { return hit }
    let pack = packs.packs[k]
    var chain: [(offset: Int, header: Header)] = []
    var at = offset
    var base: DeltaBaseCache.Entry?
    while base == nil {
      guard chain.count < Self.maxChain, let header = entryHeader(pack, at) else { return nil }
      if let next = header.base {
        chain.append((at, header))
        at = next
        base = bases.get(.init(pack: k, offset: at))
      } else {
        guard let data = inflateWhole(pack, at: header.dataStart, size: header.size) else { return nil }
        let entry = DeltaBaseCache.Entry(type: header.type, data: data)
        // Whole commits and tags are read once (the walk); only bases and file content are kept.
        if !chain.isEmpty {
          bases.putRoot(.init(pack: k, offset: at), entry)
        } else if header.type == 2 || header.type == 3 {
          bases.put(.init(pack: k, offset: at), entry)
        }
        base = entry
      }
    }
    guard var current = base else { return nil }
    for (at, header) in chain.reversed() {
      let result: BlobData?
      if let kept = takeDelta(.init(pack: k, offset: at)) {
        result = current.data.withBytes { source in kept.withUnsafeBufferPointer { applyDelta(source, $0) } }
      } else {
        guard let delta = inflateScratch(pack, at: header.dataStart, size: header.size) else { return nil }
        result = current.data.withBytes { applyDelta($0, delta) }
      }
      guard let result else { return nil }
      current = DeltaBaseCache.Entry(type: current.type, data: result)
      bases.put(.init(pack: k, offset: at), current)
    }
    if scratchCapacity > 8 << 20 {
      scratch?.deallocate()
      scratch = nil
      scratchCapacity = 0
    }
    return current
  }

  private func keepDelta(_ key: DeltaBaseCache.Key, _ delta: [UInt8]) {
    recentDeltas[key] = delta
    recentOrder.append(key)
    recentBytes += delta.count
    while recentOrder.count > 512 || recentBytes > 4 << 20 {
      let old = recentOrder.removeFirst()
      if let gone = recentDeltas.removeValue(forKey: old) { recentBytes -= gone.count }
    }
  }

  private func takeDelta(_ key: DeltaBaseCache.Key) -> [UInt8]? {
    guard !recentDeltas.isEmpty, let kept = recentDeltas.removeValue(forKey: key) else { return nil }
    recentBytes -= kept.count
    return kept
  }

  /// Inflates a delta into the reader's scratch buffer (valid until the next call).
  private func inflateScratch(_ pack: Pack, at: Int, size: Int) -> UnsafeBufferPointer<UInt8>? {
    guard size >= 0, size < Int(Int32.max) else { return nil }
    if size > scratchCapacity {
      scratch?.deallocate()
      scratchCapacity = max(size, 64 << 10)
      scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchCapacity, alignment: 1)
    }
    let out = UnsafeMutableRawBufferPointer(start: scratch, count: size)
    guard inflate(pack, at: at, into: out, partial: false) == size else { return nil }
    return UnsafeBufferPointer(start: scratch!.assumingMemoryBound(to: UInt8.self), count: size)
  }

  /// Inflates exactly `size` bytes starting at `at`; nil unless the stream ends there.
  private func inflateWhole(_ pack: Pack, at: Int, size: Int) -> BlobData? {
    guard size >= 0, size < Int(Int32.max) else { return nil }
    let buffer = BlobData.allocate(size)
    let got = inflate(pack, at: at, into: UnsafeMutableRawBufferPointer(start: buffer, count: size), partial: false)
    guard got == size else {
      free(buffer)
      return nil
    }
    return BlobData(owning: buffer, count: size)
  }

  /// Inflates from `at` into `out`: the whole stream (nil unless it ends exactly at the end of `out`)
  /// or, `partial`, as many bytes as fit.
  private func inflate(_ pack: Pack, at: Int, into out: UnsafeMutableRawBufferPointer, partial: Bool) -> Int? {
    let limit = pack.data.count - 20
    guard at < limit else { return nil }
    if !partial, let decompressor {
      // The whole stream in one call; it must fill `out` exactly (a shorter or longer stream fails).
      var consumed = 0
      var empty: UInt8 = 0
      let status = withUnsafeMutablePointer(to: &empty) { placeholder in
        libdeflate_zlib_decompress_ex(
          decompressor, pack.data.base + at, limit - at, out.baseAddress ?? UnsafeMutableRawPointer(placeholder),
          out.count, &consumed, nil)
      }
      pack.noteRead(consumed)
      return status == LIBDEFLATE_SUCCESS ? out.count : nil
    }
    if !ready {
      guard cgit2_inflate_init(stream) == Z_OK else { return nil }
      ready = true
    } else {
      guard inflateReset(stream) == Z_OK else { return nil }
    }
    stream.pointee.next_in = UnsafeMutablePointer(mutating: (pack.data.base + at).assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = uInt(min(limit - at, Int(UInt32.max)))
    var scratch: UInt8 = 0
    let start =
      out.count > 0
      ? out.baseAddress!.assumingMemoryBound(to: Bytef.self) : withUnsafeMutablePointer(to: &scratch) { $0 }
    stream.pointee.next_out = start
    stream.pointee.avail_out = uInt(out.count)
    let status = zlibInflate(stream, partial ? Z_SYNC_FLUSH : Z_FINISH)
    let produced = out.count - Int(stream.pointee.avail_out)
    pack.noteRead(Int(stream.pointee.total_in))
    if partial { return status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR ? produced : nil }
    return status == Z_STREAM_END ? produced : nil
  }

  /// Applies a git delta to `source`; nil when the delta does not fit it.
  private func applyDelta(_ source: UnsafeBufferPointer<UInt8>, _ delta: UnsafeBufferPointer<UInt8>) -> BlobData? {
    var at = 0
    guard let sourceSize = varint(delta, delta.count, &at), sourceSize == source.count,
      let size = varint(delta, delta.count, &at), size < Int(Int32.max)
    else { return nil }
    let buffer = BlobData.allocate(size).assumingMemoryBound(to: UInt8.self)
    var written = 0
    var ok = true
    while at < delta.count {
      let op = delta[at]
      at += 1
      if op & 0x80 != 0 {
        var from = 0
        var count = 0
        for bit in 0..<4 where op & (1 << bit) != 0 {
          guard at < delta.count else { ok = false; break }
          from |= Int(delta[at]) << (8 * bit)
          at += 1
        }
        for bit in 0..<3 where op & (0x10 << bit) != 0 {
          guard at < delta.count else { ok = false; break }
          count |= Int(delta[at]) << (8 * bit)
          at += 1
        }
        if count == 0 { count = 0x10000 }
        guard ok, from + count <= source.count, written + count <= size else {
          ok = false
          break
        }
        (buffer + written).update(from: source.baseAddress! + from, count: count)
        written += count
      } else if op != 0 {
        let count = Int(op)
        guard at + count <= delta.count, written + count <= size else {
          ok = false
          break
        }
        (buffer + written).update(from: delta.baseAddress! + at, count: count)
        written += count
        at += count
      } else {
        ok = false
        break
      }
    }
    guard ok, written == size else {
      free(buffer)
      return nil
    }
    return BlobData(owning: UnsafeMutableRawPointer(buffer), count: size)
  }

  private func varint(_ bytes: some Collection<UInt8>, _ count: Int, _ at: inout Int) -> Int? {
    var value = 0
    var shift = 0
    var index = bytes.index(bytes.startIndex, offsetBy: at)
    while at < count, shift < 57 {
      let c = bytes[index]
      at += 1
      index = bytes.index(after: index)
      value |= Int(c & 0x7f) << shift
      shift += 7
      if c & 0x80 == 0 { return value }
    }
    return nil
  }
}

/// zlib's `inflate`, named apart from `PackReader.inflate`.
private func zlibInflate(_ stream: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 {
  CGit2.inflate(stream, flush)
}
