-- Migration: 001_create_users
-- Created: 2026-01-12T09:00:00Z
-- Description: accounts that can sign in

-- UP
CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text        NOT NULL,
    full_name   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

-- DOWN
DROP TABLE users;
