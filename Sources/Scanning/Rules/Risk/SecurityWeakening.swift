// Security weakening: TLS verification switched off, world-writable permissions, sudo in build
// scripts, and CSRF or authentication checks disabled where the idiom is unambiguous.

import GateCore

extension RiskRules {
  static var securityLineRules: [PatternRule] {
    [
      PatternRule(
        id: "security-auth-disabled", category: .risk,
        description: "Authentication or authorization is switched off for every request or action.",
        severity: .high,
        keywords: ["permitall", "skip_before_action", "allowany"],
        pattern:
          #"\banyRequest\(\)\h*\.permitAll\(\)|\bskip_before_action\h+:(?:authenticate\w*|require_login|authorize\w*|require_user)\b|DEFAULT_PERMISSION_CLASSES[^\n]*\bAllowAny\b"#,
        message:
          "every request (or every action of this controller) is now allowed without authentication: check "
          + "this is a deliberately public endpoint",
        positives: [
          RuleExample("        http.authorizeHttpRequests(a -> a.anyRequest().permitAll());", path: "Security.java"),
          RuleExample("  skip_before_action :authenticate_user!", path: "app/controllers/api_controller.rb"),
          RuleExample(
            "    'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.AllowAny'],", path: "app/settings.py"),
        ],
        negatives: [
          RuleExample(".requestMatchers(\"/health\").permitAll().anyRequest().authenticated()", path: "Security.java"),
          RuleExample("  before_action :authenticate_user!", path: "app/controllers/api_controller.rb"),
        ]),
      PatternRule(
        id: "security-csrf-disabled", category: .risk,
        description: "Cross-site request forgery protection is switched off.",
        severity: .medium,
        keywords: ["csrf", "verify_authenticity_token", "forgery"],
        pattern:
          #"@csrf_exempt\b|\bcsrf_exempt\h*\(|@csrf\.exempt\b|\bcsrf\.exempt\(|\bWTF_CSRF_(?:ENABLED|CHECK_DEFAULT)\h*=\h*False\b|\bCSRF_ENABLED\h*=\h*False\b|\bcsrf\h*:\h*false\b|\.csrf\(\)\h*\.disable\(\)|\bcsrf\h*\(\h*(?:AbstractHttpConfigurer::disable|\w+\h*->\h*\w+\.disable\(\))|\bskip_before_action\h+:verify_authenticity_token\b|\bskip_forgery_protection\b"#,
        message:
          "CSRF protection is turned off, so another site can make a signed-in user's browser send requests "
          + "here: check the endpoint uses no cookies for authentication",
        positives: [
          RuleExample("@csrf_exempt", path: "app/views.py"),
          RuleExample("@csrf.exempt", path: "app/routes.py"),
          RuleExample("WTF_CSRF_ENABLED = False", path: "app/config.py"),
          RuleExample("        http.csrf().disable();", path: "SecurityConfig.java"),
          RuleExample("        http.csrf(AbstractHttpConfigurer::disable);", path: "SecurityConfig.java"),
          RuleExample("  skip_before_action :verify_authenticity_token", path: "app/controllers/hooks_controller.rb"),
          RuleExample("  app.use(session({ csrf: false }))", path: "server.js"),
        ],
        negatives: [
          RuleExample("WTF_CSRF_ENABLED = True", path: "app/config.py"),
          RuleExample("  protect_from_forgery with: :exception", path: "app/controllers/application_controller.rb"),
          RuleExample("from django.middleware.csrf import get_token", path: "app/views.py"),
        ]),
      PatternRule(
        id: "security-sudo-in-build", category: .risk,
        description: "A build script, Makefile, Dockerfile or npm script runs sudo.",
        severity: .medium,
        keywords: ["sudo"],
        pattern: #"(?m)(?:^\h*|(?:&&|\|\||[;|(`]|\$\(|\bRUN|\bthen|\bdo|\bexec|":\h*")\h*)sudo\h+[\w-]"#,
        paths: [
          #"(?i)(?:^|/)(?:Makefile|GNUmakefile|[^/]*\.mk|[^/]*\.(?:sh|bash|zsh)|Dockerfile[^/]*|[^/]*\.dockerfile|Containerfile|package\.json|justfile|Taskfile\.ya?ml)$"#
        ],
        message:
          "a build step asks for root on the machine that runs it (a developer's laptop, a CI runner): check "
          + "the step needs it, and what it changes outside the project",
        positives: [
          RuleExample("\tsudo make install", path: "Makefile"),
          RuleExample("sudo chown -R $USER /usr/local", path: "scripts/setup.sh"),
          RuleExample("RUN sudo apt-get install -y libssl-dev", path: "Dockerfile"),
          RuleExample(#"    "setup": "sudo npm i -g pnpm","#, path: "package.json"),
          RuleExample("make && sudo cp bin/tool /usr/local/bin/", path: "install.sh"),
        ],
        negatives: [
          RuleExample("RUN apt-get install -y sudo curl", path: "Dockerfile"),
          RuleExample("# no sudo needed here", path: "scripts/setup.sh"),
          RuleExample("sudo make install", path: "README.md"),
        ]),
      PatternRule(
        id: "security-tls-verification-disabled", category: .risk,
        description: "TLS certificate or hostname verification is switched off.",
        severity: .high,
        keywords: [
          "verify=false", "verify = false", "verify =false", "verify= false", "insecure",
          "node_tls_reject_unauthorized", "rejectunauthorized", "curlopt_ssl_verify",
          "_create_unverified_context", "check_hostname", "cert_none", "verify_none", "sslverify", "ssl_no_verify",
          "curl", "no-check-certificate", "strict-ssl", "trusted-host", "pythonhttpsverify", "validate_certs",
          "dangerousacceptanyservercertificatevalidator", "noophostnameverifier", "allow_all_hostname_verifier",
        ],
        pattern:
          #"(?m)\b(?:verify\h*=\h*False\b|InsecureSkipVerify\h*:\h*true\b|NODE_TLS_REJECT_UNAUTHORIZED\h*[=:]\h*["']?0\b|rejectUnauthorized\h*:\h*false\b|CURLOPT_SSL_VERIFY(?:PEER|HOST)\h*,\h*(?:0|false|FALSE)\b|ssl\._create_unverified_context\b|check_hostname\h*=\h*False\b|(?:verify_mode|cert_reqs)\h*=\h*["']?(?:ssl\.)?CERT_NONE\b|VERIFY_NONE\b|http\.sslVerify\h+["']?false\b|sslVerify\h*=\h*false\b|GIT_SSL_NO_VERIFY\h*=\h*["']?(?:1|true)\b|curl\b[^\n|;&]*?\h(?:--insecure\b|-[a-zA-Z]*k[a-zA-Z]*(?=[\h"']|$))|wget\b[^\n|;&]*--no-check-certificate\b|strict-ssl\h*[=\h]\h*false\b|PYTHONHTTPSVERIFY\h*=\h*["']?0\b|validate_certs\h*:\h*(?:false|no)\b|DangerousAcceptAnyServerCertificateValidator\b|NoopHostnameVerifier\b|ALLOW_ALL_HOSTNAME_VERIFIER\b)|--trusted-host\b"#,
        message:
          "TLS verification is turned off, so anyone on the network path can read or change this traffic: "
          + "fix the certificate (or trust a specific CA) instead",
        positives: [
          RuleExample("r = requests.get(url, verify=False)", path: "app/client.py"),
          RuleExample("\ttr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}", path: "c.go"),
          RuleExample("NODE_TLS_REJECT_UNAUTHORIZED=0 npm test", path: "scripts/test.sh"),
          RuleExample("process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';", path: "src/setup.js"),
          RuleExample("const agent = new https.Agent({ rejectUnauthorized: false });", path: "src/http.js"),
          RuleExample("curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false);", path: "lib/http.php"),
          RuleExample("ctx = ssl._create_unverified_context()", path: "app/net.py"),
          RuleExample("ctx.check_hostname = False", path: "app/net.py"),
          RuleExample("curl -k https://internal.example.com/api", path: "scripts/ping.sh"),
          RuleExample("curl -fsSLk https://internal.example.com/api", path: "scripts/ping.sh"),
          RuleExample("curl --insecure https://internal.example.com/api", path: "scripts/ping.sh"),
          RuleExample("git config --global http.sslVerify false", path: "ci/setup.sh"),
          RuleExample("http.verify_mode = OpenSSL::SSL::VERIFY_NONE", path: "lib/client.rb"),
          RuleExample("pip install --trusted-host pypi.example.com pkg", path: "Dockerfile"),
        ],
        negatives: [
          RuleExample("r = requests.get(url, verify=True)", path: "app/client.py"),
          RuleExample("const agent = new https.Agent({ rejectUnauthorized: true });", path: "src/http.js"),
          RuleExample("curl -fsSL https://example.com/x -o x", path: "scripts/get.sh"),
          RuleExample("curl --keepalive-time 5 https://example.com", path: "scripts/get.sh"),
          RuleExample("ctx.check_hostname = True", path: "app/net.py"),
          RuleExample("verify = verify_signature(blob)", path: "app/sig.py"),
        ]),
      PatternRule(
        id: "security-world-writable", category: .risk,
        description: "A file or directory is made writable by every user.",
        severity: .medium,
        keywords: ["chmod", "umask"],
        pattern:
          #"\bchmod\h+(?:-[a-zA-Z]+\h+)*(?:0?[0-7]?[0-7][0-7][2367]\b|[ugoa]*[ao][ugoa]*[+=][rwxXst]*w)|\b(?:os\.chmod|os\.Chmod|fs\.chmod|fs\.chmodSync|chmodSync|Files\.setPosixFilePermissions)\h*\([^\n)]*,\h*0o?[0-7]?[0-7][0-7][2367]\b|\bumask\h+0{1,4}\b"#,
        message:
          "everyone on the machine can now modify this file or directory (and anything it runs): grant the "
          + "permission only to the owner or group that needs it",
        positives: [
          RuleExample("chmod 777 /var/run/app.sock", path: "scripts/start.sh"),
          RuleExample("RUN chmod -R 0777 /app", path: "Dockerfile"),
          RuleExample("chmod a+w config.json", path: "Makefile"),
          RuleExample("chmod o+rw secrets/", path: "scripts/setup.sh"),
          RuleExample("os.chmod(path, 0o777)", path: "app/files.py"),
        ],
        negatives: [
          RuleExample("chmod 755 bin/tool", path: "Makefile"),
          RuleExample("chmod +x scripts/run.sh", path: "Makefile"),
          RuleExample("chmod u+w config.json", path: "Makefile"),
          RuleExample("chmod 644 README.md", path: "Makefile"),
          RuleExample("os.chmod(path, 0o600)", path: "app/files.py"),
        ]),
    ]
  }
}
