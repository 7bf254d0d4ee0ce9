//! `require-comment`: a new table or column the change does not comment on.

use super::{shown, Commented, Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};
use crate::sql::names;

pub static REQUIRE_COMMENT: Rule = Rule {
    id: "require-comment",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`require_comment = [\"table\", \"column\"]`): a table or column created in the change has no `COMMENT ON` in the change.",
    why: "A comment in the catalog is the documentation every tool shows (psql's `\\d+`, schema browsers, data catalogs); written with the table, it costs a line, written later, it is never written.",
    fix: "Add `COMMENT ON TABLE … IS '…';` (or `COMMENT ON COLUMN …`) in the same change.",
    bad: "CREATE TABLE refunds (id bigint PRIMARY KEY);",
    good: "CREATE TABLE refunds (id bigint PRIMARY KEY);\nCOMMENT ON TABLE refunds IS 'Money returned to a customer, one row per refund.';",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let kinds = &cx.policy.require_comment;
    if kinds.is_empty() {
        return;
    }
    for (key, t) in &cx.design.tables {
        let table = shown(key);
        if let (Some(site), true, false) = (&t.site, kinds.contains(&Commented::Table), t.commented)
        {
            out.push(site.finding(
                &REQUIRE_COMMENT,
                format!("table {table} has no comment: the team's policy (`require_comment`) asks for one on every new table"),
                format!("Add `COMMENT ON TABLE {table} IS '…';` in this change."),
            ));
        }
        if !kinds.contains(&Commented::Column) {
            continue;
        }
        for (name, col) in &t.columns {
            let (Some(site), false) = (&col.site, col.commented) else {
                continue;
            };
            let column = format!("{table}.{}", names::ident(name));
            out.push(site.finding(
                &REQUIRE_COMMENT,
                format!("column {column} has no comment: the team's policy (`require_comment`) asks for one on every new column"),
                format!("Add `COMMENT ON COLUMN {column} IS '…';` in this change."),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::fired;

    #[test]
    fn fires_on_what_the_change_leaves_undocumented() {
        let tables = |p: &mut crate::rules::policy::Policy| p.add_comment_kind("table").unwrap();
        let both = |p: &mut crate::rules::policy::Policy| {
            p.add_comment_kind("table").unwrap();
            p.add_comment_kind("column").unwrap();
        };
        assert_eq!(
            fired(
                "require-comment",
                &[],
                &["create table a (id int);"],
                tables
            ),
            [(1, 1)]
        );
        assert!(fired(
            "require-comment",
            &[],
            &["create table a (id int);", "comment on table a is 'A';"],
            tables
        )
        .is_empty());
        let f = fired("require-comment", &[], &["create table a (id int);\ncomment on table a is 'A';\ncomment on column a.id is 'key';\nalter table a add column b int;"], both);
        assert_eq!(f, [(4, 26)], "only column b, at its name");
        assert!(fired(
            "require-comment",
            &["create table old (id int);"],
            &["alter table old rename column id to key;"],
            both
        )
        .is_empty());
        assert!(fired(
            "require-comment",
            &[],
            &["create table a (id int);"],
            |_| {}
        )
        .is_empty());
    }
}
