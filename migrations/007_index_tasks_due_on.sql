-- sqlgate:no-transaction
-- Migration: 007_index_tasks_due_on
-- Created: 2026-03-19T09:05:00Z
-- Description: speed up the "due this week" view without blocking writes

-- UP
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_due_on_idx ON tasks (due_on) WHERE due_on IS NOT NULL;

-- DOWN
DROP INDEX CONCURRENTLY IF EXISTS tasks_due_on_idx;
