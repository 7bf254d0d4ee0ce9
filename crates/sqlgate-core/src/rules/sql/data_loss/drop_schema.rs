//! `drop-schema`: DROP SCHEMA.

use super::prelude::*;
use super::CATEGORY;

pub static DROP_SCHEMA: Rule = Rule {
    id: "drop-schema",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DROP SCHEMA.",
    why: "Deletes every object in the schema (with CASCADE) or fails when it is not empty.",
    fix: "Drop the objects deliberately, one by one, after confirming nothing uses them.",
    bad: "DROP SCHEMA reporting CASCADE;",
    good: "DROP VIEW reporting.daily_totals;  -- each object on purpose",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let cascade = matches!(cx.node(), NodeEnum::DropStmt(s) if s.behavior == DropBehavior::DropCascade as i32);
    for sch in super::dropped(cx, ObjectType::ObjectSchema) {
        cx.push(
            out,
            &DROP_SCHEMA,
            -1,
            format!(
                "DROP SCHEMA {} deletes the schema{}",
                names::ident(&sch),
                if cascade {
                    " and everything in it (CASCADE)"
                } else {
                    ""
                }
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
            "drop-schema",
            &[],
            "drop schema s cascade;",
            "drop view if exists s.v;",
        );
    }
}
