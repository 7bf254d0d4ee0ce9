-- Migration: 003_create_projects
-- Created: 2026-01-20T08:15:00Z
-- Description: projects owned by a team

-- UP
CREATE TABLE projects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id     bigint      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name        text        NOT NULL,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX projects_team_id_idx ON projects (team_id);

-- DOWN
DROP TABLE projects;
