//! The fixes on text: each rule's rewrite, the split into new migrations in the
//! directory's numbering, shipped files left alone, and refusals with their reason.

use super::*;
use crate::catalog::{build, CatalogOptions};
use crate::check::{evaluate, CheckOptions};
use crate::rules::Overrides;
use chrono::TimeZone;

struct Fixture {
    files: Vec<SourceFile>,
    shipped: usize,
}

fn fixture(shipped: &[(&str, &str)], new: &[(&str, &str)]) -> Fixture {
    let files = shipped
        .iter()
        .chain(new)
        .map(|(p, sql)| SourceFile {
            path: p.to_string(),
            content: Content::Bytes(sql.as_bytes().to_vec()),
            name_not_utf8: false,
        })
        .collect();
    Fixture {
        files,
        shipped: shipped.len(),
    }
}

impl Fixture {
    fn plan(&self, runner_lock_timeout: bool) -> Plan {
        let cat = build(
            &self.files,
            &CatalogOptions {
                display_dir: "m".into(),
                ..Default::default()
            },
        );
        let shipped: Vec<String> = self.files[..self.shipped]
            .iter()
            .map(|f| f.path.clone())
            .collect();
        let is_new = |m: &Migration| !shipped.contains(&m.up.path);
        let vars = BTreeMap::new();
        let rules = Overrides::new();
        let policy = Default::default();
        let opts = CheckOptions {
            dir: "m",
            require_down: false,
            fail_on: crate::model::FailOn::Error,
            pg_version: 15,
            runner_lock_timeout,
            vars: &vars,
            rules: &rules,
            policy: &policy,
            out_of_order: None,
            now: Utc
                .with_ymd_and_hms(2026, 12, 7, 9, 0, 0)
                .single()
                .unwrap_or_default(),
        };
        let report = evaluate(&cat, &self.files, None, &opts, false);
        let now = opts.now;
        plan(
            &cat,
            &self.files,
            &is_new,
            &report.findings,
            &Options {
                dir: "m",
                pg_version: 15,
                vars: &vars,
                lock_timeout: "5s",
                now,
            },
        )
    }
}

fn content<'a>(p: &'a Plan, path: &str) -> &'a str {
    p.changes
        .iter()
        .find(|c| c.path == path)
        .map(|c| c.new.as_str())
        .unwrap_or_else(|| panic!("no change to {path}: {:?}", p.changes))
}

const SHIPPED: (&str, &str) = (
    "001_init.sql",
    "CREATE TABLE users (id bigint PRIMARY KEY, email text, org_id bigint);\nCREATE TABLE orgs (id bigint PRIMARY KEY);\nCREATE INDEX users_old ON users (org_id);\n",
);

#[test]
fn a_lone_index_makes_its_migration_no_transaction_in_place() {
    let f = fixture(
        &[SHIPPED],
        &[(
            "002_idx.sql",
            "-- index emails\nCREATE INDEX users_email ON users (email);\n",
        )],
    );
    let p = f.plan(true);
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    assert_eq!(
        content(&p, "002_idx.sql"),
        "-- sqlgate:no-transaction\n-- index emails\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n"
    );
    assert!(
        p.outcomes.iter().all(|o| o.not_fixed.is_none()),
        "{:?}",
        p.outcomes
    );
    assert!(
        p.changes.iter().all(|c| c.path != "001_init.sql"),
        "shipped files are never touched"
    );
}

#[test]
fn what_needs_a_transaction_stays_and_the_rest_moves_to_new_migrations() {
    let f = fixture(
        &[SHIPPED],
        &[(
            "002_mixed.sql",
            "CREATE TABLE notes (id bigint PRIMARY KEY);\nCREATE INDEX ON users (email);\nALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nDROP INDEX users_old;\n",
        )],
    );
    let p = f.plan(true);
    assert_eq!(
        content(&p, "002_mixed.sql"),
        "CREATE TABLE notes (id bigint PRIMARY KEY);\nALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;\nALTER TABLE users ADD CONSTRAINT users_email_not_null_check CHECK (email IS NOT NULL) NOT VALID;\n"
    );
    let no_tx = content(&p, "003_mixed_concurrently.sql");
    assert!(no_tx.starts_with("-- sqlgate:no-transaction\n"), "{no_tx}");
    for s in [
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);",
        "DROP INDEX CONCURRENTLY IF EXISTS users_old;",
    ] {
        assert!(no_tx.contains(s), "{s} in {no_tx}");
    }
    let later = content(&p, "004_mixed_validate.sql");
    for s in [
        "ALTER TABLE users VALIDATE CONSTRAINT users_org_fk;",
        "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null_check;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null_check;",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    ] {
        assert!(later.contains(s), "{s} in {later}");
    }
    assert!(!later.contains("no-transaction"));
    assert!(
        p.outcomes.iter().all(|o| o.not_fixed.is_none()),
        "{:?}",
        p.outcomes
    );
}

#[test]
fn lock_timeout_and_volatile_defaults() {
    let f = fixture(
        &[SHIPPED],
        &[(
            "002_col.sql",
            "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
        )],
    );
    let p = f.plan(false);
    // Nothing else needs the transaction: the migration becomes a no-transaction one
    // and the batched backfill (which commits) runs in place.
    let m = content(&p, "002_col.sql");
    assert!(m.starts_with("-- sqlgate:no-transaction\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN token uuid;\nALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();"), "{m}");
    assert!(
        m.contains("UPDATE users SET token = gen_random_uuid()") && m.contains("COMMIT;"),
        "{m}"
    );
    assert_eq!(p.changes.len(), 1);

    // A default that may be NULL has no fix, and says why.
    let f = fixture(
        &[SHIPPED],
        &[(
            "002_col.sql",
            "ALTER TABLE users ADD COLUMN r float8 DEFAULT nullif(random(), 0.5);\n",
        )],
    );
    let p = f.plan(true);
    assert!(p.changes.is_empty());
    assert!(
        p.outcomes.iter().any(|o| o
            .not_fixed
            .as_deref()
            .is_some_and(|w| w.contains("never to return NULL"))),
        "{:?}",
        p.outcomes
    );
}

#[test]
fn a_later_use_of_a_moved_index_keeps_the_statement_as_it_is() {
    let f = fixture(
        &[SHIPPED],
        &[
            (
                "002_a.sql",
                "CREATE TABLE t2 (id int);\nCREATE INDEX users_e ON users (email);\n",
            ),
            ("003_b.sql", "ALTER INDEX users_e RENAME TO users_e2;\n"),
        ],
    );
    let p = f.plan(true);
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert!(p.outcomes.iter().any(|o| o
        .not_fixed
        .as_deref()
        .is_some_and(|w| w.contains("users_e"))));
}

#[test]
fn each_layout_gets_its_own_no_transaction_words_and_distinct_new_versions() {
    // dbmate: the up marker says it.
    let f = fixture(
        &[("20240101000000_init.sql", "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n\n-- migrate:down\nDROP TABLE users;\n")],
        &[("20240102000000_idx.sql", "-- migrate:up\nCREATE INDEX users_email ON users (email);\n\n-- migrate:down\nDROP INDEX users_email;\n")],
    );
    let p = f.plan(true);
    assert_eq!(
        content(&p, "20240102000000_idx.sql"),
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n\n-- migrate:down\nDROP INDEX users_email;\n"
    );
    // diesel folders: two new migrations a second apart, in diesel's own format.
    let f = fixture(
        &[("2024-01-01-000000_init/up.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n")],
        &[("2024-01-02-000000_idx/up.sql", "CREATE TABLE t (id int);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n")],
    );
    let p = f.plan(true);
    let created: Vec<&str> = p
        .changes
        .iter()
        .filter(|c| c.old.is_none())
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        created,
        [
            "2026-12-07-090000_idx_concurrently/up.sql",
            "2026-12-07-090000_idx_concurrently/down.sql",
            "2026-12-07-090001_idx_validate/up.sql",
            "2026-12-07-090001_idx_validate/down.sql"
        ]
    );
}
