//! The replay's base state, built once and reused: the shipped migrations applied to a
//! database on the scratch server, kept as a template named by a hash of exactly what
//! built it (sqlgate's version, the server's major version, the trusted extensions and
//! placeholders, and every shipped file's path, checksum and transaction mode, in
//! order). A run whose shipped history hashes the same clones it (`CREATE DATABASE …
//! TEMPLATE`) and replays only its new migrations.
//!
//! Why a pull request cannot poison it: the name is the hash of the SQL that built it,
//! so a base is only ever reused by a run that would have run that very SQL itself (a
//! pull request that edits a shipped file gets a base of its own, which no other run
//! matches). It is built under the same bounds as the replay, by a temporary
//! unprivileged role, then handed to a `NOLOGIN` owner, and nobody but the
//! administrator may connect to it. A base whose comment does not carry its full key
//! is not trusted: it is dropped and rebuilt. Only a superuser URL role can hand
//! objects between roles (`REASSIGN OWNED`), so other roles replay without a cache;
//! the newest [`KEEP`] bases are kept.

use super::{run_migration, Sandbox};
use crate::connection::connect;
use crate::guard::Guard;
use crate::quote::{ident as quote_ident, literal};
use sha2::{Digest, Sha256};
use sqlgate_core::catalog::{Catalog, Migration};
use sqlgate_core::Error;
use std::collections::BTreeMap;
use tokio_postgres::Client;

/// The role that owns every base's objects between runs.
const OWNER: &str = "sqlgate_base_owner";
/// What a base's comment starts with.
const TAG: &str = "sqlgate-base:v1 ";
/// How many bases a scratch server keeps.
pub const KEEP: usize = 3;

/// What names a base: its database name and the full key its comment carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub full: String,
}

/// The key of the shipped history; `None` when nothing is shipped (nothing to reuse).
pub fn key(
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    vars: &BTreeMap<String, String>,
    extensions: &[String],
    server_version: &str,
) -> Option<Key> {
    let shipped: Vec<&Migration> = cat.migrations.iter().filter(|m| !is_new(m)).collect();
    if shipped.is_empty() {
        return None;
    }
    let mut h = Sha256::new();
    h.update(format!("sqlgate {}\n", env!("CARGO_PKG_VERSION")));
    // The major version: bases do not move between major versions.
    h.update(format!(
        "server {}\n",
        server_version.split('.').next().unwrap_or("")
    ));
    for e in extensions {
        h.update(format!("extension {e}\n"));
    }
    for (k, v) in vars {
        h.update(format!("var {} {}\n", k.len(), k));
        h.update(format!("{} {}\n", v.len(), v));
    }
    for m in shipped {
        h.update(format!(
            "file {} {} {}\n",
            m.up.path,
            m.checksum(),
            m.no_transaction
        ));
    }
    let full: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Some(Key {
        name: format!("sqlgate_base_{}", &full[..24]),
        full,
    })
}

/// Whether the URL's role is a superuser (bases need `REASSIGN OWNED`).
pub async fn usable(admin: &Client) -> bool {
    admin
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .ok()
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false)
}

/// Whether the base exists and carries its full key; a database of that name with
/// another comment is dropped (never trusted).
async fn ready(admin: &Client, key: &Key) -> bool {
    let comment = admin
        .query_opt(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1::text",
            &[&key.name],
        )
        .await
        .ok()
        .flatten()
        .map(|r| r.try_get::<_, Option<String>>(0).ok().flatten());
    match comment {
        None => false,
        Some(Some(c)) if c == format!("{TAG}{}", key.full) => true,
        Some(_) => {
            drop_base(admin, &key.name).await;
            false
        }
    }
}

async fn drop_base(admin: &Client, name: &str) {
    let name = quote_ident(name);
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
}

/// The base for this shipped history and whether this run built it (built when
/// missing). `None` when it cannot be built (a shipped migration fails: the replay
/// without a base reports it).
pub async fn prepare(
    admin_url: &str,
    admin: &Client,
    shown: &str,
    key: &Key,
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    opts: &super::ReplayOptions<'_>,
) -> Result<Option<(String, bool)>, Error> {
    if ready(admin, key).await {
        return Ok(Some((key.name.clone(), false)));
    }
    let mut build = Sandbox::create(admin_url, shown, opts.extensions, opts.bounds, None).await?;
    let guard = Guard::start(admin_url, &build.db, opts.bounds).await;
    let applied = guard
        .within(opts.bounds, apply_shipped(&build.url, cat, is_new, opts))
        .await;
    let tripped = guard.stop().await;
    if !matches!((&applied, &tripped), (Ok(true), None)) {
        build.drop().await;
        return applied.map(|_| None);
    }
    let sealed = seal(admin, admin_url, &build, key).await;
    // The build's database is the base now (or was dropped); its role owns nothing.
    build.db.clear();
    build.drop().await;
    if sealed? {
        prune(admin, &key.name).await;
    }
    Ok(ready(admin, key).await.then(|| (key.name.clone(), true)))
}

/// Applies the shipped migrations, unobserved; false when one fails.
async fn apply_shipped(
    url: &str,
    cat: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    opts: &super::ReplayOptions<'_>,
) -> Result<bool, Error> {
    let c = connect(url).await?;
    let mut steps = Vec::new();
    for m in cat.migrations.iter().filter(|m| !is_new(m)) {
        if run_migration(&c, m, opts.vars, opts.dir, None, &mut steps)
            .await?
            .is_err()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Hands the build's objects to the base owner (the database itself to the
/// administrator: `REASSIGN OWNED` in a clone also moves the databases the old owner
/// owns, and a run's role must own none but its clone), closes it to everyone else and
/// renames it to the base (another run may have been first: then it is dropped).
/// Returns whether this run's build became the base.
async fn seal(admin: &Client, admin_url: &str, build: &Sandbox, key: &Key) -> Result<bool, Error> {
    let failed = |what: &str| {
        let what = what.to_string();
        move |e: tokio_postgres::Error| {
            Error::Unreachable(format!("cannot {what} for the replay's base: {e}"))
        }
    };
    let db = quote_ident(&build.db);
    // The owner may exist (another base); two runs may create it at once.
    let _ = admin
        .batch_execute(&format!("CREATE ROLE {OWNER} NOLOGIN"))
        .await;
    if let Some(role) = &build.role {
        let inside =
            connect(&crate::conninfo::ConnInfo::parse(admin_url).with_database(&build.db)).await?;
        inside
            .batch_execute(&format!(
                "REASSIGN OWNED BY {} TO {OWNER}",
                quote_ident(role)
            ))
            .await
            .map_err(failed("hand over the objects"))?;
    }
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {db} OWNER TO CURRENT_USER;
             REVOKE ALL ON DATABASE {db} FROM PUBLIC;
             COMMENT ON DATABASE {db} IS {}",
            literal(&format!("{TAG}{}", key.full))
        ))
        .await
        .map_err(failed("seal the database"))?;
    let renamed = admin
        .batch_execute(&format!(
            "ALTER DATABASE {db} RENAME TO {}",
            quote_ident(&key.name)
        ))
        .await;
    if renamed.is_err() {
        drop_base(admin, &build.db).await;
        return Ok(false);
    }
    Ok(true)
}

/// Drops all but the newest [`KEEP`] bases (those in use stay until next time).
async fn prune(admin: &Client, current: &str) {
    let Ok(rows) = admin
        .query(
            "SELECT datname FROM pg_database
              WHERE datname LIKE 'sqlgate\\_base\\_%' AND datname <> $1::text
              ORDER BY oid DESC",
            &[&current],
        )
        .await
    else {
        return;
    };
    for r in rows.iter().skip(KEEP.saturating_sub(1)) {
        if let Ok(name) = r.try_get::<_, String>(0) {
            drop_base(admin, &name).await;
        }
    }
}

/// Gives a clone of a base to the run's role: the objects the base owner holds.
pub async fn adopt_clone(admin_url: &str, db: &str, role: &str) -> Result<(), Error> {
    let inside = connect(&crate::conninfo::ConnInfo::parse(admin_url).with_database(db)).await?;
    inside
        .batch_execute(&format!(
            "REASSIGN OWNED BY {OWNER} TO {}",
            quote_ident(role)
        ))
        .await
        .map_err(|e| Error::Unreachable(format!("cannot hand the replay's base to its role: {e}")))
}
