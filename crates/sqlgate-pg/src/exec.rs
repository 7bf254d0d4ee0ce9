//! The one statement runner: every path that runs migration SQL (transactional and
//! no-transaction apply, `--single-transaction`, rollback, the scratch replay) sends
//! it through here, so they cannot diverge. A failure carries PostgreSQL's error and
//! the file position of the failing statement (PostgreSQL's own position inside it
//! when it gives one).

use sqlgate_core::sql::{Parsed, Statement};
use std::convert::Infallible;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// A statement PostgreSQL refused.
#[derive(Debug)]
pub struct StatementError {
    pub error: tokio_postgres::Error,
    /// Where in the file.
    pub line: u32,
    pub column: u32,
    /// How many statements before it ran.
    pub done: usize,
}

/// PostgreSQL's error position (1-based character offset into what was sent).
pub fn pg_position(e: &tokio_postgres::Error) -> Option<usize> {
    e.as_db_error().and_then(|d| match d.position() {
        Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    })
}

/// Watches every statement as it runs (the scratch replay records locks, rewrites and
/// durations). Failures of the observer itself are its own errors, not statement
/// failures.
pub trait Observer {
    type Error;
    fn before(&mut self, client: &Client) -> impl Future<Output = Result<(), Self::Error>>;
    fn after(
        &mut self,
        client: &Client,
        parsed: &Parsed,
        stmt: &Statement,
        elapsed: Duration,
    ) -> impl Future<Output = Result<(), Self::Error>>;
}

/// An observer that watches nothing.
pub struct Quiet;

impl Observer for Quiet {
    type Error = Infallible;
    async fn before(&mut self, _: &Client) -> Result<(), Infallible> {
        Ok(())
    }
    async fn after(
        &mut self,
        _: &Client,
        _: &Parsed,
        _: &Statement,
        _: Duration,
    ) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Runs the statements of `parsed` one by one, in order, inside whatever transaction
/// is open; stops at the first that fails.
pub async fn run_each<O: Observer>(
    client: &Client,
    parsed: &Parsed,
    observer: &mut O,
) -> Result<Result<(), StatementError>, O::Error> {
    for (done, stmt) in parsed.statements.iter().enumerate() {
        observer.before(client).await?;
        let started = Instant::now();
        if let Err(error) = client.batch_execute(parsed.substituted_text(stmt)).await {
            let (line, column) = parsed.error_position(stmt, pg_position(&error));
            return Ok(Err(StatementError {
                error,
                line,
                column,
                done,
            }));
        }
        observer
            .after(client, parsed, stmt, started.elapsed())
            .await?;
    }
    Ok(Ok(()))
}

/// Runs the whole text of `parsed` in one round trip (for text sqlgate could not
/// split into statements, so PostgreSQL judges it as written).
pub async fn run_whole(client: &Client, parsed: &Parsed) -> Result<(), StatementError> {
    client
        .batch_execute(parsed.substituted())
        .await
        .map_err(|error| {
            let (line, column) = parsed.whole_error_position(pg_position(&error));
            StatementError {
                error,
                line,
                column,
                done: 0,
            }
        })
}

/// Runs a migration's SQL inside the open transaction: statement by statement when it
/// was split into statements, else whole.
pub async fn run_in_transaction(client: &Client, parsed: &Parsed) -> Result<(), StatementError> {
    if !parsed.problems.is_empty() || parsed.statements.is_empty() {
        return run_whole(client, parsed).await;
    }
    let Ok(result) = run_each(client, parsed, &mut Quiet).await;
    result
}
