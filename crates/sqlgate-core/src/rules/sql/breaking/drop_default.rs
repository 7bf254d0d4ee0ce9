//! `drop-default`: DROP DEFAULT on an existing column.

use super::prelude::*;
use super::CATEGORY;

pub static DROP_DEFAULT: Rule = Rule {
    id: "drop-default",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "DROP DEFAULT on an existing column.",
    why: "Running code that omits the column now inserts NULL (or fails on NOT NULL).",
    fix: "Deploy code that always sets the column first.",
    bad: "ALTER TABLE users ALTER COLUMN plan DROP DEFAULT;",
    good: "-- sqlgate:ignore drop-default -- every deployed version sets plan\nALTER TABLE users ALTER COLUMN plan DROP DEFAULT;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some(a) = cx.existing_alter() else {
        return;
    };
    // The column as it is after the earlier subcommands of the same statement.
    let mut nullability: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    for (cmd, kind, def) in &a.cmds {
        match (kind, def) {
            (AlterTableType::AtDropNotNull, _) => {
                nullability.insert(cmd.name.as_str(), false);
            }
            (AlterTableType::AtSetNotNull, _) => {
                nullability.insert(cmd.name.as_str(), true);
            }
            (AlterTableType::AtColumnDefault, None) => {
                let not_null = nullability.get(cmd.name.as_str()).copied().or_else(|| {
                    cx.schema
                        .tables
                        .get(&a.table)
                        .and_then(|tab| tab.columns.get(&cmd.name))
                        .map(|c| c.not_null)
                });
                let effect = match not_null {
                    Some(true) => "fails (the column is NOT NULL)",
                    Some(false) => "now writes NULL",
                    None => "now writes NULL — or fails, if the column is NOT NULL",
                };
                cx.push(
                    out,
                    &DROP_DEFAULT,
                    a.rv.location,
                    format!(
                        "DROP DEFAULT on {}.{}: running code that omits the column {effect}",
                        names::show(&a.table),
                        names::ident(&cmd.name)
                    ),
                    None,
                )
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "drop-default",
            &[T],
            "alter table t alter column a drop default;",
            "alter table t alter column a set default 1;",
        );
    }
}
