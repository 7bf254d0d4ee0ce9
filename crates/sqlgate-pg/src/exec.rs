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

/// Runs a migration's whole text in one round trip (one simple query) inside the open
/// transaction. A failure is placed by PostgreSQL's position when it gives one, else
/// at the statement that failed (counted from the statements the server completed).
pub async fn run_batch(client: &Client, parsed: &Parsed) -> Result<(), StatementError> {
    use futures_util::StreamExt;
    let placed = |error: tokio_postgres::Error, done: usize| {
        let (line, column) = match (pg_position(&error), parsed.statements.get(done)) {
            (None, Some(stmt)) => (stmt.line, stmt.column),
            (pos, _) => parsed.whole_error_position(pos),
        };
        StatementError {
            error,
            line,
            column,
            done,
        }
    };
    let stream = client
        .simple_query_raw(parsed.substituted())
        .await
        .map_err(|e| placed(e, 0))?;
    let mut stream = std::pin::pin!(stream);
    let mut done = 0;
    while let Some(message) = stream.next().await {
        match message {
            Ok(tokio_postgres::SimpleQueryMessage::CommandComplete(_)) => done += 1,
            Ok(_) => {}
            Err(e) => return Err(placed(e, done)),
        }
    }
    Ok(())
}

/// Why a transactional migration did not commit.
#[derive(Debug)]
pub enum TransactionError {
    /// One of its statements failed.
    Statement(StatementError),
    /// Opening the transaction, recording the history row or committing failed.
    Around(tokio_postgres::Error, &'static str),
}

impl TransactionError {
    pub fn error(&self) -> &tokio_postgres::Error {
        match self {
            TransactionError::Statement(s) => &s.error,
            TransactionError::Around(e, _) => e,
        }
    }
}

/// A transactional migration in one round trip: `begin` (`BEGIN; SET LOCAL …`), the
/// statements, `record` (the history row, which must run on the same client) and
/// `COMMIT` are sent together (pipelined). After a failure the server refuses the
/// rest of the transaction and turns the COMMIT into a ROLLBACK, so nothing of the
/// migration or its row stays.
pub async fn run_transaction<R>(
    client: &Client,
    begin: &str,
    parsed: &Parsed,
    record: R,
) -> Result<(), TransactionError>
where
    R: Future<Output = Result<u64, tokio_postgres::Error>>,
{
    let (opened, ran, recorded, committed) = tokio::join!(
        client.batch_execute(begin),
        run_batch(client, parsed),
        record,
        client.batch_execute("COMMIT"),
    );
    let result = match (opened, ran, recorded, committed) {
        (Err(e), ..) => Err(TransactionError::Around(e, "opening the transaction")),
        (_, Err(s), ..) => Err(TransactionError::Statement(s)),
        (_, _, Err(e), _) => Err(TransactionError::Around(
            e,
            "recording it in the history table",
        )),
        (_, _, _, Err(e)) => Err(TransactionError::Around(e, "committing")),
        _ => Ok(()),
    };
    if result.is_err() {
        // Normally already rolled back by the failed COMMIT; never leave one open.
        let _ = client.batch_execute("ROLLBACK").await;
    }
    result
}

/// Runs a migration's SQL inside the open transaction, in one round trip.
pub async fn run_in_transaction(client: &Client, parsed: &Parsed) -> Result<(), StatementError> {
    run_batch(client, parsed).await
}
