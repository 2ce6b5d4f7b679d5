// glibc functions Swift's Glibc module hides behind _GNU_SOURCE, resolved once with dlsym and
// called through C function pointers (the C calling convention, not a guessed Swift one).

#if canImport(Glibc)
  import Glibc
#endif

enum GNU {
  private static func symbol<T>(_ name: String, as: T.Type) -> T? {
    guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
    return unsafeBitCast(p, to: T.self)
  }

  typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
  typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
  typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
  typealias AddChdir =
    @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>)
    -> Int32
  typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32

  static let pidfdOpen = symbol("pidfd_open", as: PidfdOpen.self)
  static let pipe2 = symbol("pipe2", as: Pipe2.self)
  static let memfdCreate = symbol("memfd_create", as: MemfdCreate.self)
  static let addCloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)
  static let addChdir = symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)

  static let MFD_CLOEXEC: UInt32 = 1
}
