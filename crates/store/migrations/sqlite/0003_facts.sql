-- Website scans and the facts they found. Facts are append-only: a new scan adds a new
-- version and never overwrites or deletes an older one; a company's current facts are those
-- of its latest done scan. Email verifications are facts of a contact without a scan.

CREATE TABLE scans (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    company_id    BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    url           TEXT   NOT NULL,
    state         TEXT   NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued','running','done','failed')),
    error         TEXT,
    pages         BIGINT NOT NULL DEFAULT 0,
    website_score BIGINT,
    job_id        BIGINT,
    created_at    BIGINT NOT NULL,
    started_at    BIGINT,
    finished_at   BIGINT
);
CREATE INDEX scans_ws_company ON scans(workspace_id, company_id, id);
CREATE INDEX scans_ws_job ON scans(workspace_id, job_id);

CREATE TABLE facts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    company_id   BIGINT REFERENCES companies(id) ON DELETE CASCADE,
    contact_id   BIGINT REFERENCES contacts(id) ON DELETE CASCADE,
    scan_id      BIGINT REFERENCES scans(id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL,
    value        TEXT   NOT NULL,
    data         TEXT   NOT NULL DEFAULT '{}',
    source_url   TEXT,
    confidence   REAL NOT NULL DEFAULT 1,
    seen_at      BIGINT NOT NULL
);
CREATE INDEX facts_ws_scan ON facts(workspace_id, scan_id, kind, id);
CREATE INDEX facts_ws_company ON facts(workspace_id, company_id, kind, id);
CREATE INDEX facts_ws_contact ON facts(workspace_id, contact_id, kind, id);
