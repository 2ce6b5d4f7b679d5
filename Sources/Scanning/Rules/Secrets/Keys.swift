// Private keys and key-like secrets: PEM private keys of every kind (raw newlines or JSON-escaped
// `\n`), OpenSSH, PGP, PuTTY, SSH2, age, WireGuard, Nostr, minisign, Ethereum; JWTs and
// credentials carried in HTTP headers or command lines.

import GateCore

/// A line break in raw text or escaped inside a string literal (`\n`, `\r\n`).
private let lineBreak = #"(?:\\r|\r)?(?:\\n|\n)"#

private func pemKey(
  _ id: String, _ description: String, label: String, headers: String = "Proc-Type|DEK-Info",
  body: String = "MIIE", positives: [RuleExample], negatives: [RuleExample]
) -> PatternRule {
  let header = "-----BEGIN \(label)-----"
  let pattern =
    escapeRegex(header) + #"(?:[ \t]*"# + lineBreak + #"|[ \t]+)"# + #"(?:[ \t]*(?:"# + headers + #"):[^\n\\]{0,100}"#
    + lineBreak + #"){0,3}(?:[ \t]*"# + lineBreak + #")?[ \t"']*[A-Za-z0-9+/]{40,}"#
  return PatternRule(
    id: id, description: description, severity: .critical, keywords: ["begin \(label.lowercased())"],
    pattern: pattern, positives: positives, negatives: negatives,
    shapes: [
      TokenShape(
        [
          .literal(header + "\n" + body), .random(alphabet: TokenShape.base64, count: 64), .literal("\n"),
          .random(alphabet: TokenShape.base64, count: 64), .literal("\n-----END \(label)-----"),
        ], context: "{}"),
      TokenShape(
        [.literal(header + "\\n" + body), .random(alphabet: TokenShape.base64, count: 64), .literal("\\n")],
        context: "key: \"{}\""),
    ])
}

extension SecretRules {
  static let keyRules: [PatternRule] = [
    pemKey(
      "private-key-rsa", "RSA private key (PKCS#1 PEM)", label: "RSA PRIVATE KEY",
      positives: [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAmlhUaJsmgXwsjDTYX1JFHIRivYErOab02FTB6JlrNh1nWqbz\nkiizAFHjmxrkjVfGN/N9YKolkB+TaLQoEaYLjkn9gjNGATA425eKtZlqsb83ZFFQ\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,88C79631C27488233AB663346BE9F413\n\n+Hu5nypMQW6X4mtvvw39yxdCuR3fnMCkND2+lMhXvUuLqUPtkRNPVkmBkgCfWvkL\n",
        "PEM = \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowfmyQ6irzJZUwynbijiDKG0LGRHnc8dYx7H8FIbmz+4kHZkYiKX4/gTUuL+\\nO09FwqNxSNvJzB4PcXqIHef58PbKC/H4UKEWJYLtcTXPMADBD7VK2lxZhIafbjhY\\n\"",
      ],
      negatives: [
        "let header = \"-----BEGIN RSA PRIVATE KEY-----\"",
        "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAsMfAtDWSAjoscKxf51KF0Td/wXqi6FJSYkVfx0Vo5eYfPuL0",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
      ]),
    pemKey(
      "private-key-ec", "Elliptic-curve private key (SEC1 PEM)", label: "EC PRIVATE KEY", body: "MHcCAQEEI",
      positives: [
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIV+wbehi3m3Wh6pDEXcg+ebnx4B0u4U4uHtvNPEbTUDorec5V0t8hnTD\nFL9HjEv/kBoeiU2jdyXoSBeZkbPmNmITJ5Zj16shL4NetJji1ok29ZlPbjf1aOou\n-----END EC PRIVATE KEY-----"
      ],
      negatives: ["-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==", "-----BEGIN EC PRIVATE KEY-----\n<key>"]),
    pemKey(
      "private-key-dsa", "DSA private key (PEM)", label: "DSA PRIVATE KEY", body: "MIIBuwIBAAKBgQ",
      positives: [
        "-----BEGIN DSA PRIVATE KEY-----\nMIIBuwIBAAKBgQ+iuUblhS4FT8TNVfQ8uRisrJV/jTTWJPzZINhTEri+skaan+Nt\n-----END DSA PRIVATE KEY-----"
      ],
      negatives: ["-----BEGIN DSA PRIVATE KEY-----"]),
    pemKey(
      "private-key-openssh", "OpenSSH private key", label: "OPENSSH PRIVATE KEY", body: "b3BlbnNzaC1rZXktdjEAAAAA",
      positives: [
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ8NgBU28WYz+3leYIdxN1A7toWEgVtK\n6iRV8QzYXE3EQjlF5wBgv9U0eVfuaocyjYTUmC9q/CrW8Xwg0ruONW2a9SN4NwhbKHO6EC\n-----END OPENSSH PRIVATE KEY-----"
      ],
      negatives: [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIupNvdsxEgywB3oOS6O1jIJ04rWRTfFCAi0y7KPiUdd5 dev@laptop",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n",
      ]),
    pemKey(
      "private-key-pkcs8", "Private key (unencrypted PKCS#8 PEM)", label: "PRIVATE KEY",
      body: "MIIEvQIBADANBgkqhkiG9w0BAQ",
      positives: [
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCfnJeEWML2Da36uq13kKf4U5z1NZzyffU\nPKtKRpFNiJt/UPpYtcSapG0leck4S+MNxtKx+7n+0GO0IkyxJIO7OZL4Scl+P4ag\n-----END PRIVATE KEY-----",
        "key = '-----BEGIN PRIVATE KEY----- MIIEvgIBADANBgkqhkiG9w0BAQK8GJPUSTXCDHLp1g4XHd5C4w7LcS3gvSCtK85k7y -----END PRIVATE KEY-----'",
      ],
      negatives: [
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKClmWHwlc5Khb36DDOPt5D+YG64Ebikf",
        "BEGIN PRIVATE KEY",
      ]),
    pemKey(
      "private-key-encrypted-pkcs8", "Encrypted private key (PKCS#8 PEM)", label: "ENCRYPTED PRIVATE KEY",
      body: "MIIFHDBOBgkqhkiG9w0BBQ0wQTA",
      positives: [
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwrBaSTc6H6c/MSSs6a8pvsekYJCHTcR\n"
      ],
      negatives: ["-----BEGIN ENCRYPTED PRIVATE KEY-----\n-----END ENCRYPTED PRIVATE KEY-----"]),
    pemKey(
      "private-key-pgp", "PGP / GPG private key block", label: "PGP PRIVATE KEY BLOCK", headers: "Version|Comment|Hash",
      body: "lQOYBF",
      positives: [
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQdGBFM7qPbmidGU2owW3599Kep9sfJM7vPlsFU4O3NVQHYcx5Gc2RltOuf044AgPq\nYT7yW1LGiiwn+tY84un4S7Xm7DHbdcPgBYoiVgfUEoxfrcaxjPOnUGstrWJMl3JF\n=60Fs\n-----END PGP PRIVATE KEY BLOCK-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\nComment: ci signing key\n\nlQOYBFQ9OyuQVoZqWBmADBs01TGFFaCXU0HbtfXQR5orB7BdoX/bNjuyhUk9gkbX\n",
      ],
      negatives: [
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBFCGakDxSvk87vxkWmAtBB3xf5/G4wigDo+IEB8vHrrun2eG3xuoY5vf9++7i0",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n...",
      ]),
    PatternRule(
      id: "private-key-other-pem", description: "Private key in a PEM block of another kind (Ed25519, SSH2, X9.42 ...)",
      severity: .critical, keywords: ["private key-----"],
      pattern:
        #"-----BEGIN (?!(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )[A-Z0-9]{2,12}(?: [A-Z0-9]{2,12})? PRIVATE KEY-----(?:[ \t]*(?:\\r|\r)?(?:\\n|\n)|[ \t]+)[A-Za-z0-9+/]{40,}"#,
      positives: [
        "-----BEGIN ED25519 PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIZSWWuKApfJqwkpWtKoYIRIwGB82k+m25x62zlYUX\n-----END ED25519 PRIVATE KEY-----"
      ],
      negatives: [
        "-----BEGIN RSA PRIVATE KEY-----\n", "-----BEGIN X509 CRL-----\nMIIBgPoiSeO93xBuFb6Nmj3RcGSCPg6WilUWomVr9grz",
      ],
      shapes: [
        TokenShape(
          [.literal("-----BEGIN DH PRIVATE KEY-----\n"), .random(alphabet: TokenShape.base64, count: 64)],
          context: "{}")
      ]),
    PatternRule(
      id: "private-key-ssh2-encrypted", description: "SSH.com (SSH2) encrypted private key", severity: .critical,
      keywords: ["begin ssh2 encrypted private key"],
      pattern: #"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----[ \t]*\r?\n(?:[^\n]{0,120}\r?\n){0,4}?[A-Za-z0-9+/]{40,}"#,
      positives: [
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"2048-bit rsa\"\nP2/56wAAA1fuJpNyp3V+PRsQ0gwUSeJ++5ntJneCApfwkzGuPHePBVDiUy9YeHjmKwz9d\n---- END SSH2 ENCRYPTED PRIVATE KEY ----"
      ],
      negatives: [
        "---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3NzaC1yc2EngcGVh7YRNxVlfgGog3rvhW5M5GcVSRJnBS+LgBeFYC3NRw71O/Wfx/8AqEv"
      ],
      shapes: [
        TokenShape(
          [
            .literal("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nP2/56wAAA"),
            .random(alphabet: TokenShape.base64, count: 64),
          ],
          context: "{}")
      ]),
    PatternRule(
      id: "private-key-putty", description: "PuTTY private key file (PPK) private lines", severity: .critical,
      keywords: ["private-lines:"], pattern: #"Private-Lines:[ \t]*\d{1,3}[ \t]*\r?\n[A-Za-z0-9+/]{40,}"#,
      positives: [
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAI38DG71uAptTHwUdfn0aRWf+dNYquE0C/AuPr0b2LWkm\n9L5jXK/0TV5Lz/Vf311a\nPrivate-Lines: 1\nAAAAI0V7KtVfa44oEntKPDADxMXAjtlB7luIrI4RjwM2Amu1\nPrivate-MAC: b94571b018b07e206b2ba5976c2a66705a25f93fe06b4b11dabdd2aa23bc1080"
      ],
      negatives: [
        "PuTTY-User-Key-File-3: ssh-ed25519\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE51mhsutnsFQun+wmy/sPNR4W4Pubzgh7Mwh+HpiRh"
      ],
      shapes: [
        TokenShape(
          [.literal("Private-Lines: 14\n"), .random(alphabet: TokenShape.base64, count: 64)],
          context: "Encryption: none\n{}")
      ]),
    .prefixed(
      "age-secret-key", "age encryption secret key", .critical,
      [
        .lit("AGE-SECRET-KEY-1"),
        .run(Charset(regexClass: "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", chars: "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"), 58),
      ],
      positives: ["# created: 2026-01-01\nAGE-SECRET-KEY-1UMKR47YWJU49XS3MQE8KD24UURNWWERGS7YJUFWTVL9EHVUTUQVDL0C9UC"],
      negatives: [
        "AGE-SECRET-KEY-1...", "# public key: age174k6jfxruj7tczdacd5cl5e88nkx0hhms6n0xhstllqwamv8cmrszq06aq",
      ]),
    PatternRule(
      id: "wireguard-private-key", description: "WireGuard interface private key", severity: .critical,
      keywords: ["privatekey"],
      pattern: #"(?im)^[ \t]*PrivateKey[ \t]*=[ \t]*([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)"#, secretGroup: 1,
      positives: ["[Interface]\nAddress = 10.0.0.2/32\nPrivateKey = e+Hf6XHLuhYlnk1Fi+fuyDRNO/ZctDaWu2cX2lU233A="],
      negatives: ["PrivateKey = <client-private-key>", "PublicKey = tTC2Gpu5/4zBPZ8iKtAiVSn0JZHgdKeBnI83bC5jVzA="],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.base64, count: 42), .literal("g=")], context: "PrivateKey = {}")
      ]),
    .prefixed(
      "nostr-private-key", "Nostr private key (nsec)", .critical,
      [.lit("nsec1"), .run(Charset(regexClass: "02-9ac-hj-np-z", chars: "023456789acdefghjklmnpqrstuvwxyz"), 58)],
      positives: ["NOSTR_NSEC=nsec1kxyg33xzjtp0lvhut3amuc962uft9eqqlyh8st6sp94ne33837es0xzvtk"],
      negatives: ["npub13vlpzrek3mee9mmdj3guflg5q292mpsm2t5pzzkenz4ghy995d65lwagtf", "nsec1 keys are secret"]),
    PatternRule(
      id: "minisign-secret-key", description: "minisign secret key file", severity: .critical, keywords: ["minisign"],
      pattern: #"untrusted comment: minisign (?:encrypted )?secret key[ \t]*\r?\n([A-Za-z0-9+/]{100,}={0,2})"#,
      secretGroup: 1,
      positives: [
        "untrusted comment: minisign encrypted secret key\nRWRTY0IyNjpCqiIcDaKKq2/S0zmLogMWRxrVusoQQoPsYBA9MKvxhBRuGJb7QVn5PAzcPOxsBhWYmsEsikGVR+Ii8N6Zabi/L0xRld1tEXWswwl/KBzp+k0Ut9aCTkKQL4kAvYK9stWdwjwbsnlxuZwGcJa5jfMbZajsJNk26INPCJGeA0Cu7Ks+OB1+9Q+5AqAkWz9876pV2e2Q=="
      ],
      negatives: [
        "untrusted comment: minisign public key 1234\nRWQbt9907Xzdp25hb/EflmFwLsUK3Rzb24DWBoOq7oyv+nCldXlgWRLa"
      ],
      shapes: [
        TokenShape(
          [
            .literal("untrusted comment: minisign encrypted secret key\nRWRTY0Iy"),
            .random(alphabet: TokenShape.base64, count: 204),
          ], context: "{}")
      ]),
    .keyed(
      "ethereum-private-key", "Ethereum (EVM) wallet private key", .critical,
      words: ["private_key", "privatekey", "private-key", "deployer_key", "wallet_key", "eth_key", "mnemonic_key"],
      [.lit("0x"), .run(.anyHex, 64)], qualifier: "",
      keywords: ["private_key", "privatekey", "private-key", "deployer_key", "wallet_key", "eth_key", "mnemonic_key"],
      context: "PRIVATE_KEY={}",
      positives: [
        "PRIVATE_KEY=0xa3cf5c802638d49034cf1416e0d2d6b47c664a9d97a339ea4a01e42115d86d8b",
        "deployer_key: \"0x9c70a8ea34fa55bebb6460de532acfed99b15d02faee01abccb3cb2fae87cb83\"",
      ],
      negatives: [
        "PRIVATE_KEY=0x0000000000000000000000000000000000000000000000000000000000000000",
        "PRIVATE_KEY=0xc54ed926183dc530a47e9e302f87cf6fe7244cda",
      ]),
    PatternRule(
      id: "jwt", description: "JSON Web Token", severity: .medium, keywords: ["eyj"],
      pattern: #"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}"#, entropy: 3.5,
      positives: [
        "Authorization = \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxpXPFDMZEla3HxZ0-wP5Upa6K9pnhICB6DImS_y8v.gEJxs1UMmWCfNEJSHvVOTsN0dRfl5Yc_ODrEPY-CkZP\""
      ],
      negatives: ["token = eyJhbGciOiJIUzI1NiJ9", "token = eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0In0."],
      shapes: [
        TokenShape(
          [
            .literal("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJ"), .random(alphabet: TokenShape.base64url, count: 80),
            .literal("."), .random(alphabet: TokenShape.base64url, count: 86),
          ], context: "id_token: {}")
      ]),
    PatternRule(
      id: "http-basic-auth-header", description: "HTTP Basic Authorization header with credentials", severity: .medium,
      keywords: ["basic"],
      pattern: #"(?i)authorization["']?[ \t]*[:=][ \t]*["']?basic[ \t]+([A-Za-z0-9+/]{16,}={0,2})"#,
      secretGroup: 1, entropy: 3.0,
      positives: ["curl -H \"Authorization: Basic JxtM33bWVnNfQainti9+Gu1QvkASfgdS\" https://api.example.org"],
      negatives: ["Authorization: Basic $(echo -n $USER:$PASS | base64)", "use Basic auth"],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.base64, count: 40), .literal("=")], context: "Authorization: Basic {}")
      ]),
    PatternRule(
      id: "http-bearer-auth-header", description: "HTTP Bearer Authorization header with a literal token",
      severity: .medium, keywords: ["bearer"],
      pattern:
        #"(?i)authorization["']?[ \t]*[:=][ \t]*["'`]?bearer[ \t]+([A-Za-z0-9._~+/-]{20,512}={0,2})(?![A-Za-z0-9._~+/$-])"#,
      secretGroup: 1, entropy: 3.5,
      allowlist: RuleAllowlist(stopwords: placeholderStopwords + ["token"]),
      positives: ["curl -H 'Authorization: Bearer IVl6c2K4jfttL5ow7GaOw3zdNau59s6SmyV32XFt' https://api.example.org"],
      negatives: ["curl -H \"Authorization: Bearer $TOKEN\"", "headers['Authorization'] = 'Bearer ' + token"],
      shapes: [
        TokenShape([.random(alphabet: TokenShape.alnum, count: 40)], context: "\"Authorization\": \"Bearer {}\"")
      ]),
    PatternRule(
      id: "curl-user-password", description: "Password passed to curl with -u/--user", severity: .medium,
      keywords: ["curl"], pattern: #"\bcurl\b[^\n]{0,200}?(?:-u|--user)[ \t]+["']?[^:\s"'$]{1,64}:([^\s"'$@]{6,128})"#,
      secretGroup: 1, entropy: 2.5, allowlist: RuleAllowlist(stopwords: placeholderStopwords + ["password"]),
      positives: ["curl -fsS -u deploy:9wnT549UTlZPnIUKeR3s https://repo.example.org/upload"],
      negatives: ["curl -u \"$USER:$PASS\" https://x", "curl -u admin:password http://localhost"],
      shapes: [
        TokenShape([.random(alphabet: TokenShape.alnum, count: 20)], context: "curl --user ci:{} https://h/")
      ]),
    PatternRule(
      id: "sshpass-password", description: "Password passed to sshpass -p", severity: .medium, keywords: ["sshpass"],
      pattern: #"\bsshpass[ \t]+-p[ \t]*["']?([^\s"'$-][^\s"']{5,128})"#, secretGroup: 1, entropy: 2.5,
      allowlist: RuleAllowlist(stopwords: placeholderStopwords + ["password"]),
      positives: ["sshpass -p 'mxVLBN0thrGJZiiO' ssh root@10.0.0.4"],
      negatives: ["sshpass -p \"$SSH_PASS\" ssh host", "sshpass -e ssh host"],
      shapes: [TokenShape([.random(alphabet: TokenShape.alnum, count: 16)], context: "sshpass -p {} scp a b:")]),
  ]
}
