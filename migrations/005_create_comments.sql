-- Migration: 005_create_comments
-- Created: 2026-02-10T16:45:00Z
-- Description: discussion on tasks

-- UP
CREATE TABLE comments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     bigint      NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id   bigint      NOT NULL REFERENCES users (id),
    body        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX comments_task_id_created_at_idx ON comments (task_id, created_at);

-- DOWN
DROP TABLE comments;
