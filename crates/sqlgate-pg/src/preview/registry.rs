//! sqlgate's registry of preview databases (`sqlgate_previews`, in the server URL's
//! database, written by sqlgate alone): what is a preview, and dropping one.

use super::*;

/// The registry table, created when missing, schema-qualified. The session's
/// `search_path` is then set to `pg_catalog, pg_temp`, so nothing a preview role
/// creates in the server URL's database can stand in for a function sqlgate calls.
pub(super) async fn registry(c: &Client) -> Result<String, Error> {
    let schema: Option<String> = c
        .query_one("SELECT current_schema()::text", &[])
        .await
        .map_err(failed("find the schema of the preview registry"))?
        .try_get(0)
        .ok()
        .flatten();
    let db: String = c
        .query_one("SELECT current_database()::text", &[])
        .await
        .ok()
        .and_then(|r| r.try_get(0).ok())
        .unwrap_or_default();
    let Some(schema) = schema else {
        return Err(Error::Usage(format!(
            "the server URL's database {db} has no schema on the role's search_path for sqlgate's registry of previews: point the URL at a database the role owns (CREATE DATABASE sqlgate OWNER <role>)"
        )));
    };
    let table = format!("{}.{REGISTRY}", quote(&schema));
    let sql = format!(
        "BEGIN; SELECT pg_advisory_xact_lock({key});
         CREATE TABLE IF NOT EXISTS {table} (database text PRIMARY KEY, record text NOT NULL);
         REVOKE ALL ON {table} FROM PUBLIC;
         COMMIT; SET search_path = pg_catalog, pg_temp",
        key = history::lock_key("sqlgate preview registry")
    );
    if let Err(e) = c.batch_execute(&sql).await {
        let _ = c.batch_execute("ROLLBACK").await;
        return Err(Error::Usage(format!(
            "sqlgate keeps its registry of previews in the table {table} of the server URL's database {db}, and cannot create it: {}. Point the URL at a database the role owns (CREATE DATABASE sqlgate OWNER <role>) or GRANT CREATE ON SCHEMA {} TO <role>",
            describe(&e),
            quote(&schema)
        )));
    }
    Ok(table)
}

/// The registry's record of `db`.
pub(super) async fn registered(c: &Client, reg: &str, db: &str) -> Result<Option<Marker>, Error> {
    let row = c
        .query_opt(
            &format!("SELECT record FROM {reg} WHERE database = $1"),
            &[&db],
        )
        .await
        .map_err(failed("read the preview registry"))?;
    Ok(row
        .and_then(|r| r.try_get::<_, String>(0).ok())
        .and_then(|t| Marker::parse(&t)))
}

pub(super) async fn register(c: &Client, reg: &str, db: &str, m: &Marker) -> Result<(), Error> {
    c.execute(
        &format!(
            "INSERT INTO {reg} (database, record) VALUES ($1, $2)
               ON CONFLICT (database) DO UPDATE SET record = EXCLUDED.record"
        ),
        &[&db, &m.to_comment()],
    )
    .await
    .map_err(failed("write the preview registry"))?;
    Ok(())
}

pub(super) async fn unregister(c: &Client, reg: &str, db: &str) -> Result<(), Error> {
    c.execute(&format!("DELETE FROM {reg} WHERE database = $1"), &[&db])
        .await
        .map_err(failed("write the preview registry"))?;
    Ok(())
}

pub(super) async fn db_exists(c: &Client, db: &str) -> Result<bool, Error> {
    Ok(
        c.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db])
            .await
            .map_err(failed("look for the preview database"))?
            .is_some(),
    )
}

/// `Some(record)` for a database in the registry, `Some(None)` for one that exists
/// but is not (not sqlgate's), `None` when it does not exist (a stale record of a
/// database gone is removed).
pub(super) async fn find(c: &Client, reg: &str, db: &str) -> Result<Option<Option<Marker>>, Error> {
    let exists = db_exists(c, db).await?;
    let record = registered(c, reg, db).await?;
    match (exists, record) {
        (true, r) => Ok(Some(r)),
        (false, Some(_)) => {
            unregister(c, reg, db).await?;
            Ok(None)
        }
        (false, None) => Ok(None),
    }
}

/// Every preview in the registry whose database exists.
pub async fn list(admin_url: &str) -> Result<Vec<Listed>, Error> {
    let c = connect(admin_url).await?;
    let reg = registry(&c).await?;
    list_on(&c, &reg, true).await
}

/// The registered previews whose database exists; with `sizes`, each database's size
/// (which walks its files: only the listing shows it).
pub(super) async fn list_on(c: &Client, reg: &str, sizes: bool) -> Result<Vec<Listed>, Error> {
    let size = if sizes {
        "pg_database_size(d.oid)"
    } else {
        "0::bigint"
    };
    let rows = c
        .query(
            &format!(
                "SELECT r.database, r.record, {size}
                   FROM {reg} r JOIN pg_database d ON d.datname = r.database ORDER BY 1"
            ),
            &[],
        )
        .await
        .map_err(failed("list the preview databases"))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Listed {
                database: r.try_get(0).ok()?,
                marker: Marker::parse(&r.try_get::<_, String>(1).ok()?)?,
                size_bytes: r.try_get(2).unwrap_or(0),
            })
        })
        .collect())
}

/// Drops a database sqlgate registered (ending its sessions first) and its record.
pub(super) async fn drop_db(c: &Client, reg: &str, db: &str, version: i32) -> Result<(), Error> {
    drop_database(c, db, version).await?;
    unregister(c, reg, db).await
}

pub(super) async fn drop_database(c: &Client, db: &str, version: i32) -> Result<(), Error> {
    if version >= 130000 {
        c.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote(db)
        ))
        .await
        .map_err(failed("drop the preview database"))?;
        return Ok(());
    }
    for _ in 0..50 {
        guard::terminate_all(c, db).await;
        if c.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote(db)))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::Unreachable(format!(
        "preview: cannot drop {db}: sessions keep connecting to it"
    )))
}

/// Builds left behind by a killed run of this preview.
pub(super) async fn drop_leftover_builds(
    c: &Client,
    reg: &str,
    name: &str,
    version: i32,
) -> Result<(), Error> {
    for l in list_on(c, reg, false).await? {
        if l.marker.building && l.marker.name == name && l.database != name {
            drop_db(c, reg, &l.database, version).await?;
        }
    }
    Ok(())
}
