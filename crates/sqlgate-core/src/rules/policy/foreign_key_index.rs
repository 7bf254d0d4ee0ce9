//! `foreign-key-index`: a foreign key whose columns lead no index.

use super::{shown, Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};
use crate::sql::design::{generated_name, Design, ForeignKey};
use crate::sql::names;

pub static FOREIGN_KEY_INDEX: Rule = Rule {
    id: "foreign-key-index",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`foreign_key_index = true`): a foreign key whose referencing columns are not the leading columns of any index, existing or created in the change.",
    why: "PostgreSQL indexes the referenced side of a foreign key, not the referencing one: every DELETE or key UPDATE on the parent scans the child table, under a lock, and joins from parent to children scan too.",
    fix: "Create an index whose leading columns are the foreign key's columns (`CREATE INDEX CONCURRENTLY … ON child (parent_id)` in a no-transaction migration).",
    bad: "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);",
    good: "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);\nCREATE INDEX orders_customer_id_idx ON orders (customer_id);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

/// True when a valid (non-partial, b-tree) index on the table leads with exactly the
/// foreign key's columns, in any order.
fn covered(design: &Design, fk: &ForeignKey) -> bool {
    let mut want: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
    want.sort();
    design.index_on(&fk.table).any(|i| {
        if i.predicate.is_some() || i.method != "btree" || i.elements.len() < want.len() {
            return false;
        }
        let mut lead: Vec<&str> = i.elements[..want.len()]
            .iter()
            .map(String::as_str)
            .collect();
        lead.sort();
        lead == want
    })
}

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    if !cx.policy.foreign_key_index {
        return;
    }
    for fk in &cx.design.foreign_keys {
        let Some(site) = &fk.site else { continue };
        if fk.columns.is_empty() || covered(cx.design, fk) {
            continue;
        }
        let table = shown(&fk.table);
        let cols: Vec<String> = fk.columns.iter().map(|c| names::ident(c)).collect();
        let index = names::ident(&generated_name(&fk.table, &fk.columns, "idx"));
        out.push(site.finding(
            &FOREIGN_KEY_INDEX,
            format!(
                "foreign key {} on {table} ({}) → {} has no index leading with its columns: deleting or updating a row of {} scans {table}",
                names::ident(&fk.name),
                cols.join(", "),
                shown(&fk.references),
                shown(&fk.references),
            ),
            format!(
                "Create the index (in a migration whose first line is `-- sqlgate:no-transaction`, or plainly if {table} is new and empty):\n    CREATE INDEX CONCURRENTLY {index} ON {table} ({});",
                cols.join(", ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::fired;

    #[test]
    fn fires_on_an_uncovered_key_and_not_on_a_covered_one() {
        let on = |p: &mut crate::rules::policy::Policy| p.foreign_key_index = true;
        let shipped = ["create table c (id bigint primary key);\ncreate table o (id bigint primary key, c_id bigint, region int);\ncreate index o_c_region on o (c_id, region);"];
        // Covered by a composite index created years ago (leading column).
        assert!(fired(
            "foreign-key-index",
            &shipped,
            &["alter table o add constraint o_c_fk foreign key (c_id) references c;"],
            on
        )
        .is_empty());
        // Not leading: region is second.
        let f = fired("foreign-key-index", &shipped, &["alter table o add column z int;\nalter table o add constraint o_r_fk foreign key (region) references c;"], on);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, 2);
        // An index created later in the change counts; a partial one does not.
        assert!(fired(
            "foreign-key-index",
            &shipped,
            &[
                "create table x (id int primary key, c_id bigint references c);",
                "create index on x (c_id);"
            ],
            on
        )
        .is_empty());
        assert_eq!(fired("foreign-key-index", &shipped, &["create table x (id int primary key, c_id bigint references c);\ncreate index on x (c_id) where c_id > 0;"], on).len(), 1);
        // A shipped foreign key is not judged; nothing when not configured.
        assert!(fired(
            "foreign-key-index",
            &["create table c (id int primary key);\ncreate table y (c_id int references c);"],
            &["alter table y add column q int;"],
            on
        )
        .is_empty());
        assert!(fired(
            "foreign-key-index",
            &shipped,
            &["alter table o add foreign key (region) references c;"],
            |_| {}
        )
        .is_empty());
    }
}
