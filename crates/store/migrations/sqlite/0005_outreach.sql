-- Email outreach: senders, templates, campaigns with their steps, A/B variants and senders,
-- enrollments, and the outbox (`messages`) with its append-only status history
-- (`message_events`) and click-tracking links.
--
-- The outbox: a message row is written (queued or pending_approval) in the same transaction
-- that advances the enrollment; a worker claims it into `sending` with an attempt id and a
-- lease, then records `sent` with the provider id. A `sending` row whose lease expired becomes
-- `uncertain` (never silently queued again). `status` holds only this send lifecycle; what
-- happens after the send (delivered, opened, clicked, replied, bounced, unsubscribed,
-- complained) is recorded as events plus the first time of each on the message row, for stats.
--
-- `unsubscribe_token` (random, unique) resolves the public `/u/{token}` page and the open
-- pixel without a session; `tracking_links.token` resolves click redirects.
--
-- Foreign keys: a delete of a parent row looks its children up by the child column, so each
-- cascade that can touch many rows (a contact's enrollments and messages, a message's events
-- and links) has an index led by that column (`*_fk`); those indexes serve no tenant query.
-- A message keeps its campaign, enrollment, step and variant ids as plain history pointers:
-- those rows are not deleted once messages exist (only draft campaigns can be deleted), and
-- foreign keys there would make each such delete scan the whole outbox.
-- CHECK constraints cover the closed lifecycle sets only; kinds and channels grow with new
-- providers and are validated by the app.

CREATE TABLE senders (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id         BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name                 TEXT   NOT NULL,
    kind                 TEXT   NOT NULL,
    from_email           TEXT   NOT NULL,
    from_name            TEXT,
    reply_to             TEXT,
    config               TEXT   NOT NULL DEFAULT '{}',
    secret               TEXT,
    daily_limit          BIGINT NOT NULL,
    warmup_start         BIGINT,
    warmup_increment     BIGINT NOT NULL DEFAULT 0,
    warmup_started_at    BIGINT,
    signature            TEXT,
    dkim_selector        TEXT,
    dkim_private_key     TEXT,
    dkim_domain          TEXT,
    state                TEXT   NOT NULL DEFAULT 'active' CHECK (state IN ('active','paused')),
    paused_reason        TEXT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_used_at         BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX senders_ws_name ON senders(workspace_id, name);

CREATE TABLE templates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    channel      TEXT   NOT NULL DEFAULT 'email',
    subject      TEXT,
    body_text    TEXT   NOT NULL DEFAULT '',
    body_html    TEXT,
    variables    TEXT   NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX templates_ws_name ON templates(workspace_id, name);

CREATE TABLE outreach_campaigns (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id      BIGINT  NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    state             TEXT    NOT NULL DEFAULT 'draft'
                      CHECK (state IN ('draft','active','paused','stopped','completed')),
    state_reason      TEXT,
    audience          TEXT    NOT NULL DEFAULT '{}',
    schedule          TEXT    NOT NULL DEFAULT '{}',
    stop_on           TEXT    NOT NULL DEFAULT '[]',
    track_opens       BOOLEAN NOT NULL DEFAULT FALSE,
    track_clicks      BOOLEAN NOT NULL DEFAULT FALSE,
    min_gap_seconds   BIGINT  NOT NULL DEFAULT 0,
    approval_required BOOLEAN NOT NULL DEFAULT FALSE,
    created_by        BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    started_at        BIGINT
);
CREATE INDEX outreach_campaigns_ws ON outreach_campaigns(workspace_id, id);
CREATE INDEX outreach_campaigns_state ON outreach_campaigns(state, id);

CREATE TABLE campaign_senders (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    campaign_id  BIGINT NOT NULL REFERENCES outreach_campaigns(id) ON DELETE CASCADE,
    sender_id    BIGINT NOT NULL REFERENCES senders(id) ON DELETE CASCADE,
    position     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, campaign_id, sender_id)
);
CREATE INDEX campaign_senders_ws_sender ON campaign_senders(workspace_id, sender_id);

CREATE TABLE sequence_steps (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT  NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    campaign_id   BIGINT  NOT NULL REFERENCES outreach_campaigns(id) ON DELETE CASCADE,
    position      BIGINT  NOT NULL,
    channel       TEXT    NOT NULL DEFAULT 'email',
    delay_days    BIGINT  NOT NULL DEFAULT 0,
    business_days BOOLEAN NOT NULL DEFAULT FALSE,
    template_id   BIGINT  REFERENCES templates(id),
    subject       TEXT,
    body_text     TEXT,
    body_html     TEXT,
    conditions    TEXT    NOT NULL DEFAULT '{}',
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX sequence_steps_ws_campaign ON sequence_steps(workspace_id, campaign_id, position);
CREATE INDEX sequence_steps_ws_template ON sequence_steps(workspace_id, template_id);

CREATE TABLE step_variants (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    step_id      BIGINT NOT NULL REFERENCES sequence_steps(id) ON DELETE CASCADE,
    label        TEXT   NOT NULL,
    subject      TEXT,
    body_text    TEXT,
    body_html    TEXT,
    weight       BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX step_variants_ws_step ON step_variants(workspace_id, step_id, label);

CREATE TABLE enrollments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    campaign_id     BIGINT NOT NULL REFERENCES outreach_campaigns(id) ON DELETE CASCADE,
    contact_id      BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    state           TEXT   NOT NULL DEFAULT 'active'
                    CHECK (state IN ('active','paused','completed','stopped')),
    current_step    BIGINT NOT NULL DEFAULT 0,
    next_at         BIGINT,
    sender_id       BIGINT REFERENCES senders(id) ON DELETE SET NULL,
    stop_reason     TEXT,
    last_message_id BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX enrollments_ws_campaign_contact ON enrollments(workspace_id, campaign_id, contact_id);
CREATE INDEX enrollments_ws_campaign_state ON enrollments(workspace_id, campaign_id, state, next_at);
CREATE INDEX enrollments_ws_contact ON enrollments(workspace_id, contact_id, state);
CREATE INDEX enrollments_contact_fk ON enrollments(contact_id);
-- The sequence tick scans due enrollments of every workspace.
CREATE INDEX enrollments_due ON enrollments(state, next_at);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id      BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    campaign_id       BIGINT,
    enrollment_id     BIGINT,
    step_id           BIGINT,
    variant_id        BIGINT,
    contact_id        BIGINT REFERENCES contacts(id) ON DELETE CASCADE,
    channel           TEXT   NOT NULL DEFAULT 'email',
    sender_id         BIGINT REFERENCES senders(id) ON DELETE SET NULL,
    from_address      TEXT,
    to_address        TEXT   NOT NULL,
    subject           TEXT,
    body_text         TEXT   NOT NULL DEFAULT '',
    body_html         TEXT,
    message_id_header TEXT   UNIQUE,
    in_reply_to       TEXT,
    unsubscribe_token TEXT   UNIQUE,
    status            TEXT   NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('pending_approval','queued','sending','sent','failed',
                                        'uncertain','rejected','cancelled')),
    attempt_id        TEXT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    locked_until      BIGINT,
    attempted_at      BIGINT,
    provider_id       TEXT,
    error             TEXT,
    cost_minor        BIGINT,
    currency          TEXT,
    scheduled_at      BIGINT NOT NULL,
    sent_at           BIGINT,
    delivered_at      BIGINT,
    opened_at         BIGINT,
    clicked_at        BIGINT,
    replied_at        BIGINT,
    bounced_at        BIGINT,
    unsubscribed_at   BIGINT,
    complained_at     BIGINT,
    opens             BIGINT NOT NULL DEFAULT 0,
    clicks            BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX messages_ws_campaign_status ON messages(workspace_id, campaign_id, status, id);
CREATE INDEX messages_ws_contact ON messages(workspace_id, contact_id, id);
CREATE INDEX messages_contact_fk ON messages(contact_id);
CREATE INDEX messages_ws_sender ON messages(workspace_id, sender_id, attempted_at);
CREATE INDEX messages_ws_to ON messages(workspace_id, to_address, id);
CREATE UNIQUE INDEX messages_ws_provider ON messages(workspace_id, provider_id)
    WHERE provider_id IS NOT NULL;
-- The sender queue and the lease expiry scan rows of every workspace.
CREATE INDEX messages_queue ON messages(status, scheduled_at);

CREATE TABLE message_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    message_id   BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL,
    detail       TEXT,
    data         TEXT   NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL
);
CREATE INDEX message_events_ws_message ON message_events(workspace_id, message_id, id);
CREATE INDEX message_events_message_fk ON message_events(message_id);

CREATE TABLE tracking_links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    message_id   BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    token        TEXT   NOT NULL UNIQUE,
    url          TEXT   NOT NULL,
    clicks       BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);
CREATE INDEX tracking_links_ws_message ON tracking_links(workspace_id, message_id, id);
CREATE INDEX tracking_links_message_fk ON tracking_links(message_id);
