//! Team policies (`[policy]`): each policy's firing case at the right file and line,
//! its look-alikes silent, and silence when it is not configured — on real files in a
//! real git repository, judged with `check --base` (the change) and `check --all`.

use crate::support::*;
use serde_json::Value;

const POLICY: &str = r#"
[policy]
require_primary_key = true
foreign_key_index = true
redundant_index = true
required_columns = ["created_at"]
banned_types = ["money", "integer"]
require_comment = ["table"]
rls_schemas = ["public"]

[policy.naming]
table = "[a-z][a-z0-9_]*"
index = "[a-z][a-z0-9_]*_(idx|key|pkey)"
"#;

/// The shipped history: what the look-alikes lean on.
const SHIPPED: &[(&str, &str)] = &[
    (
        "migrations/001_base.sql",
        "CREATE TABLE customers (id bigint PRIMARY KEY, region int, created_at timestamptz);\n\
         CREATE TABLE \"LegacyOrders\" (id bigint PRIMARY KEY, customer_id bigint, price money, created_at timestamptz);\n\
         CREATE INDEX legacy_customer_region_idx ON \"LegacyOrders\" (customer_id, region);\n",
    ),
];

/// The change: one firing case per policy, each beside a look-alike that must not fire.
const CHANGE: &[(&str, &str)] = &[
    (
        "migrations/002_orders.sql",
        "CREATE TABLE orders (id bigint, customer_id bigint REFERENCES customers, total integer, created_at timestamptz);\n\
         COMMENT ON TABLE orders IS 'orders';\n\
         ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\
         ALTER TABLE \"LegacyOrders\" ADD CONSTRAINT legacy_customer_fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;\n\
         CREATE TABLE \"Audit\" (id bigint PRIMARY KEY, created_at timestamptz);\n\
         COMMENT ON TABLE \"Audit\" IS 'a';\n\
         ALTER TABLE \"Audit\" ENABLE ROW LEVEL SECURITY;\n",
    ),
    (
        "migrations/003_more.sql",
        "CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n\
         CREATE INDEX notes_id_idx ON notes (id);\n\
         CREATE TABLE private.keys (id bigint PRIMARY KEY, created_at timestamptz);\n\
         COMMENT ON TABLE private.keys IS 'k';\n\
         CREATE INDEX notes_body_idx ON notes (body);\n\
         ALTER TABLE orders ADD PRIMARY KEY (id);\n",
    ),
];

fn repo_with(config: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().to_path_buf();
    write(p.join("sqlgate.toml"), config);
    for (path, sql) in SHIPPED {
        write(p.join(path), sql);
    }
    git_change(&p, CHANGE);
    (t, p)
}

/// (rule, file, line) of each policy finding, sorted.
fn policy_findings(report: &Value) -> Vec<(String, String, u64)> {
    let ids = [
        "require-primary-key",
        "foreign-key-index",
        "redundant-index",
        "required-columns",
        "banned-types",
        "require-comment",
        "naming",
        "rls-schemas",
    ];
    let mut out: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ids.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| {
            assert_eq!(f["severity"], "warning", "{f}");
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn at(rule: &str, file: &str, line: u64) -> (String, String, u64) {
    (rule.into(), format!("migrations/{file}"), line)
}

#[test]
fn each_policy_fires_on_the_change_and_not_on_its_look_alike() {
    let (_t, p) = repo_with(POLICY);
    let (code, v) = check_json(&p, &["--base", "main~1"]);
    assert_eq!(code, 0, "policies are warnings by default: {v}");
    let mut want = vec![
        // `total integer`: a banned type, written as PostgreSQL's int4's other name.
        at("banned-types", "002_orders.sql", 1),
        // The foreign key on orders.customer_id has no index; LegacyOrders' is
        // covered by a composite index created in the shipped history.
        at("foreign-key-index", "002_orders.sql", 1),
        // "Audit" breaks the table pattern; LegacyOrders is shipped and not judged.
        at("naming", "002_orders.sql", 5),
        // notes_id_idx duplicates the primary key's index; notes_body_idx is different.
        at("redundant-index", "003_more.sql", 2),
        // notes has no created_at; private.keys has it.
        at("required-columns", "003_more.sql", 1),
        // notes has no comment; orders, Audit and private.keys do.
        at("require-comment", "003_more.sql", 1),
        // notes has no row-level security; private is not an exposed schema.
        at("rls-schemas", "003_more.sql", 1),
    ];
    want.sort();
    // orders gets its primary key later in the change: require-primary-key is silent.
    assert_eq!(policy_findings(&v), want, "{v:#}");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "foreign-key-index")
        .unwrap();
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);"),
        "names the index to create: {f}"
    );
    let n = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "naming")
        .unwrap();
    assert!(
        n["message"].as_str().unwrap().contains("[a-z][a-z0-9_]*")
            && n["fix"].as_str().unwrap().contains("`audit`"),
        "names the pattern and a name that matches: {n}"
    );

    // Without a primary key added later, require-primary-key fires at the CREATE.
    write(
        p.join("migrations/003_more.sql"),
        CHANGE[1]
            .1
            .replace("ALTER TABLE orders ADD PRIMARY KEY (id);\n", ""),
    );
    let (_, v) = check_json(&p, &["--base", "main~1"]);
    assert!(
        policy_findings(&v).contains(&at("require-primary-key", "002_orders.sql", 1)),
        "{v:#}"
    );
}

#[test]
fn nothing_is_judged_unless_configured_and_all_judges_the_history() {
    let (_t, p) = repo_with("");
    let (code, v) = check_json(&p, &["--base", "main~1"]);
    assert!(policy_findings(&v).is_empty(), "{v:#}");
    assert_eq!(code, 0, "{v}");

    let (_t, p) = repo_with(POLICY);
    let (_, v) = check_json(&p, &["--all"]);
    let found = policy_findings(&v);
    // The shipped money column and "LegacyOrders" are judged once the whole history is.
    assert!(
        found.contains(&at("banned-types", "001_base.sql", 2)),
        "{found:?}"
    );
    assert!(
        found.contains(&at("naming", "001_base.sql", 2)),
        "{found:?}"
    );
}

#[test]
fn severities_ignores_and_formats_work_like_any_rule() {
    let config = format!("{POLICY}\n[rules]\nrls-schemas = \"error\"\nnaming = \"off\"\n");
    let (_t, p) = repo_with(&config);
    let (code, v) = check_json(&p, &["--base", "main~1"]);
    assert_eq!(code, 1, "an error fails the check: {v}");
    let found = policy_findings_any(&v);
    assert!(found
        .iter()
        .any(|(r, s)| r == "rls-schemas" && s == "error"));
    assert!(found.iter().all(|(r, _)| r != "naming"));

    // `sqlgate:ignore` above the statement silences it.
    let more = format!(
        "-- sqlgate:ignore rls-schemas, required-columns, require-comment -- internal table\n{}",
        CHANGE[1].1
    );
    write(p.join("migrations/003_more.sql"), more);
    let (code, v) = check_json(&p, &["--base", "main~1"]);
    assert_eq!(code, 0, "{v}");
    let found = policy_findings_any(&v);
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "rls-schemas" || r == "required-columns"),
        "{found:?}"
    );

    let r = sg(&p, &["check", "--base", "main~1", "--format", "sarif"]);
    assert!(r.stdout.contains("\"foreign-key-index\""), "{}", r.stdout);
    let r = sg(&p, &["explain", "foreign-key-index"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("foreign_key_index"), "{}", r.stdout);
}

fn policy_findings_any(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_bad_policy_is_exit_2_naming_the_key_and_line() {
    for (config, key) in [
        (
            "[policy.naming]\ntable = \"([a-z]\"\n",
            "policy.naming.table",
        ),
        ("[policy.naming]\nview = \"x\"\n", "policy.naming.view"),
        (
            "[policy]\nbanned_types = [\"no such; type\"]\n",
            "policy.banned_types",
        ),
        (
            "[policy]\nrequire_comment = [\"schema\"]\n",
            "policy.require_comment",
        ),
        (
            "[policy]\nrequire_primary_keys = true\n",
            "require_primary_keys",
        ),
    ] {
        let t = tempfile::tempdir().unwrap();
        write(t.path().join("sqlgate.toml"), config);
        migrations(t.path(), &[("001_a.sql", "SELECT 1;\n")]);
        let r = sg(t.path(), &["check"]);
        assert_eq!(r.code, 2, "{config}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(key), "{config}: {}", r.stderr);
        assert!(r.stderr.contains("sqlgate.toml:"), "{}", r.stderr);
    }
}
