-- Large imports build their rows' full-text entries once, at the end, instead of one FTS5
-- insert per row: per-row maintenance of contacts_fts and companies_fts was a third of an
-- import's database time (2026-12-02, issue 4).
--
-- While an import is listed in `search_backlog`, the FTS triggers leave its rows alone
-- (insert, update and delete alike), so none of them is in the index; when it finishes, its
-- rows are added in one pass (ids above `contacts_after` / `companies_after`, the highest ids
-- when it began) and the entry is removed in the same transaction. Rows of other imports and
-- rows typed in by hand are indexed as before, also while an import runs.

CREATE TABLE search_backlog (
    import_id       INTEGER PRIMARY KEY,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    contacts_after  BIGINT NOT NULL,
    companies_after BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);

DROP TRIGGER contacts_fts_ai;
DROP TRIGGER contacts_fts_ad;
DROP TRIGGER contacts_fts_au;
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts
WHEN new.import_id IS NULL OR new.import_id NOT IN (SELECT import_id FROM search_backlog) BEGIN
    INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts
WHEN old.import_id IS NULL OR old.import_id NOT IN (SELECT import_id FROM search_backlog) BEGIN
    INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER contacts_fts_au AFTER UPDATE OF search_text ON contacts
WHEN old.import_id IS NULL OR old.import_id NOT IN (SELECT import_id FROM search_backlog) BEGIN
    INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;

DROP TRIGGER companies_fts_ai;
DROP TRIGGER companies_fts_ad;
DROP TRIGGER companies_fts_au;
CREATE TRIGGER companies_fts_ai AFTER INSERT ON companies
WHEN new.import_id IS NULL OR new.import_id NOT IN (SELECT import_id FROM search_backlog) BEGIN
    INSERT INTO companies_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER companies_fts_ad AFTER DELETE ON companies
WHEN old.import_id IS NULL OR old.import_id NOT IN (SELECT import_id FROM search_backlog) BEGIN
    INSERT INTO companies_fts(companies_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER companies_fts_au AFTER UPDATE OF search_text ON companies
WHEN old.import_id IS NULL OR old.import_id NOT IN (SELECT import_id FROM search_backlog) BEGIN
    INSERT INTO companies_fts(companies_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO companies_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
