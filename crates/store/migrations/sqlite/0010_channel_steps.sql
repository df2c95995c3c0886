-- WhatsApp and SMS steps in multi-step campaigns: what a non-email step sends (a WhatsApp
-- template with its parameter sources and language, free text with an optional fallback
-- template, or an SMS body), as JSON written and read by the app.
ALTER TABLE sequence_steps ADD COLUMN channel_config TEXT NOT NULL DEFAULT '{}';
