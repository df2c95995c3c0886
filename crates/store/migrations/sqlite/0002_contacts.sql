-- Contacts, companies, tags, notes, the activity timeline, imports with their row errors,
-- and suppressions. Search uses `search_text` (lower-cased words of name, email, phone,
-- company, domain), indexed by FTS5 on SQLite and a tsvector GIN index on PostgreSQL.

CREATE TABLE companies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name         TEXT,
    name_key     TEXT,
    domain       TEXT,
    website      TEXT,
    phone        TEXT,
    category     TEXT,
    address      TEXT,
    city         TEXT,
    region       TEXT,
    postal_code  TEXT,
    country      TEXT,
    latitude     REAL,
    longitude    REAL,
    rating       REAL,
    review_count BIGINT,
    source       TEXT   NOT NULL DEFAULT 'manual',
    source_id    TEXT,
    custom       TEXT   NOT NULL DEFAULT '{}',
    notes        TEXT,
    search_text  TEXT   NOT NULL DEFAULT '',
    import_id    BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX companies_ws_id ON companies(workspace_id, id);
CREATE INDEX companies_ws_domain ON companies(workspace_id, domain);
CREATE INDEX companies_ws_phone ON companies(workspace_id, phone);
CREATE INDEX companies_ws_name_key ON companies(workspace_id, name_key);

CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    company_id       BIGINT REFERENCES companies(id) ON DELETE SET NULL,
    first_name       TEXT,
    last_name        TEXT,
    full_name        TEXT,
    job_title        TEXT,
    email            TEXT,
    phone            TEXT,
    whatsapp         TEXT,
    address          TEXT,
    city             TEXT,
    region           TEXT,
    postal_code      TEXT,
    country          TEXT,
    person_key       TEXT,
    custom           TEXT   NOT NULL DEFAULT '{}',
    notes            TEXT,
    source           TEXT   NOT NULL DEFAULT 'manual',
    lead_stage       TEXT,
    lead_source      TEXT,
    consent_email    TEXT   NOT NULL DEFAULT 'unknown',
    consent_whatsapp TEXT   NOT NULL DEFAULT 'unknown',
    consent_sms      TEXT   NOT NULL DEFAULT 'unknown',
    search_text      TEXT   NOT NULL DEFAULT '',
    import_id        BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX contacts_ws_id ON contacts(workspace_id, id);
CREATE UNIQUE INDEX contacts_ws_email ON contacts(workspace_id, email);
CREATE INDEX contacts_ws_phone ON contacts(workspace_id, phone);
CREATE INDEX contacts_ws_whatsapp ON contacts(workspace_id, whatsapp);
CREATE INDEX contacts_ws_person ON contacts(workspace_id, person_key);
CREATE INDEX contacts_ws_company ON contacts(workspace_id, company_id);
CREATE INDEX contacts_ws_stage ON contacts(workspace_id, lead_stage, id);

CREATE TABLE contact_tags (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    contact_id   BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag          TEXT   NOT NULL,
    PRIMARY KEY (workspace_id, contact_id, tag)
);
CREATE INDEX contact_tags_ws_tag ON contact_tags(workspace_id, tag, contact_id);

CREATE TABLE company_tags (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    company_id   BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    tag          TEXT   NOT NULL,
    PRIMARY KEY (workspace_id, company_id, tag)
);
CREATE INDEX company_tags_ws_tag ON company_tags(workspace_id, tag, company_id);

CREATE TABLE notes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    contact_id   BIGINT REFERENCES contacts(id) ON DELETE CASCADE,
    company_id   BIGINT REFERENCES companies(id) ON DELETE CASCADE,
    user_id      BIGINT REFERENCES users(id) ON DELETE SET NULL,
    body         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX notes_ws_contact ON notes(workspace_id, contact_id, id);
CREATE INDEX notes_ws_company ON notes(workspace_id, company_id, id);

CREATE TABLE activities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    contact_id   BIGINT REFERENCES contacts(id) ON DELETE CASCADE,
    company_id   BIGINT REFERENCES companies(id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL,
    summary      TEXT   NOT NULL,
    data         TEXT   NOT NULL DEFAULT '{}',
    actor        TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX activities_ws_contact ON activities(workspace_id, contact_id, id);
CREATE INDEX activities_ws_company ON activities(workspace_id, company_id, id);

CREATE TABLE imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id         BIGINT REFERENCES users(id) ON DELETE SET NULL,
    file_name       TEXT   NOT NULL,
    file_path       TEXT   NOT NULL,
    file_size       BIGINT NOT NULL DEFAULT 0,
    file_sha256     TEXT   NOT NULL DEFAULT '',
    encoding        TEXT,
    delimiter       TEXT,
    mapping         TEXT   NOT NULL DEFAULT '[]',
    default_country TEXT,
    on_duplicate    TEXT   NOT NULL DEFAULT 'skip',
    dry_run         BOOLEAN NOT NULL DEFAULT FALSE,
    state           TEXT   NOT NULL DEFAULT 'pending',
    job_id          BIGINT,
    rows_total      BIGINT NOT NULL DEFAULT 0,
    rows_done       BIGINT NOT NULL DEFAULT 0,
    bytes_done      BIGINT NOT NULL DEFAULT 0,
    created         BIGINT NOT NULL DEFAULT 0,
    updated         BIGINT NOT NULL DEFAULT 0,
    duplicates      BIGINT NOT NULL DEFAULT 0,
    errors          BIGINT NOT NULL DEFAULT 0,
    warnings        BIGINT NOT NULL DEFAULT 0,
    contacts_created  BIGINT NOT NULL DEFAULT 0,
    companies_created BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      BIGINT NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX imports_ws ON imports(workspace_id, id);

CREATE TABLE import_errors (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    import_id    BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    row_number   BIGINT NOT NULL,
    line         BIGINT NOT NULL,
    column_name  TEXT   NOT NULL,
    value        TEXT   NOT NULL,
    reason       TEXT   NOT NULL,
    severity     TEXT   NOT NULL
);
CREATE INDEX import_errors_ws_import ON import_errors(workspace_id, import_id, id);

CREATE TABLE suppressions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL CHECK (kind IN ('email','phone','domain')),
    value        TEXT   NOT NULL,
    reason       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, kind, value)
);

CREATE VIRTUAL TABLE contacts_fts USING fts5(search_text, content='contacts', content_rowid='id',
    tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER contacts_fts_au AFTER UPDATE OF search_text ON contacts BEGIN
    INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE VIRTUAL TABLE companies_fts USING fts5(search_text, content='companies', content_rowid='id',
    tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER companies_fts_ai AFTER INSERT ON companies BEGIN
    INSERT INTO companies_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER companies_fts_ad AFTER DELETE ON companies BEGIN
    INSERT INTO companies_fts(companies_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER companies_fts_au AFTER UPDATE OF search_text ON companies BEGIN
    INSERT INTO companies_fts(companies_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO companies_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
