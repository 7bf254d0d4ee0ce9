//! The migration lock: one session-level advisory lock per history table guards every
//! run that changes the database. It is taken by polling `pg_try_advisory_lock`, so a
//! waiting runner never sits in a statement holding a snapshot (which would block the
//! holder's CREATE INDEX CONCURRENTLY); the waiter says who holds it.

use crate::connection::{connect, describe};
use crate::history;
use sqlgate_core::Error;
use std::time::{Duration, Instant};

/// Takes the advisory lock, waiting up to `wait` and saying who holds it.
pub async fn lock(
    client: &tokio_postgres::Client,
    key: i64,
    wait: Duration,
    say: &mut dyn FnMut(String),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut last_said = None::<Instant>;
    loop {
        // A short, non-blocking call: a waiting runner holds no snapshot, so it
        // never blocks the other runner's CREATE INDEX CONCURRENTLY.
        let row = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .map_err(|e| {
                Error::Unreachable(format!("cannot take the migration lock: {}", describe(&e)))
            })?;
        if row.try_get::<_, bool>(0).unwrap_or(false) {
            return Ok(());
        }
        if start.elapsed() >= wait {
            return Err(Error::Unreachable(format!(
                "another sqlgate run still holds the migration lock after {}s (lock_wait)",
                wait.as_secs()
            )));
        }
        if last_said.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            let holder = client
                .query_opt(
                    "SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local')
                       FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                      WHERE l.locktype = 'advisory' AND l.granted
                        AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid
                        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      LIMIT 1",
                    &[&key],
                )
                .await
                .ok()
                .flatten()
                .and_then(|r| {
                    Some(format!(
                        "pid {} ({}@{}, {})",
                        r.try_get::<_, i32>(0).ok()?,
                        r.try_get::<_, String>(1).ok()?,
                        r.try_get::<_, String>(3).ok()?,
                        r.try_get::<_, String>(2).ok()?
                    ))
                })
                .unwrap_or_else(|| "another session".into());
            say(format!("waiting for the migration lock held by {holder}…"));
            last_said = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Releases the migration lock (best effort: the session ending releases it too).
pub async fn unlock(client: &tokio_postgres::Client, key: i64) {
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await;
}

/// Connects and takes the migration lock of `table` (waiting at most `wait`, saying
/// who holds it through `say`). Returns the client and the lock key to release.
pub async fn connect_locked(
    url: &str,
    table: &str,
    wait: Duration,
    say: &mut dyn FnMut(String),
) -> Result<(tokio_postgres::Client, i64), Error> {
    let client = connect(url).await?;
    let key = history::lock_key(table);
    lock(&client, key, wait, say).await?;
    Ok((client, key))
}
