//! `sqlgate stats export`: the sizes of a database's tables, for the size-dependent
//! rules (`check --stats`). Reads only the catalogs and the statistics views — table
//! names, row estimates, sizes and write rates — never a row's values, a role or a
//! connection detail. A read-only role is enough.

use crate::connection::{connect, describe};
use sqlgate_core::sizes::{Snapshot, TableStats, FORMAT};
use sqlgate_core::Error;

const TABLES: &str = "
SELECT n.nspname::text, c.relname::text, c.reltuples::bigint,
       pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid),
       (s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::float8
         / GREATEST(extract(epoch FROM now() - coalesce(
             (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()),
             pg_postmaster_start_time()))::float8, 1)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
 WHERE c.relkind IN ('r', 'p', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
 ORDER BY 1, 2";

/// The snapshot of the database at `url`.
pub async fn export(url: &str) -> Result<Snapshot, Error> {
    let c = connect(url).await?;
    let failed = |e: tokio_postgres::Error| {
        Error::Unreachable(format!("cannot read the table sizes: {}", describe(&e)))
    };
    let head = c
        .query_one(
            "SELECT current_setting('server_version'),
                    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[],
        )
        .await
        .map_err(failed)?;
    let get = |what: &str| Error::Usage(format!("unexpected value for {what}"));
    let mut tables = Vec::new();
    for r in c.query(TABLES, &[]).await.map_err(failed)? {
        tables.push(TableStats {
            schema: r.try_get(0).map_err(|_| get("a schema"))?,
            name: r.try_get(1).map_err(|_| get("a table name"))?,
            rows: r.try_get(2).map_err(|_| get("a row estimate"))?,
            total_bytes: r.try_get(3).map_err(|_| get("a size"))?,
            table_bytes: r.try_get(4).map_err(|_| get("a size"))?,
            index_bytes: r.try_get(5).map_err(|_| get("a size"))?,
            writes_per_second: r
                .try_get::<_, Option<f64>>(6)
                .map_err(|_| get("a write rate"))?
                .map(|w| (w * 1000.0).round() / 1000.0),
        });
    }
    Ok(Snapshot {
        format: FORMAT,
        server_version: head.try_get(0).map_err(|_| get("the server version"))?,
        exported_at: head.try_get(1).map_err(|_| get("the time"))?,
        tables,
    })
}
