-- Inbound email: mailboxes polled over IMAP, every inbound message stored raw first
-- (deduplicated per workspace by its Message-ID or the provider's event id), provider
-- webhook events stored raw before processing, and conversations (the thread with a contact,
-- inbound and outbound).
--
-- `inbound_messages.dedup_key` is UNIQUE per workspace: storing the same message twice (an
-- IMAP re-poll after a crash, a provider's webhook retry) is a no-op, so processing happens
-- once. `webhook_events` is unique per provider on the provider's event id for the same reason.

CREATE TABLE mailboxes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id   BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    sender_id      BIGINT REFERENCES senders(id) ON DELETE SET NULL,
    imap_url       TEXT   NOT NULL,
    display        TEXT   NOT NULL,
    state          TEXT   NOT NULL DEFAULT 'active' CHECK (state IN ('active','paused','error')),
    last_error     TEXT,
    uidvalidity    BIGINT,
    last_uid       BIGINT,
    last_polled_at BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX mailboxes_ws_sender ON mailboxes(workspace_id, sender_id);
-- The poll job scans active mailboxes of every workspace.
CREATE INDEX mailboxes_state ON mailboxes(state, id);

CREATE TABLE inbound_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    mailbox_id   BIGINT REFERENCES mailboxes(id) ON DELETE SET NULL,
    source       TEXT   NOT NULL,
    dedup_key    TEXT   NOT NULL,
    raw          TEXT   NOT NULL,
    truncated    BOOLEAN NOT NULL DEFAULT FALSE,
    kind         TEXT,
    message_id   BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    contact_id   BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    summary      TEXT   NOT NULL DEFAULT '{}',
    received_at  BIGINT NOT NULL,
    processed_at BIGINT,
    error        TEXT
);
CREATE UNIQUE INDEX inbound_messages_ws_dedup ON inbound_messages(workspace_id, dedup_key);
CREATE INDEX inbound_messages_ws_id ON inbound_messages(workspace_id, id);
CREATE INDEX inbound_messages_message_fk ON inbound_messages(message_id);
CREATE INDEX inbound_messages_contact_fk ON inbound_messages(contact_id);
CREATE INDEX inbound_messages_mailbox_fk ON inbound_messages(mailbox_id);

-- Where a workspace's providers post: `/hooks/{provider}/{token}` (sendgrid, resend,
-- inbound). `secret` (encrypted) is the SendGrid verification key or the Svix signing secret.
CREATE TABLE webhook_endpoints (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    provider     TEXT   NOT NULL,
    token        TEXT   NOT NULL UNIQUE,
    secret       TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhook_endpoints_ws_provider ON webhook_endpoints(workspace_id, provider);

CREATE TABLE webhook_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE,
    provider     TEXT   NOT NULL,
    event_id     TEXT   NOT NULL,
    raw          TEXT   NOT NULL,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT,
    error        TEXT
);
CREATE UNIQUE INDEX webhook_events_provider_event ON webhook_events(provider, event_id);
CREATE INDEX webhook_events_ws ON webhook_events(workspace_id, id);

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    contact_id      BIGINT  NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL DEFAULT 'email',
    subject         TEXT,
    last_message_at BIGINT  NOT NULL,
    unread          BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE UNIQUE INDEX conversations_ws_contact_channel ON conversations(workspace_id, contact_id, channel);
CREATE INDEX conversations_ws_last ON conversations(workspace_id, last_message_at, id);
CREATE INDEX conversations_contact_fk ON conversations(contact_id);

CREATE TABLE conversation_messages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id       BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    conversation_id    BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    direction          TEXT   NOT NULL CHECK (direction IN ('in','out')),
    message_id         BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    inbound_message_id BIGINT REFERENCES inbound_messages(id) ON DELETE SET NULL,
    from_address       TEXT,
    to_address         TEXT,
    subject            TEXT,
    body_text          TEXT   NOT NULL DEFAULT '',
    created_at         BIGINT NOT NULL
);
CREATE INDEX conversation_messages_ws_conv ON conversation_messages(workspace_id, conversation_id, id);
CREATE INDEX conversation_messages_conv_fk ON conversation_messages(conversation_id);
CREATE INDEX conversation_messages_message_fk ON conversation_messages(message_id);
CREATE INDEX conversation_messages_inbound_fk ON conversation_messages(inbound_message_id);
