//! Rules that compare the files with what the database's history table recorded:
//! `checksum-mismatch`, `missing-file`, `failed-migration` (reported by `plan`, which
//! `apply` and `status` use).

use crate::model::{Rule, Severity};

const CATEGORY: &str = "Directory and history";

pub static CHECKSUM_MISMATCH: Rule = Rule {
    id: "checksum-mismatch",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "An applied migration's file differs from what the database recorded (`apply`, `status`).",
    why: "The database ran other SQL than the file now says: environments built from the files differ from this one, and the edit will never run here.",
    fix: "Restore the file as it was applied and put the change in a new migration; if the edit is a harmless fix (a comment), accept it with `sqlgate repair <version>`.",
    bad: "history: 003 checksum 5e8a…
file:    003 checksum 91c0…",
    good: "history and file agree",
};

pub static MISSING_FILE: Rule = Rule {
    id: "missing-file",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration recorded as applied in the database has no file.",
    why: "Usually a deleted or renamed migration, or a checkout of the wrong branch: fresh environments will not get what this database has.",
    fix: "Restore the file (or check out the right branch).",
    bad: "history: 004_add_orders applied
files:   (no 004)",
    good: "history: 004_add_orders applied
files:   004_add_orders.sql",
};

pub static FAILED_MIGRATION: Rule = Rule {
    id: "failed-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "The database records a no-transaction migration that failed part-way.",
    why: "Some of its statements ran and some did not: applying anything on top of a half-applied migration compounds the damage.",
    fix: "Finish or undo the migration by hand, then clear the record with `sqlgate repair <version>`.",
    bad: "history: 007_index_orders failed (1 of 2 statements ran)",
    good: "history: 007_index_orders applied",
};

pub static EXISTING_SCHEMA: Rule = Rule {
    id: "existing-schema",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "The database has another tool's history table, or tables, but no sqlgate history: something else migrated it (`apply`, `status`, `verify`).",
    why: "Running every migration from the first would fail half-way on tables that exist, or worse, succeed for migrations that can run twice: rows inserted again, counters added to again.",
    fix: "Take the database over without running anything: `sqlgate adopt` imports the other tool's history (docs/moving.md), `sqlgate baseline <version>` records what it has. `--allow-existing-schema` applies anyway, for a schema whose tables belong to something else.",
    bad: "database: users, teams, schema_migrations (dbmate)\nhistory:  (no sqlgate_migrations)",
    good: "$ sqlgate adopt\nadopted 12 migration(s) from dbmate (public.schema_migrations)",
};
