//! Preview databases on a staging server (`sqlgate preview`): `up` makes a pull
//! request's database exist and match its migrations — built under a temporary name
//! (from a template when given) by the normal apply engine, observed like the scratch
//! replay, then renamed into place — or updated in place when only new migrations
//! came; `down`, `list` and `gc`. Every run holds an advisory lock per preview name.
//!
//! What sqlgate knows about its previews lives in its **registry**, a table
//! (`sqlgate_previews`) in the server URL's database, owned by the server URL's role:
//! pull-request SQL cannot write it. A database that is not in the registry is never
//! dropped, changed or counted, whatever its comment says. Pull-request SQL runs as a
//! role that owns only its preview (no CREATEDB, no CREATEROLE, no membership), with
//! `CONNECT` on the preview revoked from PUBLIC, under the sandbox's bounds.

mod registry;
use crate::apply::{self, ApplyOptions, Preflight, Progress};
use crate::connection::{connect, describe, mask};
use crate::conninfo::ConnInfo;
use crate::guard::{self, Bounds, Guard};
use crate::{history, lock};
pub use registry::list;
use registry::*;
use sqlgate_core::catalog::{Catalog, Migration, Version};
use sqlgate_core::model::ApplyReport;
use sqlgate_core::preview::{self, Action, Listed, Marker, PreviewReport};
use sqlgate_core::rules::history::unified_diff;
use sqlgate_core::Error;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

use crate::quote::{ident as quote, literal};

fn failed(what: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::Unreachable(format!("preview: cannot {what}: {}", describe(&e)))
}

/// The comment that marks a role sqlgate created for a preview (a role cannot change
/// its own comment: that takes CREATEROLE).
const ROLE_MARK: &str = "sqlgate-preview role";

/// The registry table's name (in the server URL's database).
pub const REGISTRY: &str = "sqlgate_previews";

/// What `preview up` needs besides the catalog.
pub struct UpOptions<'a> {
    pub name: String,
    pub pr: Option<u64>,
    pub head: Option<String>,
    /// Copy this database (a snapshot sqlgate migrated) instead of starting empty.
    pub template: Option<String>,
    /// Extensions the server's administrator creates in a new preview.
    pub extensions: &'a [String],
    pub history_table: &'a str,
    pub dir: &'a str,
    /// Timeouts, placeholders, commit, run URL (the rest is set here).
    pub apply: ApplyOptions,
    /// The base branch's migrations, when known: the schema diff is taken between
    /// them and the rest.
    pub shipped: Option<&'a dyn Fn(&Migration) -> bool>,
    /// At most this many previews may exist (`[preview] max`).
    pub max: Option<usize>,
    /// How long to wait for another run on the same preview.
    pub wait: Duration,
    /// Bounds on the pull request's SQL.
    pub bounds: &'a Bounds,
}

/// The advisory-lock key of a preview name.
fn key(name: &str) -> i64 {
    history::lock_key(&format!("preview:{name}"))
}

/// Whether the session's role has a capability (`rolsuper`, `rolcreatedb`, …).
async fn role_can(c: &Client, column: &str) -> bool {
    c.query_one(
        &format!("SELECT {column} FROM pg_roles WHERE rolname = current_user"),
        &[],
    )
    .await
    .ok()
    .and_then(|r| r.try_get::<_, bool>(0).ok())
    .unwrap_or(false)
}

async fn server_version(c: &Client) -> i32 {
    c.query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .ok()
        .and_then(|r| r.try_get(0).ok())
        .unwrap_or(0)
}

fn random_hex(n: usize) -> Result<String, Error> {
    use std::io::Read;
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::Io(format!("cannot read /dev/urandom: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn now() -> String {
    chrono::DateTime::from_timestamp(now_secs(), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The role the pull request's SQL runs as: a role of the preview's own, created
/// (or given a new password), owning only its preview: `LOGIN`, no other right, no
/// membership, the sandbox's bounds as its defaults. The server URL's role must be
/// able to create it: a superuser, or a role with `CREATEROLE` (which is then made a
/// member of the preview role, to create the database for it and to end its
/// sessions). A server role that cannot is refused: running the pull request's SQL
/// as the server role itself would let it drop or mark every other preview.
/// Returns the role and the URL maker.
async fn preview_role(
    c: &Client,
    admin_url: &str,
    name: &str,
    bounds: &Bounds,
) -> Result<(String, Box<dyn Fn(&str) -> String + Send + Sync>), Error> {
    let info = ConnInfo::parse(admin_url);
    let superuser = role_can(c, "rolsuper").await;
    if !superuser && !role_can(c, "rolcreaterole").await {
        let me: String = c
            .query_one("SELECT current_user::text", &[])
            .await
            .ok()
            .and_then(|r| r.try_get(0).ok())
            .unwrap_or_else(|| "<role>".into());
        return Err(Error::Usage(format!(
            "the server URL's role {me} cannot create roles: sqlgate runs each pull request's SQL as a role that owns only its preview, so that it cannot reach another preview or database. Grant it: ALTER ROLE {} CREATEROLE (it needs CREATEDB too)",
            quote(&me)
        )));
    }
    let existing = c
        .query_opt(
            "SELECT coalesce(shobj_description(oid, 'pg_authid'), '') FROM pg_roles WHERE rolname = $1",
            &[&name],
        )
        .await
        .map_err(failed("look for the preview's role"))?;
    let password = random_hex(24)?;
    let q = quote(name);
    match existing.map(|r| r.try_get::<_, String>(0).unwrap_or_default()) {
        Some(mark) if mark != ROLE_MARK => {
            return Err(Error::Usage(format!(
                "a role named {name} exists and sqlgate did not create it: refusing to use it for the preview (choose another --name or [preview] prefix)"
            )))
        }
        Some(_) => {
            // Ours, and still without any right beyond its preview.
            let widened = c
                .query_one(
                    "SELECT r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls
                            OR EXISTS (SELECT FROM pg_auth_members m WHERE m.member = r.oid)
                       FROM pg_roles r WHERE r.rolname = $1",
                    &[&name],
                )
                .await
                .map_err(failed("look at the preview's role"))?
                .try_get::<_, bool>(0)
                .unwrap_or(true);
            if widened {
                return Err(Error::Usage(format!(
                    "the preview's role {name} has rights beyond its preview (an attribute such as CREATEDB, or membership in another role): refusing to run the pull request's SQL as it. Drop the role (DROP ROLE {q}) and run again"
                )));
            }
            c.batch_execute(&format!(
                "ALTER ROLE {q} WITH LOGIN PASSWORD {}",
                literal(&password)
            ))
            .await
            .map_err(failed("set the preview role's password"))?
        }
        None => c
            .batch_execute(&format!(
                "CREATE ROLE {q} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {p}; COMMENT ON ROLE {q} IS {m}",
                p = literal(&password),
                m = literal(ROLE_MARK)
            ))
            .await
            .map_err(failed("create the preview's role"))?,
    }
    if !superuser {
        // To create a database owned by it (and, PostgreSQL 16+, to manage it).
        c.batch_execute(&format!("GRANT {q} TO CURRENT_USER"))
            .await
            .map_err(failed(
                "make the server role a member of the preview's role",
            ))?;
    }
    bounds.set_on(c, &format!("ROLE {q}")).await;
    let role = name.to_string();
    let make = move |db: &str| ConnInfo::parse(&info.with_database(db)).with_user(&role, &password);
    Ok((name.to_string(), Box::new(make)))
}

/// Drops a role sqlgate created for a preview (it owns nothing once its database is
/// gone).
async fn drop_role(c: &Client, role: &str) {
    let ours = c
        .query_opt(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1",
            &[&role],
        )
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten())
        .is_some_and(|c| c == ROLE_MARK);
    if ours {
        let _ = c
            .batch_execute(&format!("DROP ROLE IF EXISTS {}", quote(role)))
            .await;
    }
}

/// Gives `role` everything a template copy holds (so its migrations may alter it).
async fn take_over(c: &Client, role: &str) -> Result<(), Error> {
    let sql = format!(
        "DO $$ DECLARE r record; BEGIN
           FOR r IN SELECT n.nspname FROM pg_namespace n
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
           LOOP EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, {role}); END LOOP;
           FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
           LOOP EXECUTE format('ALTER %s %s OWNER TO %I',
                  CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                  r.rel, {role}); END LOOP;
           FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
           LOOP EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.fn, {role}); END LOOP;
           FOR r IN SELECT t.oid::regtype AS ty FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                       AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
                       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
           LOOP EXECUTE format('ALTER TYPE %s OWNER TO %I', r.ty, {role}); END LOOP;
         END $$",
        role = literal(role)
    );
    c.batch_execute(&sql).await.map_err(failed(
        "give the template copy's objects to the preview's role",
    ))
}

/// Applies what is pending to `url`, observed statement by statement, and the
/// schema diff it made (`labels`: the two sides' names).
async fn observed_apply(
    url: &str,
    cat: &Catalog,
    opts: &UpOptions<'_>,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
    labels: (&str, &str),
) -> Result<(ApplyReport, String), Error> {
    let apply_opts = ApplyOptions {
        observe: true,
        allow_existing_schema: true,
        ..opts.apply.clone()
    };
    // One session for the schema before, the migrations and the schema after.
    let c = connect(url).await?;
    let before = crate::replay::schema(&c).await?;
    let rep = apply::apply_on(
        &c,
        opts.history_table,
        cat,
        opts.dir,
        &apply_opts,
        preflight,
        progress,
    )
    .await?;
    // What the migrations left in the session (a search_path, a role) must not
    // change how the schema reads; a session that cannot be reset is replaced.
    let after = match c.batch_execute("DISCARD ALL").await {
        Ok(()) => crate::replay::schema(&c).await?,
        Err(_) => crate::replay::schema(&connect(url).await?).await?,
    };
    let diff = if before == after {
        String::new()
    } else {
        unified_diff(&before, &after, labels.0, labels.1)
    };
    Ok((rep, diff))
}

/// Applies the pending migrations to `url` under the replay's observer; with
/// `shipped`, first up to the newest shipped version, to take the schema diff
/// between the base branch's migrations and the rest.
async fn migrate(
    url: &str,
    cat: &Catalog,
    opts: &UpOptions<'_>,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
) -> Result<(ApplyReport, String), Error> {
    let apply_opts = ApplyOptions {
        observe: true,
        allow_existing_schema: true,
        ..opts.apply.clone()
    };
    let mut report = ApplyReport::default();
    let base_to = opts.shipped.and_then(|shipped| {
        cat.migrations
            .iter()
            .filter(|m| shipped(m))
            .map(|m| m.version.clone())
            .max()
    });
    if let Some(to) = &base_to {
        // The base branch's part is not the change: not observed, at full speed.
        let base_opts = ApplyOptions {
            to: Some(to.canonical().to_string()),
            observe: false,
            ..apply_opts.clone()
        };
        report = apply::apply(
            url,
            opts.history_table,
            cat,
            opts.dir,
            &base_opts,
            preflight,
            progress,
        )
        .await?;
        if report.failure.is_some() || report.interrupted || !report.blockers.is_empty() {
            return Ok((report, String::new()));
        }
    }
    let (rest, diff) = observed_apply(
        url,
        cat,
        opts,
        preflight,
        progress,
        ("schema of the base branch", "schema of the pull request"),
    )
    .await?;
    report.applied.extend(rest.applied);
    report.steps.extend(rest.steps);
    report.blockers = rest.blockers;
    report.refused = rest.refused;
    report.failure = rest.failure;
    report.interrupted = rest.interrupted;
    report.pending_after = rest.pending_after;
    Ok((report, diff))
}

fn fill(report: &mut PreviewReport, applied: ApplyReport, diff: String) {
    report.applied = applied.applied;
    report.steps = applied.steps;
    report.failure = applied.failure;
    report.blockers = applied.blockers;
    report.schema_diff = diff;
    if applied.interrupted && report.failure.is_none() {
        report.action = "interrupted".into();
    }
}

/// `preview up`. Returns the report and the preview's connection string (with its
/// password: for the caller to mask and hand on).
pub async fn up(
    admin_url: &str,
    cat: &Catalog,
    opts: &UpOptions<'_>,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
) -> Result<(PreviewReport, String), Error> {
    let started = Instant::now();
    let admin = connect(admin_url).await?;
    let k = key(&opts.name);
    lock::lock(&admin, k, opts.wait, &mut |l| progress.say(l)).await?;
    let result = up_locked(&admin, admin_url, cat, opts, preflight, progress).await;
    lock::unlock(&admin, k).await;
    result.map(|(mut r, url)| {
        r.elapsed_ms = started.elapsed().as_millis() as u64;
        r.url = mask(&url);
        (r, url)
    })
}

/// Applies the migrations to `db` with the guard of the sandbox's bounds watching its
/// sessions; a bound that hit turns into the failure's message.
async fn guarded<F>(
    admin_url: &str,
    db: &str,
    bounds: &Bounds,
    work: F,
) -> Result<(ApplyReport, String), Error>
where
    F: std::future::Future<Output = Result<(ApplyReport, String), Error>>,
{
    let g = Guard::start(admin_url, db, bounds).await;
    let result = g.within(bounds, work).await;
    let tripped = g.stop().await;
    let tripped = tripped.or_else(|| {
        let message = &result.as_ref().ok()?.0.failure.as_ref()?.message;
        guard::explain(message, bounds)
    });
    match (result, tripped) {
        (Ok((mut rep, diff)), Some(why)) => {
            match &mut rep.failure {
                Some(f) => f.message = format!("{why}: {}", f.message),
                None => {
                    rep.failure = Some(sqlgate_core::model::Failure {
                        message: why,
                        ..Default::default()
                    })
                }
            }
            Ok((rep, diff))
        }
        // The bound ended the sessions mid-statement: a failed build, reported as
        // such (the comment says why), not an outage.
        (Err(e), Some(why)) => Ok((
            ApplyReport {
                failure: Some(sqlgate_core::model::Failure {
                    message: format!("{why} ({e})"),
                    ..Default::default()
                }),
                ..Default::default()
            },
            String::new(),
        )),
        (r, None) => r,
    }
}

/// `[preview] max`: refuses a new preview when this project's previews (`<prefix>_pr_*`:
/// other projects may share the server and its registry) already reach the limit.
async fn check_limit(admin: &Client, reg: &str, name: &str, max: usize) -> Result<(), Error> {
    // This project's previews (`<prefix>_pr_*`): other projects may share
    // the server and its registry.
    let project = name.rsplit_once("_pr_").map(|(p, _)| format!("{p}_pr_"));
    let live: Vec<String> = list_on(admin, reg, false)
        .await?
        .into_iter()
        .filter(|l| !l.marker.building)
        .filter(|l| {
            project
                .as_ref()
                .is_none_or(|p| l.marker.name.starts_with(p))
        })
        .map(|l| l.database)
        .collect();
    if live.len() >= max {
        return Err(Error::Usage(format!(
            "{} previews exist, the limit ([preview] max) is {max}: {}. Remove some with `sqlgate preview down --name …` or `sqlgate preview gc`",
            live.len(),
            live.join(", ")
        )));
    }
    Ok(())
}

/// Runs a build until it ends or the process is told to stop (SIGTERM, SIGINT).
async fn interruptible<T>(
    build: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return Err(Error::Io("cannot watch for SIGTERM".into()));
    };
    tokio::select! {
        r = build => r,
        _ = term.recv() => Err(Error::Unreachable("interrupted (SIGTERM) while building the preview: the build was removed, the previous preview is unchanged".into())),
        _ = int.recv() => Err(Error::Unreachable("interrupted (SIGINT) while building the preview: the build was removed, the previous preview is unchanged".into())),
    }
}

/// What an existing preview needs: nothing, the new migrations, or a rebuild.
async fn decide(url: &str, cat: &Catalog, opts: &UpOptions<'_>) -> Result<Action, Error> {
    let c = connect(url).await?;
    if history::exists(&c, opts.history_table).await? {
        let rows = history::read(&c, opts.history_table).await?;
        Ok(preview::decide(cat, Some(&rows), opts.dir))
    } else {
        Ok(Action::Rebuild(vec![
            "the preview has no sqlgate history".into()
        ]))
    }
}

/// Applies the new migrations to a preview in place (under the sandbox's bounds).
async fn update(
    admin_url: &str,
    url: &str,
    cat: &Catalog,
    opts: &UpOptions<'_>,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
) -> Result<(ApplyReport, String), Error> {
    guarded(
        admin_url,
        &opts.name,
        opts.bounds,
        observed_apply(
            url,
            cat,
            opts,
            preflight,
            progress,
            ("preview before", "preview after"),
        ),
    )
    .await
}

/// Puts a finished build in place of the preview: the old one is dropped only now.
/// The final record is written before the rename and the build's record removed after
/// it, so a run killed in between leaves nothing unregistered.
async fn into_place(
    admin: &Client,
    reg: &str,
    tmp: &str,
    marker: &Marker,
    replaces: bool,
    version: i32,
) -> Result<(), Error> {
    let name = &marker.name;
    if replaces {
        drop_database(admin, name, version).await?;
    }
    register(admin, reg, name, marker).await?;
    rename(admin, tmp, name).await?;
    unregister(admin, reg, tmp).await
}

async fn up_locked(
    admin: &Client,
    admin_url: &str,
    cat: &Catalog,
    opts: &UpOptions<'_>,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
) -> Result<(PreviewReport, String), Error> {
    let name = &opts.name;
    let reg = registry(admin).await?;
    let version = server_version(admin).await;
    let existing = find(admin, &reg, name).await?;
    if let Some(None) = existing {
        return Err(Error::Usage(format!(
            "a database named {name} exists and is not in sqlgate's registry of previews ({reg}): refusing to touch it. Choose another --name or [preview] prefix"
        )));
    }
    drop_leftover_builds(admin, &reg, name, version).await?;
    // The limit is checked before anything is made for a new preview.
    if let (None, Some(max)) = (&existing, opts.max) {
        check_limit(admin, &reg, name, max).await?;
    }
    let (role, url_for) = preview_role(admin, admin_url, name, opts.bounds).await?;
    let mut marker = Marker {
        name: name.clone(),
        pr: opts.pr,
        head: opts.head.clone(),
        migrations: preview::digest(cat),
        built_at: now(),
        building: true,
        role: Some(role.clone()),
    };
    let mut report = PreviewReport {
        name: name.clone(),
        template: opts.template.clone(),
        ..Default::default()
    };
    let action = match &existing {
        None => Action::Create,
        Some(_) => decide(&url_for(name), cat, opts).await?,
    };
    match action {
        Action::UpToDate | Action::Update(_) => {
            let old = existing.flatten().unwrap_or_default();
            marker.built_at = old.built_at;
            marker.building = false;
            if matches!(action, Action::UpToDate) {
                report.action = "up-to-date".into();
            } else {
                let (applied, diff) =
                    update(admin_url, &url_for(name), cat, opts, preflight, progress).await?;
                report.action = if applied.failure.is_some() || !applied.blockers.is_empty() {
                    "failed".into()
                } else {
                    "updated".into()
                };
                fill(&mut report, applied, diff);
            }
            if report.action != "failed" {
                register(admin, &reg, name, &marker).await?;
            }
            Ok((report, url_for(name)))
        }
        Action::Create | Action::Rebuild(_) => {
            if let Action::Rebuild(reasons) = &action {
                report.reasons = reasons.clone();
            }
            let tmp = preview::build_name(name, &random_hex(4)?);
            let build = build(
                admin,
                &reg,
                admin_url,
                &tmp,
                &marker,
                &role,
                url_for.as_ref(),
                cat,
                opts,
                preflight,
                progress,
            );
            // A SIGTERM/SIGINT (a cancelled workflow) while building: the build is
            // dropped, the previous preview stays as it was.
            let outcome = interruptible(build).await;
            let (applied, diff) = match outcome {
                Ok(x) => x,
                Err(e) => {
                    let _ = drop_db(admin, &reg, &tmp, version).await;
                    if existing.is_none() {
                        drop_role(admin, &role).await;
                    }
                    return Err(e);
                }
            };
            let ok =
                applied.failure.is_none() && applied.blockers.is_empty() && !applied.interrupted;
            fill(&mut report, applied, diff);
            if !ok {
                drop_db(admin, &reg, &tmp, version).await?;
                if existing.is_none() {
                    drop_role(admin, &role).await;
                }
                if report.action.is_empty() {
                    report.action = "failed".into();
                }
                return Ok((report, url_for(name)));
            }
            // Into place: the old preview goes only now.
            marker.building = false;
            into_place(admin, &reg, &tmp, &marker, existing.is_some(), version).await?;
            report.action = if existing.is_some() {
                "rebuilt"
            } else {
                "created"
            }
            .into();
            Ok((report, url_for(name)))
        }
    }
}

async fn rename(c: &Client, from: &str, to: &str) -> Result<(), Error> {
    let mut last = None;
    for _ in 0..50 {
        let _ = c
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&from],
            )
            .await;
        match c
            .batch_execute(&format!(
                "ALTER DATABASE {} RENAME TO {}",
                quote(from),
                quote(to)
            ))
            .await
        {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::Unreachable(format!(
        "preview: cannot rename the build into place: {}",
        last.map(|e| describe(&e)).unwrap_or_default()
    )))
}

#[allow(clippy::too_many_arguments)]
async fn build(
    admin: &Client,
    reg: &str,
    admin_url: &str,
    tmp: &str,
    marker: &Marker,
    role: &str,
    url_for: &(dyn Fn(&str) -> String + Send + Sync),
    cat: &Catalog,
    opts: &UpOptions<'_>,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
) -> Result<(ApplyReport, String), Error> {
    let info = ConnInfo::parse(admin_url);
    if let Some(t) = &opts.template {
        if !db_exists(admin, t).await? {
            return Err(Error::Usage(format!(
                "the template database {t} does not exist: create it (docs/previews.md, \"Keeping a template fresh and small\"), or leave `preview-template` / `[preview] template` unset to start from an empty database"
            )));
        }
        let c = connect(&info.with_database(t)).await?;
        if !history::exists(&c, opts.history_table).await? {
            return Err(Error::Usage(format!(
                "the template database {t} has no sqlgate history ({}), so sqlgate cannot tell which migrations it has: take it over once with `sqlgate adopt` (or `sqlgate baseline`) against it",
                opts.history_table
            )));
        }
    }
    let template = opts
        .template
        .as_ref()
        .map(|t| format!(" TEMPLATE {}", quote(t)))
        .unwrap_or_default();
    // Registered before it exists: a run killed at any point leaves a record that
    // `up`, `down` or `gc` finds.
    register(admin, reg, tmp, marker).await?;
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {}{template} OWNER {}",
            quote(tmp),
            quote(role)
        ))
        .await
        .map_err(failed("create the preview database"))?;
    // Only its own role (and the server's administrator) may connect to it.
    admin
        .batch_execute(&format!(
            "REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC",
            quote(tmp)
        ))
        .await
        .map_err(failed("restrict who may connect to the preview"))?;
    progress.say(format!("building {} as {tmp}", marker.name));
    if !opts.extensions.is_empty() || opts.template.is_some() {
        let c = connect(&info.with_database(tmp)).await?;
        for ext in opts.extensions {
            c.batch_execute(&format!(
                "CREATE EXTENSION IF NOT EXISTS {} CASCADE",
                quote(ext)
            ))
            .await
            .map_err(failed("create an extension in the preview"))?;
        }
        if opts.template.is_some() {
            take_over(&c, role).await?;
        }
    }
    guarded(
        admin_url,
        tmp,
        opts.bounds,
        migrate(&url_for(tmp), cat, opts, preflight, progress),
    )
    .await
}

/// What `preview down` did.
#[derive(Debug)]
pub enum Down {
    Dropped,
    Absent,
}

/// `preview down`: drops the preview (and the role sqlgate made for it). Only a
/// database in the registry is dropped.
pub async fn down(
    admin_url: &str,
    name: &str,
    wait: Duration,
    say: &mut dyn FnMut(String),
) -> Result<Down, Error> {
    let admin = connect(admin_url).await?;
    let reg = registry(&admin).await?;
    let k = key(name);
    lock::lock(&admin, k, wait, say).await?;
    let result = async {
        let version = server_version(&admin).await;
        drop_leftover_builds(&admin, &reg, name, version).await?;
        match find(&admin, &reg, name).await? {
            None => Ok(Down::Absent),
            Some(None) => Err(Error::Usage(format!(
                "{name} is not a sqlgate preview (it is not in sqlgate's registry of previews, {reg}): refusing to drop it"
            ))),
            Some(Some(m)) => {
                drop_db(&admin, &reg, name, version).await?;
                if let Some(role) = m.role.filter(|r| r == name) {
                    drop_role(&admin, &role).await;
                }
                Ok(Down::Dropped)
            }
        }
    }
    .await;
    lock::unlock(&admin, k).await;
    result
}

/// `preview gc`: drops previews older than `max_age` (from their build), of closed
/// pull requests, and builds killed runs left — only `<prefix>_pr_*` ones when a
/// prefix is given, and only what the registry lists. Returns the names dropped.
pub async fn gc(
    admin_url: &str,
    prefix: Option<&str>,
    max_age: Option<Duration>,
    closed: &[u64],
    wait: Duration,
    say: &mut dyn FnMut(String),
) -> Result<Vec<String>, Error> {
    let admin = connect(admin_url).await?;
    let reg = registry(&admin).await?;
    // With a prefix, only this project's previews (others may share the server).
    let all: Vec<Listed> = list_on(&admin, &reg, false)
        .await?
        .into_iter()
        .filter(|l| prefix.is_none_or(|p| l.marker.name.starts_with(&format!("{p}_pr_"))))
        .collect();
    let now = now_secs();
    let max = max_age.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut dropped = Vec::new();
    let version = server_version(&admin).await;
    for l in preview::garbage(&all, now, max, closed) {
        if l.marker.building {
            drop_db(&admin, &reg, &l.database, version).await?;
            dropped.push(l.database.clone());
        } else if let Down::Dropped = down(admin_url, &l.database, wait, say).await? {
            dropped.push(l.database.clone());
        }
    }
    Ok(dropped)
}

/// Whether the server URL's role can create databases and the roles previews run as
/// (`CREATEDB` and `CREATEROLE`, or a superuser) and (when given) use the template:
/// for `verify`.
pub async fn can_create(
    admin_url: &str,
    template: Option<&str>,
) -> Result<(bool, Option<bool>), Error> {
    let c = connect(admin_url).await?;
    let createdb = role_can(&c, "(rolcreatedb AND rolcreaterole) OR rolsuper").await;
    let tpl = match template {
        None => None,
        Some(t) => Some(
            c.query_opt(
                "SELECT datistemplate OR pg_has_role(current_user, datdba, 'MEMBER') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                   FROM pg_database WHERE datname = $1",
                &[&t],
            )
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get::<_, bool>(0).ok())
            .unwrap_or(false),
        ),
    };
    Ok((createdb, tpl))
}

/// The version of a catalog's newest migration (for messages).
pub fn newest(cat: &Catalog) -> Option<Version> {
    cat.migrations.iter().map(|m| m.version.clone()).max()
}
