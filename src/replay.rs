//! Scratch replay (`check --scratch`, PRODUCT §5): on a throwaway database, runs the
//! migrations that already shipped, then the new ones statement by statement, and
//! observes each new statement: failure (with PostgreSQL's position, message, detail,
//! hint), duration, the locks it took on tables that existed before the change
//! (`pg_locks`), and rewrites (`pg_class.relfilenode` changed). Also captures the
//! schema before and after the change as normalized text and diffs it.
//! `judge` (observations + static findings → findings) is pure.

use crate::catalog::{display_path, Catalog, Migration};
use crate::error::Error;
use crate::findings::Finding;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

/// Where to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scratch {
    /// A private server from local PostgreSQL binaries, removed afterwards.
    Auto,
    /// A uniquely named database created (and dropped) on this server.
    Url(String),
}

impl Scratch {
    /// `auto`, `none` (→ `None`) or a connection string.
    pub fn parse(s: &str) -> Option<Scratch> {
        match s.trim() {
            "" | "none" | "off" => None,
            "auto" => Some(Scratch::Auto),
            url => Some(Scratch::Url(url.to_string())),
        }
    }
}

/// What one new statement did on the scratch database.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Last line of the statement (for matching findings to it).
    pub end_line: u32,
    pub duration_ms: f64,
    /// `table: LockMode` for locks taken on tables that existed before the change.
    pub locks: Vec<String>,
    /// Tables and indexes that existed before the change and were rewritten.
    pub rewrites: Vec<String>,
    /// True when any of `locks` blocks writes (SHARE or stronger).
    pub blocking: bool,
}

/// The replay's result, shown in reports.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Replay {
    /// The scratch server (password masked) or `auto`.
    pub server: String,
    /// True when every migration ran.
    pub completed: bool,
    pub steps: Vec<Step>,
    /// Unified diff of the schema before and after the new migrations.
    pub schema_diff: String,
}

/// Lock modes that conflict with ROW EXCLUSIVE (block INSERT/UPDATE/DELETE).
const BLOCKING: &[&str] = &[
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// Runs the replay. `is_new` tells the migrations of this change from shipped ones.
pub fn run(
    scratch: &Scratch,
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    vars: &BTreeMap<String, String>,
    dir: &str,
) -> Result<(Replay, Vec<Finding>), Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the async runtime: {e}")))?;
    let name = format!(
        "sqlgate_replay_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let (_server, admin, shown) = match scratch {
        Scratch::Auto => {
            let s = crate::scratch::LocalServer::start()?;
            let url = s.url("postgres");
            (
                Some(s),
                url,
                "auto (a private server from local binaries)".to_string(),
            )
        }
        Scratch::Url(u) => (None, u.clone(), crate::db::mask(u)),
    };
    rt.block_on(async {
        let admin_client = crate::db::connect(&admin).await?;
        admin_client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| {
                Error::Unreachable(format!(
                    "cannot create the scratch database on {shown}: {}",
                    crate::db::describe(&e)
                ))
            })?;
        let result = replay_on(&with_database(&admin, &name), cat, is_new, vars, dir).await;
        let _ = admin_client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await;
        result.map(|(mut r, f)| {
            r.server = shown.clone();
            (r, f)
        })
    })
}

/// The connection string for another database on the same server.
fn with_database(conn: &str, db: &str) -> String {
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        let (base, query) = match conn.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (conn, None),
        };
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let host_part = match base[scheme_end..].find('/') {
            Some(i) => &base[..scheme_end + i],
            None => base,
        };
        match query {
            Some(q) => format!("{host_part}/{db}?{q}"),
            None => format!("{host_part}/{db}"),
        }
    } else {
        let kept: Vec<&str> = conn
            .split_whitespace()
            .filter(|kv| !kv.to_ascii_lowercase().starts_with("dbname="))
            .collect();
        format!("{} dbname={db}", kept.join(" "))
    }
}

struct Relation {
    name: String,
    kind: String,
    filenode: i64,
}

async fn relations(c: &tokio_postgres::Client) -> Result<HashMap<i64, Relation>, Error> {
    let rows = c
        .query(
            "SELECT c.oid::bigint, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, c.relfilenode::bigint \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
               AND n.nspname NOT LIKE 'pg\\_temp%' AND c.relkind IN ('r', 'p', 'm', 'i')",
            &[],
        )
        .await
        .map_err(|e| Error::Unreachable(format!("scratch replay: reading pg_class: {}", crate::db::describe(&e))))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, i64>(0),
                Relation {
                    name: r.get(1),
                    kind: r.get(2),
                    filenode: r.get(3),
                },
            )
        })
        .collect())
}

async fn locks(c: &tokio_postgres::Client) -> Result<BTreeSet<(i64, String)>, Error> {
    let rows = c
        .query(
            "SELECT relation::bigint, mode FROM pg_locks \
             WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted",
            &[],
        )
        .await
        .map_err(|e| {
            Error::Unreachable(format!(
                "scratch replay: reading pg_locks: {}",
                crate::db::describe(&e)
            ))
        })?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The user-visible schema as sorted, normalized lines.
async fn schema(c: &tokio_postgres::Client) -> Result<String, Error> {
    let q = "\
        SELECT 'TABLE ' || c.oid::regclass::text || E'\\n' || coalesce(string_agg('  ' || quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) \
               || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END \
               || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''), E'\\n' ORDER BY a.attnum), '') \
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
        GROUP BY c.oid \
        UNION ALL \
        SELECT 'CONSTRAINT ' || conrelid::regclass::text || '.' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid) \
        FROM pg_constraint WHERE conrelid <> 0 AND connamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema')) \
        UNION ALL \
        SELECT 'INDEX ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
        UNION ALL \
        SELECT CASE c.relkind WHEN 'v' THEN 'VIEW ' ELSE 'MATERIALIZED VIEW ' END || c.oid::regclass::text || ' AS' || E'\\n' || pg_get_viewdef(c.oid) \
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
        WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
        UNION ALL \
        SELECT 'TYPE ' || t.oid::regtype::text || ' AS ENUM (' || string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) || ')' \
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.oid \
        UNION ALL \
        SELECT 'FUNCTION ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
        UNION ALL \
        SELECT 'SEQUENCE ' || c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
        WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";
    let rows = c.query(q, &[]).await.map_err(|e| {
        Error::Unreachable(format!(
            "scratch replay: reading the schema: {}",
            crate::db::describe(&e)
        ))
    })?;
    let mut lines: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    lines.sort();
    Ok(lines.join("\n") + "\n")
}

fn error_finding(
    m: &Migration,
    dir: &str,
    line: u32,
    column: u32,
    e: &tokio_postgres::Error,
    shipped: bool,
) -> Finding {
    let what = if shipped {
        format!(
            "shipped migration `{}` fails on a fresh scratch database, so the new migrations were not replayed (a different PostgreSQL version or a missing extension on the scratch server?): {}",
            m.name,
            crate::db::describe(e)
        )
    } else {
        format!("fails on the scratch database: {}", crate::db::describe(e))
    };
    let mut f = Finding::new("replay-error", display_path(dir, &m.up.path), what)
        .at(line, column)
        .version(m.version.to_string());
    if shipped {
        // Not this change's fault: say so without blocking it.
        f.severity = crate::findings::Severity::Warning;
    }
    f
}

/// Runs one migration statement by statement; with `observe`, records each
/// statement's locks and rewrites on the relations in `before`.
async fn run_migration(
    c: &tokio_postgres::Client,
    m: &Migration,
    vars: &BTreeMap<String, String>,
    dir: &str,
    before: Option<&HashMap<i64, Relation>>,
    steps: &mut Vec<Step>,
) -> Result<Result<(), Finding>, Error> {
    let parsed = crate::sql::parse(&m.up.text, vars, m.up.first_line);
    let file = display_path(dir, &m.up.path);
    let in_tx = !m.no_transaction;
    let fail = |e: &tokio_postgres::Error, line: u32, column: u32| {
        error_finding(m, dir, line, column, e, before.is_none())
    };
    if !parsed.problems.is_empty() || parsed.statements.is_empty() {
        // Unparseable here (the static rules report it): let PostgreSQL judge it whole.
        let sql = m.up_sql(vars);
        if let Err(e) = c.batch_execute(&sql).await {
            return Ok(Err(fail(&e, m.up.first_line, 1)));
        }
        return Ok(Ok(()));
    }
    if in_tx {
        c.batch_execute("BEGIN").await.map_err(|e| {
            Error::Unreachable(format!("scratch replay: {}", crate::db::describe(&e)))
        })?;
    }
    for stmt in &parsed.statements {
        let text = parsed.substituted_text(stmt);
        let (files_before, locks_before) = match before {
            Some(_) if in_tx => (Some(relations(c).await?), locks(c).await?),
            Some(_) => (Some(relations(c).await?), BTreeSet::new()),
            None => (None, BTreeSet::new()),
        };
        let started = Instant::now();
        if let Err(e) = c.batch_execute(text).await {
            if in_tx {
                let _ = c.batch_execute("ROLLBACK").await;
            }
            let (line, column) = crate::db::apply::error_position(&parsed, stmt, &e);
            return Ok(Err(fail(&e, line, column)));
        }
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (Some(existing), Some(files_before)) = (before, files_before) else {
            continue;
        };
        let mut taken = Vec::new();
        let mut blocking = false;
        if in_tx {
            for (oid, mode) in locks(c).await?.difference(&locks_before) {
                if let Some(r) = existing.get(oid).filter(|r| r.kind != "i") {
                    blocking |= BLOCKING.contains(&mode.as_str());
                    taken.push(format!("{}: {mode}", r.name));
                }
            }
        }
        let files_after = relations(c).await?;
        let mut rewrites: Vec<String> = existing
            .iter()
            .filter_map(|(oid, r)| {
                let old = files_before.get(oid)?;
                let new = files_after.get(oid)?;
                (old.filenode != 0 && new.filenode != old.filenode).then(|| r.name.clone())
            })
            .collect();
        rewrites.sort();
        taken.sort();
        let end_line = stmt.line + u32::try_from(text.matches('\n').count()).unwrap_or(0);
        steps.push(Step {
            file: file.clone(),
            line: stmt.line,
            column: stmt.column,
            end_line,
            duration_ms: (duration_ms * 100.0).round() / 100.0,
            locks: taken,
            rewrites,
            blocking,
        });
    }
    if in_tx {
        if let Err(e) = c.batch_execute("COMMIT").await {
            return Ok(Err(fail(&e, m.up.first_line, 1)));
        }
    }
    Ok(Ok(()))
}

async fn replay_on(
    url: &str,
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    vars: &BTreeMap<String, String>,
    dir: &str,
) -> Result<(Replay, Vec<Finding>), Error> {
    let c = crate::db::connect(url).await?;
    let mut replay = Replay::default();
    let mut steps = Vec::new();
    for m in cat.migrations.iter().filter(|m| !is_new(m)) {
        if let Err(f) = run_migration(&c, m, vars, dir, None, &mut steps).await? {
            return Ok((replay, vec![f]));
        }
    }
    let existing = relations(&c).await?;
    let schema_before = schema(&c).await?;
    let mut findings = Vec::new();
    let mut completed = true;
    for m in cat.migrations.iter().filter(|m| is_new(m)) {
        if let Err(f) = run_migration(&c, m, vars, dir, Some(&existing), &mut steps).await? {
            findings.push(f);
            completed = false;
            break;
        }
    }
    let schema_after = schema(&c).await?;
    replay.completed = completed;
    replay.steps = steps;
    if schema_before != schema_after {
        replay.schema_diff = crate::rules::history::unified_diff(
            &schema_before,
            &schema_after,
            "schema before",
            "schema after",
        );
    }
    Ok((replay, findings))
}

/// Attaches what the replay saw to the static findings of the same statement, and
/// reports rewrites and blocking locks no static rule reported (pure). With a runner
/// `lock_timeout` a statement that only takes a blocking lock (no rewrite) cannot queue
/// up traffic behind it, so that finding is info rather than a warning.
pub fn judge(steps: &[Step], findings: &mut [Finding], runner_lock_timeout: bool) -> Vec<Finding> {
    let mut extra = Vec::new();
    for s in steps {
        let mut observed = Vec::new();
        if !s.rewrites.is_empty() {
            observed.push(format!("rewrote {}", s.rewrites.join(", ")));
        }
        if !s.locks.is_empty() {
            observed.push(format!("took {}", s.locks.join(", ")));
        }
        if observed.is_empty() {
            continue;
        }
        let note = format!(" [replay: {}; {} ms]", observed.join("; "), s.duration_ms);
        let mut matched = false;
        for f in findings.iter_mut() {
            if f.file == s.file && f.line >= s.line && f.line <= s.end_line {
                f.message.push_str(&note);
                matched = true;
            }
        }
        if matched {
            continue;
        }
        if !s.rewrites.is_empty() {
            extra.push(
                Finding::new(
                    "replay-rewrite",
                    s.file.clone(),
                    format!(
                        "the scratch replay saw this statement rewrite {} (new relfilenode): the whole table is copied under an ACCESS EXCLUSIVE lock",
                        s.rewrites.join(", ")
                    ),
                )
                .at(s.line, s.column),
            );
        } else if s.blocking {
            let blocking: Vec<&str> = s
                .locks
                .iter()
                .filter(|l| BLOCKING.iter().any(|m| l.ends_with(&format!(": {m}"))))
                .map(String::as_str)
                .collect();
            let mut f = Finding::new(
                "replay-blocking-lock",
                s.file.clone(),
                format!(
                    "the scratch replay saw this statement take {}, which blocks writes to the table until the migration commits",
                    blocking.join(", ")
                ),
            )
            .at(s.line, s.column);
            if runner_lock_timeout && f.severity == crate::findings::Severity::Warning {
                f.severity = crate::findings::Severity::Info;
                f.message.push_str(
                    " (brief here; the runner's lock_timeout keeps it from queueing traffic behind it)",
                );
            }
            extra.push(f);
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(line: u32, locks: &[&str], rewrites: &[&str], blocking: bool) -> Step {
        Step {
            file: "m/002.sql".into(),
            line,
            column: 1,
            end_line: line + 1,
            duration_ms: 1.5,
            locks: locks.iter().map(|s| s.to_string()).collect(),
            rewrites: rewrites.iter().map(|s| s.to_string()).collect(),
            blocking,
        }
    }

    #[test]
    fn observations_attach_or_become_findings() {
        let mut statics =
            vec![Finding::new("alter-column-type", "m/002.sql", "type change").at(3, 8)];
        let steps = vec![
            step(3, &["public.t: AccessExclusiveLock"], &["public.t"], true),
            step(6, &[], &["public.u"], false),
            step(9, &["public.u: ShareRowExclusiveLock"], &[], true),
            step(12, &["public.u: ShareUpdateExclusiveLock"], &[], false),
        ];
        let extra = judge(&steps, &mut statics, false);
        assert!(statics[0]
            .message
            .contains("[replay: rewrote public.t; took public.t: AccessExclusiveLock; 1.5 ms]"));
        let got: Vec<(&str, u32)> = extra.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            vec![("replay-rewrite", 6), ("replay-blocking-lock", 9)]
        );
        assert_eq!(extra[1].severity, crate::findings::Severity::Warning);
        let mut none = Vec::new();
        let extra = judge(&steps, &mut none, true);
        assert_eq!(
            extra.len(),
            3,
            "the rewrite at line 3 now has no static finding"
        );
        assert_eq!(extra[2].severity, crate::findings::Severity::Info);
        assert_eq!(
            extra[0].severity,
            crate::findings::Severity::Warning,
            "rewrites stay warnings"
        );
    }

    #[test]
    fn scratch_urls() {
        assert_eq!(Scratch::parse("none"), None);
        assert_eq!(Scratch::parse("auto"), Some(Scratch::Auto));
        assert_eq!(
            with_database("postgres://u:p@h:5/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            with_database("host=h dbname=postgres user=u", "x"),
            "host=h user=u dbname=x"
        );
    }
}
