//! Parsing the migrations of a run ahead of the server: the next migration is
//! parsed on the blocking pool while the current one runs, and a fleet keeps each
//! file's parse for its other targets.

use crate::apply::ApplyOptions;
use sqlgate_core::catalog::Migration;
use sqlgate_core::sql::{self, Parsed};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Parsed migrations by file path, shared by the runs of one process.
pub type ParseCache = Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<Parsed>>>>;

/// A migration's up SQL as the runner sends it: a file's own `BEGIN; … COMMIT;`
/// becomes the runner's transaction.
pub(crate) fn parse_up(
    text: &str,
    vars: &BTreeMap<String, String>,
    first_line: u32,
    no_transaction: bool,
) -> Parsed {
    let mut parsed = sql::parse(text, vars, first_line);
    if !no_transaction {
        parsed.unwrap_own_transaction();
    }
    parsed
}

/// The migrations about to run, parsed ahead on the blocking pool: the client
/// parses the next migration while the server runs the current one, so parsing
/// costs no wall time after the first. Dropping it stops the parsing.
pub(crate) struct Ahead {
    parsed: tokio::sync::mpsc::Receiver<Arc<Parsed>>,
}

impl Ahead {
    pub(crate) fn start(pending: &[&Migration], opts: &ApplyOptions) -> Ahead {
        let work: Vec<(String, String, u32, bool)> = pending
            .iter()
            .map(|m| {
                let path = m.up.path.clone();
                (path, m.up.text.clone(), m.up.first_line, m.no_transaction)
            })
            .collect();
        let vars = opts.vars.clone();
        let cache = opts.parsed.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        tokio::task::spawn_blocking(move || {
            for (path, text, first_line, no_transaction) in work {
                let known = cache
                    .as_ref()
                    .and_then(|c| c.lock().ok().and_then(|c| c.get(&path).cloned()));
                let parsed = known.unwrap_or_else(|| {
                    let parsed = Arc::new(parse_up(&text, &vars, first_line, no_transaction));
                    if let Some(Ok(mut c)) = cache.as_ref().map(|c| c.lock()) {
                        c.insert(path, parsed.clone());
                    }
                    parsed
                });
                if tx.blocking_send(parsed).is_err() {
                    return;
                }
            }
        });
        Ahead { parsed: rx }
    }

    /// The next migration's parse, or (should the parsing task be gone) `m` parsed
    /// here.
    pub(crate) async fn next(&mut self, m: &Migration, opts: &ApplyOptions) -> Arc<Parsed> {
        match self.parsed.recv().await {
            Some(parsed) => parsed,
            None => Arc::new(parse_up(
                &m.up.text,
                &opts.vars,
                m.up.first_line,
                m.no_transaction,
            )),
        }
    }
}
