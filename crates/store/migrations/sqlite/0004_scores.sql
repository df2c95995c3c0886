-- Lead scores and AI business analyses. A company has at most one score: the current one,
-- upserted on UNIQUE (workspace_id, company_id) every time it is recomputed (after a scan,
-- an import or a profile change), with its factors as JSON and the model version that made
-- it. Analyses are kept as history; the newest row of a company is the one shown.
-- The workspace's ideal customer profile lives in workspaces.settings under "icp".

CREATE TABLE scores (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    company_id    BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    value         BIGINT NOT NULL,
    tier          TEXT   NOT NULL CHECK (tier IN ('A','B','C')),
    reason        TEXT   NOT NULL,
    factors       TEXT   NOT NULL DEFAULT '[]',
    model_version TEXT   NOT NULL,
    computed_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, company_id)
);
CREATE INDEX scores_ws_value ON scores(workspace_id, value, company_id);
CREATE INDEX scores_ws_tier ON scores(workspace_id, tier, company_id);

CREATE TABLE analyses (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    company_id    BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    summary       TEXT   NOT NULL,
    pain_points   TEXT   NOT NULL DEFAULT '[]',
    hooks         TEXT   NOT NULL DEFAULT '[]',
    opening_line  TEXT   NOT NULL,
    provider      TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX analyses_ws_company ON analyses(workspace_id, company_id, id);
