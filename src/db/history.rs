//! The history table (PRODUCT §4): one row per applied, failed or baselined
//! migration. Created on first use; its layout version is kept in the table comment
//! (`sqlgate:history:v1`) so later releases can upgrade it.

use crate::error::Error;

/// Layout version written into the table comment.
pub const LAYOUT: &str = "sqlgate:history:v1";

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// Canonical version (no leading zeros).
    pub version: String,
    pub name: String,
    pub checksum: String,
    /// `applied`, `failed` or `baseline`.
    pub status: String,
    pub batch: i32,
    pub applied_at: String,
    pub execution_ms: i64,
    pub applied_by: String,
    pub statements_done: Option<i32>,
    pub error: Option<String>,
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

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

/// Creates the history table (and its schema) when missing.
pub async fn ensure(client: &tokio_postgres::Client, table: &str) -> Result<(), Error> {
    let t = quoted(table);
    let sql = format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {t} (
            version          text PRIMARY KEY,
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
            up_sql           text
         );
         COMMENT ON TABLE {t} IS '{LAYOUT}';",
        schema = quote_ident(schema_of(table)),
    );
    client.batch_execute(&sql).await.map_err(|e| {
        Error::Unreachable(format!(
            "cannot create the history table {t}: {}",
            super::describe(&e)
        ))
    })
}

/// Every row, in version order.
pub async fn read(client: &tokio_postgres::Client, table: &str) -> Result<Vec<Row>, Error> {
    let sql = format!(
        "SELECT version, name, checksum, status, batch, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                execution_ms, applied_by, statements_done, error
           FROM {} ORDER BY length(version), version",
        quoted(table)
    );
    let rows = client.query(&sql, &[]).await.map_err(|e| {
        Error::Unreachable(format!(
            "cannot read the history table: {}",
            super::describe(&e)
        ))
    })?;
    Ok(rows
        .iter()
        .map(|r| Row {
            version: r.get(0),
            name: r.get(1),
            checksum: r.get(2),
            status: r.get(3),
            batch: r.get(4),
            applied_at: r.get(5),
            execution_ms: r.get(6),
            applied_by: r.get(7),
            statements_done: r.get(8),
            error: r.get(9),
        })
        .collect())
}

/// True when the table exists.
pub async fn exists(client: &tokio_postgres::Client, table: &str) -> Result<bool, Error> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quoted(table)])
        .await
        .map_err(|e| {
            Error::Unreachable(format!(
                "cannot inspect the history table: {}",
                super::describe(&e)
            ))
        })?;
    Ok(row.get(0))
}

/// The advisory-lock key of a history table (stable across runs and releases).
pub fn lock_key(table: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("sqlgate:{}", quoted(table)).as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}
