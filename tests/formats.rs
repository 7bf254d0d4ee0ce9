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
