-- Migration: 006_add_users_avatar_url
-- Created: 2026-03-03T11:20:00Z
-- Description: optional profile picture (nullable, no default: no table rewrite)

-- UP
SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN avatar_url text;

-- DOWN
SET lock_timeout = '5s';
ALTER TABLE users DROP COLUMN avatar_url;
