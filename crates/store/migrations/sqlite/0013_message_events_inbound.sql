-- A campaign's auto-replies and soft bounces are counted from their events (they leave no
-- column on the message). Without an index on the kind, the count walked every event of the
-- workspace (three or more per message sent) for each campaign page. Partial, so the events
-- written per send (queued, sending, sent) never enter it.
CREATE INDEX message_events_inbound ON message_events(workspace_id, kind, message_id)
    WHERE kind IN ('auto_reply', 'soft_bounce');
