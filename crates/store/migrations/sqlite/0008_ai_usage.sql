-- AI accounting and cache (issue 5) and the scan/verify follow-ups (issue 9).
--
-- api_usage: one row per AI request that reached a provider, and one per answer served from
-- the cache (cached = 1, zero tokens and cost), so a workspace can see what it spent and
-- what the cache saved. Cost is an integer in micro-units of the price currency
-- (1 USD = 1,000,000): a single cheap call costs a fraction of a cent, so cents would round
-- every call to zero or one. The monthly budget sums cost_micros since the first of the
-- month (UTC) from (workspace_id, created_at).
CREATE TABLE api_usage (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    provider      TEXT   NOT NULL,
    model         TEXT   NOT NULL,
    feature       TEXT   NOT NULL,
    input_tokens  BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cost_micros   BIGINT NOT NULL DEFAULT 0,
    cached        BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX api_usage_ws_created ON api_usage(workspace_id, created_at);

-- Validated model answers by prompt hash (sha256 over provider, model, prompts and schema),
-- per workspace so one tenant's answers are never served to another.
CREATE TABLE ai_cache (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    prompt_hash  TEXT   NOT NULL,
    response     TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, prompt_hash)
);

-- Why an analysis came from the deterministic fallback although a provider is configured
-- (budget spent, rate limited, invalid output...), shown beside the analysis.
ALTER TABLE analyses ADD COLUMN fallback_reason TEXT;
