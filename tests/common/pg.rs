//! A PostgreSQL server for the tests: `SQLGATE_TEST_DATABASE_URL` when set, else one
//! private server per test binary, started by sqlgate's own `scratch` module.
#![allow(dead_code)]

use std::sync::OnceLock;

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
static KEEP: OnceLock<sqlgate::scratch::LocalServer> = OnceLock::new();

/// The admin URL (a database that always exists).
pub fn admin_url() -> String {
    let r = SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("SQLGATE_TEST_DATABASE_URL") {
            return Ok(url);
        }
        match sqlgate::scratch::LocalServer::start() {
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
