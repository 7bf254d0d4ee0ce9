//! Security: secrets written into migrations, functions that run with their owner's
//! rights without a safe search_path, privileges for everyone, policies switched off.

use super::{alter_table, Ctx, MigrationState};
use crate::model::{Finding, Rule, Severity};
use crate::sql::ast::{bool_arg, def_elems, nodes, string_arg};
use crate::sql::names;
use pg_query::protobuf::{AlterTableType, Node, RoleSpecType};
use pg_query::NodeEnum;

const CATEGORY: &str = "Security";

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
};

pub static SECURITY_DEFINER_SEARCH_PATH: Rule = Rule {
    id: "security-definer-search-path",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A SECURITY DEFINER function without SET search_path.",
    why: "The function runs with its owner's rights but resolves names through the caller's search_path: any user who can create objects can hijack it.",
    fix: "Add `SET search_path = pg_catalog, pg_temp` to the function and schema-qualify the objects it uses.",
    bad: "CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ DELETE FROM sessions $$;",
    good: "CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ DELETE FROM public.sessions $$;",
};

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
};

pub static DISABLE_ROW_LEVEL_SECURITY: Rule = Rule {
    id: "disable-row-level-security",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "ALTER TABLE … DISABLE ROW LEVEL SECURITY.",
    why: "Every policy on the table stops applying: tenants can read each other's rows.",
    fix: "Keep RLS enabled and change the policies instead.",
    bad: "ALTER TABLE documents DISABLE ROW LEVEL SECURITY;",
    good: "ALTER POLICY documents_tenant ON documents USING (tenant_id = current_setting('app.tenant')::bigint);",
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
        NodeEnum::CreateFunctionStmt(f) => {
            let definer = def_elems(&f.options).any(|d| d.defname == "security" && bool_arg(d));
            let sets_path = def_elems(&f.options).any(|d| {
                d.defname == "set"
                    && matches!(
                        d.arg.as_ref().and_then(|a| a.node.as_ref()),
                        Some(NodeEnum::VariableSetStmt(v)) if v.name == "search_path"
                    )
            });
            if definer && !sets_path {
                let name = names::strings(&f.funcname).join(".");
                cx.push(
                    out,
                    &SECURITY_DEFINER_SEARCH_PATH,
                    -1,
                    format!(
                        "SECURITY DEFINER function {name} does not set search_path: callers can make it run their objects with its owner's rights"
                    ),
                    Some(format!(
                        "Add `SET search_path = pg_catalog, pg_temp` to {name} and schema-qualify what it uses."
                    )),
                );
            }
        }
        NodeEnum::AlterFunctionStmt(f) => {
            let definer = def_elems(&f.actions).any(|d| d.defname == "security" && bool_arg(d));
            let sets_path = def_elems(&f.actions).any(|d| d.defname == "set");
            if definer && !sets_path {
                cx.push(
                    out,
                    &SECURITY_DEFINER_SEARCH_PATH,
                    -1,
                    "ALTER FUNCTION … SECURITY DEFINER without SET search_path".into(),
                    None,
                );
            }
        }
        NodeEnum::GrantStmt(g) if g.is_grant => {
            let public = nodes(&g.grantees).any(|n| {
                matches!(n, NodeEnum::RoleSpec(r) if r.roletype == RoleSpecType::RolespecPublic as i32)
            });
            if public {
                cx.push(
                    out,
                    &GRANT_TO_PUBLIC,
                    -1,
                    "GRANT … TO PUBLIC gives the privilege to every role, present and future"
                        .into(),
                    None,
                );
            }
        }
        node => {
            let Some(a) = alter_table(node).filter(|a| cx.existing(&a.table)) else {
                return;
            };
            for (_, kind, _) in &a.cmds {
                if *kind == AlterTableType::AtDisableRowSecurity {
                    cx.push(
                        out,
                        &DISABLE_ROW_LEVEL_SECURITY,
                        a.rv.location,
                        format!(
                            "row level security is disabled on {}: its policies stop applying",
                            names::show(&a.table)
                        ),
                        None,
                    );
                }
            }
        }
    }
}

fn password(cx: &Ctx, options: &[Node], role: &str, out: &mut Vec<Finding>) {
    for d in def_elems(options).filter(|d| d.defname == "password") {
        let Some(pw) = string_arg(d) else { continue };
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
