//! `plaintext-password`: CREATE/ALTER ROLE … PASSWORD '…' with the password written in the migration.

use super::prelude::*;
use super::CATEGORY;

pub static PLAINTEXT_PASSWORD: Rule = Rule {
    id: "plaintext-password",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "CREATE/ALTER ROLE … PASSWORD '…' with the password written in the migration.",
    why: "The secret is now in git history, in every clone and CI log, forever.",
    fix: "Use a placeholder filled from a secret (`PASSWORD :'app_password'` with `--var app_password=…`), or set passwords outside migrations.",
    bad: "CREATE ROLE app LOGIN PASSWORD 'hunter2';",
    good: "CREATE ROLE app LOGIN PASSWORD :'app_password';",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    match cx.node() {
        NodeEnum::CreateRoleStmt(r) => password(cx, &r.options, &r.role, out),
        NodeEnum::AlterRoleStmt(r) => {
            let role = r
                .role
                .as_ref()
                .map(|s| s.rolename.clone())
                .unwrap_or_default();
            password(cx, &r.options, &role, out);
        }
        _ => {}
    }
}

fn password(cx: &Ctx, options: &[Node], role: &str, out: &mut Vec<Finding>) {
    for d in def_elems(options).filter(|d| d.defname == "password") {
        let Some(pw) = crate::sql::ast::string_arg(d) else {
            continue;
        };
        let hashed = pw.starts_with("SCRAM-SHA-256$") || (pw.len() == 35 && pw.starts_with("md5"));
        // Written in the file (not substituted from a placeholder)?
        let literal = format!("'{}'", pw.replace('\'', "''"));
        if !hashed && cx.text().contains(&literal) {
            cx.push(
                out,
                &PLAINTEXT_PASSWORD,
                d.location,
                format!(
                    "the password of role {} is written in the migration, so it is in git history",
                    names::ident(role)
                ),
                Some(format!(
                    "Use a placeholder filled from a secret: `PASSWORD :'{role}_password'` with `--var {role}_password=…` (or set the password outside migrations)."
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "plaintext-password",
            &[],
            "create role app login password 'hunter2';",
            "create role app login password 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2lnbg==';",
        );
    }
}
