// Writing the repository's own configuration (the local file only): what `agentgate install` sets.

internal import CGit2

extension Repository {
  /// Sets `key` to `value` in the repository's local configuration file.
  public func setConfigString(_ key: String, _ value: String) throws {
    try withLocalConfig { local in
      try check(git_config_set_string(local, key, value), "git_config_set_string(\(key))")
    }
  }

  /// Removes `key` from the repository's local configuration file (no error when unset).
  public func unsetConfig(_ key: String) throws {
    try withLocalConfig { local in
      let rc = git_config_delete_entry(local, key)
      if rc != 0 && rc != GIT_ENOTFOUND.rawValue { try check(rc, "git_config_delete_entry(\(key))") }
    }
  }

  /// Runs `body` on the repository's local configuration file, under the handle's lock.
  private func withLocalConfig(_ body: (OpaquePointer) throws -> Void) throws {
    try handle.withLock { repo in
      var out: OpaquePointer?
      try check(git_repository_config(&out, repo), "git_repository_config")
      let config = GitConfig(out!)
      var local: OpaquePointer?
      try check(
        git_config_open_level(&local, config.pointer, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level(local)")
      let localConfig = GitConfig(local!)
      try body(localConfig.pointer)
    }
  }
}
