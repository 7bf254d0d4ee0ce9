//! `deleted-migration`: A migration that exists on the base branch was deleted.

use super::CATEGORY;
use super::{Compare, Fate, Matching};
use crate::model::Finding;
use crate::model::{Apply, Claim, Rule, Severity};

pub static DELETED_MIGRATION: Rule = Rule {
    id: "deleted-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration that exists on the base branch was deleted.",
    why: "Databases that applied it keep its effects but lose the record's file (`missing-file` on the next apply); fresh environments never get it.",
    fix: "Restore the file. To undo its effect, write a new migration that reverses it.",
    bad: "base: 003_orders.sql\nhead: (missing)",
    good: "head: 003_orders.sql\n      009_drop_orders.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(m: &Matching, how: &Compare, out: &mut Vec<Finding>) {
    for (b, fate) in &m.fates {
        if let Fate::Deleted = fate {
            out.push(
                Finding::new(
                    &DELETED_MIGRATION,
                    m.show(how, &b.up.path),
                    format!("`{}` is on the base branch but was deleted", b.up.path),
                )
                .version(b.version.raw()),
            );
        }
    }
}
