-- WhatsApp Business Cloud API and Twilio SMS: one connection of each per workspace (secrets
-- AES-256-GCM encrypted by the app), WhatsApp templates with their approval status, the
-- 24-hour customer-service window (last inbound per workspace, our number and contact), the
-- channel part of outbox messages (`messages` rows with channel 'whatsapp' | 'sms'), the
-- editable rate card, the append-only cost ledger, and broadcasts.
--
-- Raw webhook events reuse `webhook_events` (0006) with provider 'whatsapp' | 'twilio' and an
-- event id prefixed by the workspace, so a retried or duplicated delivery is a no-op.

CREATE TABLE wa_connections (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id         BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind                 TEXT   NOT NULL DEFAULT 'cloud' CHECK (kind IN ('cloud','sandbox')),
    phone_number_id      TEXT   NOT NULL,
    waba_id              TEXT   NOT NULL,
    access_token         TEXT   NOT NULL,
    app_secret           TEXT   NOT NULL,
    verify_token         TEXT   NOT NULL,
    api_version          TEXT   NOT NULL,
    api_base             TEXT   NOT NULL,
    webhook_token        TEXT   NOT NULL UNIQUE,
    display_phone_number TEXT,
    verified_name        TEXT,
    quality_rating       TEXT,
    messaging_limit_tier TEXT,
    daily_limit          BIGINT,
    throughput_mps       BIGINT NOT NULL DEFAULT 80,
    last_tested_at       BIGINT,
    last_error           TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX wa_connections_ws ON wa_connections(workspace_id);

CREATE TABLE sms_connections (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id          BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind                  TEXT   NOT NULL DEFAULT 'twilio' CHECK (kind IN ('twilio','sandbox')),
    account_sid           TEXT   NOT NULL,
    auth_token            TEXT   NOT NULL,
    from_number           TEXT,
    messaging_service_sid TEXT,
    api_base              TEXT   NOT NULL,
    webhook_token         TEXT   NOT NULL UNIQUE,
    help_text             TEXT,
    last_tested_at        BIGINT,
    last_error            TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE UNIQUE INDEX sms_connections_ws ON sms_connections(workspace_id);

CREATE TABLE wa_templates (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name             TEXT   NOT NULL,
    language         TEXT   NOT NULL,
    category         TEXT   NOT NULL,
    parameter_format TEXT   NOT NULL DEFAULT 'POSITIONAL',
    components       TEXT   NOT NULL DEFAULT '[]',
    status           TEXT   NOT NULL,
    rejection_reason TEXT,
    quality_score    TEXT,
    provider_id      TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX wa_templates_ws_name_lang ON wa_templates(workspace_id, name, language);
CREATE INDEX wa_templates_ws_provider ON wa_templates(workspace_id, provider_id);

-- The 24-hour customer-service window: refreshed by every inbound message.
CREATE TABLE wa_windows (
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    phone_number_id TEXT   NOT NULL,
    wa_id           TEXT   NOT NULL,
    contact_id      BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    last_inbound_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, phone_number_id, wa_id)
);
CREATE INDEX wa_windows_contact_fk ON wa_windows(contact_id);

CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    channel      TEXT   NOT NULL DEFAULT 'whatsapp',
    template_id  BIGINT REFERENCES wa_templates(id) ON DELETE SET NULL,
    params       TEXT   NOT NULL DEFAULT '[]',
    audience     TEXT   NOT NULL DEFAULT '{}',
    scheduled_at BIGINT NOT NULL,
    state        TEXT   NOT NULL DEFAULT 'scheduled'
                 CHECK (state IN ('scheduled','queueing','sending','done','failed')),
    total        BIGINT NOT NULL DEFAULT 0,
    skipped      BIGINT NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX broadcasts_ws_id ON broadcasts(workspace_id, id);
CREATE INDEX broadcasts_template_fk ON broadcasts(template_id);

-- The channel part of a `messages` row: what to send (a template with its parameters, or
-- free text that needs the window, with an optional fallback template), and the furthest
-- provider status reached (statuses arrive out of order; `status_rank` only grows).
CREATE TABLE channel_messages (
    message_id      BIGINT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel         TEXT   NOT NULL,
    kind            TEXT   NOT NULL CHECK (kind IN ('template','text')),
    template_name   TEXT,
    language        TEXT,
    params          TEXT   NOT NULL DEFAULT '[]',
    fallback        TEXT,
    category        TEXT,
    country         TEXT,
    segments        BIGINT,
    encoding        TEXT,
    broadcast_id    BIGINT REFERENCES broadcasts(id) ON DELETE SET NULL,
    provider_status TEXT,
    status_rank     BIGINT NOT NULL DEFAULT 0,
    status_at       BIGINT,
    error_code      BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX channel_messages_ws_broadcast ON channel_messages(workspace_id, broadcast_id);
CREATE INDEX channel_messages_broadcast_fk ON channel_messages(broadcast_id);

-- Price per message (WhatsApp: per category; SMS: per segment) by country; '*' is the
-- fallback line. Seeded by the app with defaults the first time a workspace needs one.
CREATE TABLE rate_cards (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel      TEXT   NOT NULL,
    country      TEXT   NOT NULL,
    category     TEXT   NOT NULL,
    price_minor  BIGINT NOT NULL CHECK (price_minor >= 0),
    currency     TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX rate_cards_ws_line ON rate_cards(workspace_id, channel, country, category);

-- Append-only: one debit per message (unique), never updated or deleted by the app.
CREATE TABLE cost_ledger (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    message_id   BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    channel      TEXT   NOT NULL,
    kind         TEXT   NOT NULL CHECK (kind IN ('debit','credit')),
    amount_minor BIGINT NOT NULL,
    currency     TEXT   NOT NULL,
    description  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX cost_ledger_message_kind ON cost_ledger(message_id, kind);
CREATE INDEX cost_ledger_ws_id ON cost_ledger(workspace_id, id);

-- The messaging webhook job reads the unprocessed events of its providers in order.
CREATE INDEX webhook_events_pending ON webhook_events(provider, processed_at, id);
