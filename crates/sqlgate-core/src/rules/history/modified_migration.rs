//! `modified-migration`: A migration that exists on the base branch (shipped) was edited; the report shows the diff.

use super::CATEGORY;
use super::{first_changed_line, unified_diff, Compare, Fate, Matching};
use crate::model::Finding;
use crate::model::{Apply, Claim, Rule, Severity};

pub static MODIFIED_MIGRATION: Rule = Rule {
    id: "modified-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration that exists on the base branch (shipped) was edited; the report shows the diff.",
    why: "Databases that already applied it will never run the new text: production and fresh environments silently diverge, and the next `apply` fails the checksum check.",
    fix: "Revert the edit and put the change in a new migration. Only whitespace-at-line-end (CRLF) and BOM differences are ignored.",
    bad: "--- a/003_orders.sql\n+++ b/003_orders.sql\n-  total numeric(10,2)\n+  total numeric(12,2)",
    good: "003_orders.sql unchanged\n009_widen_order_total.sql: ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(m: &Matching, how: &Compare, out: &mut Vec<Finding>) {
    for (b, fate) in &m.fates {
        let Fate::Kept(h) = fate else { continue };
        if h.same_up(b) {
            continue;
        }
        let diff = unified_diff(&b.up.text, &h.up.text, &b.up.path, &h.up.path);
        let line = h.up.first_line + first_changed_line(&b.up.text, &h.up.text) - 1;
        out.push(
            Finding::new(
                &MODIFIED_MIGRATION,
                m.show(how, &h.up.path),
                format!(
                    "`{}` is already on the base branch and was edited",
                    h.up.path
                ),
            )
            .version(h.version.raw())
            .at(line, 1)
            .diff(diff),
        );
    }
}
