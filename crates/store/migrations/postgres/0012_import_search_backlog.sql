-- Imports still being indexed for search (see the SQLite migration of the same number). On
-- SQLite, large imports add their rows' FTS5 entries once at the end instead of per row;
-- PostgreSQL keeps its GIN index current per row (its pending list already batches the
-- work), so the table stays empty here and exists for one schema on both backends.

CREATE TABLE search_backlog (
    import_id       BIGINT PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    contacts_after  BIGINT NOT NULL,
    companies_after BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
