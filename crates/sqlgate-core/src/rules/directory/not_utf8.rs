//! `not-utf8`: A migration file is not valid UTF-8.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static NOT_UTF8: Rule = Rule {
    id: "not-utf8",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration file is not valid UTF-8.",
    why: "PostgreSQL rejects invalid UTF-8 in a UTF8 database, and editors and diffs show it differently on each machine.",
    fix: "Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
    bad: "INSERT INTO cities VALUES ('M\\xfcnchen'); -- saved as Latin-1",
    good: "INSERT INTO cities VALUES ('München'); -- saved as UTF-8",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
};
