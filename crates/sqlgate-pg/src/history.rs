//! The history table: one row per applied, failed or baselined migration (see
//! docs/history-table.md). Created on first use; its layout version is kept in the
//! table comment (`sqlgate:history:v3`) so later releases can upgrade it. Rows are
//! read with checked access: a hand-edited table is a clear error, never a panic.

use crate::connection::describe;
use sqlgate_core::model::{Record, RecordStatus};
use sqlgate_core::Error;
use tokio_postgres::Row;

/// Layout version written into the table comment. v2 added `adopted_from`; v3 keys a
/// row by version *and* name, so two files that share a version (both applied by the
/// runner a team moves from) are two rows.
pub const LAYOUT: &str = "sqlgate:history:v3";

/// The earlier layouts, upgraded in place by [`ensure`].
pub const LAYOUT_V1: &str = "sqlgate:history:v1";
pub const LAYOUT_V2: &str = "sqlgate:history:v2";

/// The columns sqlgate reads and writes; a table without them is not its history.
const COLUMNS: &[&str] = &[
    "version",
    "name",
    "checksum",
    "status",
    "batch",
    "applied_at",
    "execution_ms",
    "applied_by",
    "statements_done",
    "error",
    "up_sql",
    "sqlgate_version",
    "git_commit",
    "ci_run_url",
];

/// The columns of a table (lower case).
pub async fn columns(client: &tokio_postgres::Client, table: &str) -> Result<Vec<String>, Error> {
    let rows = client
        .query(
            "SELECT a.attname::text FROM pg_attribute a
              WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[&quoted(table)],
        )
        .await
        .map_err(|e| {
            Error::Unreachable(format!(
                "cannot inspect {}: {}",
                quoted(table),
                describe(&e)
            ))
        })?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<_, String>(0).ok())
        .collect())
}

/// Refuses a `history_table` that exists but is not sqlgate's (say, dbmate's
/// `schema_migrations`), naming what it looks like and the command that takes it over.
pub async fn check_compatible(client: &tokio_postgres::Client, table: &str) -> Result<(), Error> {
    let cols = columns(client, table).await?;
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !cols.iter().any(|have| have == c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let looks = sqlgate_core::adopt::detect(table, &cols)
        .map(|s| format!("it looks like the history of {}", s.tool.name()))
        .unwrap_or_else(|| "sqlgate does not recognise it".into());
    Err(Error::Usage(format!(
        "the history table {} is not sqlgate's: it has the columns ({}), not {}; {looks}. \
         Point `history_table` at a table of sqlgate's own (the default is public.sqlgate_migrations) \
         and take its records over with `sqlgate adopt --from {table}`.",
        quoted(table),
        cols.join(", "),
        missing.join(", ")
    )))
}

use crate::quote::ident as quote_ident;

/// `"schema"."table"` for a configured `schema.table` or `table` (schema `public`).
pub fn quoted(table: &str) -> String {
    match table.split_once('.') {
        Some((schema, name)) => format!("{}.{}", quote_ident(schema), quote_ident(name)),
        None => format!("{}.{}", quote_ident("public"), quote_ident(table)),
    }
}

fn schema_of(table: &str) -> &str {
    table.split_once('.').map_or("public", |(s, _)| s)
}

/// Creates the history table (and its schema) when missing; refuses one that is not
/// sqlgate's; upgrades the first layout in place.
pub async fn ensure(client: &tokio_postgres::Client, table: &str) -> Result<(), Error> {
    let t = quoted(table);
    if exists(client, table).await? {
        check_compatible(client, table).await?;
        let comment = client
            .query_one("SELECT obj_description(to_regclass($1), 'pg_class')", &[&t])
            .await
            .ok()
            .and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten());
        if matches!(comment.as_deref(), Some(LAYOUT_V1 | LAYOUT_V2)) {
            // v1 → v2: `adopted_from`; v2 → v3: the key is (version, name).
            client
                .batch_execute(&format!(
                    "ALTER TABLE {t} ADD COLUMN IF NOT EXISTS adopted_from text;
                     DO $$ DECLARE c text; BEGIN
                       SELECT conname INTO c FROM pg_constraint WHERE conrelid = {lit}::regclass AND contype = 'p';
                       IF c IS NOT NULL THEN EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', {lit}, c); END IF;
                     END $$;
                     ALTER TABLE {t} ADD PRIMARY KEY (version, name);
                     COMMENT ON TABLE {t} IS '{LAYOUT}';",
                    lit = format!("'{}'", t.replace('\'', "''"))
                ))
                .await
                .map_err(|e| {
                    Error::Unreachable(format!(
                        "cannot upgrade the history table {t}: {}",
                        describe(&e)
                    ))
                })?;
        }
        return Ok(());
    }
    let sql = format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {t} (
            version          text NOT NULL,
            name             text NOT NULL,
            checksum         text NOT NULL,
            status           text NOT NULL CHECK (status IN ('applied', 'failed', 'baseline')),
            batch            integer NOT NULL,
            applied_at       timestamptz NOT NULL DEFAULT now(),
            execution_ms     bigint NOT NULL DEFAULT 0,
            applied_by       text NOT NULL DEFAULT current_user,
            sqlgate_version  text NOT NULL,
            git_commit       text,
            ci_run_url       text,
            statements_done  integer,
            error            text,
            up_sql           text,
            adopted_from     text,
            PRIMARY KEY (version, name)
         );
         COMMENT ON TABLE {t} IS '{LAYOUT}';",
        schema = quote_ident(schema_of(table)),
    );
    client.batch_execute(&sql).await.map_err(|e| {
        Error::Unreachable(format!(
            "cannot create the history table {t}: {}",
            describe(&e)
        ))
    })
}

/// Every row, in version order.
pub async fn read(client: &tokio_postgres::Client, table: &str) -> Result<Vec<Record>, Error> {
    check_compatible(client, table).await?;
    let sql = format!(
        "SELECT version, name, checksum, status, batch, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                execution_ms, applied_by, statements_done, error
           FROM {} ORDER BY length(version), version, name",
        quoted(table)
    );
    let rows = client.query(&sql, &[]).await.map_err(|e| {
        Error::Unreachable(format!("cannot read the history table: {}", describe(&e)))
    })?;
    rows.iter().map(|r| record(r, table)).collect()
}

/// One column of a history row, or an error naming the row and column.
pub(crate) fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    name: &str,
    table: &str,
    version: &str,
) -> Result<T, Error> {
    row.try_get(index).map_err(|e| {
        Error::Usage(format!(
            "the history table {} has an unexpected value in column `{name}` of the row for version {version}: {e}. Fix the row by hand (or restore the table), then run again.",
            quoted(table)
        ))
    })
}

fn record(r: &Row, table: &str) -> Result<Record, Error> {
    let version: String = column(r, 0, "version", table, "(unknown)")?;
    let v = version.as_str();
    let status: String = column(r, 3, "status", table, v)?;
    let status = RecordStatus::parse(&status).ok_or_else(|| {
        Error::Usage(format!(
            "the history table {} records version {v} with status `{status}`, which sqlgate does not know (applied, failed, baseline). Fix the row by hand, then run again.",
            quoted(table)
        ))
    })?;
    Ok(Record {
        name: column(r, 1, "name", table, v)?,
        checksum: column(r, 2, "checksum", table, v)?,
        status,
        batch: column(r, 4, "batch", table, v)?,
        applied_at: column(r, 5, "applied_at", table, v)?,
        execution_ms: column(r, 6, "execution_ms", table, v)?,
        applied_by: column(r, 7, "applied_by", table, v)?,
        statements_done: column(r, 8, "statements_done", table, v)?,
        error: column(r, 9, "error", table, v)?,
        version,
    })
}

/// True when the table exists.
pub async fn exists(client: &tokio_postgres::Client, table: &str) -> Result<bool, Error> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quoted(table)])
        .await
        .map_err(|e| {
            Error::Unreachable(format!(
                "cannot inspect the history table: {}",
                describe(&e)
            ))
        })?;
    row.try_get(0)
        .map_err(|e| Error::Unreachable(format!("cannot inspect the history table: {e}")))
}

/// The advisory-lock key of a history table (stable across runs and releases).
pub fn lock_key(table: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("sqlgate:{}", quoted(table)).as_bytes());
    let mut b = [0u8; 8];
    for (to, from) in b.iter_mut().zip(d.iter()) {
        *to = *from;
    }
    i64::from_be_bytes(b)
}

// Every statement on the history table that is not a plain read or the apply's own
// record: the admin commands, rollback, baseline and adopt build theirs here.

/// The condition picking a migration's history row (`$1` its version, `$2` its name):
/// the row of that version — or, where two files share the version, the one with
/// its name (an older row of a renamed file still matches by version alone).
fn one_row(alias: &str, table: &str) -> String {
    format!(
        "{alias}.version = $1 AND ({alias}.name = $2 OR NOT EXISTS (SELECT FROM {table} o WHERE o.version = {alias}.version AND o.name <> {alias}.name))"
    )
}

/// Deletes one file's row (`$1` version, `$2` name; a version's only row by version).
pub fn delete_one_sql(table: &str) -> String {
    let q = quoted(table);
    format!("DELETE FROM {q} h WHERE {}", one_row("h", &q))
}

/// Marks one file's row failed part-way (`$3` statements done, `$4` the error).
pub fn mark_failed_sql(table: &str) -> String {
    let q = quoted(table);
    format!(
        "UPDATE {q} h SET status = 'failed', statements_done = $3, error = $4 WHERE {}",
        one_row("h", &q)
    )
}

/// The rows `validate` compares with the files, in version order.
pub fn validate_rows_sql(table: &str) -> String {
    format!(
        "SELECT version, name, checksum, status, up_sql FROM {} ORDER BY length(version), version",
        quoted(table)
    )
}

/// Deletes a version's rows, returning their names (`repair --forget`).
pub fn forget_sql(table: &str) -> String {
    format!(
        "DELETE FROM {} WHERE version = $1 RETURNING name",
        quoted(table)
    )
}

/// A version's rows: status, checksum, name (`repair`).
pub fn version_rows_sql(table: &str) -> String {
    format!(
        "SELECT status, checksum, name FROM {} WHERE version = $1",
        quoted(table)
    )
}

/// Deletes a version's rows (`repair` of a failed record).
pub fn delete_version_sql(table: &str) -> String {
    format!("DELETE FROM {} WHERE version = $1", quoted(table))
}

/// Accepts the file as it is now: `$2` checksum, `$3` up SQL (`repair`).
pub fn accept_checksum_sql(table: &str) -> String {
    format!(
        "UPDATE {} SET checksum = $2, up_sql = $3 WHERE version = $1",
        quoted(table)
    )
}

/// Records a file as applied without running it (`baseline`).
pub fn baseline_insert_sql(table: &str) -> String {
    format!(
        "INSERT INTO {} (version, name, checksum, status, batch, sqlgate_version, up_sql) VALUES ($1, $2, $3, 'baseline', 0, $4, $5)",
        quoted(table)
    )
}

/// Records a file another tool applied (`adopt`).
pub fn adopt_insert_sql(table: &str) -> String {
    format!(
        "INSERT INTO {} (version, name, checksum, status, batch, applied_at, execution_ms, applied_by, sqlgate_version, up_sql, adopted_from)
         VALUES ($1, $2, $3, 'applied', $4, coalesce($5::text::timestamptz, now()), $6, coalesce($7, current_user), $8, $9, $10)",
        quoted(table)
    )
}

/// Writes a line to the audit table beside the history (`<table>_audit`, created when
/// missing): who changed the history by hand, and how.
pub async fn audit(
    client: &tokio_postgres::Client,
    table: &str,
    action: &str,
    version: &str,
    detail: &str,
) -> Result<(), Error> {
    let audit = quoted(&format!("{table}_audit"));
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {audit} (
                at timestamptz NOT NULL DEFAULT now(), by_user text NOT NULL DEFAULT current_user,
                action text NOT NULL, version text NOT NULL, detail text NOT NULL, sqlgate_version text NOT NULL)"
        ))
        .await
        .map_err(crate::admin::db_err("cannot create the audit table"))?;
    client
        .execute(
            &format!("INSERT INTO {audit} (action, version, detail, sqlgate_version) VALUES ($1, $2, $3, $4)"),
            &[&action, &version, &detail, &env!("CARGO_PKG_VERSION")],
        )
        .await
        .map_err(crate::admin::db_err("cannot write the audit record"))?;
    Ok(())
}

/// The statement that records one migration (its parameters: version, name,
/// checksum, status, batch, execution_ms, sqlgate_version, git_commit, ci_run_url,
/// statements_done, error, up_sql); a row of the same file is replaced.
pub fn upsert_sql(table: &str) -> String {
    let q = quoted(table);
    format!(
        "INSERT INTO {q} (version, name, checksum, status, batch, execution_ms, sqlgate_version, git_commit, ci_run_url, statements_done, error, up_sql)
         VALUES ($1, $2, $3, $4, $5,
                 -- sent ahead of the statements (pipelined): the server times them
                 GREATEST($6::bigint, (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint),
                 $7, $8, $9, $10, $11, $12)
         ON CONFLICT (version, name) DO UPDATE SET checksum = EXCLUDED.checksum, status = EXCLUDED.status,
           batch = EXCLUDED.batch, applied_at = now(), execution_ms = EXCLUDED.execution_ms, statements_done = EXCLUDED.statements_done,
           error = EXCLUDED.error, up_sql = EXCLUDED.up_sql"
    )
}

/// The history table's health for `verify`: its layout, its unique key, states and
/// failed records (a table edited by hand shows here).
pub async fn health(
    client: &tokio_postgres::Client,
    table: &str,
    out: &mut Vec<sqlgate_core::model::Check>,
) -> Result<(), Error> {
    use crate::verify::check;
    let row = client
        .query_one(
            "SELECT obj_description(to_regclass($1), 'pg_class')",
            &[&quoted(table)],
        )
        .await
        .map_err(crate::admin::db_err(
            "cannot read the history table comment",
        ))?;
    let comment: Option<String> = crate::admin::get(&row, 0, "the history table comment")?;
    let layout_ok = matches!(
        comment.as_deref(),
        Some(LAYOUT) | Some(LAYOUT_V1) | Some(LAYOUT_V2)
    );
    out.push(check(
        "history layout",
        layout_ok,
        comment.unwrap_or_else(|| "no layout comment".into()),
    ));
    let q = quoted(table);
    // A hand-edited table: rows apply cannot trust.
    let duplicates: Vec<String> = client
        .query(
            &format!("SELECT version::text FROM {q} GROUP BY version, name HAVING count(*) > 1"),
            &[],
        )
        .await
        .map(|rows| rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
        .unwrap_or_default();
    let unknown: Vec<String> = client
        .query(
            &format!(
                "SELECT coalesce(version::text, 'NULL') || ' (' || coalesce(status::text, 'NULL') || ')' FROM {q}
                  WHERE status IS NULL OR status::text NOT IN ('applied', 'failed', 'baseline')"
            ),
            &[],
        )
        .await
        .map(|rows| rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
        .unwrap_or_default();
    let unique_key = client
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_index WHERE indrelid = to_regclass($1) AND indisunique)",
            &[&q],
        )
        .await
        .ok()
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false);
    if !duplicates.is_empty() || !unique_key {
        out.push(check(
            "history versions",
            false,
            if duplicates.is_empty() {
                "the table has no unique key on (version, name) (was its primary key dropped?): apply cannot record migrations".to_string()
            } else {
                format!(
                    "versions recorded more than once: {}; delete the extra rows by hand",
                    duplicates.join(", ")
                )
            },
        ));
    }
    if !unknown.is_empty() {
        out.push(check(
            "history states",
            false,
            format!(
                "rows with a state sqlgate does not know (applied, failed, baseline): {}",
                unknown.join(", ")
            ),
        ));
    }
    match read(client, table).await {
        Err(e) => out.push(check("history records", false, e.to_string())),
        Ok(rows) => {
            let failed: Vec<String> = rows
                .iter()
                .filter(|r| r.status == RecordStatus::Failed)
                .map(|r| r.name.clone())
                .collect();
            out.push(check(
                "history records",
                failed.is_empty(),
                if failed.is_empty() {
                    format!("{} record(s), none failed", rows.len())
                } else {
                    format!("failed: {}", failed.join(", "))
                },
            ));
        }
    }
    Ok(())
}
