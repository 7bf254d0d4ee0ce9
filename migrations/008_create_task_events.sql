-- Migration: 008_create_task_events
-- Created: 2026-04-07T13:40:00Z
-- Description: an audit trail of task changes

-- UP
CREATE TABLE task_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     bigint      NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    actor_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
    kind        text        NOT NULL,
    payload     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX task_events_task_id_created_at_idx ON task_events (task_id, created_at);

-- DOWN
DROP TABLE task_events;
