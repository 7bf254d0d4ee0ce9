//! `grant-to-public`: GRANT … TO PUBLIC.

use super::prelude::*;
use super::CATEGORY;

pub static GRANT_TO_PUBLIC: Rule = Rule {
    id: "grant-to-public",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "GRANT … TO PUBLIC.",
    why: "Every role, including ones created later, gets the privilege.",
    fix: "Grant to the specific roles that need it.",
    bad: "GRANT SELECT ON customers TO PUBLIC;",
    good: "GRANT SELECT ON customers TO reporting;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::GrantStmt(g) = cx.node() else {
        return;
    };
    let public = g.is_grant
        && nodes(&g.grantees).any(|n| {
            matches!(n, NodeEnum::RoleSpec(r) if r.roletype == pg_query::protobuf::RoleSpecType::RolespecPublic as i32)
        });
    if public {
        cx.push(
            out,
            &GRANT_TO_PUBLIC,
            -1,
            "GRANT … TO PUBLIC gives the privilege to every role, present and future".into(),
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
            "grant-to-public",
            &[T],
            "grant select on t to public;",
            "grant select on t to reporting;",
        );
    }
}
