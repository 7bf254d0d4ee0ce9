//! `not-utf8`: A migration file is not valid UTF-8.

use super::DirectoryContext;
use super::CATEGORY;
use crate::catalog::{display_path, Catalog};
use crate::model::Finding;
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
    sized: false,
};

/// Files whose text is not UTF-8 (names that are not are a catalog problem).
pub fn check(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    for m in cat.migrations.iter().filter(|m| (ctx.in_scope)(m)) {
        for part in std::iter::once(&m.up).chain(m.down.as_ref()) {
            if let Some((line, col)) = part.utf8_error {
                out.push(
                    Finding::new(
                        &NOT_UTF8,
                        display_path(ctx.display_dir, &part.path),
                        format!("`{}` is not valid UTF-8 (first invalid byte at line {line}, column {col})", part.path),
                    )
                    .version(m.version.raw())
                    .at(line, col),
                );
            }
        }
    }
}
