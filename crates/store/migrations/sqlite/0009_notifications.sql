-- Reply notifications: an in-app notification per event worth a member's attention (a reply
-- that made a lead), read or unread per workspace; an optional outgoing webhook per
-- workspace (URL + encrypted signing secret) and the log of its deliveries, each retried
-- with backoff by the `notifications.deliver` job until it succeeds or gives up.
--
-- `notifications.dedup_key` is UNIQUE per workspace so reprocessing the same inbound message
-- never notifies twice; `webhook_deliveries.notification_id` is UNIQUE per webhook for the
-- same reason.

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind            TEXT   NOT NULL,
    title           TEXT   NOT NULL,
    body            TEXT   NOT NULL DEFAULT '',
    link            TEXT,
    contact_id      BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    conversation_id BIGINT REFERENCES conversations(id) ON DELETE SET NULL,
    dedup_key       TEXT   NOT NULL,
    read_at         BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX notifications_ws_dedup ON notifications(workspace_id, dedup_key);
CREATE INDEX notifications_ws_id ON notifications(workspace_id, id);
-- The bell counts unread ones.
CREATE INDEX notifications_ws_unread ON notifications(workspace_id, read_at);
CREATE INDEX notifications_contact_fk ON notifications(contact_id);
CREATE INDEX notifications_conversation_fk ON notifications(conversation_id);

CREATE TABLE outgoing_webhooks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url          TEXT    NOT NULL,
    secret       TEXT    NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX outgoing_webhooks_ws ON outgoing_webhooks(workspace_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    webhook_id      BIGINT NOT NULL REFERENCES outgoing_webhooks(id) ON DELETE CASCADE,
    notification_id BIGINT REFERENCES notifications(id) ON DELETE SET NULL,
    event           TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    state           TEXT   NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_status     BIGINT,
    last_error      TEXT,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_ws_id ON webhook_deliveries(workspace_id, id);
CREATE UNIQUE INDEX webhook_deliveries_webhook_notification ON webhook_deliveries(webhook_id, notification_id);
CREATE INDEX webhook_deliveries_notification_fk ON webhook_deliveries(notification_id);
