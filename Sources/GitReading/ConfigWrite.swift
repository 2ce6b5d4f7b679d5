// Writing the repository's own configuration (the local file only): what `agentgate install` sets.

internal import CGit2

extension Repository {
  /// Sets `key` to `value` in the repository's local configuration file.
  public func setConfigString(_ key: String, _ value: String) throws {
    try handle.withLock { repo in
      var out: OpaquePointer?
      try check(git_repository_config(&out, repo), "git_repository_config")
      let config = GitConfig(out!)
      var local: OpaquePointer?
      try check(
        git_config_open_level(&local, config.pointer, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level(local)")
      let localConfig = GitConfig(local!)
      try check(git_config_set_string(localConfig.pointer, key, value), "git_config_set_string(\(key))")
    }
  }

  /// Removes `key` from the repository's local configuration file (no error when unset).
  public func unsetConfig(_ key: String) throws {
    try handle.withLock { repo in
      var out: OpaquePointer?
      try check(git_repository_config(&out, repo), "git_repository_config")
      let config = GitConfig(out!)
      var local: OpaquePointer?
      try check(
        git_config_open_level(&local, config.pointer, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level(local)")
      let localConfig = GitConfig(local!)
      let rc = git_config_delete_entry(localConfig.pointer, key)
      if rc != 0 && rc != GIT_ENOTFOUND.rawValue { try check(rc, "git_config_delete_entry(\(key))") }
    }
  }
}
