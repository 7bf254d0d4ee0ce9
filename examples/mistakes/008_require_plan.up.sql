-- Fails on any table that already has rows.
ALTER TABLE users ADD COLUMN plan text NOT NULL;
