//! `rename-table`: RENAME of an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static RENAME_TABLE: Rule = Rule {
    id: "rename-table",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "RENAME of an existing table.",
    why: "Running code still uses the old name and fails until the new code is deployed.",
    fix: "Rename, then create a view with the old name for the transition, or expand and contract.",
    bad: "ALTER TABLE customer RENAME TO customers;",
    good: "ALTER TABLE customer RENAME TO customers;\nCREATE VIEW customer AS SELECT * FROM customers;  -- until the code is deployed",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some((r, rv, table)) = super::renamed(cx) else {
        return;
    };
    if r.rename_type != ObjectType::ObjectTable as i32 {
        return;
    }
    let t = names::show(&table);
    if compatibility_view(&cx.m.up.text, &rv.relname, &r.newname) {
        // `CREATE VIEW old AS SELECT * FROM new` in the same migration: a simple view
        // is auto-updatable, so reads and writes through the old name go on.
        let mut f = cx.finding(
            &RENAME_TABLE,
            rv.location,
            format!(
                "renaming table {t} to {}: the view {t} this migration creates over it keeps SELECT, INSERT, UPDATE and DELETE through the old name working; drop the view once no deployed code uses it",
                names::ident(&r.newname)
            ),
        );
        f.severity = Severity::Info;
        out.push(f);
        return;
    }
    cx.push(
        out,
        &RENAME_TABLE,
        rv.location,
        format!(
            "renaming table {t} to {} breaks running code that still uses the old name",
            names::ident(&r.newname)
        ),
        Some(format!(
            "ALTER TABLE {t} RENAME TO {new};\nCREATE VIEW {t} AS SELECT * FROM {new}; -- until every deployed version uses the new name",
            new = names::ident(&r.newname)
        )),
    );
}

/// Whether `sql` creates a view named `old` that is `SELECT * FROM new` (a
/// compatibility view after a rename), schema-qualified or not, quoted or not.
fn compatibility_view(sql: &str, old: &str, new: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| {
            regex::Regex::new(
                r#"(?is)create\s+(?:or\s+replace\s+)?view\s+([\w."]+)\s+as\s+select\s+\*\s+from\s+([\w."]+)\s*;"#,
            )
            .ok()
        })
        .as_ref()
    else {
        return false;
    };
    let last = |name: &str| {
        let part = name.rsplit('.').next().unwrap_or(name);
        match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
            Some(quoted) => quoted.to_string(),
            None => part.to_lowercase(),
        }
    };
    re.captures_iter(sql)
        .any(|c| last(&c[1]) == old && last(&c[2]) == new)
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "rename-table",
            &[T],
            "alter table t rename to t2;",
            "create table n (a int);\nalter table n rename to n2;",
        );
    }
}
