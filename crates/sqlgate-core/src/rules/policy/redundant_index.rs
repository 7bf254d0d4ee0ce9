//! `redundant-index`: a new index another index already makes unnecessary.

use super::{shown, Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};
use crate::sql::design::Index;
use crate::sql::names;

pub static REDUNDANT_INDEX: Rule = Rule {
    id: "redundant-index",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`redundant_index = true`): a new index duplicates another index on the same table, or is a leading prefix of one (same method, expressions and predicate).",
    why: "Every index slows every write to the table, takes disk and memory, and must be vacuumed; one the planner can serve with another index buys nothing.",
    fix: "Drop the new index and let the existing one serve (a b-tree on (a, b) serves lookups on a), or replace the shorter index rather than adding a second one.",
    bad: "CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint, created_at timestamptz);\nCREATE INDEX posts_author_created ON posts (author_id, created_at);\nCREATE INDEX posts_author ON posts (author_id);",
    good: "CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint, created_at timestamptz);\nCREATE INDEX posts_author_created ON posts (author_id, created_at);\nCREATE INDEX posts_created ON posts (created_at);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

/// How `new` is made unnecessary by `other`, if it is.
fn redundant(new: &Index, other: &Index) -> Option<&'static str> {
    if new.method != other.method || new.predicate != other.predicate {
        return None;
    }
    // A unique index enforces something: only an identical unique one replaces it.
    if new.elements == other.elements && (!new.unique || other.unique) {
        return Some("duplicates");
    }
    let prefix = new.method == "btree"
        && !new.unique
        && new.elements.len() < other.elements.len()
        && other.elements[..new.elements.len()] == new.elements[..];
    prefix.then_some("is a leading prefix of")
}

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    if !cx.policy.redundant_index {
        return;
    }
    for new in cx.design.indexes.values() {
        let Some(site) = &new.site else { continue };
        // An identical pair is reported once, on the later of the two.
        let other = cx.design.index_on(&new.table).find_map(|o| {
            let same = std::ptr::eq(o, new)
                || (o.elements == new.elements && o.order > new.order && o.unique == new.unique);
            if same {
                return None;
            }
            redundant(new, o).map(|how| (o, how))
        });
        let Some((other, how)) = other else { continue };
        let what = match &new.constraint {
            Some(c) => format!("the index behind constraint {}", names::ident(c)),
            None => format!("index {}", names::ident(&new.name)),
        };
        let cols = new.elements.join(", ");
        let other_cols = other.elements.join(", ");
        out.push(site.finding(
            &REDUNDANT_INDEX,
            format!(
                "{what} on {} ({cols}) {how} index {} ({other_cols}): the existing one already serves these lookups",
                shown(&new.table),
                names::ident(&other.name),
            ),
            format!("Leave it out: {} ({other_cols}) serves queries on ({cols}) too. If the new one is meant to replace it, drop {} in this change.", names::ident(&other.name), names::ident(&other.name)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::fired;

    #[test]
    fn fires_on_duplicates_and_prefixes_only() {
        let on = |p: &mut crate::rules::policy::Policy| p.redundant_index = true;
        let shipped = ["create table t (id int primary key, a int, b int, c text);\ncreate index t_ab on t (a, b);\ncreate index t_lower on t (lower(c)) where b > 0;"];
        assert_eq!(
            fired(
                "redundant-index",
                &shipped,
                &["select 1;\ncreate index t_a on t (a);"],
                on
            ),
            [(2, 1)]
        );
        assert_eq!(
            fired(
                "redundant-index",
                &shipped,
                &["create index t_ab2 on t (a, b);"],
                on
            )
            .len(),
            1
        );
        assert_eq!(
            fired(
                "redundant-index",
                &shipped,
                &["create index t_l2 on t (lower(c)) where b > 0;"],
                on
            )
            .len(),
            1
        );
        // Different predicate, order, method, uniqueness or a different leading column: fine.
        for fine in [
            "create index t_l3 on t (lower(c)) where b > 1;",
            "create index t_b on t (b);",
            "create index t_a_desc on t (a desc);",
            "create unique index t_a_u on t (a);",
            "create index t_a_hash on t using hash (a);",
            "create index t_abc on t (a, b, c);",
        ] {
            assert!(
                fired("redundant-index", &shipped, &[fine], on).is_empty(),
                "{fine}"
            );
        }
        // The primary key's index counts; a dropped index does not.
        assert_eq!(
            fired(
                "redundant-index",
                &shipped,
                &["create index t_id on t (id);"],
                on
            )
            .len(),
            1
        );
        assert!(fired(
            "redundant-index",
            &shipped,
            &["drop index t_ab;\ncreate index t_a on t (a);"],
            on
        )
        .is_empty());
        assert!(fired(
            "redundant-index",
            &shipped,
            &["create index t_a on t (a);"],
            |_| {}
        )
        .is_empty());
    }
}
