//! `invalid-name`: A `.sql` file does not fit the directory's naming (no leading version, or a layout it does not follow).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static INVALID_NAME: Rule = Rule {
    id: "invalid-name",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A `.sql` file does not fit the directory's naming (no leading version, or a layout it does not follow).",
    why: "A file the runner cannot order is either skipped silently (never applied) or applied at a random point.",
    fix: "Name it `<version>_<description>.sql` in the directory's layout, or move non-migration SQL out of the directory.",
    bad: "migrations/add_users.sql",
    good: "migrations/003_add_users.sql",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};
