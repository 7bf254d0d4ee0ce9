//! `existing-schema`: The database has another tool's history table, or tables, but no sqlgate history: something else migrated it (`apply`, `status`, `verify`).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

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
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
