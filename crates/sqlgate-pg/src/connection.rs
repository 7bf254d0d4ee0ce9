//! Connecting to PostgreSQL (URL or `key=value`, `sslmode` over rustls), masking
//! passwords in everything printed, and turning PostgreSQL errors into readable
//! messages.

use crate::tls;
use sqlgate_core::Error;
use tokio_postgres::config::SslMode;
use tokio_postgres::NoTls;

/// Replaces the password in a connection string (URL or `key=value`) with `****`.
pub fn mask(conn: &str) -> String {
    if let Some(rest) = conn
        .strip_prefix("postgres://")
        .or_else(|| conn.strip_prefix("postgresql://"))
    {
        let scheme = &conn[..conn.len() - rest.len()];
        let (auth, tail) = match rest.find('@') {
            Some(at) if !rest[..at].contains('/') => (&rest[..at], &rest[at..]),
            _ => return mask_query_password(conn),
        };
        let masked = match auth.split_once(':') {
            Some((user, _)) => format!("{user}:****"),
            None => auth.to_string(),
        };
        return mask_query_password(&format!("{scheme}{masked}{tail}"));
    }
    let mut out = Vec::new();
    for part in conn.split_whitespace() {
        if part.to_ascii_lowercase().starts_with("password=") {
            out.push("password=****".to_string());
        } else {
            out.push(part.to_string());
        }
    }
    out.join(" ")
}

/// The password(s) in a connection string, as written and percent-decoded, for
/// `::add-mask::`. Empty when there is none.
pub fn passwords(conn: &str) -> Vec<String> {
    let mut found = Vec::new();
    let rest = conn
        .strip_prefix("postgres://")
        .or_else(|| conn.strip_prefix("postgresql://"));
    let query = match rest {
        Some(rest) => {
            if let Some(at) = rest.find('@').filter(|at| !rest[..*at].contains('/')) {
                if let Some((_, pw)) = rest[..at].split_once(':') {
                    found.push(pw.to_string());
                }
            }
            rest.split_once('?')
                .map(|(_, q)| q.split('&').map(str::to_string).collect())
        }
        None => Some(
            conn.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        ),
    };
    for kv in query.unwrap_or_default() {
        if let Some((k, v)) = kv.split_once('=') {
            if k.trim().eq_ignore_ascii_case("password") {
                found.push(v.trim_matches('\'').to_string());
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for pw in found.into_iter().filter(|p| !p.is_empty()) {
        let decoded = percent_decode(&pw);
        if !out.contains(&pw) {
            out.push(pw);
        }
        if !out.contains(&decoded) {
            out.push(decoded);
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn mask_query_password(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let q: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.to_ascii_lowercase().starts_with("password=") {
                "password=****".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect();
    format!("{base}?{}", q.join("&"))
}

/// Removes `key` from a connection string; returns the rest and the value.
fn split_param(conn: &str, key: &str) -> (String, Option<String>) {
    let is_url = conn.starts_with("postgres://") || conn.starts_with("postgresql://");
    let (base, params, sep) = match (is_url, conn.split_once('?')) {
        (true, Some((base, query))) => (Some(base), query, "&"),
        (true, None) => return (conn.to_string(), None),
        (false, _) => (None, conn, " "),
    };
    let mut value = None;
    let kept: Vec<&str> = params
        .split(if is_url { '&' } else { ' ' })
        .filter(|kv| !kv.is_empty())
        .filter(|kv| match kv.split_once('=') {
            Some((k, v)) if k == key => {
                value = Some(v.to_string());
                false
            }
            _ => true,
        })
        .collect();
    let rest = kept.join(sep);
    let rebuilt = match base {
        Some(b) if rest.is_empty() => b.to_string(),
        Some(b) => format!("{b}?{rest}"),
        None => rest,
    };
    (rebuilt, value)
}

/// The `sslmode` of a connection string, and the string without it.
pub fn split_sslmode(conn: &str) -> (String, Option<String>) {
    split_param(conn, "sslmode")
}

/// Connects; the connection's driver task runs on the current Tokio runtime.
pub async fn connect(conn: &str) -> Result<tokio_postgres::Client, Error> {
    let (plain, sslmode) = split_sslmode(conn);
    let (plain, rootcert) = split_param(&plain, "sslrootcert");
    let shown = mask(conn);
    let mode = sslmode.as_deref().unwrap_or("prefer");
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
        .map_err(|e| Error::Usage(format!("invalid database URL {shown}: {e}")))?;
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
    let client = if ssl == SslMode::Disable {
        let (client, connection) = config.connect(NoTls).await.map_err(failed)?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    } else {
        let tls =
            tokio_postgres_rustls::MakeRustlsConnect::new(tls::config(mode, rootcert.as_deref())?);
        let (client, connection) = config.connect(tls).await.map_err(failed)?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    };
    Ok(client)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask("postgres://app:s3cret@db:5432/prod"),
            "postgres://app:****@db:5432/prod"
        );
        assert_eq!(
            mask("postgresql://app@db/prod?password=s3cret&sslmode=require"),
            "postgresql://app@db/prod?password=****&sslmode=require"
        );
        assert_eq!(
            mask("host=db user=app password=s3cret dbname=prod"),
            "host=db user=app password=**** dbname=prod"
        );
        assert_eq!(mask("postgres://db/prod"), "postgres://db/prod");
    }

    #[test]
    fn passwords_are_found_for_masking() {
        assert_eq!(
            passwords("postgres://app:s3%40cret@db/prod"),
            vec!["s3%40cret", "s3@cret"]
        );
        assert_eq!(
            passwords("postgresql://app@db/prod?password=pw&sslmode=require"),
            vec!["pw"]
        );
        assert_eq!(passwords("host=db password=xyz user=a"), vec!["xyz"]);
        assert!(passwords("postgres://db/prod").is_empty());
        assert!(passwords("postgres://app:@db/prod").is_empty());
        assert_eq!(
            passwords("postgres://a:%E2%82%AC%zz@h/d"),
            vec!["%E2%82%AC%zz", "€%zz"]
        );
    }

    #[test]
    fn sslmode_is_split_off() {
        assert_eq!(
            split_sslmode("postgres://a@b/c?sslmode=require"),
            ("postgres://a@b/c".into(), Some("require".into()))
        );
        assert_eq!(
            split_sslmode("postgres://a@b/c?x=1&sslmode=verify-full"),
            ("postgres://a@b/c?x=1".into(), Some("verify-full".into()))
        );
        assert_eq!(
            split_sslmode("host=b sslmode=disable user=a"),
            ("host=b user=a".into(), Some("disable".into()))
        );
    }
}
