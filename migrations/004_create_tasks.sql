-- Migration: 004_create_tasks
-- Created: 2026-02-02T14:00:00Z
-- Description: tasks with a status workflow

-- UP
CREATE TYPE task_status AS ENUM ('todo', 'doing', 'done');

CREATE TABLE tasks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    assignee_id bigint      REFERENCES users (id) ON DELETE SET NULL,
    title       text        NOT NULL,
    status      task_status NOT NULL DEFAULT 'todo',
    due_on      date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tasks_project_id_status_idx ON tasks (project_id, status);
CREATE INDEX tasks_assignee_id_idx ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;

-- DOWN
DROP TABLE tasks;
DROP TYPE task_status;
