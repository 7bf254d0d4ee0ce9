//! `set-not-null`: ALTER COLUMN … SET NOT NULL on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static SET_NOT_NULL: Rule = Rule {
    id: "set-not-null",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER COLUMN … SET NOT NULL on an existing table.",
    why: "Scans the whole table under an ACCESS EXCLUSIVE lock to check for NULLs. From PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) exists.",
    fix: "Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL (no scan on PostgreSQL 12+) and drop the check.",
    bad: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    good: "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n-- next migration:\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some(a) = cx.existing_alter() else {
        return;
    };
    let (table, rv, t) = (&a.table, a.rv, names::show(&a.table));
    for cmd in a.of_kind(AlterTableType::AtSetNotNull) {
        let col = names::ident(&cmd.name);
        let checked = cx.schema.has_valid_not_null_check(table, &cmd.name);
        if checked && cx.opts.pg_version >= 12 {
            continue;
        }
        // A table the model does not know, with a constraint validated earlier
        // whose definition is unknown: it may prove the column non-null.
        if let Some(validated) = cx
            .schema
            .validated_unknown
            .get(table)
            .filter(|v| !v.is_empty() && cx.opts.pg_version >= 12)
        {
            let mut f = cx.finding(
                &SET_NOT_NULL,
                rv.location,
                format!(
                    "SET NOT NULL on {t}.{col}: sqlgate cannot tell whether it scans the table under an ACCESS EXCLUSIVE lock — {} was validated earlier, but its definition was made outside the migrations; if it is `CHECK ({col} IS NOT NULL)`, PostgreSQL skips the scan",
                    validated
                        .iter()
                        .map(|c| names::ident(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            f.severity = crate::model::Severity::Warning;
            out.push(f);
            continue;
        }
        let con = format!("{}_{}_not_null", rv.relname, cmd.name);
        let fix = if cx.opts.pg_version >= 12 {
            format!(
                "ALTER TABLE {t} ADD CONSTRAINT {con} CHECK ({col} IS NOT NULL) NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};\nALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;\nALTER TABLE {t} DROP CONSTRAINT {con};"
            )
        } else {
            format!(
                "On PostgreSQL {} there is no scan-free way: use CHECK ({col} IS NOT NULL) NOT VALID + VALIDATE instead of SET NOT NULL.",
                cx.opts.pg_version
            )
        };
        cx.push(
            out,
            &SET_NOT_NULL,
            rv.location,
            format!(
                "SET NOT NULL on {t}.{col} scans the whole table under an ACCESS EXCLUSIVE lock"
            ),
            Some(fix),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "set-not-null",
            &[T],
            "alter table t alter column a set not null;",
            "alter table t alter column a set default 0;",
        );
        pair(
            "set-not-null",
            &[
                T,
                "alter table t add constraint a_nn check (a is not null) not valid;",
            ],
            "alter table t alter column a set not null;",
            "alter table t validate constraint a_nn;\nalter table t alter column a set not null;",
        );
        pair("set-not-null", &["alter table ext add constraint e_nn check (email is not null) not valid;"], "alter table ext alter column email set not null;", "alter table ext validate constraint e_nn;\nalter table ext alter column email set not null;");
    }
}
