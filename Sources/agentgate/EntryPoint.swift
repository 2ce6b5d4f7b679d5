import ArgumentParser
import Foundation

/// Runs a command and turns every outcome into the 0/1/2 contract.
enum CLIEntry {
  static func run<C: AsyncParsableCommand>(_ root: C.Type, arguments: [String]) async -> Int32 {
    do {
      var command = try root.parseAsRoot(arguments)
      if var asyncCommand = command as? AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
      return 0
    } catch let exit as ExitCode {
      return exit.rawValue
    } catch {
      // Help and --version are clean exits with text on stdout.
      let code = root.exitCode(for: error)
      if code == .success {
        print(root.fullMessage(for: error))
        return 0
      }
      if let judged = error as? JudgedExit { return judged.code }
      let message =
        root.message(for: error)
        .split(separator: "\n").first.map(String.init) ?? "\(error)"
      FileHandle.standardError.write(Data("agentgate: \(message)\n".utf8))
      if root.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data("agentgate: see 'agentgate --help'\n".utf8))
      }
      return 2
    }
  }
}

/// Thrown by a command that has judged and printed its verdict: the process exits with `code`.
struct JudgedExit: Error {
  var code: Int32
}
