// AI model providers and their tooling: OpenAI, Anthropic, Hugging Face, Cohere, Groq, Mistral,
// Replicate, Perplexity, xAI, Gemini and the long tail of inference and observability services.

import GateCore

extension SecretRules {
  static let aiRules: [PatternRule] = [
    .prefixed(
      "openai-project-key", "OpenAI project API key", .high,
      [.lit("sk-proj-"), .run(.base64url, 20, 100), .lit("T3BlbkFJ"), .run(.base64url, 20, 100)],
      positives: [
        "OPENAI_API_KEY=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"
      ],
      negatives: ["OPENAI_API_KEY=sk-proj-...", "OPENAI_API_KEY=sk-proj-Ix2t-CEBWJfugKtjKYzeCfR3GqkDN9R2FUYEegHz"]),
    .prefixed(
      "openai-service-account-key", "OpenAI service-account API key", .high,
      [.lit("sk-svcacct-"), .run(.base64url, 20, 100), .lit("T3BlbkFJ"), .run(.base64url, 20, 100)],
      positives: [
        "OPENAI_API_KEY=\"sk-svcacct-XuGjemI6U8BM5HDwEI5f5_5v9sLezDJnkug574zN5sYRPeL3Zwg9_53UUMKLT3BlbkFJ-d1XADL4t4wf8jDvoSVyskwStXUKXOlSlaFXaUZ07qLv4_p1CltNKsIsaKT7\""
      ],
      negatives: ["OPENAI_API_KEY=\"sk-svcacct-7EDNIdXamt5JkHVyxs8DFJODHfPPFI\""]),
    .prefixed(
      "openai-admin-key", "OpenAI admin API key", .critical,
      [.lit("sk-admin-"), .run(.base64url, 20, 100), .lit("T3BlbkFJ"), .run(.base64url, 20, 100)],
      positives: [
        "OPENAI_ADMIN_KEY=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"
      ], negatives: ["OPENAI_ADMIN_KEY=sk-admin-"]),
    PatternRule(
      id: "openai-legacy-key", description: "OpenAI user API key (legacy format with the T3BlbkFJ marker)",
      keywords: ["t3blbkfj"], pattern: #"\bsk-(?:[A-Za-z0-9_-]{1,40}-)?[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b"#,
      entropy: 3.5,
      positives: [
        "openai.api_key = \"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\"",
        "OPENAI_KEY=sk-None-XOQ9vFDbmJmS4vINWFYTT3BlbkFJmGFcz28jnDpaTLcLXqYZ",
      ],
      negatives: ["openai.api_key = \"sk-UTNyGgkp8ZuMac7LbiT0\"", "the marker T3BlbkFJ is base64 for openai"],
      shapes: [
        TokenShape(
          [
            .literal("sk-"), .random(alphabet: TokenShape.alnum, count: 20), .literal("T3BlbkFJ"),
            .random(alphabet: TokenShape.alnum, count: 20),
          ], context: "OPENAI_API_KEY={}")
      ]),
    .prefixed(
      "anthropic-api-key", "Anthropic API key", .high, [.lit("sk-ant-api03-"), .run(.base64url, 93), .lit("AA")],
      positives: [
        "ANTHROPIC_API_KEY=sk-ant-api03-OG7FMC3MXYsByQQ8WP-iwdXZ-jefzEYmYiGjo2FTzGIB_natLjFHhMHXZtDDbM0lKaLvrOCNNzZMUaXUqilRLHmsCZjcmAA"
      ],
      negatives: ["ANTHROPIC_API_KEY=sk-ant-api03-...", "ANTHROPIC_API_KEY=sk-ant-api03-w9YD0z0CkJraIVjqKDn4AA"]),
    .prefixed(
      "anthropic-admin-key", "Anthropic Admin API key", .critical,
      [.lit("sk-ant-admin01-"), .run(.base64url, 93), .lit("AA")],
      positives: [
        "ANTHROPIC_ADMIN_KEY=\"sk-ant-admin01-yApU5TBBwhFlxt5d_qLmoCuhQVO1h9I3sEKaUzVG8j6tJv5pele_oWHhWABGRnsyUZc-01-tSmxu1CX9RzkPzcJ7RjVptAA\""
      ],
      negatives: ["ANTHROPIC_ADMIN_KEY=\"sk-ant-admin01-\""]),
    .prefixed(
      "anthropic-oauth-token", "Anthropic (Claude) OAuth token", .high,
      [.lit("sk-ant-oat01-"), .run(.base64url, 93), .lit("AA")],
      positives: [
        "CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-FdIhr2W3KFkh0_hc-_dd6KRw5vZVlHZPzJAqrSSlQgpdtdRztIXp9L23ufBzzGb9CMIGST4jzrs71Ypp3fwiVexNKB1U6AA"
      ], negatives: ["CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-"]),
    .prefixed(
      "huggingface-token", "Hugging Face user access token", .high, [.lit("hf_"), .run(.letters, 34)],
      positives: ["HF_TOKEN=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"],
      negatives: ["HF_TOKEN=hf_exzhsupPJf", "HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]),
    .prefixed(
      "huggingface-org-token", "Hugging Face organization API token", .high, [.lit("api_org_"), .run(.letters, 34)],
      positives: ["HF_ORG_TOKEN=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"], negatives: ["HF_ORG_TOKEN=api_org_kmCRwU"]
    ),
    .keyed(
      "cohere-api-key", "Cohere API key", .high, words: ["cohere", "co_api"], [.run(.alnum, 40)],
      qualifier: "key|token", keywords: ["cohere", "co_api"], entropy: 3.5, context: "COHERE_API_KEY={}",
      positives: ["COHERE_API_KEY=j7mRF9tDXOgBf4WunJf1hsdmcJVnQPgBXtfx7iUq"],
      negatives: ["COHERE_API_KEY=<your-cohere-key>"]),
    .prefixed(
      "groq-api-key", "Groq API key", .high, [.lit("gsk_"), .run(.alnum, 52)],
      positives: ["GROQ_API_KEY=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"],
      negatives: ["GROQ_API_KEY=gsk_wdptxbhLAruU"]),
    .keyed(
      "mistral-api-key", "Mistral AI API key", .high, words: ["mistral"], [.run(.alnum, 32)],
      qualifier: "key|token", entropy: 3.5, context: "MISTRAL_API_KEY={}",
      positives: ["MISTRAL_API_KEY=7JIq7uR21UcuQl8xhyFIuVVIO9JFbrTR"],
      negatives: ["MISTRAL_API_KEY=", "mistral model key: mistral-large"]),
    .prefixed(
      "replicate-api-token", "Replicate API token", .high, [.lit("r8_"), .run(.alnum, 37)],
      positives: ["REPLICATE_API_TOKEN=r8_XkBv5aY7i7qh3vrr1oJm9nBZ5b8NveTLeZAbK"],
      negatives: ["REPLICATE_API_TOKEN=r8_BBSjHtC"]),
    .prefixed(
      "perplexity-api-key", "Perplexity API key", .high, [.lit("pplx-"), .run(.alnum, 48)],
      positives: ["PERPLEXITY_API_KEY=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"],
      negatives: ["PERPLEXITY_API_KEY=pplx-6F3jbEbe"]),
    .prefixed(
      "xai-api-key", "xAI (Grok) API key", .high, [.lit("xai-"), .run(.alnum, 80)],
      positives: ["XAI_API_KEY=xai-BwyeUyUfF1EV9UULDDOb5Z5otBR9AOq9ywJnGmx1nFmbhge5SYoGGxXCkxCWEQ7KZA4BEnRvn0ACBFDR"],
      negatives: ["XAI_API_KEY=xai-J28m5bR5CDQxCsyblKn7"]),
    .keyed(
      "gemini-api-key", "Google Gemini API key", .high, words: ["gemini", "google_ai", "genai"],
      [.lit("AIza"), .run(.base64url, 35)], qualifier: "key|token", context: "GEMINI_API_KEY={}",
      positives: ["GEMINI_API_KEY=AIzaKYX5AvnmFcVJ0ryBkZiwZbNPdQOTnGke8n1"],
      negatives: ["GEMINI_API_KEY=AIza...", "gemini key from the console"]),
    .keyed(
      "deepseek-api-key", "DeepSeek API key", .high, words: ["deepseek"], [.lit("sk-"), .run(.hex, 32)],
      qualifier: "key|token", context: "DEEPSEEK_API_KEY={}",
      positives: ["DEEPSEEK_API_KEY=sk-504a62cbd6b68acc5d693f143f6d3a43"], negatives: ["DEEPSEEK_API_KEY=sk-788efc15"]),
    .prefixed(
      "together-api-key", "Together AI API key", .high, [.lit("tgp_v1_"), .run(.base64url, 43)],
      positives: ["TOGETHER_API_KEY=tgp_v1_0kyCQTDOkxoQcHjHaWVIrks-6IqyqpGMVimxsO2rcod"],
      negatives: ["TOGETHER_API_KEY=tgp_v1_"]),
    .prefixed(
      "fireworks-api-key", "Fireworks AI API key", .high, [.lit("fw_"), .run(.alnum, 24)],
      positives: ["FIREWORKS_API_KEY=fw_3c3RRSaBig1xu3ewRWrqyfZ0"], negatives: ["FIREWORKS_API_KEY=fw_0BPCf"]),
    .prefixed(
      "openrouter-api-key", "OpenRouter API key", .high, [.lit("sk-or-v1-"), .run(.hex, 64)],
      positives: ["OPENROUTER_API_KEY=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"],
      negatives: ["OPENROUTER_API_KEY=sk-or-v1-e9196f8a5ea7058c"]),
    .prefixed(
      "langsmith-api-key", "LangSmith personal or service API key", .high,
      [.lit("lsv2_"), .run(.lower, 2), .lit("_"), .run(.hex, 32), .lit("_"), .run(.hex, 10)], keywords: ["lsv2_"],
      positives: [
        "LANGSMITH_API_KEY=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",
        "LANGCHAIN_API_KEY=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",
      ],
      negatives: ["LANGSMITH_API_KEY=lsv2_pt_7a5d64d4"]),
    .prefixed(
      "langfuse-secret-key", "Langfuse secret key", .high, [.lit("sk-lf-")] + Seg.uuid,
      positives: ["LANGFUSE_SECRET_KEY=sk-lf-a0c0386e-3995-5ef3-a395-75cbe085f242"],
      negatives: ["LANGFUSE_PUBLIC_KEY=pk-lf-a8eb7bc8-640e-fb3b-c7d9-40bfd37aba85"]),
    .prefixed(
      "pinecone-api-key", "Pinecone API key", .high,
      [.lit("pcsk_"), .run(.alnum, 4, 8), .lit("_"), .run(.alnum, 40, 80)],
      positives: ["PINECONE_API_KEY=pcsk_vt3E20_SDW6tbIIpbFsh6QsfKeIwGkx6vqOR6jJFVlck3n1tvAZCYIVszrCXEbuojiLFht"],
      negatives: ["PINECONE_API_KEY=pcsk_"]),
    .keyed(
      "pinecone-legacy-api-key", "Pinecone API key (UUID form)", .high, words: ["pinecone"], Seg.uuid,
      qualifier: "key", context: "PINECONE_API_KEY={}",
      positives: ["PINECONE_API_KEY=307864be-b210-d8f7-1529-9fb7d806cfa0"],
      negatives: ["PINECONE_ENVIRONMENT=us-west1-gcp"]),
    .keyed(
      "elevenlabs-api-key", "ElevenLabs API key", .high, words: ["elevenlabs", "xi-api-key", "xi_api_key"],
      [.lit("sk_"), .run(.hex, 48)], qualifier: "", context: "ELEVENLABS_API_KEY={}",
      positives: [
        "ELEVENLABS_API_KEY=sk_df97ceb4acdbdfb26613e405e3572e2b844f8c7961ab90ef",
        "\"xi-api-key\": \"sk_725a8cf02bd26a196c15cd78698f9902305ab2652ec03d5d\"",
      ],
      negatives: ["ELEVENLABS_API_KEY=sk_49dc43f2c4"]),
    .keyed(
      "assemblyai-api-key", "AssemblyAI API key", .high, words: ["assemblyai", "assembly_ai"], [.run(.hex, 32)],
      qualifier: "key|token", context: "ASSEMBLYAI_API_KEY={}",
      positives: ["ASSEMBLYAI_API_KEY=d6a4341f90c0e089daec0b88bbccbeb8"],
      negatives: ["ASSEMBLYAI_API_KEY=c4ccb740a9f3b782"]),
    .keyed(
      "deepgram-api-key", "Deepgram API key", .high, words: ["deepgram"], [.run(.hex, 40)],
      qualifier: "key|token|secret", context: "DEEPGRAM_API_KEY={}",
      positives: ["DEEPGRAM_API_KEY=af129fd3b038a826c36c0e2f52ffb5eecceead7a"],
      negatives: ["DEEPGRAM_API_KEY=${DG_KEY}"]),
    .keyed(
      "wandb-api-key", "Weights & Biases API key", .high, words: ["wandb"], [.run(.hex, 40)],
      qualifier: "key", context: "WANDB_API_KEY={}",
      positives: ["WANDB_API_KEY=affb4766e31d68cdaf3bd67e808f0c3c57bb8f2b"],
      negatives: ["WANDB_API_KEY=84538bba3c13d38e497f", "WANDB_PROJECT=demo"]),
    .prefixed(
      "cerebras-api-key", "Cerebras API key", .high, [.lit("csk-"), .run(.lowerAlnum, 48)],
      positives: ["CEREBRAS_API_KEY=csk-4s1ph532icodmg9y0p7xh0l20x50lm2alo2y35der5ixljdc"],
      negatives: ["CEREBRAS_API_KEY=csk-aq883806"]),
    .keyed(
      "voyage-api-key", "Voyage AI API key", .high, words: ["voyage"], [.lit("pa-"), .run(.base64url, 43)],
      qualifier: "key", context: "VOYAGE_API_KEY={}",
      positives: ["VOYAGE_API_KEY=pa-GA6ktrGAk-X5lG0RRQvGRd4rljaVRTPofgL6rf2f4_c"],
      negatives: ["VOYAGE_API_KEY=pa-4yW-9"]),
    .prefixed(
      "anyscale-api-key", "Anyscale API key", .high, [.lit("esecret_"), .run(.lowerAlnum, 26)],
      positives: ["ANYSCALE_API_KEY=esecret_abv5m97e0ivgbc4wdmiqz1qlzh"], negatives: ["ANYSCALE_API_KEY=esecret_"]),
    .keyed(
      "clarifai-api-key", "Clarifai personal access token", .high, words: ["clarifai"], [.run(.hex, 32)],
      qualifier: "key|pat|token", context: "CLARIFAI_PAT={}",
      positives: ["CLARIFAI_PAT=09b4cb901ab08353702ca5481ca0aca6"], negatives: ["CLARIFAI_PAT="]),
    .keyed(
      "stability-api-key", "Stability AI API key", .high, words: ["stability"], [.lit("sk-"), .run(.alnum, 48)],
      qualifier: "key", context: "STABILITY_API_KEY={}",
      positives: ["STABILITY_API_KEY=sk-DrlaVFBGayflolfoCGBRPwhxBtBlqd6NG1rtv2PVXfV6n0tU"],
      negatives: ["STABILITY_API_KEY=sk-rwBf7uobMu"]),
    .prefixed(
      "nvidia-api-key", "NVIDIA NIM / build.nvidia.com API key", .high, [.lit("nvapi-"), .run(.base64url, 64)],
      positives: ["NVIDIA_API_KEY=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"],
      negatives: ["NVIDIA_API_KEY=nvapi-98zVWbIj"]),
    .keyed(
      "ai21-api-key", "AI21 Labs API key", .high, words: ["ai21"], [.run(.alnum, 32)], qualifier: "key",
      entropy: 3.5, context: "AI21_API_KEY={}",
      positives: ["AI21_API_KEY=hs7fyFR9zWY0DqgxyYbBhJ15fPoO9lRP"], negatives: ["AI21_API_KEY=<key>"]),
    .prefixed(
      "runpod-api-key", "RunPod API key", .high, [.lit("rpa_"), .run(.upperAlnum, 40, 48)],
      positives: ["RUNPOD_API_KEY=rpa_2Q8IHKH1RBHGQ4LAFWVDUB1DI5DAJE600D5XYSOIG4UE"],
      negatives: ["RUNPOD_API_KEY=rpa_PDO1"]),
  ]
}
