//! `modified-migration`: A migration that exists on the base branch (shipped) was edited; the report shows the diff.

use super::CATEGORY;
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
};
