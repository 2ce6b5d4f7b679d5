// Source hosts and CI-adjacent forges: GitHub, GitLab, Bitbucket, Gitea, Sourcegraph.

import GateCore

extension SecretRules {
  static let sourceHostRules: [PatternRule] = [
    .prefixed(
      "github-classic-pat", "GitHub personal access token (classic)", .high, [.lit("ghp_"), .run(.alnum, 36)],
      positives: [
        "GITHUB_TOKEN=ghp_7a3pcwPI2JqEIErw5pQTcQX47gs4v1JYVfJm",
        "git clone https://ghp_9udzwaFgVeAT5s10Uac9INOKlIIPKeBNSBM1@github.com/acme/app.git",
      ],
      negatives: ["GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITHUB_TOKEN=ghp_KB9gI28mhR64Nk4TXJxb"]),
    .prefixed(
      "github-fine-grained-pat", "GitHub fine-grained personal access token", .high,
      [.lit("github_pat_"), .run(.alnum, 22), .lit("_"), .run(.alnum, 59)],
      positives: [
        "token: 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"
      ],
      negatives: ["token: github_pat_T2dvKrOn5Z0CQjLNSfX78s", "create a github_pat_ token in settings"]),
    .prefixed(
      "github-oauth-token", "GitHub OAuth access token", .high, [.lit("gho_"), .run(.alnum, 36)],
      positives: ["oauth_token: gho_GK0Ga78dLymfu3IAnp5o2lTX9c8FmSSWDvQz"], negatives: ["oauth_token: gho_yKXz6IufJ5KZ"]
    ),
    .prefixed(
      "github-user-to-server-token", "GitHub App user-to-server token", .high, [.lit("ghu_"), .run(.alnum, 36)],
      positives: ["Authorization: token ghu_fOfpYxcM1vuAPJ97bGQhATj4yJZEywEBBBUI"],
      negatives: ["Authorization: token ghu_"]),
    .prefixed(
      "github-server-to-server-token", "GitHub App installation (server-to-server) token", .high,
      [.lit("ghs_"), .run(.alnum, 36)],
      positives: ["GH_TOKEN=ghs_i4QmCp4FJYqUoYFGmg839AMUUzBMpCDrO1oN"],
      negatives: ["GH_TOKEN=ghs_PFQXH3GdXoXJayuRtSilzS7uOJoCpb"]),
    .prefixed(
      "github-refresh-token", "GitHub App refresh token", .high, [.lit("ghr_"), .run(.alnum, 36, 76)],
      positives: [
        "refresh_token=ghr_zKzSlf17eM0G8qa0CoAy2SgzyxKkR4rGJ0BUkj5fuxmsvMEvfaCh5XHglEHPiPI2K0AALVFk40yU",
        "refresh_token=ghr_Tn32eA5G0KOrkZN7srmtLDgO2ysr5usJFMq3",
      ], negatives: ["refresh_token=ghr_3My5OmEELPtQ9jTE"]),
    .keyed(
      "github-oauth-client-secret", "GitHub OAuth app client secret", .high, words: ["github", "gh_"],
      [.run(.hex, 40)], qualifier: "secret", keywords: ["github", "gh_"], context: "GITHUB_CLIENT_SECRET={}",
      positives: ["GITHUB_CLIENT_SECRET=9cdea2d4038815fcc6fa1431a85aa845b8b27a58"],
      negatives: [
        "GITHUB_CLIENT_SECRET=${{ secrets.CLIENT_SECRET }}", "GITHUB_SHA=7ce94bc1c0852feef7de6efaf0373dec6a023118",
      ]),
    .prefixed(
      "gitlab-personal-access-token", "GitLab personal, project or group access token", .high,
      [.lit("glpat-"), .run(.base64url, 20, 80)],
      positives: [
        "GITLAB_TOKEN=glpat-T3PQCWtSP5kK_VXFVFrP",
        "private_token: glpat-b9PWvcN3V_VWmCGaweNz-KByhitlwSCE-LvXe3c7lM19JUudddM",
      ],
      negatives: ["GITLAB_TOKEN=glpat-yDs-ow4x", "create a glpat- token"]),
    .prefixed(
      "gitlab-deploy-token", "GitLab deploy token", .high, [.lit("gldt-"), .run(.base64url, 20, 80)],
      positives: ["CI_DEPLOY_PASSWORD=gldt--bpQGewK4lJHACShKxsj"], negatives: ["CI_DEPLOY_PASSWORD=gldt-abc"]),
    .prefixed(
      "gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", .high, [.lit("glptt-"), .run(.hex, 40)],
      positives: [
        "curl -F token=glptt-d1b0e7583bda7a17ea8969301ae2dfbfde37c70c https://gitlab.example.org/api/v4/projects/1/trigger/pipeline"
      ],
      negatives: ["curl -F token=glptt-4c4e48d50a"]),
    .prefixed(
      "gitlab-runner-authentication-token", "GitLab runner authentication token", .high,
      [.lit("glrt-"), .run(.base64url, 20, 80)],
      positives: ["token = \"glrt-d3AE-2ABMqvDeSFloguI\""], negatives: ["token = \"glrt-\""]),
    .prefixed(
      "gitlab-runner-registration-token", "GitLab runner registration token", .high,
      [.lit("GR1348941"), .run(.base64url, 20)], keywords: ["gr1348941"],
      positives: ["--registration-token GR1348941Eb7gD-M7dXYORN4LRm2W"],
      negatives: ["--registration-token GR1348941abc"]),
    .prefixed(
      "gitlab-scim-token", "GitLab SCIM OAuth token", .high, [.lit("glsoat-"), .run(.base64url, 20)],
      positives: ["scim_token: glsoat-7oqBxngiqrLaC8DRH_mZ"], negatives: ["scim_token: glsoat-JGQNMu"]),
    .prefixed(
      "gitlab-ci-job-token", "GitLab CI/CD job token", .high,
      [.lit("glcbt-"), .run(.alnum, 1, 5), .lit("_"), .run(.base64url, 20)],
      positives: ["CI_JOB_TOKEN=glcbt-9L_Dwk8b73dtDKeXb-AhCA6"], negatives: ["CI_JOB_TOKEN=glcbt-"]),
    .prefixed(
      "gitlab-feature-flag-client-token", "GitLab feature flags client token", .high,
      [.lit("glffct-"), .run(.base64url, 20)],
      positives: ["UNLEASH_INSTANCE_ID=glffct-IR_k9W-AeMN9bLp5HDdZ"], negatives: ["UNLEASH_INSTANCE_ID=glffct-x"]),
    .prefixed(
      "gitlab-feed-token", "GitLab feed token", .medium, [.lit("glft-"), .run(.base64url, 20)],
      positives: ["https://gitlab.com/dashboard/issues.atom?feed_token=glft-1BBhyH_Z51TG0bSDXBZM"],
      negatives: ["feed_token=glft-4Ysi"]),
    .prefixed(
      "gitlab-incoming-mail-token", "GitLab incoming email token", .medium, [.lit("glimt-"), .run(.lowerAlnum, 25)],
      positives: ["reply+glimt-p542jzvprv4oi5pxybut05vv5@gitlab.example.org"], negatives: ["glimt-gf3xv"]),
    .prefixed(
      "gitlab-agent-token", "GitLab agent for Kubernetes token", .high, [.lit("glagent-"), .run(.base64url, 50)],
      positives: ["token: glagent-z40MfEDwWadtFoVAMwuhydGLk-T5V3-H2c8bA3ZqRECQf0X5RD"],
      negatives: ["token: glagent-m78GDWCb0R"]),
    .prefixed(
      "gitlab-oauth-app-secret", "GitLab OAuth application secret", .high, [.lit("gloas-"), .run(.hex, 64)],
      positives: ["GITLAB_APP_SECRET=gloas-e8dbf447477f3e3287b0a523ba5cb8c2fd09b4d07f1b15263c96ea13f6d7d674"],
      negatives: ["GITLAB_APP_SECRET=gloas-134bd795e5d7e722"]),
    .prefixed(
      "gitlab-kubernetes-agent-token", "GitLab workspace or cluster agent token", .high,
      [.lit("glwt-"), .run(.base64url, 20)],
      positives: ["workspace_token=glwt-IM_XtiCEEDZFJ8R3_cKn"], negatives: ["workspace_token=glwt-"]),
    .prefixed(
      "gitlab-session-cookie", "GitLab session cookie", .medium, [.lit("_gitlab_session="), .run(.hex, 32)],
      keywords: ["_gitlab_session"],
      positives: ["Cookie: _gitlab_session=6b94ec6dbad9dc96f5f49bf114eded72"],
      negatives: ["Cookie: _gitlab_session=deleted"]),
    .prefixed(
      "bitbucket-app-password", "Atlassian/Bitbucket app password", .high,
      [.lit("ATBB"), .run(.alnum, 28), .run(.upperHex, 8)],
      positives: ["BITBUCKET_APP_PASSWORD=ATBB9CrDsffyWZ5K4smpjQWsUIwdH5vCCD665F34"],
      negatives: ["BITBUCKET_APP_PASSWORD=ATBBmuL37opD"]),
    .prefixed(
      "bitbucket-access-token", "Bitbucket repository, project or workspace access token", .high,
      [.lit("ATCTT3xFfGN0"), .run(.base64url, 150, 250)], keywords: ["atctt3"],
      positives: [
        "BITBUCKET_TOKEN=ATCTT3xFfGN07XPvA95BzYBL10vNzbO1y7bMclpJ-VB1TQhe46ztexjQSL_5y71dstFMyxJxNniOx7nWBMmDqdTfUPx8Ks_PlMNdTltz6t5RaA-YDHDjg6EAUvVsAHvVEXv9GZvZiWEGHqeX6EoH1jpTuxfWJoIU1VPRliPokC3kCqBsmhe0yGaOzXYCeWSB"
      ], negatives: ["BITBUCKET_TOKEN=ATCTT3xFfGN02TkPhE55szmSAVFTxTH9"]),
    .keyed(
      "bitbucket-client-secret", "Bitbucket OAuth consumer secret", .high, words: ["bitbucket"], [.run(.alnum, 32)],
      qualifier: "secret", context: "BITBUCKET_CLIENT_SECRET={}",
      positives: ["BITBUCKET_CLIENT_SECRET=QblTMoWhaaKV9DXTp5RMcW66BfVNGmO3"], negatives: ["BITBUCKET_CLIENT_SECRET="]),
    .keyed(
      "gitea-access-token", "Gitea or Forgejo access token", .high, words: ["gitea", "forgejo", "codeberg"],
      [.run(.hex, 40)], context: "GITEA_TOKEN={}",
      positives: [
        "GITEA_TOKEN=ebe5f8e40f400ae845bff728065c4cad43650417",
        "forgejo_token: \"2e303f8ef567199f7e9ad9c1c6df95b3ceb2a05f\"",
      ], negatives: ["GITEA_TOKEN=b89cf4f806a784195be2"]),
    .prefixed(
      "sourcegraph-access-token", "Sourcegraph access token", .high,
      [.lit("sgp_"), .run(.anyHex, 16), .lit("_"), .run(.hex, 40)],
      positives: ["SRC_ACCESS_TOKEN=sgp_70cc97226bfef16a_f0f456c3361c7d20462478152fd714f92e639f6e"],
      negatives: ["SRC_ACCESS_TOKEN=sgp_5a6cf172fd473015_86632b91"]),
    .prefixed(
      "sourcegraph-local-token", "Sourcegraph access token (local or legacy form)", .high,
      [.lit("sgp_"), .run(.hex, 40)],
      positives: ["SRC_ACCESS_TOKEN=sgp_be34ac1abe1e4e5b4e6b5b2a8bea5e7c07af643d"],
      negatives: ["SRC_ACCESS_TOKEN=sgp_c1aa4572"]),
    .prefixed(
      "sourcegraph-cody-gateway-key", "Sourcegraph Cody Gateway key", .high, [.lit("slk_"), .run(.hex, 64)],
      positives: ["CODY_GATEWAY_KEY=slk_a486bf52a955aaadacbeffcb8b98e9e0d6246fe275f10699bc0eeaa195652e26"],
      negatives: ["CODY_GATEWAY_KEY=slk_996517896b"]),
  ]
}
