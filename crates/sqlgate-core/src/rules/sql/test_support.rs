//! What the SQL rules' tests share: a catalog built from SQL strings (shipped
//! migrations, then the new ones in scope), and the fires / does-not-fire pair every
//! rule file tests itself with.

use super::{analyse, SqlOptions};
use crate::catalog::{build, CatalogOptions, Content, Migration, SourceFile};
use crate::model::Finding;
use crate::rules::{apply_ignores, apply_overrides, Overrides};
use std::collections::BTreeMap;

pub struct Case {
    pub shipped: Vec<&'static str>,
    pub new: Vec<&'static str>,
    pub pg: u32,
    pub runner_timeout: bool,
    pub overrides: Overrides,
    pub vars: BTreeMap<String, String>,
    pub policy: crate::rules::policy::Policy,
}

pub fn case(shipped: &[&'static str], new: &[&'static str]) -> Case {
    Case {
        shipped: shipped.to_vec(),
        new: new.to_vec(),
        pg: 15,
        runner_timeout: true,
        overrides: Overrides::new(),
        vars: BTreeMap::new(),
        policy: Default::default(),
    }
}

impl Case {
    pub fn findings(&self) -> Vec<Finding> {
        let files: Vec<SourceFile> = self
            .shipped
            .iter()
            .chain(self.new.iter())
            .enumerate()
            .map(|(i, sql)| SourceFile {
                path: format!("{:03}_m.sql", i + 1),
                content: Content::Bytes(sql.as_bytes().to_vec()),
                name_not_utf8: false,
            })
            .collect();
        let cat = build(
            &files,
            &CatalogOptions {
                display_dir: "m".into(),
                ..Default::default()
            },
        );
        let shipped = self.shipped.len();
        let is_new = |m: &Migration| m.version.canonical().parse::<usize>().unwrap_or(0) > shipped;
        let opts = SqlOptions {
            display_dir: "m",
            pg_version: self.pg,
            runner_lock_timeout: self.runner_timeout,
            vars: &self.vars,
            policy: &self.policy,
        };
        let a = analyse(&cat, &is_new, &is_new, &opts);
        apply_ignores(apply_overrides(a.findings, &self.overrides), &a.ignores)
    }

    pub fn rules(&self) -> Vec<&'static str> {
        let mut r: Vec<_> = self.findings().iter().map(|f| f.rule.as_str()).collect();
        r.sort();
        r.dedup();
        r
    }

    pub fn fires(&self, rule: &str) -> bool {
        self.rules().contains(&rule)
    }
}

pub const T: &str =
    "create table t (id bigint primary key, a int, v varchar(50), n numeric(10,2), j jsonb);";
pub const U: &str = "create table u (id bigint primary key);";

/// Asserts that `rule` fires on `firing` and not on `look_alike`, each a new migration
/// after the `shipped` ones.
pub fn pair(rule: &str, shipped: &[&'static str], firing: &'static str, look_alike: &'static str) {
    let fired = case(shipped, &[firing]).rules();
    assert!(
        fired.contains(&rule),
        "{rule} must fire on {firing:?}; fired: {fired:?}"
    );
    let fired = case(shipped, &[look_alike]).rules();
    assert!(
        !fired.contains(&rule),
        "{rule} must not fire on {look_alike:?}; fired: {fired:?}"
    );
}

/// [`pair`] with the case tuned first (server version, runner lock_timeout, rules
/// switched on).
pub fn pair_with(
    rule: &str,
    shipped: &[&'static str],
    firing: &'static str,
    look_alike: &'static str,
    tune: impl Fn(&mut Case),
) {
    let mut c = case(shipped, &[firing]);
    tune(&mut c);
    let fired = c.rules();
    assert!(
        fired.contains(&rule),
        "{rule} must fire on {firing:?}; fired: {fired:?}"
    );
    let mut c = case(shipped, &[look_alike]);
    tune(&mut c);
    let fired = c.rules();
    assert!(
        !fired.contains(&rule),
        "{rule} must not fire on {look_alike:?}; fired: {fired:?}"
    );
}

/// Switches `rule` on at its documented severity (for rules that are off by default).
pub fn enable(c: &mut Case, rule: &'static crate::model::Rule) {
    c.overrides.insert(rule.id.into(), Some(rule.severity));
}

/// The case each SQL rule's documentation assumes: what shipped before it, rules off
/// by default switched on, the server version, runner settings and placeholders its
/// example is about. `-- next migration:` in an example starts another migration.
fn documented(rule: &'static crate::model::Rule, example: &'static str) -> Case {
    let shipped: &[&'static str] = match rule.id {
        "alter-column-type" => &["CREATE TABLE orders (id int, note varchar(200));"],
        "alter-column-type-rebuilds-index" => &[
            "CREATE TABLE posts (id bigint, keyword varchar(50));\nCREATE INDEX posts_keyword_lower ON posts (lower(keyword));",
        ],
        "alter-column-type-rechecks" => {
            &["CREATE TABLE users (id bigint, email varchar(200) CONSTRAINT users_email_check CHECK (email LIKE '%@%'));"]
        }
        "rename-enum-value" => &[
            "CREATE TYPE order_status AS ENUM ('canceled');\nCREATE TABLE orders (id bigint, status order_status);",
        ],
        _ => &[],
    };
    let new: Vec<&'static str> = example.split("\n-- next migration:\n").collect();
    let mut c = case(shipped, &new);
    if !rule.on {
        enable(&mut c, rule);
    }
    match rule.id {
        "alter-enum-add-value-in-transaction" => c.pg = 11,
        "missing-lock-timeout" => c.runner_timeout = false,
        _ => {}
    }
    if rule.good == example && rule.id == "undefined-placeholder" {
        c.vars.insert(".Schema".into(), "auth".into());
    }
    c
}

/// Every SQL rule's documented example fires, and its corrected example does not
/// (at the rule's severity: a finding it downgrades to a note is not a firing) —
/// `sqlgate explain`, docs/rules.md: the documentation cannot drift from the check.
#[test]
fn every_documented_example_behaves_as_documented() {
    assert!(
        super::CHECKS.len() > 50,
        "the generated check lists are empty"
    );
    let mut wrong = Vec::new();
    for rule in super::RULES.iter().copied() {
        let fires = |c: &Case| {
            c.findings()
                .iter()
                .any(|f| f.rule == rule.id && f.severity >= rule.severity)
        };
        let bad = documented(rule, rule.bad);
        if !fires(&bad) {
            wrong.push(format!(
                "{}: the example that fires does not: {:?} ({:?})",
                rule.id,
                rule.bad,
                bad.rules()
            ));
        }
        if fires(&documented(rule, rule.good)) {
            wrong.push(format!(
                "{}: the corrected example fires: {:?}",
                rule.id, rule.good
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
