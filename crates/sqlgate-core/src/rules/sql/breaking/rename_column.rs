//! `rename-column`: RENAME COLUMN on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static RENAME_COLUMN: Rule = Rule {
    id: "rename-column",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "RENAME COLUMN on an existing table.",
    why: "Running code still uses the old name and fails from the moment the migration commits until the new code is deployed.",
    fix: "Expand and contract: add the new column, write both, backfill, switch reads, then drop the old one.",
    bad: "ALTER TABLE users RENAME COLUMN name TO full_name;",
    good: "ALTER TABLE users ADD COLUMN full_name text;  -- then dual-write, backfill, switch, drop",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some((r, rv, table)) = super::renamed(cx) else {
        return;
    };
    if r.rename_type == ObjectType::ObjectColumn as i32 {
        cx.push(
            out,
            &RENAME_COLUMN,
            rv.location,
            format!(
                "renaming column {}.{} to {} breaks running code that still uses the old name",
                names::show(&table),
                names::ident(&r.subname),
                names::ident(&r.newname)
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "rename-column",
            &[T],
            "alter table t rename column a to b;",
            "create table n (a int);\nalter table n rename column a to b;",
        );
    }
}
