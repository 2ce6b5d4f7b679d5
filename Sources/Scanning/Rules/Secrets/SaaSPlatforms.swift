// Identity, social and developer platforms: Okta, Auth0, Meta, X, LinkedIn, Twitch, Mapbox,
// Algolia, Contentful, Postman, Segment, PostHog and other web APIs.

import GateCore

extension SecretRules {
  static let saasPlatformRules: [PatternRule] = [
    .keyed(
      "okta-api-token", "Okta API (SSWS) token", .critical, words: ["okta"], [.lit("00"), .run(.base64url, 40)],
      qualifier: "token|key|ssws", context: "OKTA_API_TOKEN={}",
      positives: [
        "OKTA_API_TOKEN=00rQGI5bnv6xjWJ6dFHxUSevvkZAiedq-I3ObOBT0o",
        "okta_token: \"00aPBu02_t-vVsrzFmZYjGtfr6QRZfp750ie3qNMxN\"",
      ], negatives: ["OKTA_ORG_URL=https://acme.okta.com"]),
    .keyed(
      "auth0-client-secret", "Auth0 application client secret", .high, words: ["auth0"], [.run(.base64url, 64)],
      qualifier: "secret", entropy: 4.0, context: "AUTH0_CLIENT_SECRET={}",
      positives: ["AUTH0_CLIENT_SECRET=0QIs1RgKpeJOG9wMrMDWVHndhxVkCcz1hT_6oyxzOB3hoR0YkCYQ0x6rDJBIFtvo"],
      negatives: ["AUTH0_DOMAIN=acme.us.auth0.com"]),
    .keyed(
      "auth0-management-token", "Auth0 Management API token", .high, words: ["auth0"],
      [
        .lit("eyJ"), .run(.base64url, 10, 300), .lit("."), .run(.base64url, 100, 1000), .lit("."),
        .run(.base64url, 40, 400),
      ],
      qualifier: "token", context: "AUTH0_MANAGEMENT_TOKEN={}",
      positives: [
        "AUTH0_MANAGEMENT_TOKEN=eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJVSwnFZoREDjqRb1IbqyaFiz885ENb_-MdRwBB81wza4m9mkhjJHfrTkx5spbqFefetl24cOe4J0nna1nODQ1LYlYOSA3haMBEhFavT0EL_fXEmUMrYkALc0IhLxTFl537K14t9WXRn7siNFBwyXO1Td5s7yOn-KUvZ-J1bVRzTXC2Ov5toCDm_Bjs8hwjWKZppuNTvZG.hDW6qekSJ-cowwZVHr4tkKgb2Vg7qipwGq_muRUh--YAAQ3KN8dke3tvYyJsKmk1QPCdCizw2f_gRSQFsJtu5ssJjwqX-2G5prdtv1WgE3ht9XYEq5B2ZucpwS3ojebDPQuegN2lXx_MHDHcsnndv8anHNl0jSDICh7U3Mneh6ENwuacUZr_7IQV78VXIzrffC8yBvl_FOSiUFudo4YkHUsNFwTFG_bwrK1C2yuAes54rVI42qdg7tagq4NxGl-IuL1etIvNTrtdGqpAwhhXLCr2NfXf2qjkZB0v927V43tLOHrhnP1sN3-JiUWcEyTB1cTu718qzGb_PzgmM7yGPD"
      ],
      negatives: ["AUTH0_MANAGEMENT_TOKEN=eyJ..."]),
    .keyed(
      "clerk-secret-key", "Clerk secret key", .high, words: ["clerk"], [.lit("sk_live_"), .run(.alnum, 40, 60)],
      qualifier: "secret|key", context: "CLERK_SECRET_KEY={}",
      positives: ["CLERK_SECRET_KEY=sk_live_KNAz8qTEyLNWT6EIojqrUMqCwNHVpLFVMCWoCETpBNGRUtNMUf"],
      negatives: ["CLERK_SECRET_KEY=sk_test_7itOqb6yW2BVBZF6SqiujjYQwCDMLQfkVQXAdYwGgvlrCvebH9"]),
    .keyed(
      "stytch-secret", "Stytch project secret", .high, words: ["stytch"], [.lit("secret-live-"), .run(.base64url, 36)],
      qualifier: "secret", context: "STYTCH_SECRET={}",
      positives: ["STYTCH_SECRET=secret-live-VbkLa-pF4UdukWjZ0GLgwq2HOOCZIuK_lpWj"],
      negatives: ["STYTCH_SECRET=secret-test-8ixWuB087_747lCEmDM7B9CCigfNBMjy9lxB"]),
    .prefixed(
      "workos-api-key", "WorkOS API key", .high,
      [.lit("sk_live_"), .run(.base64, 20, 30), .lit("="), .run(.base64, 40, 80)],
      keywords: ["sk_live_"],
      positives: [
        "WORKOS_API_KEY=sk_live_WAgBP0xwM7KFWQ06TLZrdjok=t/Sb0uL4XMHB0oRfZ946yWVVHfaf9ZdTG05YoOx1BXCseYdIBkzg"
      ],
      negatives: [
        "WORKOS_API_KEY=sk_test_KyjrHSyR879ISjxDfbpLUQMm=yYvBNHkilp8oTe3KIiHvRE4B5387IO8g/fJ/O4VqNHpAUteBbWH0"
      ]),
    .prefixed(
      "meta-access-token", "Meta (Facebook) Graph API access token", .high, [.lit("EAA"), .run(.alnum, 90, 400)],
      entropy: 4.0,
      positives: [
        "FB_ACCESS_TOKEN=EAAGQNMo8JQDn2CeWUgwaI98JRmtqxtGOoBS3qOt9n5l5EbnJr3SJFHUDh1LYmzT9svDzqRurr1EvEPmedQIuxAxGvW9JaXDCQOstvK92M0Dh81UK1C4SEh7ZRFRPICvgpeAFrmLG4aRZ3rIgLPCJ5OjlsqzQz7cp861g4pkhz8WEz9bTeIPSRaW"
      ], negatives: ["FB_ACCESS_TOKEN=EAAGRGPIInqO2ygPIiNr2GpO"]),
    .keyed(
      "facebook-app-secret", "Facebook (Meta) app secret", .high, words: ["facebook", "fb_", "meta_app"],
      [.run(.hex, 32)], qualifier: "secret", keywords: ["facebook", "fb_", "meta_app"],
      context: "FACEBOOK_APP_SECRET={}",
      positives: [
        "FACEBOOK_APP_SECRET=a1690b041639f4f0d230db4500db5ffc", "FB_APP_SECRET=edf9980ec52114209a5e4f3f4490101d",
      ], negatives: ["FACEBOOK_APP_ID=697583188415239"]),
    .prefixed(
      "instagram-access-token", "Instagram Graph API access token", .high, [.lit("IGQV"), .run(.base64url, 100, 400)],
      entropy: 4.0,
      positives: [
        "IG_TOKEN=IGQVJ2Tnt2qntmF7E_uM1KL_lnOS1AZCAXfOhYvEPE2GLmWjdFd-FwQfi-pd0KniieiuC1bdPDUDU5TnBzimmHQru1vKGPCoCXFwgWYTHwD2YbN-Y3aj8_UmpHAHEeKIFxvGhq_1vzgI8umpNg8yB3jiDWv"
      ], negatives: ["IG_TOKEN=IGQVoGBrq7EHCPM-wCJYZDYx"]),
    PatternRule(
      id: "x-bearer-token", description: "X (Twitter) API bearer token", keywords: ["aaaaaaaaaaaaaaaaaaaaa"],
      pattern: #"\bA{21}[A-Za-z0-9%]{60,130}(?![A-Za-z0-9%])"#, entropy: 3.5,
      positives: [
        "TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAACSi8XnAfsMDSUf2ciy8OvSB35lQ7xCnQePbgjfkljVP5AzBvhKcH0Vn8eArBXkB3Nslui5BbNH97Nmuo%3D7CNWFenAAexANGZ0GypnPDZiKnHGcMB0aA5o2e8h"
      ],
      negatives: ["TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "TWITTER_BEARER_TOKEN=<bearer>"],
      shapes: [
        TokenShape(
          [.literal("AAAAAAAAAAAAAAAAAAAAAMLVA"), .random(alphabet: TokenShape.alnum, count: 90)],
          context: "TWITTER_BEARER_TOKEN={}")
      ]),
    .keyed(
      "x-api-secret", "X (Twitter) API key secret or access token secret", .high,
      words: ["twitter", "x_api", "x_access"],
      [.run(.alnum, 45, 50)], qualifier: "secret", keywords: ["twitter", "x_api", "x_access"], entropy: 3.5,
      context: "TWITTER_API_SECRET={}",
      positives: [
        "TWITTER_API_SECRET=r7on1er78FWhjUoUH2I7E38m5cQI8VpZwMvaXECRK8ydt27AFq",
        "TWITTER_ACCESS_TOKEN_SECRET=yGruQqymXSw3rlY0g2WDNCVibJvJvTQF1eWT6KnOv1TtB",
      ], negatives: ["TWITTER_HANDLE=acme"]),
    .keyed(
      "x-access-token", "X (Twitter) user access token", .high, words: ["twitter", "x_access"],
      [.run(.digits, 15, 25), .lit("-"), .run(.alnum, 20, 50)], qualifier: "token",
      keywords: ["twitter", "x_access"], context: "TWITTER_ACCESS_TOKEN={}",
      positives: ["TWITTER_ACCESS_TOKEN=5117055734654676188-hBbNlOzeUvh5bbjpkps3QwDKxor46Y1"],
      negatives: ["TWITTER_ACCESS_TOKEN=9914913178162746754"]),
    .keyed(
      "linkedin-client-secret", "LinkedIn client secret", .high, words: ["linkedin"], [.run(.alnum, 16)],
      qualifier: "secret", entropy: 3.0, context: "LINKEDIN_CLIENT_SECRET={}",
      positives: ["LINKEDIN_CLIENT_SECRET=Sc60j7PWG9WHPin2", "linkedin_secret: YoE603PO4ZS48t2l"],
      negatives: ["LINKEDIN_CLIENT_ID=y2ng5sovp5ydmg"]),
    .keyed(
      "linkedin-access-token", "LinkedIn OAuth access token", .high, words: ["linkedin"],
      [.lit("AQ"), .run(.base64url, 150, 400)], qualifier: "token", context: "LINKEDIN_ACCESS_TOKEN={}",
      positives: [
        "LINKEDIN_ACCESS_TOKEN=AQWzpXmoglBjSSoDZ9IRvGy1hhyOVUFs6dQL0i0QqNdsB3R5BgE3eQZ2o8DPEOyRoH98pRn8XzAFte96dNNyfBA-EyhX1dV8c76NwR7SkZ7PEW8F2SavTf5BRM3knoPXz1gZV2hlu9cZJU6hZpNn10WKqHy0BPoFyE6NCdsA813XrNMZhmlbiC"
      ], negatives: ["LINKEDIN_ACCESS_TOKEN=AQt01mcVlmg9"]),
    .keyed(
      "twitch-api-token", "Twitch OAuth token or client secret", .high, words: ["twitch"], [.run(.lowerAlnum, 30)],
      qualifier: "token|secret", entropy: 3.0, context: "TWITCH_CLIENT_SECRET={}",
      positives: [
        "TWITCH_CLIENT_SECRET=vk4p8n7thlc3e148euktabbgcmju8d", "twitch_oauth_token: sfj55i998pm594xluohdq2ohq9eh1t",
      ],
      negatives: ["TWITCH_CHANNEL=acme"]),
    .keyed(
      "reddit-client-secret", "Reddit API client secret", .high, words: ["reddit"], [.run(.base64url, 27, 30)],
      qualifier: "secret", entropy: 3.5, context: "REDDIT_CLIENT_SECRET={}",
      positives: ["REDDIT_CLIENT_SECRET=WJpJ1clbQIsOzuzc0BfaRMrt_U4"], negatives: ["REDDIT_USER_AGENT=bot/1.0"]),
    .keyed(
      "spotify-client-secret", "Spotify client secret", .high, words: ["spotify"], [.run(.hex, 32)],
      qualifier: "secret",
      context: "SPOTIFY_CLIENT_SECRET={}",
      positives: ["SPOTIFY_CLIENT_SECRET=ab735bbe0d1233f4444ca060408c9417"],
      negatives: ["SPOTIFY_CLIENT_SECRET=a5ec4690579e"]),
    .keyed(
      "pinterest-access-token", "Pinterest access token", .high, words: ["pinterest"],
      [.lit("pina_"), .run(.upperAlnum, 80, 120)], qualifier: "token", context: "PINTEREST_ACCESS_TOKEN={}",
      positives: [
        "PINTEREST_ACCESS_TOKEN=pina_AF2WC1LKOMEOITF46DKWRZCSTEDXUH0TJIK4EPZIMZ74GWJH3JID22ZFVW706N7BUQY9P8TT7XTA4TLG3IWBRMH9MKA653ID"
      ], negatives: ["PINTEREST_ACCESS_TOKEN=pina_"]),
    .prefixed(
      "mapbox-secret-token", "Mapbox secret access token", .high,
      [.lit("sk.eyJ"), .run(.base64url, 50, 100), .lit("."), .run(.base64url, 22)],
      positives: [
        "MAPBOX_TOKEN=sk.eyJvagEIEjkJSRwq9RF-STR6vUJwGzSvp81mvlV-_fytwqC419AiMJtF7lt66kM.kZ_FK0L1QyyLucVRzH0uQo"
      ],
      negatives: [
        "MAPBOX_TOKEN=pk.eyJF_WZItiujdHFYuVuqGXaFDYf25qIPxKM0HWx53kg7tWm3qsVGCASwYY45ykE.nV_8BPLXzoHKTSyVpFAozA"
      ]),
    .keyed(
      "algolia-admin-key", "Algolia admin or write API key", .high, words: ["algolia"], [.run(.hex, 32)],
      qualifier: "admin|write|key", context: "ALGOLIA_ADMIN_KEY={}",
      positives: [
        "ALGOLIA_ADMIN_KEY=a9b94b7cc9523ac12dc5fec9f70d187b",
        "algolia_write_api_key: \"1be58e192c5d253c996184e30376ffbc\"",
      ], negatives: ["ALGOLIA_APP_ID=F8INR4G5PP"]),
    .prefixed(
      "contentful-personal-access-token", "Contentful personal access token", .high,
      [.lit("CFPAT-"), .run(.base64url, 43)],
      positives: ["CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-ULKdSeCJpdv2awvGahjpJMODxEyPKl83pIybUKGd8Kp"],
      negatives: ["CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-"]),
    .keyed(
      "contentful-delivery-token", "Contentful delivery or preview API token", .medium, words: ["contentful"],
      [.run(.base64url, 43)], qualifier: "token|key", entropy: 3.5, context: "CONTENTFUL_DELIVERY_TOKEN={}",
      positives: ["CONTENTFUL_DELIVERY_TOKEN=WOqjltIykhFmmGsB62N8y8SqD91y8Tsdw_-aEqMAGG6"],
      negatives: ["CONTENTFUL_SPACE_ID=1dftqh1rpj60"]),
    .keyed(
      "sanity-api-token", "Sanity API token", .high, words: ["sanity"], [.lit("sk"), .run(.alnum, 79, 180)],
      qualifier: "token|key", context: "SANITY_API_TOKEN={}",
      positives: [
        "SANITY_API_TOKEN=skz8cl1HKhQnv382QHSry9CbCIa6intc0E2l6fIwjdKzPlcKSQQj6aENzNjtJsQCuwktOdVsQstiWV6Gb1UzoedJzGBSHWPNSRjxnlPlV7wjS5mhGbOVgCWwUxAHv3RPe8wYVNZzUbaGX4m8ykyixRIPdKSRXP1qRCWMBC2elDSpJZmzYKcYAt"
      ], negatives: ["SANITY_PROJECT_ID=e6thmydg"]),
    .prefixed(
      "postman-api-key", "Postman API key", .high, [.lit("PMAK-"), .run(.hex, 24), .lit("-"), .run(.hex, 34)],
      positives: ["POSTMAN_API_KEY=PMAK-d43183de6e52fd5e2eb371fc-f7cbf56795eabec9fa0101de116ee5fe7e"],
      negatives: ["POSTMAN_API_KEY=PMAK-a05ae0eb839c3e274bbe4764"]),
    .prefixed(
      "readme-api-key", "ReadMe API key", .high, [.lit("rdme_"), .run(.lowerAlnum, 70)],
      positives: ["README_API_KEY=rdme_6tjdqos5rvmc7psxv1f20vkvhq37aoble9i91jwk22p9fvqh98lb3c3xqthflx5mjphwuc"],
      negatives: ["README_API_KEY=rdme_x2juegavsg"]),
    .prefixed(
      "frameio-api-token", "Frame.io developer token", .high, [.lit("fio-u-"), .run(.base64url, 64)],
      positives: ["FRAMEIO_TOKEN=fio-u-EZJeAZ8iqExd31pINkKisCN-Bf4E2DvFU-llOpjIaWzdt-1P-Gg-_-vG7hBXwk7X"],
      negatives: ["FRAMEIO_TOKEN=fio-u-"]),
    .keyed(
      "beamer-api-key", "Beamer API key", .high, words: ["beamer"], [.lit("b_"), .run(.base64url, 44)],
      qualifier: "key", context: "BEAMER_API_KEY={}",
      positives: ["BEAMER_API_KEY=b_bi330N1YO-VYdmSkrRDbnhfVjbsP4Rmm4xcN4iiA0O05"],
      negatives: ["BEAMER_PRODUCT_ID=abcd"]),
    .prefixed(
      "segment-public-api-token", "Segment public API token", .high, [.lit("sgp_"), .run(.alnum, 64)],
      positives: ["SEGMENT_TOKEN=sgp_Ged5bix4iefHbichTiscRlQ9TQyiudQINgxlwdsbNGon0tzKesfz3xASsa4EP9O4"],
      negatives: ["SEGMENT_TOKEN=sgp_3J6STxBiBb0c7crBO1UQ2b2aI3CMgS"]),
    .prefixed(
      "posthog-personal-api-key", "PostHog personal API key", .high, [.lit("phx_"), .run(.alnum, 43)],
      positives: ["POSTHOG_PERSONAL_API_KEY=phx_J0RCV38zo26ejeGhZ3VsDFIPZY7dGBZak4Q30Lf1NX5"],
      negatives: ["POSTHOG_PROJECT_KEY=phc_9EeHjw8sgEAGunoZxrfbLjbc4BoYqvT2IGShPu3vCyX"]),
    .keyed(
      "mixpanel-api-secret", "Mixpanel API secret", .high, words: ["mixpanel"], [.run(.hex, 32)], qualifier: "secret",
      context: "MIXPANEL_API_SECRET={}",
      positives: ["MIXPANEL_API_SECRET=bd194446687cb416bfb11f186a1708e0"], negatives: ["MIXPANEL_PROJECT_TOKEN=public"]),
    .keyed(
      "amplitude-secret-key", "Amplitude secret key", .high, words: ["amplitude"], [.run(.hex, 32)],
      qualifier: "secret", context: "AMPLITUDE_SECRET_KEY={}",
      positives: ["AMPLITUDE_SECRET_KEY=09eabc27b7ed29e31b21404fbd64063e"], negatives: ["AMPLITUDE_API_KEY=public"]),
    .keyed(
      "statsig-server-secret", "Statsig server secret key", .high, words: ["statsig"],
      [.lit("secret-"), .run(.alnum, 43)], qualifier: "", context: "STATSIG_SERVER_SECRET={}",
      positives: ["STATSIG_SERVER_SECRET=secret-MTk4B73Mj5iBSLNOTbLvYiTXgrx1ZX5U2HYBqTnFAkQ"],
      negatives: ["STATSIG_CLIENT_KEY=client-EJQojCeAr7NLdd92PlNO6lk7VPAS5aUyojT67rAnpSI"]),
    PatternRule(
      id: "cloudinary-url", description: "Cloudinary URL with API secret", keywords: ["cloudinary://"],
      pattern: #"cloudinary://\d{10,18}:([A-Za-z0-9_-]{20,40})@[a-z0-9-]{2,60}"#, secretGroup: 1,
      positives: ["CLOUDINARY_URL=cloudinary://838089402929943:eO_H85e_ivwQp0GULxvY938gNNQ@acme"],
      negatives: ["CLOUDINARY_URL=cloudinary://<api_key>:<api_secret>@<cloud_name>"],
      shapes: [
        TokenShape(
          [
            .literal("cloudinary://"), .random(alphabet: TokenShape.digits, count: 15), .literal(":"),
            .random(alphabet: TokenShape.base64url, count: 27), .literal("@demo-cloud"),
          ], context: "CLOUDINARY_URL={}")
      ]),
    .keyed(
      "webflow-api-token", "Webflow API token", .high, words: ["webflow"], [.run(.hex, 64)], qualifier: "token|key",
      context: "WEBFLOW_API_TOKEN={}",
      positives: ["WEBFLOW_API_TOKEN=2ec001ff872a32d034c9be0128d37a84287f6adeaf37d9f383244c027a808ba3"],
      negatives: ["WEBFLOW_SITE_ID=c48ade0f8d5070690d5a37d9"]),
    .keyed(
      "ghost-admin-api-key", "Ghost Admin API key", .high, words: ["ghost"],
      [.run(.hex, 24), .lit(":"), .run(.hex, 64)], qualifier: "key", context: "GHOST_ADMIN_API_KEY={}",
      positives: [
        "GHOST_ADMIN_API_KEY=6262f33a02b378fecc50c7cd:e54d59a7693e9da60f0c991ccd8c51ffab74b45e70739ea350b9a13e20500d9c"
      ], negatives: ["GHOST_CONTENT_API_KEY=cbca21d1aa321c6298ef36d102"]),
    .keyed(
      "bitly-access-token", "Bitly access token", .medium, words: ["bitly"], [.run(.hex, 40)],
      qualifier: "token|key", context: "BITLY_ACCESS_TOKEN={}",
      positives: ["BITLY_ACCESS_TOKEN=427d880bf9609345c609001a0d91160556dfe5a6"], negatives: ["BITLY_GROUP=Bj1"]),
    .keyed(
      "storyblok-access-token", "Storyblok management or preview token", .medium, words: ["storyblok"],
      [.run(.alnum, 22), .lit("tt"), .run(.alnum, 0, 20)], qualifier: "token", context: "STORYBLOK_TOKEN={}",
      positives: ["STORYBLOK_TOKEN=Ly1cPpqh0kvhefBBr8kjPrtt"], negatives: ["STORYBLOK_SPACE=12345"]),
    .keyed(
      "datocms-api-token", "DatoCMS API token", .medium, words: ["datocms", "dato_"], [.run(.hex, 30)],
      qualifier: "token", keywords: ["datocms", "dato_"], context: "DATOCMS_API_TOKEN={}",
      positives: ["DATOCMS_API_TOKEN=5c92c2bcbf257f52916837934ee404"], negatives: ["DATOCMS_ENVIRONMENT=main"]),
    .keyed(
      "discourse-api-key", "Discourse API key", .high, words: ["discourse"], [.run(.hex, 64)], qualifier: "key",
      context: "DISCOURSE_API_KEY={}",
      positives: ["DISCOURSE_API_KEY=ecf4448e3f5f6c73655fab6df38e1929d71f78da42072d3669a44c119af16b28"],
      negatives: ["DISCOURSE_API_USERNAME=system"]),
    .keyed(
      "firebase-cloud-messaging-key", "Firebase Cloud Messaging legacy server key", .high,
      words: ["fcm", "firebase", "gcm"], [.lit("AAAA"), .run(.base64url, 7), .lit(":APA91b"), .run(.base64url, 134)],
      qualifier: "key|token", context: "FCM_SERVER_KEY={}",
      positives: [
        "FCM_SERVER_KEY=AAAAl3dkfcm:APA91buX-YNp_DlL2ZaDmZoggAbE1BVdseS2CAQfKmNxC7PZrBbMQd-AzRv1ytX8jejhclRxO986xCIvAsu7IINn_bS3PM5twVC634r7gpjuXetnvvyT4CTg1__zrJPlp_2PBFv5U8CW"
      ], negatives: ["FCM_SENDER_ID=014108615205"]),
    .keyed(
      "google-recaptcha-secret", "Google reCAPTCHA secret key", .medium, words: ["recaptcha"],
      [.lit("6L"), .run(.base64url, 38)], qualifier: "secret|private", context: "RECAPTCHA_SECRET_KEY={}",
      positives: ["RECAPTCHA_SECRET_KEY=6L7mEvjjeVnLgZ4ju1EgKNwCbyR3EEjNHVC72U-g"],
      negatives: ["RECAPTCHA_SITE_KEY=6Lp9ilItTBQGA7jvVqHiKgwVNBpVs98hc1z9vsRF"]),
    .keyed(
      "youtube-oauth-client-secret", "YouTube / Google OAuth client secret (legacy 24-character form)", .medium,
      words: ["youtube", "google_client", "google_oauth"], [.run(.base64url, 24)], qualifier: "secret",
      keywords: ["youtube", "google_client", "google_oauth"], entropy: 3.5, context: "GOOGLE_CLIENT_SECRET={}",
      positives: ["GOOGLE_CLIENT_SECRET=lXW7mxwObTfftgsKsP4F36wA"],
      negatives: ["GOOGLE_CLIENT_ID=123-abc.apps.googleusercontent.com"]),
    .prefixed(
      "shopify-partner-token", "Shopify Partner API access token", .high, [.lit("prtapi_"), .run(.hex, 32)],
      positives: ["SHOPIFY_PARTNER_TOKEN=prtapi_d07c4bc377c1b6eb88418dd3d9a32919"],
      negatives: ["SHOPIFY_PARTNER_TOKEN=prtapi_"]),
  ]
}
