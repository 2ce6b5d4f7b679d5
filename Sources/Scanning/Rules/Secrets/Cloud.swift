// Cloud providers: AWS, Google Cloud, Azure, Alibaba, IBM, Oracle, Tencent, Yandex, Scaleway and
// smaller hosts' root credentials.

import GateCore

extension SecretRules {
  static let cloudRules: [PatternRule] = [
    PatternRule(
      id: "aws-access-key-id", description: "AWS access key id (long-term AKIA or temporary ASIA)",
      severity: .critical, keywords: ["akia", "asia", "abia", "acca", "a3t"],
      pattern: #"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b"#, secretGroup: 1, entropy: 3.0,
      allowlist: RuleAllowlist(regexes: ["EXAMPLE$"]),
      positives: ["aws_access_key_id = AKIAZY27FE3JUXWZSBG3", "\"AccessKeyId\": \"ASIAGVYZW524LW4CIKKX\""],
      negatives: [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "id = AKIA452F6G7MIVDK", "the AKIA prefix marks long-term keys",
      ],
      shapes: [
        TokenShape([.literal("AKIA"), .random(alphabet: Charset.base32.chars, count: 16)], context: "key={}")
      ]),
    .keyed(
      "aws-secret-access-key", "AWS secret access key assigned to an AWS-named setting", .critical,
      words: ["aws", "amazon"], [.run(.base64, 40)], qualifier: "secret|sk|private", entropy: 3.5,
      context: "AWS_SECRET_ACCESS_KEY={}",
      positives: [
        "aws_secret_access_key = tXNqMJxNIKpIwNETP9JsvxIPG+2UJnWonEAxhtq+",
        "export AWS_SECRET_ACCESS_KEY=\"Yxp3MXyebT1T9prvm7NRtTEDY96QjulLjNphcUSA\"",
      ],
      negatives: [
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ${AWS_SECRET}",
        "aws_secret_access_key = 1Qzq1ctEkm5rcEUrbEbJAF3N0yChOT",
      ]),
    .keyed(
      "aws-session-token", "AWS temporary session token", .high, words: ["aws_session", "aws_security", "awssession"],
      [.run(.base64, 120, 1200)], qualifier: "token", keywords: ["aws_session", "aws_security", "awssession"],
      entropy: 4.0, context: "AWS_SESSION_TOKEN={}",
      positives: [
        "aws_session_token = IQoJb3JpZ2luX2VjEucWSeduT0KYunq6OjOcFOtqpiJ+dNNnhjSPXTOSycL51pH3EgJaObPqt2ZL0JuNQmd7oxxPGxVHsyVR7q+Gf8a4Q5UHRIfWygD+ARbUGFP6qcMY4uWLVLFu3Yh99UQXw7y+i0nCMmrYe6kI4gCo9uVwysaZe1i19kajHiKvlfEIH+kh/ovXS",
        "export AWS_SESSION_TOKEN=FwoGZXIvYXdzEIJDZGyDuY70if7b3jivBBzVY/iaZ/t3iLr5M82YPtGfWOJslEZnEGvYhaXO5QMaGze7dUkb0QE3QKp3LeeHRIdamjwQEd6tlEMmA80fLAj3WJGGjHSqZWfg0AFQqX4tIXgYbgccNdKxtHEhg+37edLd91JVdAGvVYpjkvnI/D0m/RUZQ574bNM1r39I394t4RY1krcQq7yOtpKLnfMLwP3hblNEwQxl5jaJT6rLZw8qY94c9JYZCVubwXsXnyPkNFXmXhWiAntZ0p3Wyf/nT9PEoLaeCM9IEwRJPn1F/jQN7",
      ],
      negatives: [
        "aws_session_token = ${AWS_SESSION_TOKEN}", "aws_session_token = VYDykWKU0edYhKfCFbqlI7IceuetlxghnvsoA4vJ",
      ]),
    .prefixed(
      "aws-mws-key", "Amazon Marketplace Web Service auth token", .high,
      [.lit("amzn.mws.")] + Seg.uuid,
      positives: ["mws_auth_token = amzn.mws.9b47107f-6f62-2b1e-0d83-872fc318f9f0"],
      negatives: ["amzn.mws.1234", "docs for amzn.mws tokens"]),
    .prefixed(
      "aws-bedrock-api-key", "Amazon Bedrock long-term API key", .critical,
      [.lit("ABSKQmVkcm9ja0FQSUtleS"), .run(.base64, 100, 2100)], keywords: ["absk"],
      positives: [
        "AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleSuXh7ril0uWXJ3J7uF/qmD50sY0UepM4LZ1a17N1Q9pnfL4o6bS8FsGzYlCI7HUDWJLY+dZXRCKri71TOyip0U3RtNY1z9xvlWmfMpVIYidFio3hvOMJaRsEZ"
      ],
      negatives: ["ABSKQmVkcm9ja0FQSUtleSdCxIVX2EzLgeEREpzipL", "a Bedrock ABSK key goes here"]),
    PatternRule(
      id: "gcp-service-account-private-key", description: "Google Cloud service-account JSON with its private key",
      severity: .critical, keywords: ["private_key"],
      pattern: #""private_key"[ \t]*:[ \t]*"-----BEGIN (?:RSA )?PRIVATE KEY-----\\n[A-Za-z0-9+/=]{40,}"#,
      positives: [
        "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQ/Hv0wi30EmwVw55UflT+GJSh1bfDIz6502BMipALqETLajUKYZJZZqARZ75pQ/zDnaCuyJysmF7RbzcN7InkF8DIgDgDkFcuu3rr149tXH8/7Jt9jzKUvHY\\n",
        "{\"type\": \"service_account\", \"private_key\":\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEfy2bQth4N0fgK8Ei4tnqMGiO44npgIU5++z7X36lKHKRrbvSS6AIUJ4eOLk/rjQB\"}",
      ],
      negatives: ["\"private_key\": \"\"", "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n...\""],
      shapes: [
        TokenShape(
          [.literal("-----BEGIN PRIVATE KEY-----\\nMIIEv"), .random(alphabet: TokenShape.base64, count: 200)],
          context: "\"private_key\": \"{}\\n-----END PRIVATE KEY-----\\n\",")
      ]),
    .keyed(
      "gcp-service-account-key-id", "Google Cloud service-account private key id", .medium,
      words: ["private_key_id"], [.run(.hex, 40)], qualifier: "", context: "\"private_key_id\": \"{}\",",
      positives: ["  \"private_key_id\": \"e940d612ffc07a8534a765d3e3a5808ab29e1432\","],
      negatives: ["\"private_key_id\": \"\"", "\"private_key_id\": \"7be33fa2c99f\""]),
    .prefixed(
      "gcp-api-key", "Google API key (Cloud, Maps, Firebase, Gemini)", .high,
      [.lit("AIza"), .run(.base64url, 35)],
      positives: [
        "GOOGLE_API_KEY=AIzaYZSv_FIvscQL98CRYozVsJT8BiBr3mbhsDm",
        "<string>AIzaJ3AQI3KmAd5gFcceQgCSeklvac5N_Mk19hJ</string>",
      ],
      negatives: ["GOOGLE_API_KEY=AIza9nH4PSkTMLTPu-EdrqJV", "keys start with AIza"]),
    .prefixed(
      "gcp-oauth-client-secret", "Google OAuth client secret", .high, [.lit("GOCSPX-"), .run(.base64url, 28)],
      positives: ["\"client_secret\": \"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\""],
      negatives: ["client_secret: GOCSPX-", "GOCSPX-Mt47g0qP-I"]),
    .prefixed(
      "gcp-oauth-refresh-token", "Google OAuth refresh token", .high, [.lit("1//0"), .run(.base64url, 60, 200)],
      keywords: ["1//0"],
      positives: [
        "refresh_token = \"1//02Ea6SF4RtqvOtXvHTc_EDDPfYS6rhEFo8Uxr1ZuJJh7RdB9oCchLn1zkon8Ca5AITlIwI1LFXWEyPmLr583K8WcTb-KvG38N3oy\""
      ],
      negatives: ["see 1//0 in the log", "1//07ZebfPkxGPBlnGuMn8LI"]),
    .prefixed(
      "gcp-oauth-access-token", "Google OAuth access token", .high, [.lit("ya29."), .run(.base64url, 60, 500)],
      positives: [
        "Authorization: Bearer ya29.a0OdtqfX1gTgxXj9yUauA7avZjGQPDHxY3HDX9kbww1WUJ9P2G4XXwc6iEXopt6eKGxmqg4GnumJPLsyH7Y_nCENdmOZeLh2MOPRuHyeKmcTiCwBSfDlogXUys"
      ],
      negatives: ["ya29.short", "tokens look like ya29.something"]),
    PatternRule(
      id: "azure-storage-account-key", description: "Azure storage account key in a connection string",
      severity: .critical, keywords: ["accountkey"],
      pattern: #"(?i)AccountKey=(?-i:([A-Za-z0-9+/]{86}==))"#, secretGroup: 1, entropy: 4.0,
      positives: [
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=2Pc9BFhAkTsHw8hCUwDVn+qprQJIWn4VrZZhGKKOonxxce3wyW72wDjzQX/TLWCF/AUtAkyMzXXY3QjsG8dIgX==;EndpointSuffix=core.windows.net"
      ],
      negatives: ["AccountKey=<your-account-key>", "AccountKey=6LN9QKdyvUuOgzxqcXdi7crqXViC/k7ECmMN6eTf=="],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.base64, count: 86), .literal("==")],
          context: "conn = \"DefaultEndpointsProtocol=https;AccountName=data;AccountKey={};\"")
      ]),
    .keyed(
      "azure-storage-key-assignment", "Azure storage key assigned to an Azure-named setting", .critical,
      words: ["azure", "storage_account", "storageaccount"], [.run(.base64, 86), .lit("==")],
      qualifier: "key|secret", context: "AZURE_STORAGE_KEY={}",
      positives: [
        "azure_storage_key: \"wLiqeLRlnW7K1fyctfVvPDDx6lirb6qNcr3zbFGDQccW+Ojz6PUGKgq5qfT6ThPkyGYKGLeAAW/UgWfVFhxtLc==\""
      ],
      negatives: [
        "azure_storage_key: \"${STORAGE_KEY}\"",
        "azure_storage_key: \"eEukqHcdHgAx778T/f5qIyPSxXil+alBTr5E0ajLCjUK==\"",
      ]),
    PatternRule(
      id: "azure-sas-token", description: "Azure shared access signature URL with its signature", severity: .high,
      keywords: ["sig="],
      pattern: #"\bsv=20\d\d-\d\d-\d\d&[\w%&=.:+-]{0,400}?\bsig=([A-Za-z0-9%+/]{43,90})"#, secretGroup: 1,
      entropy: 3.5,
      positives: [
        "https://acme.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2027-01-01T00:00:00Z&spr=https&sig=KdjSqNEzkdTjPYr3zrZKboz4vGmkVaHOHfN2ggOffc9%3D"
      ],
      negatives: ["?sv=2022-11-02&sp=r&sig=<signature>", "the sig= parameter carries the signature"],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.alnum, count: 44)],
          context: "url = \"https://x.blob.core.windows.net/a?sv=2021-06-08&sr=c&sp=rl&sig={}%3D\"")
      ]),
    PatternRule(
      id: "azure-ad-client-secret", description: "Microsoft Entra ID (Azure AD) application client secret",
      severity: .high, keywords: ["q~"],
      pattern: #"(?:^|[\s'"=:>(,])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])"#,
      secretGroup: 1, entropy: 3.5,
      positives: [
        "AZURE_CLIENT_SECRET=\"W2p8Q~8jyGopDrovyXx62iIZlG65xGk3yIU4R3t7\"",
        "client_secret: tTu7Q~31bbNQtZQyyUfcEllVoQ7HlUwmzNQBp",
      ],
      negatives: ["AZURE_CLIENT_SECRET=abc8Q~short", "value Q~ in prose"],
      shapes: [
        TokenShape(
          [
            .random(alphabet: TokenShape.alnum, count: 3), .literal("8Q~"),
            .random(alphabet: TokenShape.alnum, count: 34),
          ], context: "secret = \"{}\"")
      ]),
    .prefixed(
      "azure-devops-pat", "Azure DevOps personal access token (84-character format)", .high,
      [.run(.alnum, 76), .lit("AZDO"), .run(.alnum, 4)], keywords: ["azdo"],
      positives: ["ADO_PAT=mpSF9ePjOdQZHcMDZTXiUFdGixlOIdGxa3gzjWQD52t54PirSTzXJQQJ994h8OSHDLLHshwDUv9qAZDO4xBT"],
      negatives: ["ADO_PAT=WdcZZlSJF2AqPgYigHsNuMJ5rv7wZeAW6uOp8sUSAZDOO0QI", "the AZDO marker"]),
    .keyed(
      "azure-devops-legacy-pat", "Azure DevOps personal access token (52-character format)", .high,
      words: ["azure_devops", "azuredevops", "ado_", "devops", "vsts"], [.run(.lower, 52)],
      qualifier: "pat|token|key", keywords: ["devops", "ado_", "vsts"], context: "AZURE_DEVOPS_PAT={}",
      positives: ["AZURE_DEVOPS_PAT=tbszvaxxyeztctciladzgbdvutqiksinisggahqabarylleizhqx"],
      negatives: ["AZURE_DEVOPS_PAT=$(System.AccessToken)", "AZURE_DEVOPS_PAT=ipgiyzuwzsuafbiypqgv"]),
    .prefixed(
      "azure-shared-access-key", "Azure Service Bus / Event Hubs shared access key", .high,
      [.lit("SharedAccessKey="), .run(.base64, 43), .lit("=")], keywords: ["sharedaccesskey="],
      positives: [
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=/i/06q/XC2o133QUAKIEThrqyDcYhKbyZBxelR4OyCi="
      ],
      negatives: ["SharedAccessKey=<key>", "SharedAccessKey=fbt0pkGgYh="]),
    PatternRule(
      id: "azure-app-configuration-secret", description: "Azure App Configuration connection string secret",
      severity: .high, keywords: ["azconfig.io"],
      pattern: #"\.azconfig\.io;Id=[^;\s]{1,40};Secret=([A-Za-z0-9+/]{43}=)"#, secretGroup: 1,
      positives: [
        "Endpoint=https://acme.azconfig.io;Id=GKvQ-l9-s0:650zgb5obD80XzYMD05E;Secret=np4Abi0OR4JoI4t41aiUYmYXBCVNHtUkUrFojQQhOkX="
      ],
      negatives: ["Endpoint=https://acme.azconfig.io;Id=x;Secret=<secret>"],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.base64, count: 43), .literal("=")],
          context: "Endpoint=https://a.azconfig.io;Id=k1;Secret={}")
      ]),
    .keyed(
      "azure-openai-api-key", "Azure OpenAI API key", .high, words: ["azure_openai", "azureopenai", "azure-openai"],
      [.run(.anyHex, 32)], keywords: ["azure_openai", "azureopenai", "azure-openai"],
      context: "AZURE_OPENAI_API_KEY={}",
      positives: ["AZURE_OPENAI_API_KEY=7febd250ba37b2679c3b92292fef5e63"],
      negatives: ["AZURE_OPENAI_API_KEY=your-key-here", "AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com"]),
    .prefixed(
      "alibaba-access-key-id", "Alibaba Cloud AccessKey id", .high, [.lit("LTAI"), .run(.alnum, 12, 20)],
      positives: ["ALIBABA_CLOUD_ACCESS_KEY_ID=LTAITyEph7FHMOmlCoAUPKDF", "access_key_id: LTAI0JddW5HnGQIg"],
      negatives: ["ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIYYxsnU", "ids begin with LTAI"]),
    .keyed(
      "alibaba-access-key-secret", "Alibaba Cloud AccessKey secret", .critical,
      words: ["alibaba", "aliyun", "alicloud"], [.run(.alnum, 30)], qualifier: "secret",
      context: "ALIBABA_CLOUD_ACCESS_KEY_SECRET={}",
      positives: ["ALIBABA_CLOUD_ACCESS_KEY_SECRET=jw8UqIZEzAraF57FTCK1zZS35EYNfi"],
      negatives: ["ALIBABA_CLOUD_ACCESS_KEY_SECRET=", "aliyun_secret = rN3wjEZKBqM1"]),
    .keyed(
      "ibm-cloud-api-key", "IBM Cloud IAM API key", .high, words: ["ibm", "iam_api", "ibmcloud"],
      [.run(.base64url, 44)], qualifier: "key|apikey", keywords: ["ibm", "iam_api"], entropy: 3.5,
      context: "IBMCLOUD_API_KEY={}",
      positives: [
        "IBMCLOUD_API_KEY=yQq0GCTA7d4tPcBYBicuFCP5SU4pbQiBShgYrtSdyHIb",
        "ibm_api_key: 'qk0sdbDTVFYY57gkvw-7Ep9vdNTWmblanfKIngvXpdoG'",
      ],
      negatives: ["IBMCLOUD_API_KEY=<apikey>", "ibm api key goes here"]),
    .keyed(
      "ibm-cos-hmac-secret", "IBM Cloud Object Storage HMAC secret access key", .high,
      words: ["cos_hmac", "ibm_cos", "cos-hmac"], [.run(.hex, 48)], qualifier: "secret",
      keywords: ["cos_hmac", "ibm_cos", "cos-hmac"], context: "IBM_COS_SECRET_ACCESS_KEY={}",
      positives: ["ibm_cos_secret_access_key = 5c4165deda2d39f11f1c5f02d8f8c0af1927b2a0480b7fa8"],
      negatives: ["ibm_cos_secret_access_key = 4f2eee72561f5397658c"]),
    .keyed(
      "oracle-oci-secret-key", "Oracle Cloud (OCI) customer secret key", .high, words: ["oci_", "oracle"],
      [.run(.base64, 43), .lit("=")], qualifier: "secret", keywords: ["oci_", "oracle"],
      context: "OCI_SECRET_KEY={}",
      positives: [
        "OCI_SECRET_KEY=Ht6C5EQ7c2u3RxYSkTzY5P1JeLRTwKZdYgKenMTIMMB=",
        "oracle_secret_access_key: \"jrfoLH5woXHPKgujmtXxweKoqojze+HXMeOCXHz7CdS=\"",
      ],
      negatives: ["OCI_SECRET_KEY=<secret>", "the Oracle secret key field"]),
    .keyed(
      "oracle-oci-auth-token", "Oracle Cloud (OCI) auth token", .high, words: ["oci_", "oracle"],
      [.run(.alnum, 20)], qualifier: "auth_token|authtoken|auth-token", keywords: ["oci_", "oracle"],
      entropy: 3.5, context: "OCI_AUTH_TOKEN={}",
      positives: ["OCI_AUTH_TOKEN=DsDrIqadq4dC7g19E0ZZ"],
      negatives: ["OCI_AUTH_TOKEN=${TOKEN}", "oracle auth token docs"]),
    .prefixed(
      "tencent-cloud-secret-id", "Tencent Cloud SecretId", .high, [.lit("AKID"), .run(.alnum, 32)],
      positives: ["TENCENTCLOUD_SECRET_ID=AKID7m4nMLbQ5V0xz3UOFIzDUsh0mLdIqC0A"],
      negatives: ["TENCENTCLOUD_SECRET_ID=AKIDudMGt9IE"]),
    .keyed(
      "tencent-cloud-secret-key", "Tencent Cloud SecretKey", .critical, words: ["tencent"], [.run(.alnum, 32)],
      qualifier: "secret", context: "TENCENTCLOUD_SECRET_KEY={}",
      positives: ["TENCENTCLOUD_SECRET_KEY=6YShiYnZDnLlnyEiwGzLlYfCJIl6kAsx"],
      negatives: ["TENCENTCLOUD_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]),
    .prefixed(
      "yandex-api-key", "Yandex Cloud API key", .high, [.lit("AQVN"), .run(.base64url, 36)],
      positives: ["YC_API_KEY=AQVNS6_Ef8MyI33gSpkBdWDTSiYeMs_75ztt_D2W"], negatives: ["YC_API_KEY=AQVNDK2gXJxl"]),
    .prefixed(
      "yandex-iam-token", "Yandex Cloud IAM token", .high,
      [.lit("t1."), .run(.base64url, 20, 60), .lit("."), .run(.base64url, 86)], keywords: ["t1."],
      positives: [
        "YC_TOKEN=t1.CZ8jtE46ULP0U1v9FAbCJDR3_EOXJkW1ZYz4gCQn.R8a3S10onb4O-Tn3A3ys3SE892kykOEJXDrkHpS29WztZn6InQqZfNVXfnE2hKIV2iiB-2VSLGrwHnEol8HKIF"
      ], negatives: ["version t1.2", "t1.43fuBkvcKg.If6XGTyohX"]),
    .keyed(
      "yandex-access-key", "Yandex Cloud static access key secret", .high, words: ["yandex", "yc_"],
      [.lit("YC"), .run(.base64url, 38)], qualifier: "key|secret", keywords: ["yandex", "yc_"],
      context: "YANDEX_SECRET_KEY={}",
      positives: ["yandex_secret_key = \"YCVGk42CacDiQunUd6R0Q8XX5HOOEzvv9wpcAzED\""],
      negatives: ["yandex_secret_key = \"YC4BCRK4He\""]),
    .prefixed(
      "scaleway-access-key", "Scaleway access key id", .medium, [.lit("SCW"), .run(.upperAlnum, 17)],
      positives: ["SCW_ACCESS_KEY=SCWETW17RX8W3ICJXYDY"], negatives: ["SCW_ACCESS_KEY=SCWMX329"]),
    .keyed(
      "scaleway-secret-key", "Scaleway secret key", .critical, words: ["scw_", "scaleway"], Seg.uuid,
      qualifier: "secret", keywords: ["scw_", "scaleway"], context: "SCW_SECRET_KEY={}",
      positives: ["SCW_SECRET_KEY=f067d262-1862-8eec-47cb-4fb47e886909"],
      negatives: ["SCW_SECRET_KEY=00000000-0000-0000-0000-000000000000"]),
    .keyed(
      "backblaze-application-key", "Backblaze B2 application key", .high, words: ["b2_", "backblaze"],
      [.lit("K00"), .run(.base64, 28)], qualifier: "key", keywords: ["b2_", "backblaze"],
      context: "B2_APPLICATION_KEY={}",
      positives: ["B2_APPLICATION_KEY=K00WzE7s11mpEaewY/8a9I3WQO4045p"],
      negatives: ["B2_APPLICATION_KEY_ID=001433aa421052843f25d36f"]),
    .keyed(
      "linode-api-token", "Linode (Akamai) API token", .high, words: ["linode"], [.run(.hex, 64)],
      context: "LINODE_TOKEN={}",
      positives: [
        "LINODE_TOKEN=5e0721a8eb246371fed01d77951052b78e96fe072d519423bfe706a9790eb999",
        "linode_api_token: \"49debef0fd20e07a25f4b3933a7f9ecd3646a298c89b80498cf513553c41a96a\"",
      ],
      negatives: ["LINODE_TOKEN=d1862d8d280cc61f6ff11a59493ff2", "a Linode token"]),
    .keyed(
      "vultr-api-key", "Vultr API key", .high, words: ["vultr"], [.run(.upperAlnum, 36)],
      context: "VULTR_API_KEY={}",
      positives: ["VULTR_API_KEY=QJGGEYC5FH64XM881ICS0EQRBJQRXJ8HUN19"], negatives: ["VULTR_API_KEY=T2L38Y5NGNA6"]),
    .keyed(
      "hetzner-api-token", "Hetzner Cloud API token", .high, words: ["hetzner", "hcloud"], [.run(.alnum, 64)],
      context: "HCLOUD_TOKEN={}",
      positives: ["HCLOUD_TOKEN=XNVfapCDf3ixP7qasVgklgIRYyaNNTTJgQ1roCmDGFJ6pf0k98BoGoi378o6GWgg"],
      negatives: ["HCLOUD_TOKEN=${{ secrets.HCLOUD }}"]),
    .keyed(
      "ovh-application-secret", "OVHcloud application secret", .high, words: ["ovh"], [.run(.alnum, 32)],
      qualifier: "secret|consumer", context: "OVH_APPLICATION_SECRET={}",
      positives: ["OVH_APPLICATION_SECRET=bWDvFAomOdtwXd3omItJUJuYD2fmEsFA"], negatives: ["OVH_ENDPOINT=ovh-eu"]),
  ]
}
