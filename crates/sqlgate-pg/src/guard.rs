//! Bounds on pull-request SQL (the scratch replay and preview builds): a statement
//! timeout, a temporary-file limit and an overall deadline. They are enforced from
//! outside the session that runs the pull request's SQL, because that SQL can `SET
//! statement_timeout = 0`: a watcher on its own administrator connection cancels a
//! statement that runs too long, terminates every session of the database at the
//! deadline, and records why, so the failure says which bound hit. The role's
//! defaults (`statement_timeout`, and `temp_file_limit`, which only a superuser may
//! change) are set too, where the server lets the administrator set them.

use crate::connection::connect;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// The bounds (`[sandbox]` in sqlgate.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// One statement may run this long.
    pub statement_timeout: Duration,
    /// Temporary files of one session, in bytes.
    pub temp_file_limit: u64,
    /// The whole replay or build.
    pub deadline: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            statement_timeout: Duration::from_secs(5 * 60),
            temp_file_limit: 2 << 30,
            deadline: Duration::from_secs(30 * 60),
        }
    }
}

/// How a duration is shown in messages: `90s`, `5m`, `1h`.
pub fn show(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        format!("{}ms", d.as_millis())
    } else if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

impl Bounds {
    /// `ALTER <object> SET …` statements making the bounds the defaults of `object`
    /// (`ROLE "r"` or `DATABASE "d"`; each tried on its own: `temp_file_limit` needs a
    /// superuser or, on PostgreSQL 15+, `GRANT SET ON PARAMETER temp_file_limit`).
    pub fn settings(&self, object: &str) -> Vec<String> {
        vec![
            format!(
                "ALTER {object} SET statement_timeout = '{}ms'",
                self.statement_timeout.as_millis()
            ),
            format!(
                "ALTER {object} SET temp_file_limit = '{}kB'",
                (self.temp_file_limit / 1024).max(1)
            ),
            // A session whose client is gone notices within 5 s (PostgreSQL 14+).
            format!("ALTER {object} SET client_connection_check_interval = '5s'"),
        ]
    }

    /// Makes the bounds the defaults of `object`, as far as the server allows.
    pub async fn set_on(&self, admin: &Client, object: &str) {
        for sql in self.settings(object) {
            let _ = admin.batch_execute(&sql).await;
        }
    }
}

/// When a PostgreSQL error message is one of the bounds set as the role's or the
/// database's defaults (a statement timeout, the temporary-file limit), the
/// sandbox's words for it.
pub fn explain(message: &str, bounds: &Bounds) -> Option<String> {
    if message.contains("57014") && message.contains("statement timeout") {
        Some(format!(
            "stopped by sqlgate's sandbox: a statement ran longer than {} (`[sandbox] statement_timeout`)",
            show(bounds.statement_timeout)
        ))
    } else if message.contains("53400") && message.contains("temp_file_limit") {
        Some(format!(
            "stopped by sqlgate's sandbox: a statement wrote more than {} MiB of temporary files (`[sandbox] temp_file_limit`)",
            bounds.temp_file_limit >> 20
        ))
    } else {
        None
    }
}

/// Watches the sessions of one database until stopped.
pub struct Guard {
    tripped: Arc<Mutex<Option<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// How often the watcher looks.
const TICK: Duration = Duration::from_millis(250);

impl Guard {
    /// Starts watching `database` on the server of `admin_url` (an administrator's
    /// connection, which can cancel and terminate the sessions there). When no
    /// connection can be made, the guard only keeps the deadline from this side.
    pub async fn start(admin_url: &str, database: &str, bounds: &Bounds) -> Guard {
        let tripped = Arc::new(Mutex::new(None));
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let admin = connect(admin_url).await.ok();
        let db = database.to_string();
        let b = bounds.clone();
        let t = tripped.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let Some(admin) = admin else {
                // No watcher connection: the deadline is kept by the caller's timeout.
                let _ = rx.await;
                return;
            };
            loop {
                tokio::select! {
                    _ = &mut rx => return,
                    _ = tokio::time::sleep(TICK) => {}
                }
                if started.elapsed() >= b.deadline {
                    record(&t, deadline_passed(&b));
                    terminate_all(&admin, &db).await;
                    continue;
                }
                let limit_ms = b.statement_timeout.as_millis().min(i64::MAX as u128) as i64;
                // A second past the limit: the session's own statement_timeout (the
                // role's default) ends a statement first; the watcher is for SQL that
                // turned it off, and must not hit the next query of a session whose
                // statement the server just cancelled.
                let over = admin
                    .query(
                        "SELECT pid, (extract(epoch FROM clock_timestamp() - query_start) * 1000)::bigint, query_start::text
                           FROM pg_stat_activity
                          WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active'
                            AND query_start < clock_timestamp() - ($2::bigint + 1000) * interval '1 millisecond'",
                        &[&db, &limit_ms],
                    )
                    .await
                    .unwrap_or_default();
                for row in over {
                    let (Ok(pid), Ok(started)) =
                        (row.try_get::<_, i32>(0), row.try_get::<_, String>(2))
                    else {
                        continue;
                    };
                    let ran = row.try_get::<_, i64>(1).unwrap_or(limit_ms);
                    record(
                        &t,
                        format!(
                            "stopped by sqlgate's sandbox: a statement ran longer than {} (`[sandbox] statement_timeout`)",
                            show(b.statement_timeout)
                        ),
                    );
                    // Cancel first; a statement that ignores the cancel for 5 s
                    // more loses its session.
                    // Only while the same statement still runs (its start time).
                    let sql = if ran > limit_ms.saturating_add(5000) {
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND query_start::text = $2 AND state = 'active'"
                    } else {
                        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND query_start::text = $2 AND state = 'active'"
                    };
                    let _ = admin.execute(sql, &[&pid, &started]).await;
                }
            }
        });
        Guard {
            tripped,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Why the guard stopped something, if it did.
    pub fn tripped(&self) -> Option<String> {
        self.tripped.lock().ok().and_then(|t| t.clone())
    }

    /// Stops watching.
    pub async fn stop(mut self) -> Option<String> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.tripped()
    }
}

fn record(t: &Arc<Mutex<Option<String>>>, why: String) {
    if let Ok(mut g) = t.lock() {
        if g.is_none() {
            *g = Some(why);
        }
    }
}

/// Ends every session of `db` (but the caller's).
pub async fn terminate_all(admin: &Client, db: &str) {
    let _ = admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db],
        )
        .await;
}

impl Guard {
    /// Runs `work` under the deadline from this side too (plus a grace period for the
    /// server to end the sessions): a future that outlives it is dropped, and the
    /// guard records why, as when the watcher ends the sessions itself.
    pub async fn within<T>(
        &self,
        bounds: &Bounds,
        work: impl std::future::Future<Output = Result<T, sqlgate_core::Error>>,
    ) -> Result<T, sqlgate_core::Error> {
        match tokio::time::timeout(bounds.deadline + Duration::from_secs(30), work).await {
            Ok(r) => r,
            Err(_) => {
                let why = deadline_passed(bounds);
                record(&self.tripped, why.clone());
                Err(sqlgate_core::Error::Unreachable(why))
            }
        }
    }
}

fn deadline_passed(bounds: &Bounds) -> String {
    format!(
        "stopped by sqlgate's sandbox: the replay ran longer than its deadline ({}; `[sandbox] deadline`)",
        show(bounds.deadline)
    )
}
