// Payments and commerce: Stripe, Square, PayPal/Braintree, Adyen, Shopify, Razorpay, Flutterwave,
// Plaid, shipping APIs and crypto exchanges.

import GateCore

extension SecretRules {
  static let paymentRules: [PatternRule] = [
    .prefixed(
      "stripe-live-secret-key", "Stripe live secret key", .critical, [.lit("sk_live_"), .run(.alnum, 24, 247)],
      positives: [
        "STRIPE_SECRET_KEY=sk_live_QvQLg5b445P7YuQhCnya4yzq",
        "Stripe.apiKey = \"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\";",
      ],
      negatives: [
        "STRIPE_SECRET_KEY=sk_test_5uM6seLTYisuXtHJze4MeYOx", "STRIPE_SECRET_KEY=sk_live_qeV1S3LgGI",
        "use an sk_live_ key",
      ]),
    .prefixed(
      "stripe-test-secret-key", "Stripe test-mode secret key", .medium, [.lit("sk_test_"), .run(.alnum, 24, 247)],
      positives: ["STRIPE_SECRET_KEY=sk_test_0PYt8cGHbSqG2R6EsMRCp0cD"], negatives: ["STRIPE_SECRET_KEY=sk_test_047MyD"]
    ),
    .prefixed(
      "stripe-live-restricted-key", "Stripe live restricted key", .critical, [.lit("rk_live_"), .run(.alnum, 24, 247)],
      positives: ["STRIPE_RESTRICTED_KEY=rk_live_nTndEn5yXq2n3fj2z6NKluic"],
      negatives: ["STRIPE_RESTRICTED_KEY=rk_test_UwYnUhhht4ZlMnJ4gee0zqyB"]),
    .prefixed(
      "stripe-test-restricted-key", "Stripe test-mode restricted key", .medium,
      [.lit("rk_test_"), .run(.alnum, 24, 247)],
      positives: ["STRIPE_RESTRICTED_KEY=rk_test_OrN6TqmZhGemu1ft6TaLXbgY"],
      negatives: ["STRIPE_RESTRICTED_KEY=rk_live_zh6b8BtOmBqQWepfV5d6okFS"]),
    .prefixed(
      "stripe-webhook-secret", "Stripe webhook signing secret", .high, [.lit("whsec_"), .run(.base64, 32, 64)],
      positives: ["STRIPE_WEBHOOK_SECRET=whsec_9vkotuSED9vN4a0Ha2AHTU8Dn4rGrhPO"],
      negatives: ["STRIPE_WEBHOOK_SECRET=whsec_..."]),
    .prefixed(
      "square-access-token", "Square access token", .critical, [.lit("EAAA"), .run(.base64url, 60)],
      positives: ["SQUARE_ACCESS_TOKEN=EAAAzDLJb5IvWlDFpwYj5PbFmmVlPat04XZckTPdnF8je9j84-WElY2DZYFJTgn9"],
      negatives: ["SQUARE_ACCESS_TOKEN=EAAAgpQyV28isTKlrknEXC7J"]),
    .prefixed(
      "square-legacy-access-token", "Square legacy OAuth access token", .critical,
      [.lit("sq0atp-"), .run(.base64url, 22)],
      positives: ["square_token: sq0atp-qsECprRfJr06e3kXiM9Uwl"], negatives: ["square_token: sq0atp-15SMk"]),
    .prefixed(
      "square-oauth-secret", "Square application OAuth secret", .high, [.lit("sq0csp-"), .run(.base64url, 43)],
      positives: ["SQUARE_APP_SECRET=sq0csp-OfouX27gUsbFQ-iQIyD64OHBa8KCu9Ov1W5LrnQsrlp"],
      negatives: ["SQUARE_APP_SECRET=sq0csp-"]),
    .prefixed(
      "braintree-production-access-token", "PayPal/Braintree production access token", .critical,
      [.lit("access_token$production$"), .run(.lowerAlnum, 16), .lit("$"), .run(.hex, 32)],
      keywords: ["access_token$production$"],
      positives: ["BRAINTREE_TOKEN=access_token$production$m202fhnreer9siyl$6d822c63421d3e852e03145eab07e3a6"],
      negatives: [
        "BRAINTREE_TOKEN=access_token$sandbox$rfzv8rqnb23cxa4r$b2e91f56db4020285a6ee498e7baed8a",
        "access_token$production$<id>$<key>",
      ]),
    .prefixed(
      "braintree-sandbox-access-token", "PayPal/Braintree sandbox access token", .medium,
      [.lit("access_token$sandbox$"), .run(.lowerAlnum, 16), .lit("$"), .run(.hex, 32)],
      keywords: ["access_token$sandbox$"],
      positives: ["BRAINTREE_TOKEN=access_token$sandbox$8rxrkk58jw0ath5p$34df1d637755cf0f111a6af7dad51494"],
      negatives: ["BRAINTREE_TOKEN=access_token$sandbox$"]),
    .keyed(
      "paypal-client-secret", "PayPal REST client secret", .high, words: ["paypal"], [.run(.base64url, 80)],
      qualifier: "secret", context: "PAYPAL_CLIENT_SECRET={}",
      positives: [
        "PAYPAL_CLIENT_SECRET=E4Z-iaCcQQi7vB-mMVDPw7lV7jsk9HeCKV9npMB9x7pKjqvybS-eU32sLlGbazrOmBZaGv4CarHSXu0u"
      ], negatives: ["PAYPAL_CLIENT_SECRET=<secret>"]),
    .keyed(
      "braintree-private-key", "Braintree private key", .high, words: ["braintree"], [.run(.hex, 32)],
      qualifier: "private|secret", context: "BRAINTREE_PRIVATE_KEY={}",
      positives: ["BRAINTREE_PRIVATE_KEY=e7a69acc4ece648be84dd23cb6ed5ab5"],
      negatives: ["BRAINTREE_MERCHANT_ID=d700jwm7v5x29977"]),
    PatternRule(
      id: "adyen-api-key", description: "Adyen API key", severity: .critical, keywords: ["aqe"],
      pattern: #"\bAQE[A-Za-z0-9+/]{40,160}={0,2}-[A-Za-z0-9+/]{40,60}={0,2}-"#, entropy: 3.5,
      positives: [
        "ADYEN_API_KEY=AQElaJnIB1M2pTHvC92Dsgj7sw0aOaBokZzAt1840Nv4maUNZ6KWXs9aX/MwJ6WqhlzGI5DxUrBbA7kz1xriWffuMRTw7==-0arPtYLRJOz18d1caX+JXvU8S8AaHfVDY1PN2EX8vLQ=-BgSMzA5EuQPM"
      ], negatives: ["ADYEN_API_KEY=AQE", "AQEzgxXT4jOyt-x"],
      shapes: [
        TokenShape(
          [
            .literal("AQE"), .random(alphabet: TokenShape.base64, count: 96), .literal("==-"),
            .random(alphabet: TokenShape.base64, count: 43), .literal("=-"),
            .random(alphabet: TokenShape.alnum, count: 12),
          ], context: "ADYEN_API_KEY={}")
      ]),
    .keyed(
      "adyen-hmac-key", "Adyen webhook HMAC key", .high, words: ["adyen"], [.run(.upperHex, 64)], qualifier: "hmac",
      context: "ADYEN_HMAC_KEY={}",
      positives: ["ADYEN_HMAC_KEY=DF67459D381F72E165D257CE6B0BD129DF87E271CA3AE77C52D8E03E97429F27"],
      negatives: ["ADYEN_HMAC_KEY=3B8781033AFC889C"]),
    .prefixed(
      "shopify-access-token", "Shopify Admin API access token", .critical, [.lit("shpat_"), .run(.anyHex, 32)],
      positives: ["SHOPIFY_ACCESS_TOKEN=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"],
      negatives: ["SHOPIFY_ACCESS_TOKEN=shpat_b673d5bf496c"]),
    .prefixed(
      "shopify-shared-secret", "Shopify app shared secret", .high, [.lit("shpss_"), .run(.anyHex, 32)],
      positives: ["SHOPIFY_API_SECRET=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"], negatives: ["SHOPIFY_API_SECRET=shpss_"]
    ),
    .prefixed(
      "shopify-custom-app-token", "Shopify custom app access token", .critical, [.lit("shpca_"), .run(.anyHex, 32)],
      positives: ["token: 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"],
      negatives: ["token: shpca_8f0ca000efd52486723d25baf820426g"]),
    .prefixed(
      "shopify-private-app-token", "Shopify private app access token", .critical, [.lit("shppa_"), .run(.anyHex, 32)],
      positives: ["token: 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"], negatives: ["token: shppa_cb7545dd0039b2b5"]),
    .prefixed(
      "razorpay-live-key", "Razorpay live key id", .high, [.lit("rzp_live_"), .run(.alnum, 14)],
      positives: ["RAZORPAY_KEY_ID=rzp_live_lgnLOJXvoPf1wV"], negatives: ["RAZORPAY_KEY_ID=rzp_test_NDrJnTi49S9RcV"]),
    .keyed(
      "razorpay-key-secret", "Razorpay key secret", .critical, words: ["razorpay"], [.run(.alnum, 24)],
      qualifier: "secret", entropy: 3.5, context: "RAZORPAY_KEY_SECRET={}",
      positives: ["RAZORPAY_KEY_SECRET=AY4yri2LnPPzBFidHLo3PogZ"], negatives: ["RAZORPAY_KEY_SECRET="]),
    .prefixed(
      "flutterwave-live-secret-key", "Flutterwave live secret key", .critical,
      [.lit("FLWSECK-"), .run(.hex, 32), .lit("-X")],
      positives: ["FLW_SECRET_KEY=FLWSECK-0138ebcece2a4163802854566ca4825f-X"],
      negatives: ["FLW_SECRET_KEY=FLWSECK_TEST-4755d4a2056e3c66beb3f2f453abcd22-X"]),
    .prefixed(
      "flutterwave-test-secret-key", "Flutterwave test secret key", .medium,
      [.lit("FLWSECK_TEST-"), .run(.hex, 32), .lit("-X")],
      positives: ["FLW_SECRET_KEY=FLWSECK_TEST-a4635013b7848965f1db3c2abd3044c8-X"],
      negatives: ["FLW_SECRET_KEY=FLWSECK_TEST-"]),
    .prefixed(
      "flutterwave-encryption-key", "Flutterwave encryption key", .high, [.lit("FLWSECK_TEST"), .run(.hex, 12)],
      positives: ["FLW_ENCRYPTION_KEY=FLWSECK_TESTf6a36deb7898"], negatives: ["FLW_ENCRYPTION_KEY=FLWSECK_TEST"]),
    .prefixed(
      "plaid-access-token", "Plaid production or development access token", .critical,
      [.lit("access-production-")] + Seg.uuid,
      positives: ["plaid_access_token = \"access-production-c00e634d-656e-bf88-27fa-a7e2d24df5cb\""],
      negatives: ["plaid_access_token = \"access-sandbox-40e7ae1a-40ab-fbf9-4be6-ad4061d3d2eb\""]),
    .keyed(
      "plaid-secret", "Plaid API secret", .high, words: ["plaid"], [.run(.hex, 30)], qualifier: "secret",
      context: "PLAID_SECRET={}",
      positives: ["PLAID_SECRET=bbb1692dcc98ddecaa711237ad994c"], negatives: ["PLAID_SECRET=d0ba1f7204"]),
    .prefixed(
      "duffel-live-token", "Duffel live access token", .critical, [.lit("duffel_live_"), .run(.base64url, 43)],
      positives: ["DUFFEL_ACCESS_TOKEN=duffel_live_jAfjUNtxjLqo2yetcao8Y-AjVHA6PVq0AcoSm_J4ye0"],
      negatives: ["DUFFEL_ACCESS_TOKEN=duffel_test_S_sXRZDhgpX1YVeHWJj32F73u3N-WKqNX8dnXiqsMOk"]),
    .prefixed(
      "duffel-test-token", "Duffel test access token", .medium, [.lit("duffel_test_"), .run(.base64url, 43)],
      positives: ["DUFFEL_ACCESS_TOKEN=duffel_test_acBzmCkgobnJnABhvGwVSAaS8H8xgW8yi1AyecPhym9"],
      negatives: ["DUFFEL_ACCESS_TOKEN=duffel_test_"]),
    .prefixed(
      "easypost-production-key", "EasyPost production API key", .high, [.lit("EZAK"), .run(.alnum, 54)],
      positives: ["EASYPOST_API_KEY=EZAKZNxJUBqtgTP2h62Q6CjhxY17qTgt7BLCGLmCc9CxKCV2iWdWVYbqmK"],
      negatives: ["EASYPOST_API_KEY=EZTKzvRHoAPy1OXU22X6J4BfeYUXvYDdS9pREJJmloKvWJIFhjYBUCuN4e"]),
    .prefixed(
      "easypost-test-key", "EasyPost test API key", .medium, [.lit("EZTK"), .run(.alnum, 54)],
      positives: ["EASYPOST_API_KEY=EZTK7lvn56vZnWnMYs1mWpXdQoZqBjPu1XOY0P8DGiPODOOynK4XHnUC3V"],
      negatives: ["EASYPOST_API_KEY=EZTKQHZfA6lF"]),
    .keyed(
      "lob-api-key", "Lob live API key", .high, words: ["lob"], [.lit("live_"), .run(.hex, 35)],
      qualifier: "key|secret", context: "LOB_API_KEY={}",
      positives: ["LOB_API_KEY=live_5e852c3d5910c016ab5aeae27b107cc3da0"],
      negatives: ["LOB_API_KEY=test_2c62298679e19a1a40e581f009547676ffd"]),
    .prefixed(
      "shippo-live-token", "Shippo live API token", .high, [.lit("shippo_live_"), .run(.hex, 40)],
      positives: ["SHIPPO_TOKEN=shippo_live_6fb5df57ffb21a12328d7998b243f4e8955ecc1f"],
      negatives: ["SHIPPO_TOKEN=shippo_test_a377dafdbe61810fc81757c880a00fe8199b2390"]),
    .prefixed(
      "shippo-test-token", "Shippo test API token", .medium, [.lit("shippo_test_"), .run(.hex, 40)],
      positives: ["SHIPPO_TOKEN=shippo_test_9227d7ecf467b78b4faf7a0eef40014131cde87b"],
      negatives: ["SHIPPO_TOKEN=shippo_test_b254"]),
    .keyed(
      "mollie-api-key", "Mollie live API key", .critical, words: ["mollie"], [.lit("live_"), .run(.alnum, 30)],
      qualifier: "key", context: "MOLLIE_API_KEY={}",
      positives: ["MOLLIE_API_KEY=live_81hpUbUf1fHiJpK4pMIf2II2JRBVys"],
      negatives: ["MOLLIE_API_KEY=test_IrmlPDzmhEIRn9PIrXFLCD4gMK1ulZ"]),
    .keyed(
      "gocardless-access-token", "GoCardless live access token", .critical, words: ["gocardless"],
      [.lit("live_"), .run(.base64url, 40)], qualifier: "token|key", context: "GOCARDLESS_ACCESS_TOKEN={}",
      positives: ["GOCARDLESS_ACCESS_TOKEN=live_An5V2uEMpSyx3x-KExkxun0MZA6a4S6d2N2PQcJr"],
      negatives: ["GOCARDLESS_ACCESS_TOKEN=sandbox_uk80EUvP_aY3QOz6QnOhyQI_IEK_0RzKx4cbXFJs"]),
    .keyed(
      "paystack-secret-key", "Paystack live secret key", .critical, words: ["paystack"],
      [.lit("sk_live_"), .run(.hex, 40)], qualifier: "key|secret", context: "PAYSTACK_SECRET_KEY={}",
      positives: ["PAYSTACK_SECRET_KEY=sk_live_97d55826812e1f0a3e72a19cd303c05a07c12800"],
      negatives: ["PAYSTACK_SECRET_KEY=sk_test_f46653afaf813854e92bd270d3df8449d14dfd59"]),
    .keyed(
      "checkout-secret-key", "Checkout.com secret key", .critical, words: ["checkout", "cko_"],
      [.lit("sk_"), .run(.lowerAlnum, 26, 40)], qualifier: "key|secret", keywords: ["checkout", "cko_"],
      context: "CHECKOUT_SECRET_KEY={}",
      positives: ["CHECKOUT_SECRET_KEY=sk_8wqiqqfsm3mjvginx1m9905gvy92plny"],
      negatives: ["CHECKOUT_SECRET_KEY=sk_sbox_"]),
    .keyed(
      "coinbase-api-secret", "Coinbase API secret", .critical, words: ["coinbase"], [.run(.base64, 32, 88)],
      qualifier: "secret", entropy: 3.5, context: "COINBASE_API_SECRET={}",
      positives: ["COINBASE_API_SECRET=qUd0rsiAWDtdOXrCkx2At4HWdoWlyZVe0fAXUcA7yDK3EuI4anQPhQGXXj7ZHtoO"],
      negatives: ["COINBASE_API_SECRET=${COINBASE_SECRET}"]),
    .keyed(
      "kraken-private-key", "Kraken API private key", .critical, words: ["kraken"], [.run(.base64, 86), .lit("==")],
      qualifier: "private|secret|key", context: "KRAKEN_PRIVATE_KEY={}",
      positives: [
        "KRAKEN_PRIVATE_KEY=UkIA3i1/Cd7LoD+2yKSmXTkykPRdLwt3S9TeHnK/u3IEJ119vJOdCkkySND47thdhufsYA9y6ZtbCGzpfvgg9W=="
      ], negatives: ["KRAKEN_PRIVATE_KEY=URDpaiEtzFXB1PGdWJv4=="]),
    .keyed(
      "binance-api-secret", "Binance API secret", .critical, words: ["binance"], [.run(.alnum, 64)],
      qualifier: "secret|key", entropy: 3.5, context: "BINANCE_API_SECRET={}",
      positives: ["BINANCE_API_SECRET=k456jX5SK2GjGE82LV8PSO0i4FbBOYzlWsmlkcpZu6MY7sTEy61lvjHkCJeq7cCp"],
      negatives: ["BINANCE_API_SECRET=ovYs5ZzrMkFDwPw18DgW"]),
    .keyed(
      "wise-api-token", "Wise (TransferWise) API token", .high, words: ["wise_", "transferwise"], Seg.uuid,
      qualifier: "token|key", keywords: ["wise_", "transferwise"], context: "WISE_API_TOKEN={}",
      positives: ["WISE_API_TOKEN=bb3a3235-2106-b2a9-4c2a-ab2c80cf3878"], negatives: ["WISE_PROFILE_ID=12345"]),
    .keyed(
      "recurly-api-key", "Recurly private API key", .high, words: ["recurly"], [.run(.hex, 32)],
      qualifier: "key", context: "RECURLY_API_KEY={}",
      positives: ["RECURLY_API_KEY=34197db18e76b94201f34a19b935f4ba"], negatives: ["RECURLY_SUBDOMAIN=acme"]),
  ]
}
