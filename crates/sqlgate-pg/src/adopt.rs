//! Taking over a database another runner or tool migrated (`sqlgate adopt`): finding
//! its history table, reading its rows, and writing sqlgate's history from them — in
//! one transaction under the migration lock, running no migration and leaving the old
//! table as it is. Also what `apply`, `status` and `verify` say about a database that
//! has tables or another tool's history but no sqlgate history.

use crate::connection::{connect, describe};
use crate::history::{self, quoted};
use crate::lock;
use sqlgate_core::adopt::{self, Mapping, Source, SourceRow};
use sqlgate_core::catalog::Catalog;
use sqlgate_core::model::Finding;
use sqlgate_core::rules::database::EXISTING_SCHEMA;
use sqlgate_core::Error;
use tokio_postgres::Client;

fn failed(what: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::Unreachable(format!("{what}: {}", describe(&e)))
}

/// The history tables of known tools in the database (any schema but the system's),
/// except sqlgate's own `history_table`.
pub async fn discover(client: &Client, own: &str) -> Result<Vec<Source>, Error> {
    let known: Vec<String> = adopt::KNOWN_TABLES.iter().map(|s| s.to_string()).collect();
    let rows = client
        .query(
            "SELECT table_schema::text || '.' || table_name::text FROM information_schema.tables
              WHERE table_name = ANY($1) AND table_schema NOT IN ('pg_catalog', 'information_schema')
              ORDER BY 1",
            &[&known],
        )
        .await
        .map_err(failed("cannot look for other tools' history tables"))?;
    let mut out = Vec::new();
    for table in rows.iter().filter_map(|r| r.try_get::<_, String>(0).ok()) {
        if quoted(&table) == quoted(own) {
            continue;
        }
        let cols = history::columns(client, &table).await?;
        if let Some(s) = adopt::detect(&table, &cols) {
            out.push(s);
        }
    }
    Ok(out)
}

/// User tables in the history table's schema, besides sqlgate's own.
async fn user_tables(client: &Client, own: &str) -> Result<Vec<String>, Error> {
    let schema = own.split_once('.').map_or("public", |(s, _)| s).to_string();
    let name = own.rsplit('.').next().unwrap_or(own).to_string();
    let rows = client
        .query(
            // Tables an extension created (PostGIS's spatial_ref_sys) are not the
            // user's.
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> $2 AND c.relname <> $2 || '_audit'
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'e')
              ORDER BY 1",
            &[&schema, &name],
        )
        .await
        .map_err(failed("cannot list the tables of the schema"))?;
    Ok(rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
}

/// A database sqlgate has no history of, but that something else migrated: another
/// tool's history table, or tables in the schema. `None` when sqlgate's history
/// exists or the schema is empty.
pub async fn unrecognised(client: &Client, own: &str, dir: &str) -> Result<Option<Finding>, Error> {
    if history::exists(client, own).await? {
        return Ok(None);
    }
    let sources = discover(client, own).await?;
    let tables = user_tables(client, own).await?;
    if sources.is_empty() && tables.is_empty() {
        return Ok(None);
    }
    let found = match sources.first() {
        Some(s) => {
            let others = tables
                .iter()
                .filter(|t| {
                    format!("{}.{t}", own.split_once('.').map_or("public", |(s, _)| s)) != s.table
                })
                .count();
            format!(
                "the history table {} of {} and {others} other table(s)",
                s.table,
                s.tool.name(),
            )
        }
        None => format!(
            "{} table(s) ({}{}) but no migration history",
            tables.len(),
            tables
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if tables.len() > 5 { ", …" } else { "" }
        ),
    };
    let adopt = match sources.first() {
        Some(s) => format!("`sqlgate adopt --from {}`", s.table),
        None => "`sqlgate baseline <version>` (the version the database is at)".into(),
    };
    Ok(Some(Finding::new(
        &EXISTING_SCHEMA,
        format!("{dir}/"),
        format!(
            "the database has {found} and no sqlgate history: it was migrated by something else. Take it over with {adopt}; nothing was run"
        ),
    )))
}

/// What `adopt` did or would do.
#[derive(Debug)]
pub struct Adoption {
    pub source: Source,
    pub mapping: Mapping,
    /// Rows written (0 for a dry run or a refusal).
    pub written: usize,
    /// Versions sqlgate's history already had, left as they are.
    pub skipped: Vec<String>,
}

/// Reads the foreign history `from` (or the one found), maps it to the files and —
/// unless `dry_run` or the mapping refuses — writes sqlgate's history.
#[allow(clippy::too_many_arguments)]
pub async fn adopt(
    url: &str,
    own: &str,
    cat: &Catalog,
    dir: &str,
    from: Option<&str>,
    dry_run: bool,
    wait: std::time::Duration,
    say: &mut dyn FnMut(String),
) -> Result<Adoption, Error> {
    let client = connect(url).await?;
    let source = match from {
        Some(t) => {
            let table = if t.contains('.') {
                t.to_string()
            } else {
                format!("public.{t}")
            };
            if !history::exists(&client, &table).await? {
                return Err(Error::Usage(format!("{} does not exist", quoted(&table))));
            }
            let cols = history::columns(&client, &table).await?;
            adopt::detect(&table, &cols).ok_or_else(|| {
                Error::Usage(format!(
                    "{} ({}) is not the history table of a tool sqlgate knows (docs/moving.md lists them)",
                    quoted(&table),
                    cols.join(", ")
                ))
            })?
        }
        None => {
            let mut found = discover(&client, own).await?;
            match found.len() {
                0 => {
                    return Err(Error::Usage(
                        "no history table of a tool sqlgate knows was found (docs/moving.md lists them): name one with --from, or — when the database was migrated without a history table (by hand, by scripts) — record what it has with `sqlgate baseline <version>` (every migration up to that version counts as applied, nothing runs)".into(),
                    ))
                }
                1 => found.remove(0),
                _ => {
                    return Err(Error::Usage(format!(
                        "several history tables were found ({}): name the one to take over with --from",
                        found.iter().map(|s| format!("{} ({})", s.table, s.tool.name())).collect::<Vec<_>>().join(", ")
                    )))
                }
            }
        }
    };
    let rows = client
        .query(&source.select(&quoted(&source.table)), &[])
        .await
        .map_err(failed("cannot read the history table"))?;
    let rows: Vec<SourceRow> = rows
        .iter()
        .map(|r| {
            let text = |i: usize| r.try_get::<_, Option<String>>(i).ok().flatten();
            SourceRow {
                key: text(0),
                applied_at: text(1),
                applied_by: text(2),
                duration_ms: text(3),
                batch: text(4),
                checksum: text(5),
                failed: r.try_get::<_, bool>(6).unwrap_or(false),
                undone: r.try_get::<_, bool>(7).unwrap_or(false),
                kind: text(8),
            }
        })
        .collect();
    let mapping = adopt::map(cat, &source, &rows, dir);
    let mut adoption = Adoption {
        source,
        mapping,
        written: 0,
        skipped: Vec::new(),
    };
    if dry_run || !adoption.mapping.refusals.is_empty() {
        return Ok(adoption);
    }
    let key = history::lock_key(own);
    lock::lock(&client, key, wait, say).await?;
    let result = write(&client, own, &mut adoption).await;
    lock::unlock(&client, key).await;
    result.map(|()| adoption)
}

async fn write(client: &Client, own: &str, adoption: &mut Adoption) -> Result<(), Error> {
    let from = format!("{}:{}", adoption.source.tool.id(), adoption.source.table);
    let insert = history::adopt_insert_sql(own);
    client
        .batch_execute("BEGIN")
        .await
        .map_err(failed("cannot start a transaction"))?;
    // The history table is created in the transaction too: a failed adoption leaves
    // no empty sqlgate history behind (which would hide the database's past).
    let result = async {
        history::ensure(client, own).await?;
        let present: Vec<(String, String)> = history::read(client, own)
            .await?
            .into_iter()
            .map(|r| (r.version, r.name))
            .collect();
        let adopted = &adoption.mapping.adopted;
        for a in adopted {
            // Already recorded: the same file, or the one file of that version.
            let shared = adopted.iter().filter(|b| b.version == a.version).count() > 1;
            if present
                .iter()
                .any(|(v, n)| v == &a.version && (n == &a.name || !shared))
            {
                adoption.skipped.push(a.name.clone());
                continue;
            }
            client
                .execute(
                    &insert,
                    &[
                        &a.version,
                        &a.name,
                        &a.checksum,
                        &a.batch,
                        &a.applied_at,
                        &a.execution_ms,
                        &a.applied_by,
                        &env!("CARGO_PKG_VERSION"),
                        &a.up_sql,
                        &from,
                    ],
                )
                .await
                .map_err(failed("cannot write the adopted history"))?;
            adoption.written += 1;
        }
        history::audit(
            client,
            own,
            "adopt",
            "",
            &format!("{} row(s) taken over from {from}", adoption.written),
        )
        .await?;
        client
            .batch_execute("COMMIT")
            .await
            .map_err(failed("cannot commit the adoption"))
    }
    .await;
    if result.is_err() {
        let _ = client.batch_execute("ROLLBACK").await;
        adoption.written = 0;
    }
    result
}
