//! `verify`: can this database be migrated — the connection, the server version,
//! privileges, and the history table's health.

use crate::connection::connect;
use crate::history::{self, quoted};
use sqlgate_core::model::Check;
use sqlgate_core::Error;

/// One line of `verify`'s report.
pub(crate) fn check(what: impl Into<String>, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        what: what.into(),
        ok,
        detail: detail.into(),
    }
}

/// What `verify` checked.
pub async fn verify(url: &str, table: &str) -> Result<Vec<Check>, Error> {
    let client = connect(url).await?;
    let mut out = Vec::new();
    let row = client
        .query_one("SHOW server_version", &[])
        .await
        .map_err(crate::admin::db_err("cannot read the server version"))?;
    let v: String = crate::admin::get(&row, 0, "server_version")?;
    out.push(check("connection", true, format!("PostgreSQL {v}")));
    let schema = table
        .split_once('.')
        .map_or("public", |(s, _)| s)
        .to_string();
    let row = client
        .query_one(
            "SELECT current_user::text,
                    coalesce(has_schema_privilege(n.oid, 'CREATE'), has_database_privilege(current_database(), 'CREATE'))
               FROM (SELECT (SELECT oid FROM pg_namespace WHERE nspname = $1) AS oid) n",
            &[&schema],
        )
        .await
        .map_err(crate::admin::db_err("cannot check privileges"))?;
    let (user, can_create): (String, bool) = (
        crate::admin::get(&row, 0, "current_user")?,
        crate::admin::get(&row, 1, "the privilege check")?,
    );
    out.push(check(
        "privileges",
        can_create,
        format!(
            "{user} {} create objects in schema {schema}",
            if can_create { "can" } else { "cannot" }
        ),
    ));
    if history::exists(&client, table).await? {
        history::health(&client, table, &mut out).await?;
    } else if let Some(found) = crate::adopt::unrecognised(&client, table, "").await? {
        out.push(check("history table", false, found.message));
    } else {
        out.push(check(
            "history table",
            true,
            format!(
                "{} does not exist yet (created by the first apply)",
                quoted(table)
            ),
        ));
    }
    Ok(out)
}
