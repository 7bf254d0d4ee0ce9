//! Machine formats checked against their schemas: SARIF 2.1.0 (the schema from
//! Microsoft's SARIF SDK, tests/data) with fingerprints that survive unrelated edits,
//! and sqlgate's own published JSON Schemas (docs/schema) against real outputs.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema(path: &Path) -> jsonschema::Validator {
    let text = std::fs::read_to_string(path).expect("schema");
    let v: Value = serde_json::from_str(&text).expect("schema json");
    jsonschema::validator_for(&v).expect("a valid schema")
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn sarif(dir: &Path, args: &[&str]) -> Value {
    let mut a = vec!["check", "--format", "sarif"];
    a.extend_from_slice(args);
    let r = sg(dir, &a);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr))
}

#[test]
fn sarif_is_valid_2_1_0_with_rules_and_stable_fingerprints() {
    let validator = schema(&project().join("tests/data/sarif-2.1.0.json"));
    let v = sarif(project(), &["--all", "--dir", "examples/mistakes"]);
    assert_valid(&validator, &v, "examples/mistakes");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert!(!results.is_empty());
    for r in &results {
        let i = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "{r}");
        assert!(r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1));
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap_or("")));
    }
    let drop = rules
        .iter()
        .find(|r| r["id"] == "drop-column")
        .expect("drop-column rule");
    assert!(drop["fullDescription"]["text"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(drop["help"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("Example")));

    // An unrelated edit above the findings moves their lines, not their fingerprints.
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int, b int);\n"),
            (
                "002_b.sql",
                "ALTER TABLE a DROP COLUMN b;\nCREATE INDEX a_id ON a (id);\n",
            ),
        ],
    );
    let prints = |v: &Value| -> Vec<(String, u64, String)> {
        v["runs"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap_or("").to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap_or(0),
                    r["partialFingerprints"]["sqlgateFindingHash/v1"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect()
    };
    // Judged against 001 as shipped.
    git(t.path(), &["init", "-q", "-b", "main"]);
    std::fs::rename(
        t.path().join("migrations/002_b.sql"),
        t.path().join("b.tmp"),
    )
    .expect("mv");
    commit_all(t.path(), "base");
    std::fs::rename(
        t.path().join("b.tmp"),
        t.path().join("migrations/002_b.sql"),
    )
    .expect("mv");
    let before = prints(&sarif(t.path(), &["--base", "HEAD"]));
    assert!(before.len() >= 2, "{before:?}");
    write(
        t.path().join("migrations/002_b.sql"),
        "-- reviewed with the team\n\nALTER TABLE a DROP COLUMN b;\nCREATE INDEX a_id ON a (id);\n",
    );
    let after = prints(&sarif(t.path(), &["--base", "HEAD"]));
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0);
        assert_eq!(b.1 + 2, a.1, "lines moved");
        assert_eq!(b.2, a.2, "fingerprint kept for {}", b.0);
    }
    // A clean directory is a valid, empty run.
    let clean = tempfile::tempdir().expect("tempdir");
    migrations(
        clean.path(),
        &[("001_a.sql", "CREATE TABLE a (id bigint);\n")],
    );
    let v = sarif(clean.path(), &["--all"]);
    assert_valid(&validator, &v, "clean");
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn the_published_schemas_match_real_outputs() {
    let dir = project().join("docs/schema");
    // The check report: findings of every kind, a diff, and a replay.
    let check = schema(&dir.join("check-report.json"));
    let (_, v) = check_json(project(), &["--all", "--dir", "examples/mistakes"]);
    assert_valid(&check, &v, "examples/mistakes");
    let (_t, repo_dir) = repo();
    migrations(
        &repo_dir,
        &[("001_a.sql", "CREATE TABLE a (id int, b int);\n")],
    );
    commit_all(&repo_dir, "base");
    migrations(
        &repo_dir,
        &[
            ("001_a.sql", "CREATE TABLE a (id int, b text);\n"),
            ("002_b.sql", "ALTER TABLE a ALTER COLUMN id TYPE bigint;\n"),
        ],
    );
    let _serial = crate::support::pg::replay_lock();
    let admin = crate::support::pg::admin_url();
    let (_, v) = check_json(&repo_dir, &["--base", "HEAD", "--scratch", &admin]);
    assert!(v["findings"].to_string().contains("\"diff\""), "{v}");
    assert!(v.get("replay").is_some(), "{v}");
    assert_valid(&check, &v, "a change with a diff and a replay");
    // A check that fails the schema: the schema is not vacuous.
    let mut broken = v.clone();
    broken["findings"][0]["severity"] = serde_json::json!("fatal");
    assert!(!check.is_valid(&broken));

    // The apply report, as `sqlgate ci` writes it after a deploy.
    let apply = schema(&dir.join("apply-report.json"));
    let (_t2, repo2) = repo();
    migrations(&repo2, &[("001_a.sql", "CREATE TABLE a (id int);\n")]);
    commit_all(&repo2, "deploy");
    let db = crate::support::pg::fresh_db();
    let gh = crate::support::fake_github::FakeGitHub::start("");
    let a = crate::ci::Actions::new(&serde_json::json!({
        "ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000", "after": "abc", "commits": []
    }));
    let r = crate::ci::ci(&repo2, &gh, "push", &a, &[("DATABASE_URL", db.as_str())]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let path = a.output("report").expect("report output");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("report")).expect("json");
    assert_valid(&apply, &v, "apply report");

    // sqlgate.toml: the README's example, every documented key, and a typo.
    let toml_schema = schema(&dir.join("sqlgate-toml.json"));
    let as_json = |src: &str| -> Value {
        let t: toml::Value = toml::from_str(src).expect("toml");
        serde_json::to_value(t).expect("json")
    };
    let readme = std::fs::read_to_string(project().join("README.md")).expect("README");
    let example = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a toml block in the README");
    assert_valid(&toml_schema, &as_json(example), "README's sqlgate.toml");
    let full = r#"
dir = "db/migrations"
layout = "flyway"
numbering = "sparse"
require_down = true
fail_on = "warning"
format = "sarif"
base = "origin/main"
pg_version = 16
history_table = "ops.migrations"
lock_timeout = "5s"
statement_timeout = "off"
lock_retries = 3
lock_wait = "10m"
max_file_size = "64MiB"
environment = "staging"
protected_environments = ["production"]
scratch = "auto"
scratch_extensions = ["postgis"]
[vars]
APP_SCHEMA = "app"
[rules]
drop-column = "warning"
[preview]
prefix = "app_preview"
max = 20
template = "app_snapshot"
[targets.eu]
database_url_env = "EU_DATABASE_URL"
wave = 0
[targets]
query = "SELECT schema FROM tenants"
control_url_env = "CONTROL_URL"
"#;
    assert_valid(&toml_schema, &as_json(full), "every key");
    // sqlgate itself accepts the same file.
    let t = tempfile::tempdir().expect("tempdir");
    write(t.path().join("sqlgate.toml"), full);
    std::fs::create_dir_all(t.path().join("db/migrations")).expect("mkdir");
    let r = sg(
        t.path(),
        &["check", "--all", "--scratch", "none", "--format", "text"],
    );
    assert!(!r.stderr.contains("sqlgate.toml:"), "{}", r.stderr);
    assert!(!toml_schema.is_valid(&as_json("fail_on = \"sometimes\"\n")));
    assert!(!toml_schema.is_valid(&as_json("[rules]\ndrop-colum = \"off\"\n")));
    assert!(!toml_schema.is_valid(&as_json(
        "[targets.eu]\ndatabase_url = \"postgres://u:p@h/d\"\n"
    )));
    // The schema's rule ids are sqlgate's.
    let listed: Vec<String> = serde_json::from_str::<Value>(
        &std::fs::read_to_string(dir.join("sqlgate-toml.json")).expect("schema"),
    )
    .expect("json")["properties"]["rules"]["propertyNames"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let ids: Vec<String> = sqlgate_core::rules::registry::ALL
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        listed, ids,
        "docs/schema/sqlgate-toml.json lists the rules of `sqlgate explain`"
    );
}
