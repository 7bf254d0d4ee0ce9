//! `rename-schema`: ALTER SCHEMA … RENAME TO.

use super::prelude::*;
use super::CATEGORY;

pub static RENAME_SCHEMA: Rule = Rule {
    id: "rename-schema",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "ALTER SCHEMA … RENAME TO.",
    why: "Every query, function body, view definition text and search_path setting that names the schema stops finding it the moment the migration commits, until all deployed code uses the new name.",
    fix: "Keep the schema's name; move objects one at a time (`ALTER TABLE … SET SCHEMA`) behind views, or deploy code that uses both names first.",
    bad: "ALTER SCHEMA billing RENAME TO payments;",
    good: "CREATE SCHEMA payments;  -- then move objects one at a time",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::RenameStmt(r) = cx.node() else {
        return;
    };
    if r.rename_type == ObjectType::ObjectSchema as i32 {
        cx.push(
            out,
            &RENAME_SCHEMA,
            -1,
            format!(
                "renaming schema {} to {} breaks every query that names it until the new code is deployed",
                names::ident(&r.subname),
                names::ident(&r.newname)
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "rename-schema",
            &[],
            "alter schema billing rename to payments;",
            "create schema payments;",
        );
    }
}
