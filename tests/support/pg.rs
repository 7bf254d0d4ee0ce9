//! A PostgreSQL server for the tests: `SQLGATE_TEST_DATABASE_URL` when set, else one
//! private server for the whole test binary, started by sqlgate's own `scratch` module;
//! and a TLS server with a throwaway CA for the `sslmode` tests.
#![allow(dead_code)]

use sqlgate_pg::scratch::{LocalServer, ServerOptions};
use std::path::PathBuf;
use std::sync::OnceLock;

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
static KEEP: OnceLock<LocalServer> = OnceLock::new();

/// Held by tests that replay on the shared server, so one test's check for leftover
/// `sqlgate_replay_*` databases never sees another test's scratch database.
pub fn replay_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The admin URL (a database that always exists).
pub fn admin_url() -> String {
    let r = SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("SQLGATE_TEST_DATABASE_URL") {
            return Ok(url);
        }
        match LocalServer::start() {
            Ok(s) => {
                let url = s.url("postgres");
                let _ = KEEP.set(s);
                Ok(url)
            }
            Err(e) => Err(e.to_string()),
        }
    });
    match r {
        Ok(u) => u.clone(),
        Err(e) => panic!("no PostgreSQL for the tests: {e}"),
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub async fn client(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    c
}

/// A new, empty database; returns its URL.
pub fn fresh_db() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let admin = admin_url();
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    rt().block_on(async {
        let c = client(&admin).await;
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
    });
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("unexpected admin url {admin}"),
    }
}

/// Runs one query and returns the first column of every row as text.
pub fn query(url: &str, sql: &str) -> Vec<String> {
    rt().block_on(async {
        let c = client(url).await;
        let rows = c.simple_query(sql).await.expect("query");
        rows.iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    Some(r.get(0).unwrap_or("").to_string())
                }
                _ => None,
            })
            .collect()
    })
}

/// A server that also accepts TLS with a certificate for `localhost` signed by a
/// throwaway CA (made with `openssl`); returns it, the CA certificate's path, and the
/// directory holding it.
pub fn tls_server() -> (LocalServer, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .expect("write leaf.ext");
    let steps: [&[&str]; 3] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=sqlgate-test-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
            "-out",
            "server.crt",
        ],
    ];
    for args in steps {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(d)
            .output()
            .expect("openssl runs (the TLS tests need it)");
        assert!(
            out.status.success(),
            "openssl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let read = |name: &str| std::fs::read(d.join(name)).expect("read certificate");
    let server = LocalServer::start_with(&ServerOptions {
        files: vec![
            ("server.crt".into(), read("server.crt")),
            ("server.key".into(), read("server.key")),
        ],
        settings: vec![
            ("ssl".into(), "on".into()),
            ("ssl_cert_file".into(), "{root}/server.crt".into()),
            ("ssl_key_file".into(), "{root}/server.key".into()),
        ],
    })
    .expect("TLS server");
    let ca = d.join("ca.crt");
    (server, ca, dir)
}
