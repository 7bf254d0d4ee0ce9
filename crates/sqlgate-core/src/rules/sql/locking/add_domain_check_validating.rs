//! `add-domain-check-validating`: ALTER DOMAIN … ADD CONSTRAINT … CHECK without NOT VALID on an existing domain.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_DOMAIN_CHECK_VALIDATING: Rule = Rule {
    id: "add-domain-check-validating",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER DOMAIN … ADD CONSTRAINT … CHECK without NOT VALID on an existing domain.",
    why: "Checks every column of every table that uses the domain, holding a SHARE lock on each table for the scan: inserts, updates and deletes on all of them wait.",
    fix: "Add it NOT VALID (new values are checked at once), then ALTER DOMAIN … VALIDATE CONSTRAINT in a later migration.",
    bad: "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');",
    good: "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;\n-- next migration:\nALTER DOMAIN email VALIDATE CONSTRAINT email_has_at;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::AlterDomainStmt(d) = cx.node() else {
        return;
    };
    if d.subtype != "C" {
        return;
    }
    let Some(NodeEnum::Constraint(c)) = d.def.as_ref().and_then(|n| n.node.as_ref()) else {
        return;
    };
    let domain = names::list_key(&d.type_name);
    let new = cx
        .schema
        .domains
        .get(&domain)
        .is_some_and(|c| cx.schema.is_new(*c));
    if contype(c) != ConstrType::ConstrCheck || c.skip_validation || new {
        return;
    }
    let sql = cx.text().trim_end().trim_end_matches(';');
    cx.push(out, &ADD_DOMAIN_CHECK_VALIDATING, -1, format!(
        "adding a CHECK to domain {} scans every table column of that domain, holding a SHARE lock on each table: writes to all of them wait",
        names::show(&domain)),
        Some(format!("{sql} NOT VALID;\n-- next migration:\nALTER DOMAIN {} VALIDATE CONSTRAINT {};",
            names::show(&domain), if c.conname.is_empty() { "<name>".into() } else { names::ident(&c.conname) })));
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-domain-check-validating",
            &["create domain email as text;"],
            "alter domain email add constraint email_at check (value like '%@%');",
            "alter domain email add constraint email_at check (value like '%@%') not valid;",
        );
        pair("add-domain-check-validating", &[], "alter domain email add constraint email_at check (value like '%@%');", "create domain email as text;\nalter domain email add constraint email_at check (value like '%@%');");
    }
}
