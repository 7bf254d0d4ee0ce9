//! `empty-migration`: A migration's up SQL has nothing but whitespace and comments.

use super::CATEGORY;
use super::{at, file_name, DirectoryContext};
use crate::catalog::{text, Catalog};
use crate::model::Finding;
use crate::model::{Apply, Claim, Rule, Severity};

pub static EMPTY_MIGRATION: Rule = Rule {
    id: "empty-migration",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A migration's up SQL has nothing but whitespace and comments.",
    why: "Usually an unsaved editor buffer or a bad merge: the version is recorded as applied and the intended change never happens.",
    fix: "Write the SQL, or delete the file. If it is an intentional placeholder, silence the rule for it with `-- sqlgate:ignore-file empty-migration -- <reason>`.",
    bad: "-- Migration: 006_add_index\n",
    good: "-- Migration: 006_add_index\nCREATE INDEX CONCURRENTLY …;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    for m in cat.migrations.iter().filter(|m| (ctx.in_scope)(m)) {
        if !text::has_sql(&m.up.text) {
            out.push(
                at(
                    ctx,
                    &EMPTY_MIGRATION,
                    m,
                    format!("`{}` contains no SQL", file_name(m)),
                )
                .at(m.up.first_line, 1),
            );
        }
    }
}
