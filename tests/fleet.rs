//! Fleets on a real PostgreSQL: three databases and 50 tenant schemas in one server,
//! applied concurrently, with `--fail-fast`, reruns, two concurrent runs; the matrix
//! for 600 targets; and a GitHub Actions deploy simulated through `sqlgate ci`: three
//! matrix jobs writing reports to one directory, then the merge job's one comment.

use crate::ci::{ci, Actions};
use crate::support::fake_github::FakeGitHub;
use crate::support::pg::*;
use crate::support::*;
use serde_json::json;

/// Three databases (wave 0: `db0`) and `tenants` schemas listed by a control query.
struct Fleet {
    t: tempfile::TempDir,
    env: Vec<(String, String)>,
    control: String,
}

fn fleet(tenants: usize) -> Fleet {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            (
                "001_items.sql",
                "CREATE TABLE items (id bigint PRIMARY KEY);\n",
            ),
            ("002_name.sql", "ALTER TABLE items ADD COLUMN name text;\n"),
        ],
    );
    let mut toml = String::new();
    let mut env = Vec::new();
    for i in 0..3 {
        let url = fresh_db();
        let var = format!("FLEET_DB{i}_URL");
        toml.push_str(&format!(
            "[targets.db{i}]\ndatabase_url_env = \"{var}\"\nwave = {}\n\n",
            u32::from(i > 0)
        ));
        env.push((var, url));
    }
    let control = fresh_db();
    query(&control, &format!("CREATE TABLE tenants AS SELECT 'tenant_' || i AS schema, 1 AS wave FROM generate_series(1, {tenants}) i"));
    toml.push_str("[targets]\nquery = \"SELECT schema, wave FROM tenants ORDER BY schema\"\ncontrol_url_env = \"FLEET_CONTROL_URL\"\n");
    env.push(("FLEET_CONTROL_URL".into(), control.clone()));
    write(t.path().join("sqlgate.toml"), toml);
    Fleet { t, env, control }
}

impl Fleet {
    fn run(&self, args: &[&str]) -> Run {
        let mut c = sqlgate(self.t.path());
        c.args(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        run(&mut c)
    }

    fn url(&self, i: usize) -> &str {
        &self.env[i].1
    }

    /// History rows per tenant schema, and per database.
    fn counts(&self) -> (Vec<String>, Vec<String>) {
        let mut rows = Vec::new();
        for s in query(
            &self.control,
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1",
        ) {
            rows.extend(query(
                &self.control,
                &format!("SELECT count(*) FROM {s}.sqlgate_migrations"),
            ));
        }
        let dbs = (0..3)
            .flat_map(|i| query(self.url(i), "SELECT count(*) FROM sqlgate_migrations"))
            .collect();
        (rows, dbs)
    }
}

#[test]
fn three_databases_and_fifty_schemas_apply_once_and_concurrently() {
    let f = fleet(50);
    let r = f.run(&["targets"]);
    assert!(r.stdout.contains("53 target(s)"), "{}", r.stdout);
    // Two runs of the whole fleet at once: every migration once per target.
    let runs: Vec<Run> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| f.run(&["apply", "--all-targets", "--jobs", "8"])))
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    for r in &runs {
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("53 target(s)"), "{}", r.stdout);
    }
    let (tenants, dbs) = f.counts();
    assert_eq!(tenants.len(), 50);
    assert!(tenants.iter().all(|c| c == "2"), "{tenants:?}");
    assert_eq!(dbs, ["2", "2", "2"]);
    // The tables went into each tenant's schema.
    assert_eq!(query(&f.control, "SELECT count(*) FROM pg_tables WHERE tablename = 'items' AND schemaname LIKE 'tenant\\_%'"), ["50"]);
    let r = f.run(&["status", "--all-targets", "--exit-code"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 behind"), "{}", r.stdout);
}

/// Schema targets on one server share sessions: each target's migrations run with
/// its own schema first on `search_path`, and nothing a migration leaves in the
/// session (a setting, a temporary table, a role) reaches the next target. A
/// directory whose SQL says RESET (which would undo the schema's `SET`) gets a
/// session per target.
#[test]
fn schema_targets_share_sessions_and_nothing_leaks_between_them() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[(
            "001_seen.sql",
            "CREATE TABLE seen AS SELECT pg_backend_pid() AS pid, current_schemas(false)::text AS path,
                current_setting('work_mem') AS work_mem, to_regclass('pg_temp.scratch') IS NULL AS clean;
             SET work_mem = '7MB';
             CREATE TEMP TABLE scratch (id int);\n",
        )],
    );
    let control = fresh_db();
    query(
        &control,
        "CREATE TABLE tenants AS SELECT 'tenant_' || i AS schema FROM generate_series(1, 4) i",
    );
    write(
        t.path().join("sqlgate.toml"),
        "[targets]\nquery = \"SELECT schema FROM tenants ORDER BY schema\"\ncontrol_url_env = \"FLEET_CONTROL_URL\"\n",
    );
    let apply = |dir: &std::path::Path| {
        let mut c = sqlgate(dir);
        c.args(["apply", "--all-targets", "--jobs", "1"]);
        c.env("FLEET_CONTROL_URL", &control);
        run(&mut c)
    };
    let r = apply(t.path());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let seen = |schema: &str| {
        query(
            &control,
            &format!(
                "SELECT pid || ' ' || path || ' ' || work_mem || ' ' || clean FROM {schema}.seen"
            ),
        )
        .join("")
    };
    let rows: Vec<String> = (1..=4).map(|i| seen(&format!("tenant_{i}"))).collect();
    let pids: std::collections::HashSet<&str> =
        rows.iter().filter_map(|r| r.split(' ').next()).collect();
    assert_eq!(pids.len(), 1, "one session for the four targets: {rows:?}");
    for (i, row) in rows.iter().enumerate() {
        assert!(
            row.ends_with(&format!(" {{tenant_{},public}} 4MB true", i + 1)),
            "{row}"
        );
    }
    // The same with RESET in a migration: a session per target.
    migrations(
        t.path(),
        &[(
            "002_reset.sql",
            "RESET work_mem;\nCREATE TABLE after AS SELECT pg_backend_pid() AS pid;\n",
        )],
    );
    let r = apply(t.path());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let pids: std::collections::HashSet<String> = (1..=4)
        .map(|i| query(&control, &format!("SELECT pid::text FROM tenant_{i}.after")).join(""))
        .collect();
    assert_eq!(pids.len(), 4, "{pids:?}");
}

#[test]
fn a_failing_target_with_and_without_fail_fast_then_a_rerun() {
    let f = fleet(6);
    std::fs::remove_file(f.t.path().join("migrations/002_name.sql")).expect("rm");
    assert_eq!(f.run(&["apply", "--all-targets"]).code, 0);
    // tenant_3's data breaks the next migration there only.
    query(&f.control, "INSERT INTO tenant_3.items VALUES (-1)");
    write(
        f.t.path().join("migrations/002_check.sql"),
        "ALTER TABLE items ADD CONSTRAINT id_positive CHECK (id > 0);\n",
    );
    let reports = tempfile::tempdir().expect("tempdir");
    let dir = reports.path().to_string_lossy().to_string();
    let r = f.run(&[
        "apply",
        "--all-targets",
        "--jobs",
        "1",
        "--fail-fast",
        "--report-dir",
        &dir,
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("skipped"),
        "targets after the failure are not started: {}",
        r.stdout
    );
    let (tenants, _) = f.counts();
    assert!(
        tenants.iter().filter(|c| *c == "1").count() >= 2,
        "{tenants:?}"
    );
    // Without --fail-fast every other target is applied.
    let r = f.run(&[
        "apply",
        "--all-targets",
        "--jobs",
        "4",
        "--report-dir",
        &dir,
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let (tenants, dbs) = f.counts();
    assert_eq!(
        tenants.iter().filter(|c| *c == "1").count(),
        1,
        "{tenants:?}"
    );
    assert_eq!(dbs, ["2", "2", "2"]);
    // The merged report names the failure with file:line, first.
    let r = sg(f.t.path(), &["report", "merge", &dir, "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["targets"][0]["target"], "tenant_3");
    assert_eq!(v["targets"][0]["outcome"], "failed");
    let error = v["targets"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("002_check.sql:1:") && error.contains("id_positive"),
        "{error}"
    );
    // Fixed: a rerun applies only what is missing.
    query(&f.control, "DELETE FROM tenant_3.items WHERE id < 0");
    let r = f.run(&["apply", "--all-targets", "--jobs", "4"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("1 applied") && r.stdout.contains("8 up to date"),
        "{}",
        r.stdout
    );
}

#[test]
fn configuration_errors_come_before_anything_runs() {
    let f = fleet(2);
    let mut c = sqlgate(f.t.path());
    c.args(["apply", "--all-targets"]);
    for (k, v) in f.env.iter().filter(|(k, _)| k != "FLEET_DB1_URL") {
        c.env(k, v);
    }
    let r = run(&mut c);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("db1 (FLEET_DB1_URL)") && r.stderr.contains("nothing was applied"),
        "{}",
        r.stderr
    );
    assert_eq!(
        query(f.url(0), "SELECT to_regclass('sqlgate_migrations') IS NULL"),
        ["t"]
    );
    write(
        f.t.path().join("sqlgate.toml"),
        "[targets.x]\ndatabase_url = \"postgres://u:secret@h/d\"\n",
    );
    let r = f.run(&["targets"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("database_url_env") && !r.stderr.contains("secret"),
        "{}",
        r.stderr
    );
    let r = f.run(&["apply", "--target", "nope"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn the_matrix_for_600_targets_respects_the_job_cap() {
    let f = fleet(600);
    let r = f.run(&["targets", "--format", "matrix", "--per-job", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let jobs = v["include"].as_array().cloned().unwrap_or_default();
    assert!(jobs.len() <= 256, "{}", jobs.len());
    let total: usize = jobs
        .iter()
        .map(|j| j["shard"].as_str().unwrap_or("").split(',').count())
        .sum();
    assert_eq!(total, 603);
    assert!(r.stderr.contains("256"), "{}", r.stderr);
    assert!(jobs.iter().any(|j| j["wave"] == 0) && jobs.iter().any(|j| j["wave"] == 1));
}

#[test]
fn under_ci_shards_apply_and_one_comment_reports_the_fleet() {
    let f = fleet(4);
    let dir = f.t.path();
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "deploy");
    let sha = git(dir, &["rev-parse", "HEAD"]);
    let gh = FakeGitHub::start("");
    gh.set_pulls(&sha, json!([{"number": 77, "merged_at": "2026-11-30T10:00:00Z", "html_url": "https://github.com/o/r/pull/77"}]));
    let reports = tempfile::tempdir().expect("tempdir");
    let rdir = reports.path().to_string_lossy().to_string();
    // A password on one target's URL: masked.
    let secret = "S3cretFleetPassw0rd";
    let mut env: Vec<(String, String)> = f.env.clone();
    if let Some((_, url)) = env.iter_mut().find(|(k, _)| k == "FLEET_DB2_URL") {
        *url = url
            .replacen("://", &format!("://{}:{secret}@", "sqlgate"), 1)
            .replacen("@sqlgate@", "@", 1);
    }
    let push = json!({"ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000", "after": sha, "commits": [{"id": sha}]});
    // The canary wave's job fails on db0 (a migration that cannot run there).
    assert_eq!(
        f.run(&["apply", "--target", "db0", "--to", "0"]).code,
        0,
        "history only"
    );
    query(f.url(0), "CREATE TABLE items (id int)");
    let shards = [
        ("db0", "0"),
        ("db1,db2", "1"),
        ("tenant_1,tenant_2,tenant_3,tenant_4", "1"),
    ];
    // One matrix job: its shard applied, its reports in the shared directory.
    let job = |extra: &[(&str, &str)]| {
        let a = Actions::new(&push);
        let mut vars: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        vars.extend_from_slice(extra);
        let r = ci(dir, &gh, "push", &a, &vars);
        for line in r.stdout.lines().chain(r.stderr.lines()) {
            assert!(
                !line.contains(secret) || line.starts_with("::add-mask::"),
                "{line}"
            );
        }
        (r, a)
    };
    let shard = |shard: &str, wave: &str| {
        let (r, a) = job(&[
            ("SQLGATE_SHARD", shard),
            ("SQLGATE_WAVE", wave),
            ("SQLGATE_REPORT_DIR", rdir.as_str()),
            ("SQLGATE_COMMENT", "false"),
        ]);
        assert_eq!(a.output("reports").as_deref(), Some(rdir.as_str()));
        r
    };
    let mut codes = Vec::new();
    for (s, w) in shards {
        let r = shard(s, w);
        codes.push(r.code);
        // GitHub's `needs:` stops the fleet wave when the canary fails.
        if r.code != 0 {
            break;
        }
    }
    assert_eq!(codes, [1], "the canary failed and nothing else ran");
    // The merge job: one comment on the merged pull request.
    let (r, _) = job(&[("SQLGATE_MERGE_REPORTS", rdir.as_str())]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let comments = gh.comments(77);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("db0") && comments[0].body.contains("failed"),
        "{}",
        comments[0].body
    );
    // Fixed, the whole fleet in three jobs, then one comment, updated in place.
    query(f.url(0), "DROP TABLE items");
    for (s, w) in shards {
        let r = shard(s, w);
        assert_eq!(r.code, 0, "{s}: {}{}", r.stdout, r.stderr);
    }
    let (r, a) = job(&[("SQLGATE_MERGE_REPORTS", rdir.as_str())]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let comments = gh.comments(77);
    assert_eq!(
        comments.len(),
        1,
        "one comment for the fleet, not one per target"
    );
    assert!(
        comments[0].body.contains("7 target(s): 7 applied"),
        "{}",
        comments[0].body
    );
    assert!(a.summary().contains("tenant_4"));
}
