// Messaging, chat and email delivery: Slack, Discord, Telegram, Microsoft Teams, Twilio, SendGrid,
// Mailgun, Mailchimp, Postmark, Brevo and other notification services.

import GateCore

extension SecretRules {
  static let messagingRules: [PatternRule] = [
    .prefixed(
      "slack-bot-token", "Slack bot token", .high,
      [.lit("xoxb-"), .run(.digits, 10, 13), .lit("-"), .run(.digits, 10, 13), .lit("-"), .run(.alnum, 24)],
      positives: ["SLACK_BOT_TOKEN=xoxb-542969700589-2037320088473-wqSQXJIgJyyHTo8yh4uW5oSN"],
      negatives: ["SLACK_BOT_TOKEN=xoxb-your-token", "SLACK_BOT_TOKEN=xoxb-568277657623-4267013060391"]),
    .prefixed(
      "slack-user-token", "Slack user token", .high,
      [
        .lit("xoxp-"), .run(.digits, 10, 13), .lit("-"), .run(.digits, 10, 13), .lit("-"), .run(.digits, 10, 13),
        .lit("-"), .run(.hex, 32),
      ],
      positives: ["SLACK_USER_TOKEN=xoxp-304852885136-857781197688-3276074064406-923bf877bce855b6899795f799693e66"],
      negatives: ["SLACK_USER_TOKEN=xoxp-987286555108-7c02ee3b7ada45029e7bfbf272339947"]),
    .prefixed(
      "slack-app-token", "Slack app-level token", .high,
      [
        .lit("xapp-"), .run(.digits, 1), .lit("-"), .run(.upperAlnum, 9, 12), .lit("-"), .run(.digits, 10, 13),
        .lit("-"), .run(.hex, 64),
      ],
      positives: [
        "SLACK_APP_TOKEN=xapp-1-AFTC4GEUBUU-3136215684321-7d57022343682228c00cc700a565428db5d46c428aa951f96ab04e1b961593c4"
      ], negatives: ["SLACK_APP_TOKEN=xapp-1-"]),
    PatternRule(
      id: "slack-config-access-token", description: "Slack app configuration access token", severity: .high,
      keywords: ["xoxe.xox"], pattern: #"\bxoxe\.xox[bp]-\d-[A-Z0-9]{160,200}\b"#, entropy: 3.0,
      positives: [
        "SLACK_CONFIG_TOKEN=xoxe.xoxp-1-73OE8IOFBUSXF10FM7R6ERJGUFKXAQY6CKBTVWNZXEGV0Q4GC2CYP7QB9EQPJYRX1TZKGQG9KXYIQQDBXEAN9HDNZVU9DMI14UTNHZ942VHON8RYGJROF4ZW40VFOD3659LZND0OVWQIS4UT95RDO3MSUQYZRZ1HBNGR5K"
      ], negatives: ["SLACK_CONFIG_TOKEN=xoxe.xoxp-1-0WNAKEXVK8YNPQAR2N3Y"],
      shapes: [
        TokenShape(
          [.literal("xoxe.xoxb-1-"), .random(alphabet: Charset.upperAlnum.chars, count: 170)],
          context: "SLACK_CONFIG_TOKEN={}")
      ]),
    .prefixed(
      "slack-config-refresh-token", "Slack app configuration refresh token", .high,
      [.lit("xoxe-"), .run(.digits, 1), .lit("-"), .run(.upperAlnum, 140, 160)],
      positives: [
        "SLACK_CONFIG_REFRESH_TOKEN=xoxe-1-XMKOG9CZ2RCD7DMD4WEX0JUNQBV645UQWQOUG3PC02VLWEUYT181NGKU2VTT7DY72G9UGN58M4BJ6DTS86YOEU4JDC75RQZYG9FUKR8XFEF5Z9U0VR4DBB02E397IMQ31CZMY8BSP49OIHVTF77"
      ], negatives: ["SLACK_CONFIG_REFRESH_TOKEN=xoxe-1-abc"]),
    PatternRule(
      id: "slack-legacy-workspace-token", description: "Slack legacy workspace or refresh token (xoxa, xoxr)",
      severity: .high, keywords: ["xoxa-", "xoxr-"],
      pattern: #"\bxox[ar]-(?:\d-)?[0-9A-Za-z]{8,48}(?:-[0-9A-Za-z]{8,64}){0,3}\b"#, entropy: 3.0,
      positives: [
        "SLACK_TOKEN=xoxa-2-642979682469-804896517821-264762246416-d1178de0bafbfbf2073a32f091544c9ca10f18e0dfb3e596b73b2e05b49c255d",
        "refresh=xoxr-vzIt36JRgn6GntGDWOlAlFTD7ObX4IBJc6lfY3vj",
      ],
      negatives: ["SLACK_TOKEN=xoxa-", "SLACK_TOKEN=xoxa-abc"],
      shapes: [
        TokenShape(
          [
            .literal("xoxa-2-"), .random(alphabet: TokenShape.digits, count: 12), .literal("-"),
            .random(alphabet: TokenShape.hexLower, count: 32),
          ], context: "SLACK_TOKEN={}")
      ]),
    PatternRule(
      id: "slack-legacy-token", description: "Slack legacy user or bot token (xoxo, xoxs)", severity: .high,
      keywords: ["xoxo-", "xoxs-"], pattern: #"\bxox[os]-\d{8,13}-\d{8,13}(?:-\d{8,13})?-[0-9a-f]{16,64}\b"#,
      positives: ["SLACK_LEGACY=xoxs-65936040194-848328142575-284389565065-1c689c8a2995f7af21608dc3b1555a7f"],
      negatives: ["xoxo- hugs and kisses"],
      shapes: [
        TokenShape(
          [
            .literal("xoxo-"), .random(alphabet: TokenShape.digits, count: 11), .literal("-"),
            .random(alphabet: TokenShape.digits, count: 11), .literal("-"),
            .random(alphabet: TokenShape.hexLower, count: 32),
          ], context: "SLACK_TOKEN={}")
      ]),
    PatternRule(
      id: "slack-webhook-url", description: "Slack incoming webhook URL", severity: .high,
      keywords: ["hooks.slack.com"],
      pattern: #"hooks\.slack\.com/services/(T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24})\b"#, secretGroup: 1,
      positives: ["SLACK_WEBHOOK=https://hooks.slack.com/services/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"],
      negatives: ["SLACK_WEBHOOK=https://hooks.slack.com/services/T000/B000/XXXX", "see hooks.slack.com docs"],
      shapes: [
        TokenShape(
          [
            .literal("https://hooks.slack.com/services/T"), .random(alphabet: Charset.upperAlnum.chars, count: 10),
            .literal("/B"), .random(alphabet: Charset.upperAlnum.chars, count: 10), .literal("/"),
            .random(alphabet: TokenShape.alnum, count: 24),
          ], context: "url: {}")
      ]),
    PatternRule(
      id: "slack-workflow-webhook-url", description: "Slack workflow or trigger webhook URL", severity: .high,
      keywords: ["hooks.slack.com"],
      pattern:
        #"hooks\.slack\.com/(?:workflows|triggers)/(T[A-Z0-9]{8,12}/[A-Z0-9]{8,12}/\d{6,20}/[A-Za-z0-9]{24,32})\b"#,
      secretGroup: 1,
      positives: [
        "url: https://hooks.slack.com/triggers/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"
      ],
      negatives: ["url: https://hooks.slack.com/triggers/T0/1/abc"],
      shapes: [
        TokenShape(
          [
            .literal("https://hooks.slack.com/workflows/T"), .random(alphabet: Charset.upperAlnum.chars, count: 10),
            .literal("/A"), .random(alphabet: Charset.upperAlnum.chars, count: 10), .literal("/"),
            .random(alphabet: TokenShape.digits, count: 18), .literal("/"),
            .random(alphabet: TokenShape.alnum, count: 32),
          ], context: "url: {}")
      ]),
    PatternRule(
      id: "discord-bot-token", description: "Discord bot token", severity: .high, keywords: ["discord"],
      pattern:
        #"(?i)discord[\w.-]{0,25}?['"]?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}['"`]?(?-i:([MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}))(?![A-Za-z0-9_-])"#,
      secretGroup: 1, entropy: 3.5,
      positives: [
        "DISCORD_BOT_TOKEN=MmvcVi5jh3GCP-pjt0xuDhf1tS.m3SkHa.Hr0QibvLHg3geaLG9M8vED9RM83b1XX73JAuHh",
        "discord_token: \"N5EX-yH5jtd_nynk_SpDMqaz.x3C4dl.14fRhKmlrMuMFRs28LhZdcylp-A\"",
      ],
      negatives: ["DISCORD_BOT_TOKEN=<bot-token>", "DISCORD_BOT_TOKEN=MDvuMxE8ha_uhlx54RZG8JeMlC.b-2pOi"],
      shapes: [
        TokenShape(
          [
            .literal("M"), .random(alphabet: TokenShape.base64url, count: 25), .literal("."),
            .random(alphabet: TokenShape.base64url, count: 6), .literal("."),
            .random(alphabet: TokenShape.base64url, count: 38),
          ], context: "DISCORD_TOKEN={}")
      ]),
    PatternRule(
      id: "discord-webhook-url", description: "Discord webhook URL", severity: .high, keywords: ["/api/webhooks/"],
      pattern: #"discord(?:app)?\.com/api/webhooks/(\d{17,20}/[A-Za-z0-9_-]{60,70})\b"#, secretGroup: 1,
      positives: [
        "WEBHOOK=https://discord.com/api/webhooks/8075149371161928947/jPTHGfoj2fkYxDKHcZp4U64kER9EG3BWX96oSS6mmyfo4_M-cSr9q8poG4BooXZPhvsr"
      ],
      negatives: ["WEBHOOK=https://discord.com/api/webhooks/{id}/{token}"],
      shapes: [
        TokenShape(
          [
            .literal("https://discordapp.com/api/webhooks/"), .random(alphabet: TokenShape.digits, count: 18),
            .literal("/"), .random(alphabet: TokenShape.alnum, count: 68),
          ], context: "hook = '{}'")
      ]),
    .keyed(
      "discord-client-secret", "Discord OAuth client secret", .high, words: ["discord"], [.run(.base64url, 32)],
      qualifier: "secret", entropy: 3.5, context: "DISCORD_CLIENT_SECRET={}",
      positives: ["DISCORD_CLIENT_SECRET=biOc7D6qN9NYtOKQiEfMab029tf_pNx8"], negatives: ["DISCORD_CLIENT_SECRET="]),
    PatternRule(
      id: "telegram-bot-token", description: "Telegram bot API token", severity: .high, keywords: [":aa"],
      pattern: #"(?<![0-9])(\d{8,10}:AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])"#, secretGroup: 1, entropy: 3.5,
      positives: [
        "TELEGRAM_BOT_TOKEN=9524434056:AADokIrYGtt5NvTOAwKoXxCNL4pAsFCLr0M",
        "https://api.telegram.org/bot099383201:AAxi_VqiukSXLS7TEPLTiaoGrIdR24q4PHu/getMe",
      ],
      negatives: ["TELEGRAM_BOT_TOKEN=123456789:AA-your-token", "time 12345678:AAB"],
      shapes: [
        TokenShape(
          [
            .random(alphabet: TokenShape.digits, count: 10), .literal(":AA"),
            .random(alphabet: TokenShape.base64url, count: 33),
          ], context: "BOT_TOKEN={}")
      ]),
    .prefixed(
      "twilio-api-key", "Twilio API key SID", .high, [.lit("SK"), .run(.hex, 32)], keywords: ["sk"],
      positives: ["TWILIO_API_KEY=SKfb8a9ae2ee3b9a11fb44474bda6d2d6d"],
      negatives: ["TWILIO_API_KEY=SK27d6cafc693d672a", "SKU list"]),
    .keyed(
      "twilio-auth-token", "Twilio auth token or API key secret", .high, words: ["twilio"], [.run(.hex, 32)],
      qualifier: "token|secret", context: "TWILIO_AUTH_TOKEN={}",
      positives: ["TWILIO_AUTH_TOKEN=c91449add848bb9df205c4d3c492e22a"],
      negatives: ["TWILIO_ACCOUNT_SID=ACe8ee1566536e91b0d46e12be3252d81d"]),
    .prefixed(
      "sendgrid-api-key", "SendGrid API key", .high,
      [.lit("SG."), .run(.base64url, 22), .lit("."), .run(.base64url, 43)],
      positives: ["SENDGRID_API_KEY=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"],
      negatives: ["SENDGRID_API_KEY=SG.xxxx", "SG.Kk2KlNX0Ka0uuGmMc4uCg0"]),
    .prefixed(
      "mailgun-private-key", "Mailgun private API key", .high, [.lit("key-"), .run(.hex, 32)],
      positives: ["MAILGUN_API_KEY=key-50db9631ea6b9a1359dbcd610a95b792"],
      negatives: ["MAILGUN_API_KEY=key-8b61fbbb862c", "primary key-value store"]),
    .keyed(
      "mailgun-api-key", "Mailgun API key (current format)", .high, words: ["mailgun"],
      [.run(.hex, 32), .lit("-"), .run(.hex, 8), .lit("-"), .run(.hex, 8)], context: "MAILGUN_API_KEY={}",
      positives: ["MAILGUN_API_KEY=c814dd4a991584d589e3679c82a6d5b7-17616853-ad89cf82"],
      negatives: ["MAILGUN_DOMAIN=mg.example.org"]),
    .keyed(
      "mailgun-webhook-signing-key", "Mailgun webhook signing key", .high, words: ["mailgun"], [.run(.hex, 32)],
      qualifier: "signing|webhook", context: "MAILGUN_WEBHOOK_SIGNING_KEY={}",
      positives: ["MAILGUN_WEBHOOK_SIGNING_KEY=a0d53caf2a26a2e69f170a1d39b922e8"],
      negatives: ["MAILGUN_WEBHOOK_SIGNING_KEY=f9ebeef93e"]),
    .prefixed(
      "mailchimp-api-key", "Mailchimp API key", .high, [.run(.hex, 32), .lit("-us"), .run(.digits, 1, 2)],
      keywords: ["-us"],
      positives: [
        "MAILCHIMP_API_KEY=0254c2fb11deac8513171410e87b2e95-us21",
        "mailchimp_key: f6d8743a61ce5f870c15cd75ee0f51e9-us6",
      ],
      negatives: ["MAILCHIMP_API_KEY=<key>-us21", "en-us1 locale"]),
    .keyed(
      "mandrill-api-key", "Mandrill (Mailchimp Transactional) API key", .high, words: ["mandrill"],
      [.run(.base64url, 22)], qualifier: "key", entropy: 3.5, context: "MANDRILL_API_KEY={}",
      positives: ["MANDRILL_API_KEY=HmOnFlUgIVOpZ3lL6N3Sk9"], negatives: ["MANDRILL_API_KEY="]),
    .keyed(
      "postmark-server-token", "Postmark server or account API token", .high, words: ["postmark"], Seg.uuid,
      context: "POSTMARK_SERVER_TOKEN={}",
      positives: [
        "POSTMARK_SERVER_TOKEN=2cf82a0f-33cf-0d8b-415b-5ea41804d763",
        "postmark_api_token: \"4b99e45f-61bf-bc2c-d9a4-ca52528329c4\"",
      ],
      negatives: ["POSTMARK_SERVER_TOKEN=POSTMARK_API_TEST"]),
    .prefixed(
      "brevo-api-key", "Brevo (Sendinblue) API key", .high,
      [.lit("xkeysib-"), .run(.hex, 64), .lit("-"), .run(.alnum, 16)],
      positives: [
        "BREVO_API_KEY=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"
      ], negatives: ["BREVO_API_KEY=xkeysib-62c30edcc07c"]),
    .prefixed(
      "brevo-smtp-key", "Brevo (Sendinblue) SMTP key", .high,
      [.lit("xsmtpsib-"), .run(.hex, 64), .lit("-"), .run(.alnum, 16)],
      positives: [
        "SMTP_PASSWORD=xsmtpsib-e767a0ba19a3c2ea4c3b82919db9208c633518f7dd8e8467719d1479fe0a6bc6-bZOPZdPBJkpVYk0s"
      ], negatives: ["SMTP_PASSWORD=xsmtpsib-"]),
    .keyed(
      "mailjet-api-secret", "Mailjet API secret key", .high, words: ["mailjet", "mj_apikey"], [.run(.hex, 32)],
      qualifier: "secret|private", keywords: ["mailjet", "mj_apikey"], context: "MAILJET_API_SECRET={}",
      positives: [
        "MAILJET_API_SECRET=b0661af73398ba665a95cfe45b0e340c", "MJ_APIKEY_PRIVATE=e442c6362ee64a42827cbd5386c62943",
      ], negatives: ["MAILJET_API_SECRET=f816b50922bfd7240930"]),
    .keyed(
      "mattermost-access-token", "Mattermost personal access or bot token", .high, words: ["mattermost"],
      [.run(.lowerAlnum, 26)], qualifier: "token|key", entropy: 3.0, context: "MATTERMOST_TOKEN={}",
      positives: ["MATTERMOST_TOKEN=rrbbmmvxb5ngsjc2zkrlgyooev"], negatives: ["MATTERMOST_URL=https://chat.example.org"]
    ),
    PatternRule(
      id: "microsoft-teams-webhook-url", description: "Microsoft Teams incoming webhook URL", severity: .high,
      keywords: ["webhook.office.com", "outlook.office.com"],
      pattern:
        #"https://[a-z0-9-]{1,40}\.webhook\.office\.com/webhookb2/[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36}(?:/[A-Za-z0-9_-]{30,60})?"#,
      positives: [
        "TEAMS_WEBHOOK=https://acme.webhook.office.com/webhookb2/61384fd9-9ed1-6dbf-887f-8f8ef1f450d7@0728567a-e1b7-d803-ee91-b233f3758457/IncomingWebhook/0ab35d83e05be5222e53c06f978d12ba/475f57de-d2ce-7e75-7f7f-d4537ccdffd8"
      ],
      negatives: ["TEAMS_WEBHOOK=https://acme.webhook.office.com/webhookb2/<id>"],
      shapes: [
        TokenShape(
          [
            .literal("https://contoso.webhook.office.com/webhookb2/1b2c3d4e-0000-4000-8000-"),
            .random(alphabet: TokenShape.hexLower, count: 12),
            .literal("@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/"),
            .random(alphabet: TokenShape.hexLower, count: 32), .literal("/9e8d7c6b-5a49-4838-a726-"),
            .random(alphabet: TokenShape.hexLower, count: 12),
          ], context: "url = \"{}\"")
      ]),
    PatternRule(
      id: "azure-logic-app-webhook-url", description: "Power Automate / Logic Apps HTTP trigger URL with its signature",
      severity: .high, keywords: ["logic.azure.com"],
      pattern:
        #"logic\.azure\.com(?::443)?/workflows/[0-9a-f]{32}/triggers/[\w.-]{1,64}/paths/invoke\?[\w%&=.-]{0,200}?\bsig=([A-Za-z0-9_-]{43})"#,
      secretGroup: 1,
      positives: [
        "https://prod-12.westus.logic.azure.com:443/workflows/76923fd7f1b1275e275a8d1afd1b6ee4/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=UIUoaZ0bVGuhS2spMfBuDynmrERye6ocevb_A266TvW"
      ],
      negatives: ["https://prod-12.westus.logic.azure.com/workflows/<id>/triggers/manual/paths/invoke?sig=<sig>"],
      shapes: [
        TokenShape(
          [
            .literal("https://prod-01.eastus.logic.azure.com:443/workflows/"),
            .random(alphabet: TokenShape.hexLower, count: 32),
            .literal("/triggers/manual/paths/invoke?api-version=2016-06-01&sig="),
            .random(alphabet: TokenShape.base64url, count: 43),
          ], context: "FLOW_URL={}")
      ]),
    PatternRule(
      id: "zapier-webhook-url", description: "Zapier catch hook URL", severity: .medium, keywords: ["hooks.zapier.com"],
      pattern: #"hooks\.zapier\.com/hooks/catch/(\d{5,10}/[a-z0-9]{6,10})\b"#, secretGroup: 1,
      positives: ["ZAP_URL=https://hooks.zapier.com/hooks/catch/96903440/4g8i5t6/"],
      negatives: ["ZAP_URL=https://hooks.zapier.com/hooks/catch/<id>/"],
      shapes: [
        TokenShape(
          [
            .literal("https://hooks.zapier.com/hooks/catch/"), .random(alphabet: TokenShape.digits, count: 7),
            .literal("/"), .random(alphabet: Charset.lowerAlnum.chars, count: 7),
          ], context: "hook: {}")
      ]),
    PatternRule(
      id: "google-chat-webhook-url", description: "Google Chat incoming webhook URL", severity: .high,
      keywords: ["chat.googleapis.com"],
      pattern:
        #"chat\.googleapis\.com/v1/spaces/[A-Za-z0-9_-]{8,16}/messages\?key=AIza[A-Za-z0-9_-]{35}&token=([A-Za-z0-9_%=-]{40,60})"#,
      secretGroup: 1,
      positives: [
        "https://chat.googleapis.com/v1/spaces/AAAA5hqPFyc/messages?key=AIzam1DAAgfuhq_i5jFSUDHS7x5CyGM51grpZBl&token=DYdpeuWfLmOBnDe1IWdaHlZJaBElva288-loyCsuDDK%3D"
      ],
      negatives: ["https://chat.googleapis.com/v1/spaces/SPACE/messages?key=KEY&token=TOKEN"],
      shapes: [
        TokenShape(
          [
            .literal("https://chat.googleapis.com/v1/spaces/AAAAb1c2d3e/messages?key=AIza"),
            .random(alphabet: TokenShape.base64url, count: 35), .literal("&token="),
            .random(alphabet: TokenShape.base64url, count: 43),
          ], context: "url = '{}'")
      ]),
    .prefixed(
      "intercom-access-token", "Intercom access token", .high, [.lit("dG9rO"), .run(.base64, 50, 60)],
      keywords: ["dg9ro"],
      positives: ["INTERCOM_ACCESS_TOKEN=dG9rOcWHRYEAOw/wY7UOXZux0nOSYXyn8lrOkmBWZqCY6p8T29qCjuA9q5KQ="],
      negatives: ["INTERCOM_ACCESS_TOKEN=dG9rO6Fcv3hVacr"]),
    .keyed(
      "pusher-app-secret", "Pusher Channels app secret", .high, words: ["pusher"], [.run(.hex, 20)],
      qualifier: "secret", context: "PUSHER_APP_SECRET={}",
      positives: ["PUSHER_APP_SECRET=495c6553b8a8c7233ad1"], negatives: ["PUSHER_APP_KEY=public"]),
    .keyed(
      "vonage-api-secret", "Vonage (Nexmo) API secret", .high, words: ["vonage", "nexmo"], [.run(.alnum, 16)],
      qualifier: "secret", entropy: 3.0, context: "VONAGE_API_SECRET={}",
      positives: ["VONAGE_API_SECRET=S4tBGa68V2LLZwuH", "NEXMO_API_SECRET=r4A2J3b6qxtrcoaC"],
      negatives: ["VONAGE_API_SECRET=secret"]),
    .keyed(
      "messagebird-api-key", "MessageBird (Bird) API key", .high, words: ["messagebird", "message_bird"],
      [.run(.alnum, 25)], qualifier: "key|token", entropy: 3.0, context: "MESSAGEBIRD_API_KEY={}",
      positives: ["MESSAGEBIRD_API_KEY=zmwvApO1y72zeAYkFj9yNG7nB"], negatives: ["MESSAGEBIRD_API_KEY="]),
    .keyed(
      "plivo-auth-token", "Plivo auth token", .high, words: ["plivo"], [.run(.alnum, 40)], qualifier: "token|secret",
      entropy: 3.5, context: "PLIVO_AUTH_TOKEN={}",
      positives: ["PLIVO_AUTH_TOKEN=UVuJPWxw9CKcob1vyQy9OkaYeZYb3yNc37yPbl4K"],
      negatives: ["PLIVO_AUTH_ID=MA7JA61K0WLFFVJYIBEW"]),
    .keyed(
      "line-channel-access-token", "LINE Messaging API channel access token", .high, words: ["line_channel"],
      [.run(.base64, 150, 180), .lit("=")], qualifier: "token|secret",
      context: "LINE_CHANNEL_ACCESS_TOKEN={}",
      positives: [
        "LINE_CHANNEL_ACCESS_TOKEN=erZNp6jV0xw5DSlZEzWwqsh7vebfGipjkMENS8ZCbaIahJzI4TrgLKHirOSH+A9UK9e+t7tAmhty7qF7TidNnuDrbpwA445hXRnmMro7xz3LYCMwulBKM4dxCb/OP3qtZoJFIIZXgF8kKvRFF2pm8fuRIagbiA0PcfKvlcH6jkm="
      ], negatives: ["LINE_CHANNEL_ACCESS_TOKEN=GKVAI3Gp1flKZFy/+hUQ="]),
    .keyed(
      "zulip-api-key", "Zulip bot or user API key", .high, words: ["zulip"], [.run(.alnum, 32)], qualifier: "key",
      entropy: 3.5, context: "ZULIP_API_KEY={}",
      positives: ["ZULIP_API_KEY=hyRXzRdSMGsT0ztyxCsFEPNREvSagbK8"], negatives: ["ZULIP_SITE=https://chat.zulip.org"]),
    .keyed(
      "webex-access-token", "Webex bot or integration access token", .high, words: ["webex"],
      [.run(.alnum, 64), .lit("_"), .run(.alnum, 4), .lit("_")] + Seg.uuid,
      qualifier: "token", context: "WEBEX_ACCESS_TOKEN={}",
      positives: [
        "WEBEX_ACCESS_TOKEN=D5n6HVrFFZq4YYqpRGeLRvbHpdRgN8Jp2bS1NPELhq8xY8QWtgElQo2ytw6Ntzf2_PF84_0b90bdfe-506e-c8fd-02ab-1ae1420cfcf1"
      ], negatives: ["WEBEX_ACCESS_TOKEN=<token>"]),
    .keyed(
      "sparkpost-api-key", "SparkPost API key", .high, words: ["sparkpost"], [.run(.hex, 40)],
      qualifier: "key", context: "SPARKPOST_API_KEY={}",
      positives: ["SPARKPOST_API_KEY=3d2dd28572b1d70b90a82603c5b8c55b3e9574c8"],
      negatives: ["SPARKPOST_API_KEY=bacdf1da36"]),
    .prefixed(
      "mailersend-api-token", "MailerSend API token", .high, [.lit("mlsn."), .run(.hex, 64)],
      positives: ["MAILERSEND_API_KEY=mlsn.806a9463867a465e239dc0ccc18d07a91322db447276bfafd2680080876b61b4"],
      negatives: ["MAILERSEND_API_KEY=mlsn.2e94430a"]),
    .prefixed(
      "resend-api-key", "Resend API key", .high, [.lit("re_"), .run(.alnum, 8), .lit("_"), .run(.alnum, 24)],
      positives: ["RESEND_API_KEY=re_7484fOUg_6WmIVOPRS5sVthFXVL4j7j1d"],
      negatives: ["RESEND_API_KEY=re_123", "re_init_function"]),
    .prefixed(
      "onesignal-api-key", "OneSignal REST API key", .high,
      [.lit("os_v2_"), .run(.lower, 3), .lit("_"), .run(.lowerAlnum, 100, 120)], keywords: ["os_v2_"],
      positives: [
        "ONESIGNAL_API_KEY=os_v2_app_o2sp7fhuxpbm8in5icqt9pzen3ro91q34ee9rrin9oknqqbhtwyxp0zchkc2p84qwy7z5g8wyycoz15ntvdkjmtfd3m7tumn00donm2gs1nqa99ef"
      ], negatives: ["ONESIGNAL_API_KEY=os_v2_app_kk222kz3roqr"]),
    .keyed(
      "gitter-access-token", "Gitter access token", .medium, words: ["gitter"], [.run(.hex, 40)],
      context: "GITTER_TOKEN={}",
      positives: ["GITTER_TOKEN=858e53c50965b1e0a6412af9fcab60d44d409d4b"], negatives: ["GITTER_ROOM=acme/lobby"]),
  ]
}
