// Databases and data platforms: connection strings with passwords, and hosted database tokens
// (Supabase, PlanetScale, Neon, MongoDB Atlas, Databricks, Snowflake, Aiven, ClickHouse ...).

import GateCore

/// Passwords in connection strings that are not secrets: placeholders, templates, env lookups.
let connectionPasswordAllowlist = RuleAllowlist(
  regexes: [
    #"^(?:\$\{?[\w.:-]+\}?|%\(?[\w]+\)?s?|\{\{[^}]*\}\}|<[^>]*>|\*+|x+|\.+|_+)$"#,
    #"^(?i:password|passwd|pass|pwd|secret|changeme|admin|root|postgres|mysql|redis|guest|test|user|example|example123|xxx+|your[_-]?password|mypassword|my[_-]?pass|dbpass|db_password)$"#,
  ],
  stopwords: ["password", "changeme", "example", "placeholder"])

private func connection(
  _ id: String, _ description: String, schemes: String, keywords: [String], scheme: String,
  positives: [RuleExample], negatives: [RuleExample]
) -> PatternRule {
  PatternRule(
    id: id, description: description, severity: .high, keywords: keywords,
    pattern: #"\b(?:"# + schemes + #")://[^:/?#@\s"'`]{0,64}:([^@/?#\s"'`]{3,128})@[A-Za-z0-9._\[\]-]{1,253}"#,
    secretGroup: 1, allowlist: connectionPasswordAllowlist, positives: positives, negatives: negatives,
    shapes: [
      TokenShape(
        [
          .literal("\(scheme)://app:"), .random(alphabet: TokenShape.alnum, count: 20), .literal("@db.internal:5000/x"),
        ],
        context: "DATABASE_URL={}")
    ])
}

extension SecretRules {
  static let databaseRules: [PatternRule] = [
    connection(
      "postgres-connection-string", "PostgreSQL connection URL with a password", schemes: "postgres(?:ql)?(?:\\+\\w+)?",
      keywords: ["postgres"], scheme: "postgresql",
      positives: [
        "DATABASE_URL=postgres://app:J6UuEFx4XZvfcj84J6mZ@db.internal:5432/app",
        "engine = create_engine(\"postgresql+psycopg2://svc:G5q3sqyuwRVvNinV@10.0.0.5/orders\")",
      ],
      negatives: [
        "DATABASE_URL=postgres://user:password@localhost:5432/app", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app",
        "DATABASE_URL=postgres://localhost/app",
      ]),
    connection(
      "mysql-connection-string", "MySQL or MariaDB connection URL with a password",
      schemes: "mysql(?:x)?(?:\\+\\w+)?|mariadb", keywords: ["mysql", "mariadb"], scheme: "mysql",
      positives: [
        "DB_URL=mysql://root:3HQJBt3aowWJKdv22o@mysql.internal:3306/shop", "url: mariadb://app:d3agM7mkrlIIA7@db/app",
      ],
      negatives: ["DB_URL=mysql://root:root@localhost/shop", "DB_URL=mysql://root:<password>@localhost/shop"]),
    connection(
      "redis-connection-string", "Redis connection URL with a password", schemes: "rediss?", keywords: ["redis"],
      scheme: "rediss",
      positives: [
        "REDIS_URL=redis://:NTywRgCusRXN5yad1J3juc89@cache.internal:6379/0",
        "REDIS_URL=rediss://default:lUnR8EERPdb72OjoHL60ZEAOfE2Mvtcg@r.cloud:6380",
      ],
      negatives: ["REDIS_URL=redis://localhost:6379/0", "REDIS_URL=redis://:${REDIS_PASSWORD}@cache:6379"]),
    connection(
      "amqp-connection-string", "AMQP (RabbitMQ) connection URL with a password", schemes: "amqps?",
      keywords: ["amqp"], scheme: "amqps",
      positives: ["BROKER_URL=amqp://svc:gFoW8vjjpQmenOqGoeTz@rabbit.internal:5672/vhost"],
      negatives: ["BROKER_URL=amqp://guest:guest@localhost:5672//"]),
    connection(
      "mongodb-connection-string", "MongoDB connection URL with a password", schemes: "mongodb(?:\\+srv)?",
      keywords: ["mongodb"], scheme: "mongodb+srv",
      positives: ["MONGO_URI=mongodb+srv://app:3DWkxiEtJcP61G1PvDXH@cluster0.ab1cd.mongodb.net/prod?retryWrites=true"],
      negatives: [
        "MONGO_URI=mongodb+srv://<username>:<password>@cluster0.mongodb.net/", "MONGO_URI=mongodb://localhost",
      ]),
    connection(
      "snowflake-connection-string", "Snowflake connection URL with a password", schemes: "snowflake",
      keywords: ["snowflake://"], scheme: "snowflake",
      positives: ["SNOWFLAKE_URL=snowflake://etl:GOBmv9WEJf0JUdrsN3Ja@acme-xy12345/analytics"],
      negatives: ["SNOWFLAKE_URL=snowflake://etl:<password>@acme/analytics"]),
    connection(
      "clickhouse-connection-string", "ClickHouse connection URL with a password", schemes: "clickhouse(?:\\+\\w+)?",
      keywords: ["clickhouse://", "clickhouse+"], scheme: "clickhouse",
      positives: ["CH_URL=clickhouse://default:UWVUdG1eces6MZPlmjIq@ch.internal:9000/default"],
      negatives: ["CH_URL=clickhouse://default:@localhost:9000"]),
    connection(
      "neo4j-connection-string", "Neo4j connection URL with a password", schemes: "neo4j(?:\\+s{1,2}c?)?|bolt",
      keywords: ["neo4j", "bolt://"], scheme: "neo4j+s",
      positives: ["NEO4J_URL=neo4j+s://neo4j:rfW37MX1b5qVWd0KchON@abcd1234.databases.neo4j.io"],
      negatives: ["NEO4J_URL=neo4j://localhost:7687"]),
    connection(
      "generic-url-credentials", "URL with an embedded password (FTP, SMTP, LDAP, HTTP basic and others)",
      schemes: "https?|ftps?|sftp|smtps?|imaps?|ldaps?|ssh|git|svn|nats|kafka|mqtts?|couchbases?|cassandra",
      keywords: ["://"], scheme: "https",
      positives: [
        "REGISTRY=https://ci-bot:9wf6YhmZ2pHJMRKrodEQy7l1@artifacts.example.org/repo",
        "SMTP_URL=smtps://mailer:mIfD3nMYtFtvL3x8O1kg@smtp.example.org:465",
      ],
      negatives: ["see https://user:pass@host for the syntax", "https://example.org/path?a=b@c"]),
    PatternRule(
      id: "sqlserver-connection-string", description: "ADO.NET / SQL Server connection string with a password",
      keywords: ["password=", "pwd="],
      pattern: #"(?i)(?:server|data source|host)=[^;"'\n]{1,200};[^"'\n]{0,300}?\b(?:password|pwd)=([^;"'\s]{4,128})"#,
      secretGroup: 1, allowlist: connectionPasswordAllowlist,
      positives: ["\"Default\": \"Server=sql.internal;Database=app;User Id=svc;Password=q2IVMLPuiuOCz07htSzx;\""],
      negatives: [
        "\"Default\": \"Server=(localdb);Database=app;Trusted_Connection=True;\"",
        "Server=sql;User Id=sa;Password=${SA_PASSWORD};",
      ],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.alnum, count: 20)],
          context: "conn = \"Data Source=db01;Initial Catalog=crm;User ID=app;Password={};\"")
      ]),
    PatternRule(
      id: "jdbc-connection-password", description: "JDBC URL with a password parameter", keywords: ["jdbc:"],
      pattern: #"jdbc:[a-z0-9:]{2,30}[^\s"']{0,300}?[?&;](?i:password)=([^&;\s"']{4,128})"#, secretGroup: 1,
      allowlist: connectionPasswordAllowlist,
      positives: ["spring.datasource.url=jdbc:postgresql://db:5432/app?user=svc&password=j1xTsXaep6uAjCoyuQ"],
      negatives: ["spring.datasource.url=jdbc:postgresql://db:5432/app?user=svc&password=${DB_PASS}"],
      shapes: [
        TokenShape(
          [.random(alphabet: TokenShape.alnum, count: 18)], context: "url=jdbc:mysql://db:3306/x?user=a&password={}")
      ]),
    PatternRule(
      id: "redis-requirepass", description: "Password set by requirepass in a Redis configuration",
      keywords: ["requirepass"],
      pattern: #"(?m)^[ \t]*requirepass[ \t]+["']?([^\s"']{6,128})"#, secretGroup: 1, entropy: 2.5,
      allowlist: connectionPasswordAllowlist,
      positives: ["requirepass VjtcCmDAaplISrOWE7lWqXJL"],
      negatives: ["# requirepass foobared", "requirepass ${REDIS_PASSWORD}"],
      shapes: [TokenShape([.random(alphabet: TokenShape.alnum, count: 24)], context: "requirepass {}")]),
    PatternRule(
      id: "database-env-password", description: "Database container password variable with a literal value",
      severity: .medium, keywords: ["_password"],
      pattern:
        #"\b(?:MYSQL|MYSQL_ROOT|POSTGRES|PGPASSWORD|MARIADB|MARIADB_ROOT|MONGO_INITDB_ROOT|MSSQL_SA|SA|DB|DATABASE|REDIS|RABBITMQ_DEFAULT)_?PASSWORD[ \t]*[=:][ \t]*["']?([^\s"'$][^\s"']{7,128})"#,
      secretGroup: 1, entropy: 3.0, allowlist: connectionPasswordAllowlist,
      positives: ["      POSTGRES_PASSWORD: vdrMCkbyFsuAzyiqMkjx", "MYSQL_ROOT_PASSWORD=3RYKgYcLR6DYGdak"],
      negatives: ["      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}", "MYSQL_ROOT_PASSWORD=changeme"],
      shapes: [TokenShape([.random(alphabet: TokenShape.alnum, count: 20)], context: "DB_PASSWORD={}")]),
    .prefixed(
      "supabase-access-token", "Supabase personal access token", .high, [.lit("sbp_"), .run(.hex, 40)],
      positives: ["SUPABASE_ACCESS_TOKEN=sbp_3cc4d0fb241517e2eae3fa0837fc9aeae7e3392a"],
      negatives: ["SUPABASE_ACCESS_TOKEN=sbp_47b730c45a"]),
    .prefixed(
      "supabase-secret-key", "Supabase secret API key", .high, [.lit("sb_secret_"), .run(.base64url, 31)],
      positives: ["SUPABASE_SECRET_KEY=sb_secret_r3vumidwl9ZZGqauH8FpZUT39f7vC0A"],
      negatives: ["SUPABASE_PUBLISHABLE_KEY=sb_publishable_3ND5cShqYwjBLPwePp8xumpYZebZFvl"]),
    .keyed(
      "supabase-service-role-key", "Supabase service_role JWT", .critical, words: ["service_role", "supabase_service"],
      [
        .lit("eyJ"), .run(.base64url, 10, 300), .lit("."), .run(.base64url, 60, 400), .lit("."),
        .run(.base64url, 40, 90),
      ],
      qualifier: "", keywords: ["service_role", "supabase_service"], context: "SUPABASE_SERVICE_ROLE_KEY={}",
      positives: [
        "SUPABASE_SERVICE_ROLE_KEY=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyXwHjZLgKCClg0Xe4B7xHb_l3WEXfMtRlbErFSSbZBTOVqwStKucJkbbKyh2zdfh_mV-9zpPZy8KIp-MokhBRNgR5If_4ZCJRBqEeQL6geZHJX6qG0DBp791NiPPM7Jgm7kskAgpFjpa.M13vRWb8aimOFyCWZ3X6czWzvtmftmfYL7WMffoKU7s"
      ],
      negatives: ["SUPABASE_SERVICE_ROLE_KEY=your-service-role-key"]),
    .prefixed(
      "planetscale-api-token", "PlanetScale service token", .high, [.lit("pscale_tkn_"), .run(.base64url, 43)],
      positives: ["PLANETSCALE_SERVICE_TOKEN=pscale_tkn_rOI_wufsuLQagEpj3ZrdKXq2XT8MGfvqvchrxrR_tDi"],
      negatives: ["PLANETSCALE_SERVICE_TOKEN=pscale_tkn_"]),
    .prefixed(
      "planetscale-password", "PlanetScale database password", .high, [.lit("pscale_pw_"), .run(.base64url, 43)],
      positives: ["DATABASE_PASSWORD=pscale_pw_RalZpQwCaYKUh_gwy6I7Uz2yKDWoG3oC-ukrI-N9oLz"],
      negatives: ["DATABASE_PASSWORD=pscale_pw_wXz8G"]),
    .prefixed(
      "planetscale-oauth-token", "PlanetScale OAuth token", .high, [.lit("pscale_oauth_"), .run(.base64url, 43)],
      positives: ["token: pscale_oauth_vsC52J8ZTnLTWM4o6QfFgcYDTvaUc2ADvPm4NJ2s4nw"],
      negatives: ["token: pscale_oauth_"]),
    .prefixed(
      "neon-api-key", "Neon API key", .high, [.lit("napi_"), .run(.lowerAlnum, 64)],
      positives: ["NEON_API_KEY=napi_ovhn8jnsl8moo2hmslhl4edg9um9uwv7ijrlfog6ompnxqmglyl219xd9kufpn75"],
      negatives: ["NEON_API_KEY=napi_jqdahyevh1"]),
    .keyed(
      "mongodb-atlas-private-key", "MongoDB Atlas API private key", .high, words: ["atlas", "mongodb"], Seg.uuid,
      qualifier: "private|secret", context: "MONGODB_ATLAS_PRIVATE_KEY={}",
      positives: [
        "MONGODB_ATLAS_PRIVATE_KEY=bffc29d2-2564-1466-c6bc-6144fc53903e",
        "atlas_private_key: \"e9a146de-61d9-33c9-2c99-df9062007b9a\"",
      ],
      negatives: ["MONGODB_ATLAS_PUBLIC_KEY=607i3p72"]),
    .prefixed(
      "mongodb-atlas-service-account-secret", "MongoDB Atlas service account client secret", .high,
      [.lit("mdb_sa_sk_"), .run(.base64url, 40, 60)],
      positives: ["MONGODB_ATLAS_CLIENT_SECRET=mdb_sa_sk_sa-d4imE4QcS0IsIwbdz33JJh-DlmE1Oc9sTGTexT8q_"],
      negatives: ["MONGODB_ATLAS_CLIENT_ID=mdb_sa_id_7e3dc6da1e0251628b932e23"]),
    .prefixed(
      "databricks-access-token", "Databricks personal access token", .high,
      [.lit("dapi"), .run(.hex, 32)],
      positives: [
        "DATABRICKS_TOKEN=dapi26e7c7fdc18556768b9ded79fc489549",
        "host = dbc-1234.cloud.databricks.com token = dapi59e1166707bcbbae45e2659b073dc000-2",
      ],
      negatives: ["DATABRICKS_TOKEN=dapib3d9b799", "dapi is the prefix"]),
    .keyed(
      "snowflake-password", "Snowflake account password", .high, words: ["snowflake", "snowsql"],
      [.run(.base64, 12, 64)],
      qualifier: "pass|pwd", entropy: 3.5, context: "SNOWFLAKE_PASSWORD={}",
      positives: ["SNOWFLAKE_PASSWORD=9TUfNF9x1IllGX2Komen", "SNOWSQL_PWD=cUwEj0j7yDV1QYaN"],
      negatives: ["SNOWFLAKE_PASSWORD=$SNOWFLAKE_PASSWORD"]),
    .keyed(
      "snowflake-programmatic-token", "Snowflake programmatic access token", .high, words: ["snowflake"],
      [
        .lit("eyJ"), .run(.base64url, 10, 300), .lit("."), .run(.base64url, 60, 600), .lit("."),
        .run(.base64url, 40, 400),
      ],
      qualifier: "token|pat", context: "SNOWFLAKE_TOKEN={}",
      positives: [
        "SNOWFLAKE_PAT=eyJraWQiOiIxSM9A2dGy6067kCXGoA3x.eyJiD8aLe4hAQ6c_uINPx-QS6XUFF75F92Tt0UEz3J73PC01Xil5iFzzMz8rwWK2nCN01QG6d8L96kIpFzyk-qWwSkHxXFLuZp-xxV3sOQ94MIMqtjyIhVVY4XL.Eew6YULg7xArWG6DyS0P6xoEHTtRWPw6Ya4FRgC1_pBsALBxAdyKjRCOW9NbS4S08uwpgRxzTZFX9VgGmlaaLr"
      ], negatives: ["SNOWFLAKE_TOKEN=eyJ.."]),
    .prefixed(
      "aiven-service-password", "Aiven service password or token", .high, [.lit("AVNS_"), .run(.base64url, 21)],
      positives: ["AIVEN_PASSWORD=AVNS_RnvQ8_jHV_oT9xU8vwUpM"], negatives: ["AIVEN_PASSWORD=AVNS_"]),
    .prefixed(
      "clickhouse-cloud-secret", "ClickHouse Cloud API key secret", .high, [.lit("4b1d"), .run(.alnum, 38)],
      keywords: ["4b1d"],
      positives: ["CLICKHOUSE_KEY_SECRET=4b1deGEQvhOzYCEPJ483gQ0EkdRld7hzquXDzCYnf3"],
      negatives: ["CLICKHOUSE_KEY_SECRET=4b1dN2PzHjdA"]),
    .keyed(
      "fauna-secret", "Fauna database secret", .high, words: ["fauna"], [.lit("fn"), .run(.base64url, 38)],
      qualifier: "secret|key", context: "FAUNA_SECRET={}",
      positives: ["FAUNA_SECRET=fn8OxxKHjsi7CrdrdlinH9Xv215vJm_wFxIXdZn5"], negatives: ["FAUNA_DOMAIN=db.fauna.com"]),
    .keyed(
      "influxdb-token", "InfluxDB API token", .high, words: ["influx"], [.run(.base64url, 86), .lit("==")],
      qualifier: "token", context: "INFLUXDB_TOKEN={}",
      positives: [
        "INFLUXDB_TOKEN=hfCyJwNxRnhR_43NqCn0LJuyV3M2xnOJ8FnqZUWV_RDyNjqhUmKkevYQ5Sca5YuoVDzM69W_QpFs3qAihf5VEj=="
      ], negatives: ["INFLUXDB_ORG=acme"]),
    .keyed(
      "upstash-redis-token", "Upstash Redis REST token", .high, words: ["upstash"],
      [.lit("A"), .run(.base64url, 40, 90)],
      qualifier: "token", entropy: 3.5, context: "UPSTASH_REDIS_REST_TOKEN={}",
      positives: ["UPSTASH_REDIS_REST_TOKEN=AX7VCTIuTyl23ErCDMmRuqbG_oc6dRc41dfoYpNKv6JXJHvrUdVWjPvgLsXDc1="],
      negatives: ["UPSTASH_REDIS_REST_URL=https://x.upstash.io"]),
    .keyed(
      "confluent-api-secret", "Confluent Cloud API secret", .high, words: ["confluent", "kafka", "sasl"],
      [.run(.base64, 64)], qualifier: "secret|pass", entropy: 4.0, context: "CONFLUENT_API_SECRET={}",
      positives: [
        "CONFLUENT_API_SECRET=HdbFK3Mi2puJ4saXUbNNFf1oGcucROZ67RYslJaixjwLPmDt2Vt95XE45fSo8jCj",
        "KAFKA_SASL_PASSWORD=jrXjtK/6wjrnH23YDQZSPsPlVXxm2OwKqWhSCA9fdUYcMLl38f/aIUKSCM7/hPUB",
      ], negatives: ["CONFLUENT_API_KEY=QGVW6Z2J2L55ZD24"]),
    .keyed(
      "elastic-cloud-api-key", "Elastic Cloud / Elasticsearch API key", .high, words: ["elastic", "es_api"],
      [.run(.base64, 60, 100), .lit("==")], qualifier: "key", keywords: ["elastic", "es_api"], entropy: 4.0,
      context: "ELASTIC_API_KEY={}",
      positives: ["ELASTIC_API_KEY=3acnjarGMw+EzYds3fJYjJqAwwx1o7L2gaKW/T/+QVWGh3dM7qh82C51aA6m3qJD98sCnYtjfn8etY=="],
      negatives: ["ELASTIC_CLOUD_ID=deploy:FtMF9KvC5g"]),
    .keyed(
      "turso-auth-token", "Turso database auth token", .high, words: ["turso", "libsql"],
      [
        .lit("eyJ"), .run(.base64url, 10, 300), .lit("."), .run(.base64url, 40, 600), .lit("."),
        .run(.base64url, 40, 100),
      ],
      qualifier: "token", context: "TURSO_AUTH_TOKEN={}",
      positives: [
        "TURSO_AUTH_TOKEN=eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJnRjNGeIVTpKe-d0KOvLJSb1d5B7qt3sgFl8HFBnb52uXPH9OU9N6lOEwb6xA64hy_1FIHb0XuIvDJVYi.dgkAHWhcDpCn-bUL1bNF5M_5lqVWKqg5o7i999gyT0VR9YSL8ywoOhqDug88eDM-kFsnkMi1imYJAOSkMmioXm"
      ],
      negatives: ["TURSO_DATABASE_URL=libsql://db-acme.turso.io"]),
    .keyed(
      "couchbase-capella-secret", "Couchbase Capella API secret", .high, words: ["capella", "couchbase"],
      [.run(.base64, 64)], qualifier: "secret|pass", entropy: 4.0, context: "CAPELLA_API_SECRET={}",
      positives: ["CAPELLA_API_SECRET=Bbwq7I8aSmGQgPLD+YqJKkDyibKMV9FoYpAGBaZ9f+/CQOk9taYMEtqJuxyi840+"],
      negatives: ["COUCHBASE_BUCKET=travel"]),
  ]
}
