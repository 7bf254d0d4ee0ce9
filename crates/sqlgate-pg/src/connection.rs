//! Connecting to PostgreSQL (URL or `key=value`, `sslmode` over rustls), masking
//! passwords in everything printed, and turning PostgreSQL errors into readable
//! messages.

pub use crate::conninfo::ConnInfo;
use crate::tls;
use sqlgate_core::Error;
use std::time::Duration;
use tokio_postgres::config::SslMode;
use tokio_postgres::NoTls;

/// The connection string with every password replaced by `****`: the only form in
/// which sqlgate prints one.
pub fn mask(conn: &str) -> String {
    ConnInfo::parse(conn).masked()
}

/// The password(s) in a connection string, as written and decoded, for
/// `::add-mask::`. Empty when there is none.
pub fn passwords(conn: &str) -> Vec<String> {
    ConnInfo::parse(conn).passwords()
}

/// Whether `conn` reads as a PostgreSQL connection string (a `postgres://` or
/// `postgresql://` URL, or `key=value` pairs), without connecting.
pub fn is_connection_string(conn: &str) -> bool {
    let t = conn.trim();
    let url = t.starts_with("postgres://") || t.starts_with("postgresql://");
    let pairs = t.contains('=');
    (url || pairs)
        && ConnInfo::parse(conn)
            .without(&["sslmode", "sslrootcert"])
            .parse::<tokio_postgres::Config>()
            .is_ok()
}

/// Connects; the connection's driver task runs on the current Tokio runtime.
pub async fn connect(conn: &str) -> Result<tokio_postgres::Client, Error> {
    let info = ConnInfo::parse(conn);
    let plain = info.without(&["sslmode", "sslrootcert"]);
    let rootcert = info.param("sslrootcert");
    let shown = info.masked();
    let mode = info.param("sslmode").unwrap_or("prefer");
    let ssl = match mode {
        "disable" | "allow" => SslMode::Disable,
        "prefer" => SslMode::Prefer,
        "require" | "verify-ca" | "verify-full" => SslMode::Require,
        other => {
            return Err(Error::Usage(format!(
                "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full ({shown})"
            )))
        }
    };
    let mut config: tokio_postgres::Config = plain
        .parse()
        // The text is not shown: what does not parse may not be a URL at all (a
        // secret from the wrong variable), and masking only knows URLs.
        .map_err(|e| Error::Usage(format!("the database connection string is not valid ({e}); it is not shown, since it may hold a secret")))?;
    config.ssl_mode(ssl);
    let failed = |e: tokio_postgres::Error| {
        let hint = if mode == "verify-full" || mode == "verify-ca" {
            " (is the server's CA trusted? pass sslrootcert=/path/to/ca.pem)"
        } else {
            ""
        };
        Error::Unreachable(format!(
            "cannot connect to {shown} (sslmode={mode}): {}{hint}",
            describe(&e)
        ))
    };
    // The whole handshake, not only the TCP connect (which is all `connect_timeout`
    // bounds in the driver): a server that accepts and never answers cannot hang a run.
    let limit = info
        .param("connect_timeout")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_CONNECT_TIMEOUT, |s| Duration::from_secs(s.max(2)));
    let timed_out = || {
        Error::Unreachable(format!(
            "cannot connect to {shown} (sslmode={mode}): no answer within {} s (set connect_timeout in the URL to wait longer)",
            limit.as_secs()
        ))
    };
    // The connection task drives the socket; it ends when the client is dropped.
    if ssl == SslMode::Disable {
        let (client, connection) = tokio::time::timeout(limit, config.connect(NoTls))
            .await
            .map_err(|_| timed_out())?
            .map_err(failed)?;
        tokio::spawn(connection);
        Ok(client)
    } else {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls::config(mode, rootcert)?);
        let (client, connection) = tokio::time::timeout(limit, config.connect(tls))
            .await
            .map_err(|_| timed_out())?
            .map_err(failed)?;
        tokio::spawn(connection);
        Ok(client)
    }
}

/// How long connecting (TCP, TLS and the startup handshake) may take by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A PostgreSQL error as people read it: code, message, detail, hint.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("ERROR {}: {}", db.code().code(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!("\n  detail: {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("\n  hint: {h}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(&format!(": {inner}"));
                src = inner.source();
            }
            s
        }
    }
}

/// PostgreSQL's error, with what to do when a statement cannot run in a transaction.
pub fn with_hint(e: &tokio_postgres::Error) -> String {
    let mut s = describe(e);
    if e.code() == Some(&tokio_postgres::error::SqlState::ACTIVE_SQL_TRANSACTION) {
        s.push_str(
            "\n  sqlgate: this SQL must run outside a transaction: put `-- sqlgate:no-transaction` as the first line of the migration (or of its down file, or right after its `-- DOWN` marker)",
        );
    }
    use tokio_postgres::error::SqlState;
    let exists = [
        SqlState::DUPLICATE_TABLE,
        SqlState::DUPLICATE_OBJECT,
        SqlState::DUPLICATE_SCHEMA,
        SqlState::DUPLICATE_FUNCTION,
        SqlState::DUPLICATE_COLUMN,
        SqlState::DUPLICATE_DATABASE,
    ];
    if e.code().is_some_and(|c| exists.contains(c)) {
        s.push_str(
            "\n  sqlgate: the object already exists — if this migration already ran here under another runner (or by hand), record it as applied without running it: `sqlgate baseline <version>` (or take over the other runner's history with `sqlgate adopt`); if not, the migration collides with something else and needs a fix",
        );
    }
    s
}
