//! `rename-enum-value`: ALTER TYPE … RENAME VALUE on an enum that existing columns use.

use super::prelude::*;
use super::CATEGORY;

pub static RENAME_ENUM_VALUE: Rule = Rule {
    id: "rename-enum-value",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "ALTER TYPE … RENAME VALUE on an enum that existing columns use.",
    why: "Running code that writes the old label fails (`invalid input value for enum`) and code that compares with it silently stops matching, until the new code is deployed.",
    fix: "Add the new label (`ALTER TYPE … ADD VALUE`), deploy code that writes it, migrate the rows in batches, and stop using the old label; an enum value cannot be dropped.",
    bad: "ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';",
    good: "ALTER TYPE order_status ADD VALUE 'cancelled';",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::AlterEnumStmt(e) = cx.node() else {
        return;
    };
    if e.old_val.is_empty() {
        return;
    }
    let ty = names::strings(&e.type_name);
    let short = ty.last().map(|t| t.to_lowercase()).unwrap_or_default();
    // Only an enum that columns of tables from before this change use.
    let used: Vec<String> = cx
        .schema
        .tables
        .iter()
        .filter(|(_, t)| !cx.schema.is_new(t.created))
        .flat_map(|(k, t)| {
            t.columns
                .iter()
                .filter(|(_, c)| c.type_name == short)
                .map(move |(c, _)| format!("{k}.{c}"))
        })
        .collect();
    if used.is_empty() {
        return;
    }
    cx.push(
        out,
        &RENAME_ENUM_VALUE,
        -1,
        format!(
            "renaming value '{}' of enum {} to '{}' breaks running code that writes or compares the old label ({} use it)",
            e.old_val,
            ty.join("."),
            e.new_val,
            used.join(", ")
        ),
        None,
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "rename-enum-value",
            &[
                "create type st as enum ('a', 'b');",
                "create table o (id int, s st);",
            ],
            "alter type st rename value 'a' to 'c';",
            "create type st2 as enum ('a');\nalter type st2 rename value 'a' to 'c';",
        );
    }
}
