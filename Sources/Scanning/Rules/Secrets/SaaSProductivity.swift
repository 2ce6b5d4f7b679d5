// Productivity and business SaaS: Atlassian, Linear, Notion, Airtable, Asana, Dropbox, Figma,
// Trello, ClickUp, Zendesk, HubSpot, Salesforce, Typeform and similar.

import GateCore

extension SecretRules {
  static let saasProductivityRules: [PatternRule] = [
    .prefixed(
      "atlassian-api-token", "Atlassian (Jira, Confluence) API token", .high,
      [.lit("ATATT3"), .run(.base64url, 150, 250), .lit("="), .run(.upperHex, 8)], keywords: ["atatt3"],
      positives: [
        "JIRA_API_TOKEN=ATATT3xFfGF0TTZjxxcioL0lTfC_clqoXLZv4_fHz_tIw4GKVoqtVoObSEarmKMkN1JpRdkYS7t4XC-GUiddZxRWC5GThBaTfTPe67SIL3STF5GIDfaJ10pLxtq--FxVxcAZsd1iz2-GV-jXP7B8tLWs5xvABUeMzX3yihXxv1Wfqsf-CQdoML=DBFB3F04"
      ], negatives: ["JIRA_API_TOKEN=ATATT3xFfGF0...", "ATATT3"]),
    .keyed(
      "atlassian-legacy-api-token", "Atlassian API token (legacy 24-character form)", .high,
      words: ["atlassian", "jira", "confluence"], [.run(.alnum, 24)], qualifier: "token|key", entropy: 3.5,
      context: "JIRA_API_TOKEN={}",
      positives: ["JIRA_API_TOKEN=GZlhlFC91nro4tofTECiFu8F", "confluence_api_key: \"Rf2MIkxHYpiQl2eKpOIhHAwf\""],
      negatives: ["JIRA_URL=https://acme.atlassian.net"]),
    .prefixed(
      "linear-api-key", "Linear personal API key", .high, [.lit("lin_api_"), .run(.alnum, 40)],
      positives: ["LINEAR_API_KEY=lin_api_9zYN8aMjgJ1rrWDbtV5QDUzogTghm8e7pMyCkNlg"],
      negatives: ["LINEAR_API_KEY=lin_api_3Rr5OiwWTx"]),
    .prefixed(
      "linear-oauth-token", "Linear OAuth access token", .high, [.lit("lin_oauth_"), .run(.hex, 64)],
      positives: ["token: lin_oauth_0341ae239c48fe97413d761d83187e00c87f48acac845159ce382eab950169fa"],
      negatives: ["token: lin_oauth_"]),
    .prefixed(
      "notion-integration-token", "Notion integration token (secret_ form)", .high,
      [.lit("secret_"), .run(.alnum, 43)], entropy: 3.5,
      positives: ["NOTION_TOKEN=secret_eS3ZeK9xqRv5vRV22oZ5DMTZXOA2mVJeF4cW7bZzsPW"],
      negatives: ["NOTION_TOKEN=secret_Ja9CVmbDb7", "top secret_value"]),
    .prefixed(
      "notion-api-token", "Notion API token (ntn_ form)", .high, [.lit("ntn_"), .run(.digits, 11), .run(.alnum, 35)],
      positives: ["NOTION_TOKEN=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"],
      negatives: ["NOTION_TOKEN=ntn_48908537226"]),
    .prefixed(
      "airtable-personal-access-token", "Airtable personal access token", .high,
      [.lit("pat"), .run(.alnum, 14), .lit("."), .run(.hex, 64)], keywords: ["pat"],
      positives: ["AIRTABLE_TOKEN=pata2DpAXOAFP5ytd.9e45cef94fab9d2f305fba1fcf83c95b39b62bd6ae209b1e8d874e054d8a10f3"],
      negatives: ["AIRTABLE_TOKEN=patOPmqbfiNTDKity", "path.join(dir)"]),
    .keyed(
      "airtable-api-key", "Airtable API key (legacy key form)", .high, words: ["airtable"],
      [.lit("key"), .run(.alnum, 14)],
      qualifier: "key", context: "AIRTABLE_API_KEY={}",
      positives: ["AIRTABLE_API_KEY=key8rNjbTm06nlUn8"], negatives: ["AIRTABLE_BASE_ID=appyfaYTqpJ91263N"]),
    PatternRule(
      id: "asana-personal-access-token", description: "Asana personal access token", keywords: ["asana"],
      pattern:
        #"(?i)asana[\w.-]{0,25}?['"]?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}['"`]?([12]/\d{12,20}(?:/\d{12,20})?:[0-9a-f]{32})\b"#,
      secretGroup: 1,
      positives: [
        "ASANA_PAT=2/7008586922738146/4490316134676897:4c59bd86ab55c6ca8f58a4db87f10cb9",
        "asana_token: \"1/6119082297791190:29163220de4dc3ab73acd7a062ce04a2\"",
      ],
      negatives: ["ASANA_PAT=<token>", "ASANA_WORKSPACE=6868395165949089"],
      shapes: [
        TokenShape(
          [
            .literal("2/"), .random(alphabet: TokenShape.digits, count: 16), .literal("/"),
            .random(alphabet: TokenShape.digits, count: 16), .literal(":"),
            .random(alphabet: TokenShape.hexLower, count: 32),
          ], context: "ASANA_ACCESS_TOKEN={}")
      ]),
    PatternRule(
      id: "dropbox-access-token", description: "Dropbox short-lived access token", keywords: ["sl."],
      pattern: #"\bsl\.(?:u\.)?[A-Za-z0-9_-]{130,1200}"#, entropy: 4.0,
      positives: [
        "DROPBOX_TOKEN=sl.BNAIp1JgA7-FrB2s_mzPLM-AovGYhC84Lr8q9RqtFstNOhmLRRbnhoTBRgyDH619Hky4ZAHXnYPJApUvob_FmJbDh02hf8RxvDW9Z9UGazyQ5zMr5wx3TZduCjRj5i2TsXtJ2lsGjjgeR",
        "DROPBOX_TOKEN=sl.u.pUyAKiWtEvDrPEsdatUlVhdbJMSWrk-qALU-Im8HS-gFrFIMsHF8k0C_bCjupPIiGtZHff4i6kSd4XPhoaYPuB4GZlvilfsSlf-OvJjFHZC_GQEkZu0HzGDDf72JvNKgnlwFpOXZsjX5QAo7fTbuDzGbYN27IYpVspog-p2mgkHIX_3XvIYcvpltNLhBSLgvsYMctvtbldzHJpxvbrcC1KDToGzm_XX6_RqpJCzKfglt7PpYo81ceFuYhAdtCd-DEbzM9gYUdUJUcuoDtzyCqV5ewNBw95356A4bHLTzsrBb",
      ],
      negatives: ["DROPBOX_TOKEN=sl.f_V7tKhSddfoS4QZCz_B", "see sl.example.com"],
      shapes: [TokenShape([.literal("sl.B"), .random(alphabet: TokenShape.base64url, count: 135)], context: "T={}")]),
    .keyed(
      "dropbox-long-lived-token", "Dropbox long-lived access token", .high, words: ["dropbox"],
      [.run(.lowerAlnum, 11), .lit("AAAAAAAAAA"), .run(.base64url, 43)], qualifier: "token|key",
      context: "DROPBOX_ACCESS_TOKEN={}",
      positives: ["DROPBOX_ACCESS_TOKEN=q49o05wpszmAAAAAAAAAATJMPAMkYPDeAMuajST8B53qPocRgfAqfMU9-Wx9bmx0"],
      negatives: ["DROPBOX_APP_KEY=6g6pxwifrywyrgb"]),
    .prefixed(
      "figma-personal-access-token", "Figma personal access token", .high, [.lit("figd_"), .run(.base64url, 40)],
      positives: ["FIGMA_TOKEN=figd_LDr3Ezmg0x5j4IgA9YdY8JTQ1arWg5Co4O2b-xNu"], negatives: ["FIGMA_TOKEN=figd_"]),
    .prefixed(
      "trello-token", "Trello (Atlassian) API token", .high, [.lit("ATTA"), .run(.hex, 64), .run(.upperHex, 8)],
      positives: ["TRELLO_TOKEN=ATTA281948ab0c87f4339f7907326117ab9004cb04b62ac8544d01aa1632bbcce9f45D74E7B6"],
      negatives: ["TRELLO_TOKEN=ATTA3ef818f69a"]),
    .keyed(
      "trello-api-key", "Trello API key with token secret", .medium, words: ["trello"], [.run(.hex, 32)],
      qualifier: "key|secret", context: "TRELLO_API_KEY={}",
      positives: ["TRELLO_API_KEY=cd034ada03eb8797a8c27a84b0263021"], negatives: ["TRELLO_BOARD=aq2d0Pa8"]),
    .prefixed(
      "clickup-api-token", "ClickUp personal API token", .high,
      [.lit("pk_"), .run(.digits, 6, 10), .lit("_"), .run(.upperAlnum, 32)], keywords: ["pk_"],
      positives: ["CLICKUP_TOKEN=pk_79507059_0APYMCKYD40XWD4X7XSA1IJRDSXYWZQI"], negatives: ["CLICKUP_TOKEN=pk_123_ABC"]
    ),
    .keyed(
      "zendesk-api-token", "Zendesk API token", .high, words: ["zendesk"], [.run(.alnum, 40)],
      qualifier: "token|key", entropy: 3.5, context: "ZENDESK_API_TOKEN={}",
      positives: ["ZENDESK_API_TOKEN=tCcsldLebUGie3MczozVDR2iAZbF4A0GTAxaxhLX"], negatives: ["ZENDESK_SUBDOMAIN=acme"]),
    .keyed(
      "freshdesk-api-key", "Freshdesk API key", .high, words: ["freshdesk"], [.run(.alnum, 20)], qualifier: "key",
      entropy: 3.0, context: "FRESHDESK_API_KEY={}",
      positives: ["FRESHDESK_API_KEY=vTCHrpTT1wlna5KCn8bE"], negatives: ["FRESHDESK_DOMAIN=acme.freshdesk.com"]),
    PatternRule(
      id: "hubspot-private-app-token", description: "HubSpot private app access token",
      keywords: ["pat-na1-", "pat-eu1-", "pat-na2-", "pat-ap1-"],
      pattern: #"\bpat-(?:na|eu|ap)[12]-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"#,
      positives: [
        "HUBSPOT_TOKEN=pat-na1-f2022140-fe6e-d5a5-9c68-3dc5964d0503",
        "HUBSPOT_TOKEN=pat-eu1-1b55f9f6-3787-ca22-2d51-566a0fc6e5fa",
      ], negatives: ["HUBSPOT_TOKEN=pat-na1-1234"],
      shapes: [TokenShape([.literal("pat-na1-")] + Seg.uuid.map(\.shapePart), context: "HUBSPOT={}")]),
    .keyed(
      "hubspot-api-key", "HubSpot API key (legacy hapikey)", .high, words: ["hubspot", "hapikey"], Seg.uuid,
      qualifier: "", context: "HUBSPOT_API_KEY={}",
      positives: [
        "HUBSPOT_API_KEY=c5a4cea1-641d-d0bb-6111-7df0ac431a94", "hapikey=34f3794e-adf6-5611-f86b-68ddda4c31db",
      ], negatives: ["HUBSPOT_PORTAL_ID=123456"]),
    PatternRule(
      id: "salesforce-access-token", description: "Salesforce session or OAuth access token",
      keywords: ["00d"], pattern: #"\b(00D[A-Za-z0-9]{12,15}![A-Za-z0-9_.]{80,120})"#, secretGroup: 1, entropy: 4.0,
      positives: [
        "SF_ACCESS_TOKEN=00DKO5fM4qrmN4XYt6!AQuRNGT9tP75T4ZMOjYGDDJPtTNpIKSK7SVtFUj3ePrRqJ6WpyEPjxnERg4ZHvIeV4AnbkoU86O8HgdsdYOzZ1IW9u1UkAqS"
      ], negatives: ["SF_ORG_ID=00DLkwVuWEqUEuv0fo"],
      shapes: [
        TokenShape(
          [
            .literal("00D"), .random(alphabet: TokenShape.alnum, count: 15), .literal("!AR"),
            .random(alphabet: TokenShape.alnum, count: 96),
          ], context: "sid={}")
      ]),
    .keyed(
      "salesforce-consumer-secret", "Salesforce connected app consumer secret", .high,
      words: ["salesforce", "sfdc", "sf_"], [.run(.upperHex, 64)], qualifier: "secret",
      keywords: ["salesforce", "sfdc", "sf_"], context: "SALESFORCE_CONSUMER_SECRET={}",
      positives: ["SALESFORCE_CONSUMER_SECRET=940629CB25DBAA2A87F477FC81027ADA0A0DFECD762DBEC95F0A428E32E6F887"],
      negatives: ["SALESFORCE_CONSUMER_KEY=3MVG97vHqJhGcCTBOnUFbG3ZF"]),
    .prefixed(
      "typeform-api-token", "Typeform personal access token", .high, [.lit("tfp_"), .run(.base64url, 59)],
      positives: ["TYPEFORM_TOKEN=tfp_gy9IljqhKYQVdKvqcOomOGA_7qcjhMVIUBB658iKaK2PVL-XRi1JKPTM2Pt"],
      negatives: ["TYPEFORM_TOKEN=tfp_"]),
    .keyed(
      "monday-api-token", "monday.com API token", .high, words: ["monday"],
      [
        .lit("eyJ"), .run(.base64url, 10, 300), .lit("."), .run(.base64url, 100, 400), .lit("."),
        .run(.base64url, 20, 60),
      ],
      qualifier: "token|key", context: "MONDAY_API_TOKEN={}",
      positives: [
        "MONDAY_API_TOKEN=eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiO163RgpF-LiQUL7pU2i4B5sC3_ZKTs2peAy2NZvf6gcC7i1RSzExFIPnEXSaEnJv5p9Brceovpae580zt0vOmYDN5aT2quCfNmK34myPRARRtyyYUP1oiQMx_5SeDKyheDQPWCBkvi1UHLztebe-ynO.LnJDInjHyaTsX2Rr8r9QvFEh7jBD5C1TCiaZ060AiNq"
      ],
      negatives: ["MONDAY_BOARD_ID=123456"]),
    .keyed(
      "smartsheet-access-token", "Smartsheet API access token", .high, words: ["smartsheet"], [.run(.alnum, 26, 37)],
      qualifier: "token|key", entropy: 3.5, context: "SMARTSHEET_ACCESS_TOKEN={}",
      positives: ["SMARTSHEET_ACCESS_TOKEN=dZiD6bD9e7x4lr9zp2XBCFDKrlESt5j3zESpS"],
      negatives: ["SMARTSHEET_SHEET_ID=123"]),
    .keyed(
      "box-developer-token", "Box developer token or client secret", .high, words: ["box_", "box-"],
      [.run(.alnum, 32)], qualifier: "token|secret", keywords: ["box_", "box-"], entropy: 3.5,
      context: "BOX_CLIENT_SECRET={}",
      positives: ["BOX_DEVELOPER_TOKEN=ccFtdjn6jOoaHxw5ior0sMkFDjGbsPGV"], negatives: ["BOX_ENTERPRISE_ID=123456"]),
    .keyed(
      "zoom-client-secret", "Zoom OAuth or Server-to-Server client secret", .high, words: ["zoom"],
      [.run(.alnum, 32)], qualifier: "secret", entropy: 3.5, context: "ZOOM_CLIENT_SECRET={}",
      positives: ["ZOOM_CLIENT_SECRET=EjuasHNoOe8dXxUOmH6u06SM00FiHyWc"],
      negatives: ["ZOOM_ACCOUNT_ID=E7Tmlj10kd8Y9DSYXqRrHM"]),
    .keyed(
      "docusign-integration-secret", "DocuSign integration secret key", .high, words: ["docusign"], Seg.uuid,
      qualifier: "secret", context: "DOCUSIGN_SECRET_KEY={}",
      positives: ["DOCUSIGN_SECRET_KEY=09794a14-05cc-41b1-a4e8-06e7fd175985"],
      negatives: ["DOCUSIGN_ACCOUNT_ID=4a64ad6d-5fa4-e882-dfec-bf4f96b5e9d8"]),
    .keyed(
      "calendly-api-token", "Calendly personal access token", .high, words: ["calendly"],
      [
        .lit("eyJ"), .run(.base64url, 10, 300), .lit("."), .run(.base64url, 100, 600), .lit("."),
        .run(.base64url, 20, 100),
      ],
      qualifier: "token|key", context: "CALENDLY_TOKEN={}",
      positives: [
        "CALENDLY_TOKEN=eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0MDIzZjdjMzJiZTgzNDliMjM4MDEzNWI0IiwidHlwIjoiUEFUIiwiYWxnIjoiRVMyNTYifQ.eyJMn5J44ZWFN0SCQaa5Zy1QUvSUqJ8UNZoq1XYUNLEYKrRMe_RGEuEUQIH1G0ayqsyc_93OpUQ3LpWWZujaO6W3kRY9UhkMoGV7TIcDiur1FW-mRaLds1sNE4xHLnoNO3DX0AOlw8Oxdmx.8nSMweFmvSlj1iDBoW6Dh8WZ-Z8fnoY58fUWAF5f6qOuv94bYatSKWD0ZePJTA9bPRutJkwSBlbGF65x12nBrT"
      ],
      negatives: ["CALENDLY_URL=https://calendly.com/acme"]),
    .keyed(
      "miro-access-token", "Miro REST API access token", .high, words: ["miro"],
      [.lit("eyJtaXJvLm9yaWdpbiI6"), .run(.base64url, 40, 80)], qualifier: "token", keywords: ["miro"],
      context: "MIRO_ACCESS_TOKEN={}",
      positives: ["MIRO_ACCESS_TOKEN=eyJtaXJvLm9yaWdpbiI6OJQWHatettwGB11NMkNs6shfgtwbmr7lZRX2KZm4khZZCKUvpz"],
      negatives: ["MIRO_BOARD=uXjV4NkfClPG"]),
    .keyed(
      "pipedrive-api-token", "Pipedrive API token", .high, words: ["pipedrive"], [.run(.hex, 40)],
      qualifier: "token|key", context: "PIPEDRIVE_API_TOKEN={}",
      positives: ["PIPEDRIVE_API_TOKEN=3c6516573623e45ee5ccba71038bde040013e91f"], negatives: ["PIPEDRIVE_DOMAIN=acme"]),
    .keyed(
      "intercom-client-secret", "Intercom app client secret", .high, words: ["intercom"], Seg.uuid,
      qualifier: "secret", context: "INTERCOM_CLIENT_SECRET={}",
      positives: ["INTERCOM_CLIENT_SECRET=7efd5ce7-0332-64d4-6fd0-3f44e2cad440"], negatives: ["INTERCOM_APP_ID=abc123"]),
    .keyed(
      "freshbooks-access-token", "FreshBooks access token", .high, words: ["freshbooks"], [.run(.hex, 64)],
      qualifier: "token|secret", context: "FRESHBOOKS_TOKEN={}",
      positives: ["FRESHBOOKS_TOKEN=d5ac33764714e377163b0d4c111885043dd30ec736ebd052e3f304b5e86a879c"],
      negatives: ["FRESHBOOKS_ACCOUNT=abc"]),
    .keyed(
      "harvest-access-token", "Harvest personal access token", .high, words: ["harvest"],
      [.run(.digits, 7), .lit("."), .lit("pt"), .lit("."), .run(.base64url, 86)], qualifier: "token",
      context: "HARVEST_ACCESS_TOKEN={}",
      positives: [
        "HARVEST_ACCESS_TOKEN=0474084.pt.RNMaXqx3eiwJOBcwp_HD--jeolXLCB-uvyjLHqLb9ACty1ohWQx_dB-zbTE_1advzzN7dfiAWuNhFay-bPnQJK"
      ], negatives: ["HARVEST_ACCOUNT_ID=123456"]),
  ]
}
