//! Scratch replay (`check --scratch`): on a throwaway database, runs the
//! migrations that already shipped, then the new ones statement by statement, and
//! observes each new statement: failure (with PostgreSQL's position, message, detail,
//! hint), duration, the locks it took on tables that existed before the change
//! (`pg_locks`), and rewrites (`pg_class.relfilenode` changed). Also captures the
//! schema before and after the change as normalized text and diffs it.
//! `judge` (observations + static findings → findings) is pure.

use crate::connection::{connect, describe, mask, ConnInfo};
use crate::exec::{self, Observer};
use crate::guard::{self, Bounds, Guard};
use crate::scratch::LocalServer;

mod base;
mod cache;
pub mod sample;
use sqlgate_core::catalog::{display_path, Catalog, Migration};
use sqlgate_core::model::replay::BLOCKING_LOCKS;
use sqlgate_core::model::{Finding, Replay, RuleId, Severity, Step};
use sqlgate_core::rules::history::unified_diff;
use sqlgate_core::rules::replay::REPLAY_ERROR;
use sqlgate_core::sql::{self, Parsed, Statement};
use sqlgate_core::Error;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;
use tokio_postgres::Client;

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

/// What a replay needs besides the catalog.
pub struct ReplayOptions<'a> {
    pub vars: &'a BTreeMap<String, String>,
    /// The directory as shown in findings.
    pub dir: &'a str,
    /// Created by the server's administrator before the migrations run (for
    /// extensions an unprivileged owner cannot create, e.g. postgis).
    pub extensions: &'a [String],
    /// Bounds on the pull request's SQL.
    pub bounds: &'a Bounds,
    /// Tables to fill with generated rows before the change runs (`[stats]
    /// replay_rows`).
    pub fills: &'a [sample::Fill],
    /// With `auto`: where private servers with the shipped state are kept between
    /// runs (`scratch_cache`).
    pub cache: Option<&'a std::path::Path>,
}

/// Runs the replay. `is_new` tells the migrations of this change from shipped ones.
/// Every statement runs under `bounds`: a statement past the statement timeout is
/// cancelled, every session ends at the deadline, and the replay's database and role
/// are dropped in every case; a bound that hit is a `replay-error` finding saying
/// which.
pub fn run(
    scratch: &Scratch,
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    opts: &ReplayOptions,
) -> Result<(Replay, Vec<Finding>), Error> {
    let (vars, dir, extensions, bounds) = (opts.vars, opts.dir, opts.extensions, opts.bounds);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the async runtime: {e}")))?;
    // `auto` with a cache: a saved server that already holds the shipped state.
    let cached = match (scratch, opts.cache) {
        (Scratch::Auto, Some(dir)) => cache::key(cat, is_new, opts).map(|k| (dir, k)),
        _ => None,
    };
    let (server, admin, shown) = match scratch {
        Scratch::Auto => {
            let saved = cached.as_ref().and_then(|(dir, k)| cache::saved(dir, k));
            let s = match saved {
                Some(data) => LocalServer::start_from(&Default::default(), Some(&data))
                    .or_else(|_| LocalServer::start())?,
                None => LocalServer::start()?,
            };
            let url = s.url("postgres");
            (
                Some(s),
                url,
                "auto (a private server from local binaries)".to_string(),
            )
        }
        Scratch::Url(u) => (None, u.clone(), mask(u)),
    };
    rt.block_on(async {
        // A scratch server given by URL keeps the shipped history's state between runs;
        // so does `auto` with a cache directory (the whole server is saved).
        let base = match scratch {
            Scratch::Url(_) => reusable_base(&admin, &shown, cat, is_new, opts).await?,
            Scratch::Auto if cached.is_some() => {
                reusable_base(&admin, &shown, cat, is_new, opts).await?
            }
            Scratch::Auto => None,
        };
        // Saved before any pull-request SQL runs: only the base branch's state.
        if let (Some(s), Some((dir, key)), Some((_, true))) = (&server, &cached, &base) {
            cache::store(s, dir, key)?;
        }
        let template = base.as_ref().map(|(name, _)| name.as_str());
        let sandbox = Sandbox::create(&admin, &shown, extensions, bounds, template).await?;
        let guard = Guard::start(&admin, &sandbox.db, bounds).await;
        let result = guard
            .within(
                bounds,
                replay_on(
                    &sandbox.url,
                    cat,
                    is_new,
                    (vars, dir),
                    base.is_some(),
                    opts.fills,
                ),
            )
            .await;
        let tripped = guard.stop().await;
        sandbox.drop().await;
        let (mut replay, mut findings) = match (result, tripped.clone()) {
            (Ok(r), _) => r,
            // The bound ended the replay's session: a finding, not an outage.
            (Err(_), Some(_)) => (Replay::default(), Vec::new()),
            (Err(e), None) => return Err(e),
        };
        for f in findings
            .iter_mut()
            .filter(|f| f.rule == RuleId::of(&REPLAY_ERROR))
        {
            if let Some(why) = guard::explain(&f.message, bounds) {
                f.message = format!("{why}: {}", f.message);
            }
        }
        if let Some(why) = tripped {
            replay.completed = false;
            let mut said = false;
            for f in findings
                .iter_mut()
                .filter(|f| f.rule == RuleId::of(&REPLAY_ERROR))
            {
                f.message = format!("{why}: {}", f.message);
                f.severity = Severity::Error;
                said = true;
            }
            if !said {
                findings.push(bound_finding(cat, is_new, dir, why));
            }
        }
        replay.base = base
            .as_ref()
            .map(|(_, built)| if *built { "built" } else { "reused" });
        replay.server = shown.clone();
        Ok((replay, findings))
    })
}

/// A `replay-error` for a bound that ended the replay outside any one migration's
/// failure: on the first migration of the change.
fn bound_finding(
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    dir: &str,
    why: String,
) -> Finding {
    let m = cat.migrations.iter().find(|m| is_new(m));
    let file = m
        .map(|m| display_path(dir, &m.up.path))
        .unwrap_or_else(|| dir.to_string());
    let mut f = Finding::new(
        &REPLAY_ERROR,
        file,
        format!("{why}; the replay's database and role were dropped"),
    );
    if let Some(m) = m {
        f = f
            .at(m.up.first_line.max(1), 1)
            .version(m.version.to_string());
    }
    f
}

/// A unique name for this run's database and role.
fn unique_name() -> String {
    format!(
        "sqlgate_replay_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

/// A random password for the replay's role (never printed).
fn random_password() -> Result<String, Error> {
    use std::io::Read;
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::Io(format!("cannot read /dev/urandom for a password: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Where the pull request's SQL runs: a database of its own, owned by a role with no
/// rights outside it — not a superuser, not a member of `pg_execute_server_program`,
/// `pg_read_server_files` or `pg_write_server_files`. When the server's URL names a
/// privileged role, or one that can create roles, a temporary unprivileged role is
/// created (and dropped); an unprivileged URL role with only CREATEDB is used as it is.
struct Sandbox {
    admin: Client,
    db: String,
    role: Option<String>,
    /// How the replay connects.
    url: String,
}

/// What the scratch URL's role may do: whether it is privileged (a superuser, or a
/// member of a role that reaches the server's files and programs) and whether it can
/// create roles. Unknown counts as privileged, and as not able to create roles.
async fn powers(admin: &tokio_postgres::Client) -> (bool, bool) {
    let privileged = admin
        .query_one(
            "SELECT r.rolsuper OR EXISTS (
                 SELECT FROM pg_roles p
                  WHERE p.rolname IN ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files')
                    AND pg_has_role(current_user, p.oid, 'MEMBER'))
               FROM pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .await
        .ok()
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(true);
    // A role that can create roles (not a superuser) hands the replay a role of
    // its own too, so the pull request's SQL cannot reach the other databases the
    // URL's role owns (another run's replay, say).
    let can_create_roles = !privileged
        && admin
            .query_one(
                "SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await
            .ok()
            .and_then(|r| r.try_get::<_, bool>(0).ok())
            .unwrap_or(false);
    (privileged, can_create_roles)
}

/// The extensions the replay needs, created by the administrator (the unprivileged
/// owner may not).
async fn create_extensions(
    url: &str,
    extensions: &[String],
    failed: &dyn Fn(&str, tokio_postgres::Error) -> Error,
) -> Result<(), Error> {
    if extensions.is_empty() {
        return Ok(());
    }
    let c = connect(url).await?;
    for ext in extensions {
        c.batch_execute(&format!(
            "CREATE EXTENSION IF NOT EXISTS {} CASCADE",
            quote_ident(ext)
        ))
        .await
        .map_err(|e| failed(&format!("create the extension {ext}"), e))?;
    }
    Ok(())
}

impl Sandbox {
    /// A fresh database (a clone of `template`, a base of [`base`], when given) and,
    /// where the URL's role allows, a role of its own.
    async fn create(
        admin_url: &str,
        shown: &str,
        extensions: &[String],
        bounds: &Bounds,
        template: Option<&str>,
    ) -> Result<Sandbox, Error> {
        let admin = connect(admin_url).await?;
        let failed = |what: &str, e: tokio_postgres::Error| {
            Error::Unreachable(format!("cannot {what} on {shown}: {}", describe(&e)))
        };
        let (privileged, can_create_roles) = powers(&admin).await;
        let name = unique_name();
        let info = ConnInfo::parse(admin_url);
        let (role, url) = if privileged || can_create_roles {
            let password = random_password()?;
            admin
                .batch_execute(&format!(
                    "CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '{password}'"
                ))
                .await
                .map_err(|e| failed("create the replay's unprivileged role", e))?;
            if can_create_roles {
                // To create the database owned by it (and, PostgreSQL 16+, to drop it).
                if let Err(e) = admin
                    .batch_execute(&format!("GRANT {name} TO CURRENT_USER"))
                    .await
                {
                    let _ = admin
                        .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
                        .await;
                    return Err(failed(
                        "make the URL's role a member of the replay's role",
                        e,
                    ));
                }
            }
            let url = ConnInfo::parse(&info.with_database(&name)).with_user(&name, &password);
            (Some(name.clone()), url)
        } else {
            (None, info.with_database(&name))
        };
        let mut sandbox = Sandbox {
            admin,
            db: name.clone(),
            role,
            url,
        };
        let owner = sandbox
            .role
            .as_ref()
            .map(|r| format!(" OWNER {r}"))
            .unwrap_or_default();
        let from = template
            .map(|t| format!(" TEMPLATE {}", quote_ident(t)))
            .unwrap_or_default();
        if let Err(e) = sandbox
            .admin
            .batch_execute(&format!("CREATE DATABASE {name}{owner}{from}"))
            .await
        {
            let err = failed("create the scratch database", e);
            sandbox.db.clear();
            sandbox.drop().await;
            return Err(err);
        }
        // The bounds as the role's and the database's defaults too (the watcher
        // enforces them whatever the SQL sets).
        if let Some(role) = &sandbox.role {
            bounds
                .set_on(&sandbox.admin, &format!("ROLE {}", quote_ident(role)))
                .await;
        }
        bounds
            .set_on(&sandbox.admin, &format!("DATABASE {}", quote_ident(&name)))
            .await;
        let prepared = match (template, &sandbox.role) {
            // A base has its extensions; its objects go to this run's role.
            (Some(_), Some(role)) => base::adopt_clone(admin_url, &name, role).await,
            _ => create_extensions(&info.with_database(&name), extensions, &failed).await,
        };
        if let Err(e) = prepared {
            sandbox.drop().await;
            return Err(e);
        }
        if sandbox.role.is_some() {
            if let Err(e) = connect(&sandbox.url).await {
                sandbox.drop().await;
                return Err(Error::Unreachable(format!(
                    "the scratch server {shown} refused a password login of the replay's temporary unprivileged role ({e}). \
                     Allow password logins from this host in its pg_hba.conf, or put an unprivileged role with CREATEDB in the scratch URL: \
                     sqlgate never runs a pull request's SQL as a superuser."
                )));
            }
        }
        Ok(sandbox)
    }

    /// Drops the database and the role (best effort; the server may be gone).
    async fn drop(self) {
        if !self.db.is_empty() {
            // The replay's own session may still be closing: FORCE (PostgreSQL 13+)
            // ends it; older servers get a few tries.
            let force = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db);
            if self.admin.batch_execute(&force).await.is_err() {
                for _ in 0..20 {
                    let plain = format!("DROP DATABASE IF EXISTS {}", self.db);
                    if self.admin.batch_execute(&plain).await.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        if let Some(role) = &self.role {
            let _ = self
                .admin
                .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
                .await;
        }
    }
}

use crate::quote::ident as quote_ident;

pub(crate) struct Relation {
    name: String,
    kind: String,
}

pub(crate) async fn relations(c: &Client) -> Result<HashMap<i64, Relation>, Error> {
    let rows = c
        .query(
            "SELECT c.oid::bigint, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
               AND n.nspname NOT LIKE 'pg\\_temp%' AND c.relkind IN ('r', 'p', 'm', 'i')",
            &[],
        )
        .await
        .map_err(|e| Error::Unreachable(format!("scratch replay: reading pg_class: {}", describe(&e))))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.try_get::<_, i64>(0).ok()?,
                Relation {
                    name: r.try_get(1).ok()?,
                    kind: r.try_get(2).ok()?,
                },
            ))
        })
        .collect())
}

/// The user-visible schema as sorted, normalized lines.
pub(crate) async fn schema(c: &Client) -> Result<String, Error> {
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
        SELECT 'INDEX ' || pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' -- INVALID' END FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
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
            describe(&e)
        ))
    })?;
    let mut lines: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<_, Option<String>>(0).ok().flatten())
        .collect();
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
            describe(e)
        )
    } else {
        format!("fails on the scratch database: {}", describe(e))
    };
    let mut f = Finding::new(&REPLAY_ERROR, display_path(dir, &m.up.path), what)
        .at(line, column)
        .version(m.version.to_string());
    if shipped {
        // Not this change's fault: say so without blocking it.
        f.severity = Severity::Warning;
    }
    f
}

/// What a session looks like at one moment: the relfilenode of each watched
/// relation, and the relation locks it holds.
type Snapshot = (HashMap<i64, i64>, BTreeSet<(i64, String)>);

/// Records, for every statement of a new migration, its duration, the locks it took
/// and the relations it rewrote among those that existed before the change. One
/// query per statement: the snapshot after a statement is the next one's before.
pub(crate) struct Watch<'a> {
    existing: &'a HashMap<i64, Relation>,
    oids: Vec<i64>,
    in_tx: bool,
    file: String,
    /// (relfilenode by oid of `existing`, relation locks held), as last seen.
    last: Option<Snapshot>,
    steps: &'a mut Vec<Step>,
}

impl<'a> Watch<'a> {
    /// Watches the statements of `file` for locks on and rewrites of `existing`.
    pub(crate) fn new(
        existing: &'a HashMap<i64, Relation>,
        in_tx: bool,
        file: String,
        steps: &'a mut Vec<Step>,
    ) -> Self {
        Watch {
            oids: existing.keys().copied().collect(),
            existing,
            in_tx,
            file,
            last: None,
            steps,
        }
    }

    /// The filenodes of the watched relations and (in a transaction) the relation
    /// locks this session holds, in one round trip.
    async fn snapshot(
        &self,
        c: &Client,
    ) -> Result<(HashMap<i64, i64>, BTreeSet<(i64, String)>), Error> {
        let rows = c
            .query(
                "SELECT oid::bigint, relfilenode::bigint, NULL::text FROM pg_class WHERE oid = ANY($1::bigint[]::oid[])
                 UNION ALL
                 SELECT relation::bigint, NULL, mode FROM pg_locks
                  WHERE $2 AND pid = pg_backend_pid() AND locktype = 'relation' AND granted",
                &[&self.oids, &self.in_tx],
            )
            .await
            .map_err(|e| Error::Unreachable(format!("observing the statements: {}", describe(&e))))?;
        let mut files = HashMap::new();
        let mut held = BTreeSet::new();
        for r in &rows {
            let Ok(oid) = r.try_get::<_, i64>(0) else {
                continue;
            };
            match r.try_get::<_, Option<String>>(2).ok().flatten() {
                Some(mode) => {
                    held.insert((oid, mode));
                }
                None => {
                    if let Ok(Some(node)) = r.try_get::<_, Option<i64>>(1) {
                        files.insert(oid, node);
                    }
                }
            }
        }
        Ok((files, held))
    }
}

impl Observer for Watch<'_> {
    type Error = Error;

    async fn before(&mut self, c: &Client) -> Result<(), Error> {
        if self.last.is_none() {
            self.last = Some(self.snapshot(c).await?);
        }
        Ok(())
    }

    async fn after(
        &mut self,
        c: &Client,
        parsed: &Parsed,
        stmt: &Statement,
        elapsed: Duration,
    ) -> Result<(), Error> {
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        let (files_after, locks_after) = self.snapshot(c).await?;
        let (files_before, locks_before) = self.last.take().unwrap_or_default();
        let mut taken = Vec::new();
        let mut blocking = false;
        for (oid, mode) in locks_after.difference(&locks_before) {
            if let Some(r) = self.existing.get(oid).filter(|r| r.kind != "i") {
                blocking |= BLOCKING_LOCKS.contains(&mode.as_str());
                taken.push(format!("{}: {mode}", r.name));
            }
        }
        let shown = |r: &Relation| {
            if r.kind == "i" {
                format!("index {}", r.name)
            } else {
                r.name.clone()
            }
        };
        let mut rewrites: Vec<String> = self
            .existing
            .iter()
            .filter_map(|(oid, r)| {
                let old = files_before.get(oid)?;
                let new = files_after.get(oid)?;
                (*old != 0 && new != old).then(|| shown(r))
            })
            .collect();
        // A type change re-creates the indexes of the column under their names with
        // new oids: those that kept their storage were reused, the others rebuilt
        // (an expression or predicate uses the column).
        let (gone, old_files): (Vec<String>, Vec<i64>) = self
            .existing
            .iter()
            .filter(|(oid, r)| r.kind == "i" && !files_after.contains_key(oid))
            .filter_map(|(oid, r)| Some((r.name.clone(), *files_before.get(oid)?)))
            .unzip();
        if !gone.is_empty() {
            let back = c
                .query(
                    "SELECT n FROM unnest($1::text[], $2::bigint[]) AS g(n, old)
                      WHERE to_regclass(n) IS NOT NULL AND pg_relation_filenode(to_regclass(n))::bigint <> old",
                    &[&gone, &old_files],
                )
                .await
                .map_err(|e| {
                    Error::Unreachable(format!("observing the statements: {}", describe(&e)))
                })?;
            rewrites.extend(
                back.iter()
                    .filter_map(|r| r.try_get::<_, String>(0).ok())
                    .map(|n| format!("index {n}")),
            );
        }
        // Tables first, then indexes.
        rewrites.sort_by(|a, b| (a.starts_with("index "), a).cmp(&(b.starts_with("index "), b)));
        taken.sort();
        // Outside a transaction each statement's locks end with it.
        self.last = Some((
            files_after,
            if self.in_tx {
                locks_after
            } else {
                BTreeSet::new()
            },
        ));
        let text = parsed.substituted_text(stmt);
        let end_line = stmt.line + u32::try_from(text.matches('\n').count()).unwrap_or(0);
        self.steps.push(Step {
            file: self.file.clone(),
            line: stmt.line,
            column: stmt.column,
            end_line,
            duration_ms: (duration_ms * 100.0).round() / 100.0,
            locks: taken,
            rewrites,
            blocking,
        });
        Ok(())
    }
}

/// Runs one migration on the scratch database, in its transaction unless it is a
/// no-transaction one; with `before` (the relations that existed before the change),
/// records each statement's locks and rewrites.
async fn run_migration(
    c: &Client,
    m: &Migration,
    vars: &BTreeMap<String, String>,
    dir: &str,
    before: Option<&HashMap<i64, Relation>>,
    steps: &mut Vec<Step>,
) -> Result<Result<(), Finding>, Error> {
    let mut parsed = sql::parse(&m.up.text, vars, m.up.first_line);
    let in_tx = !m.no_transaction;
    if in_tx {
        parsed.unwrap_own_transaction();
    }
    let fail = |e: &tokio_postgres::Error, line: u32, column: u32| {
        error_finding(m, dir, line, column, e, before.is_none())
    };
    if !parsed.problems.is_empty() || parsed.statements.is_empty() {
        // Unparseable here (the static rules report it): let PostgreSQL judge it whole.
        if let Err(e) = exec::run_whole(c, &parsed).await {
            return Ok(Err(fail(&e.error, m.up.first_line, 1)));
        }
        return Ok(Ok(()));
    }
    if in_tx {
        c.batch_execute("BEGIN")
            .await
            .map_err(|e| Error::Unreachable(format!("scratch replay: {}", describe(&e))))?;
    }
    let result = match before {
        Some(existing) => {
            let mut watch = Watch::new(existing, in_tx, display_path(dir, &m.up.path), steps);
            exec::run_each(c, &parsed, &mut watch).await?
        }
        None => {
            let Ok(result) = exec::run_each(c, &parsed, &mut exec::Quiet).await;
            result
        }
    };
    if let Err(e) = result {
        if in_tx {
            let _ = c.batch_execute("ROLLBACK").await;
        }
        return Ok(Err(fail(&e.error, e.line, e.column)));
    }
    if in_tx {
        if let Err(e) = c.batch_execute("COMMIT").await {
            return Ok(Err(fail(&e, m.up.first_line, 1)));
        }
    }
    Ok(Ok(()))
}

/// The base to clone for this run (built when missing), when the server allows one.
async fn reusable_base(
    admin_url: &str,
    shown: &str,
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    opts: &ReplayOptions<'_>,
) -> Result<Option<(String, bool)>, Error> {
    let admin = connect(admin_url).await?;
    if !base::usable(&admin).await {
        return Ok(None);
    }
    let version = admin
        .query_one("SHOW server_version_num", &[])
        .await
        .ok()
        .and_then(|r| r.try_get::<_, String>(0).ok())
        .unwrap_or_default();
    let major = version.get(..version.len().saturating_sub(4)).unwrap_or("");
    let Some(key) = base::key(cat, is_new, opts.vars, opts.extensions, major) else {
        return Ok(None);
    };
    base::prepare(admin_url, &admin, shown, &key, cat, is_new, opts).await
}

/// Replays on the sandbox: the shipped migrations unobserved (unless `from_base`: the
/// sandbox is a clone of their state), then the new ones observed.
async fn replay_on(
    url: &str,
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    (vars, dir): (&BTreeMap<String, String>, &str),
    from_base: bool,
    fills: &[sample::Fill],
) -> Result<(Replay, Vec<Finding>), Error> {
    let c = connect(url).await?;
    let mut replay = Replay::default();
    let mut steps = Vec::new();
    for m in cat.migrations.iter().filter(|m| !is_new(m) && !from_base) {
        if let Err(f) = run_migration(&c, m, vars, dir, None, &mut steps).await? {
            return Ok((replay, vec![f]));
        }
    }
    replay.samples = sample::fill(&c, fills).await;
    let mut existing = relations(&c).await?;
    let schema_before = schema(&c).await?;
    let mut findings = Vec::new();
    let mut completed = true;
    // Without a base (`check --all`) every migration is new: what the migrations
    // before each one created counts as existing, as for the static rules.
    let all_new = cat.migrations.iter().all(is_new);
    for m in cat.migrations.iter().filter(|m| is_new(m)) {
        if all_new {
            existing = relations(&c).await?;
        }
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
        replay.schema_diff = unified_diff(
            &schema_before,
            &schema_after,
            "schema before",
            "schema after",
        );
    }
    replay.schema_after = schema_after;
    Ok((replay, findings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_urls() {
        assert_eq!(Scratch::parse("none"), None);
        assert_eq!(Scratch::parse("auto"), Some(Scratch::Auto));
    }
}
