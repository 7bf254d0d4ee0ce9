//! `sqlgate fix` on real git repositories and a real PostgreSQL: for each fix, the
//! rewritten change passes the gate for that rule, applies, and builds the same
//! catalog (columns, nullability, defaults, constraints and whether they are
//! validated, indexes and whether they are valid) as the original; shipped files stay
//! byte-identical and `--dry-run` writes nothing.

use crate::support::pg::*;
use crate::support::*;
use std::path::Path;

const SHIPPED: &str = "CREATE TABLE orgs (id bigint PRIMARY KEY);\n\
CREATE TABLE users (id bigint PRIMARY KEY, email text, org_id bigint, name text);\n\
CREATE INDEX users_old ON users (name);\n\
INSERT INTO orgs VALUES (1), (2);\n\
INSERT INTO users SELECT g, 'u' || g || '@example.com', 1 + g % 2, 'n' || g FROM generate_series(1, 500) g;\n";

/// The catalog a test compares: one line per column, constraint and index.
const CATALOG: &str = "SELECT line FROM (
  SELECT concat_ws('|', 'column', table_name, column_name, data_type, is_nullable, column_default) AS line
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'sqlgate%'
  UNION ALL
  SELECT concat_ws('|', 'constraint', conrelid::regclass::text, conname, convalidated::text, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'sqlgate%'
  UNION ALL
  SELECT concat_ws('|', 'index', indexrelid::regclass::text, indisvalid::text, pg_get_indexdef(indexrelid))
    FROM pg_index JOIN pg_class c ON c.oid = indrelid
   WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'sqlgate%'
) x ORDER BY line";

fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn catalog_after_apply(dir: &Path) -> Vec<String> {
    let url = fresh_db();
    let r = sg(dir, &["apply", "--database-url", &url]);
    assert_eq!(
        r.code,
        0,
        "apply in {}: {}{}",
        dir.display(),
        r.stdout,
        r.stderr
    );
    query(&url, CATALOG)
}

/// Runs one fix case: `sql` is the change's migration, `rule` the finding it fixes.
fn case(rule: &str, sql: &str, config: &str) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().to_path_buf();
    write(p.join("sqlgate.toml"), config);
    write(p.join("migrations/001_init.sql"), SHIPPED);
    git_change(&p, &[("migrations/002_change.sql", sql)]);
    let (_, before) = check_json(&p, &["--base", "main~1"]);
    assert!(
        rules(&before).contains(&rule.to_string()),
        "{rule} fires before the fix: {before}"
    );

    // The original change, applied on its own copy.
    let original = tempfile::tempdir().unwrap();
    write(original.path().join("sqlgate.toml"), config);
    for (name, bytes) in files_of(&p.join("migrations")) {
        write(original.path().join("migrations").join(name), bytes);
    }

    let untouched = files_of(&p.join("migrations"));
    let r = sg(&p, &["fix", "--base", "main~1", "--dry-run"]);
    assert_eq!(
        r.code, 1,
        "{rule}: --dry-run says something would change: {}{}",
        r.stdout, r.stderr
    );
    assert!(
        r.stdout.contains("+++ b/migrations/002_change.sql")
            || r.stdout.contains("+++ b/migrations/003"),
        "{}",
        r.stdout
    );
    assert_eq!(
        files_of(&p.join("migrations")),
        untouched,
        "--dry-run writes nothing"
    );

    let r = sg(&p, &["fix", "--base", "main~1"]);
    assert_eq!(r.code, 0, "{rule}: {}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("fixed migrations/002_change.sql"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(p.join("migrations/001_init.sql")).unwrap(),
        SHIPPED.as_bytes(),
        "the shipped migration is byte-identical"
    );
    let (_, after) = check_json(&p, &["--base", "main~1"]);
    assert!(
        !rules(&after).contains(&rule.to_string()),
        "{rule} is gone after the fix: {after:#}"
    );
    let fixed = files_of(&p.join("migrations"));

    let want = catalog_after_apply(original.path());
    let got = catalog_after_apply(&p);
    assert_eq!(
        got,
        want,
        "{rule}: the fixed migrations build the original's catalog; files: {:#?}",
        fixed
            .iter()
            .map(|(n, b)| (n, String::from_utf8_lossy(b).to_string()))
            .collect::<Vec<_>>()
    );

    // A second run has nothing left to do.
    let r = sg(&p, &["fix", "--base", "main~1", "--dry-run"]);
    assert_eq!(
        r.code, 0,
        "{rule}: a second run changes nothing: {}{}",
        r.stdout, r.stderr
    );
}

#[test]
fn each_fix_builds_the_same_catalog_and_clears_its_finding() {
    for (rule, sql, config) in [
        ("create-index-non-concurrently", "CREATE INDEX users_email ON users (email);\n", ""),
        ("create-index-non-concurrently", "CREATE TABLE notes (id bigint PRIMARY KEY, body text);\nCREATE UNIQUE INDEX ON users (email);\n", ""),
        ("drop-index-non-concurrently", "DROP INDEX users_old;\n", ""),
        ("add-foreign-key-validating", "ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);\n", ""),
        ("add-check-validating", "ALTER TABLE users ADD CONSTRAINT users_email_at CHECK (email LIKE '%@%');\n", ""),
        ("set-not-null", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n", ""),
        ("add-unique-constraint", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n", ""),
        ("add-primary-key", "CREATE TABLE tags (id bigint NOT NULL, label text);\nALTER TABLE orgs ADD COLUMN code text;\nALTER TABLE orgs DROP CONSTRAINT orgs_pkey;\n-- next\nALTER TABLE orgs ADD PRIMARY KEY (id);\n", ""),
        ("missing-lock-timeout", "ALTER TABLE users ADD COLUMN nickname text;\n", "lock_timeout = \"0\"\n"),
        ("add-column-volatile-default", "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n", ""),
    ] {
        case(rule, sql, config);
    }
}

#[test]
fn without_a_base_nothing_is_rewritten() {
    let t = tempfile::tempdir().unwrap();
    migrations(
        t.path(),
        &[("001_a.sql", "CREATE INDEX i ON users (email);\n")],
    );
    let r = sg(t.path(), &["fix"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--base"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(t.path().join("migrations/001_a.sql")).unwrap(),
        "CREATE INDEX i ON users (email);\n"
    );
}

#[test]
fn with_a_scratch_server_the_fix_is_proven_on_postgresql() {
    let _serial = replay_lock();
    let t = tempfile::tempdir().unwrap();
    let p = t.path().to_path_buf();
    write(p.join("migrations/001_init.sql"), SHIPPED);
    git_change(
        &p,
        &[(
            "migrations/002_change.sql",
            "CREATE TABLE notes (id bigint PRIMARY KEY);\nCREATE INDEX users_email ON users (email);\nALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES orgs (id);\n",
        )],
    );
    let r = sg(&p, &["fix", "--base", "main~1", "--dry-run"]);
    assert!(
        r.stderr.contains("were not checked against a database"),
        "{}",
        r.stderr
    );
    let admin = admin_url();
    let r = sg(&p, &["fix", "--base", "main~1", "--scratch", &admin]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("the fixed change builds the same schema as the original"),
        "{}",
        r.stderr
    );
    assert!(p.join("migrations/003_change_concurrently.sql").exists());
}
