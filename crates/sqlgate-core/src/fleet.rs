//! Fleets: one migration directory applied to many targets — databases, or tenant
//! schemas in one database. The targets (from `[targets.<name>]` or a control
//! database's query), their selection (`--target`, `--shard`, `--wave`), the GitHub
//! Actions matrix that spreads them over runners, and the per-target reports merged
//! into one. Pure.

use crate::model::{Applied, ApplyReport, Failure, Finding};
use crate::Invalid;
use serde::{Deserialize, Serialize};

/// GitHub's limit on the jobs of one matrix.
pub const MAX_JOBS: usize = 256;

/// One target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    /// The environment variable holding its database URL (`None`: the control
    /// database's, for a tenant schema found by `targets.query`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    /// Schema-per-tenant: the migrations run with it first on `search_path`, and
    /// the history table lives in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// 0 = canary, applied first.
    pub wave: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// Checks a target name (letters, digits, `_`, `-`, `.`; what a file name and a
/// matrix value can carry).
pub fn check_name(name: &str) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Invalid::NotPlain {
            what: "target name",
            name: name.to_string(),
            allowed: "must be letters, digits, `_`, `-` or `.` (at most 100)",
        })
    }
}

/// Whether `var` matches one of the declared patterns of `[targets] url_env_allow`
/// (`*` stands for any run of characters, everything else is literal). A control
/// database's row may name only such a variable: its value is a database URL, and
/// no other variable of the runner (a token, an API key) is ever read for it.
pub fn url_env_allowed(var: &str, patterns: &[String]) -> bool {
    fn glob(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
            Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
        }
    }
    patterns.iter().any(|p| glob(p.as_bytes(), var.as_bytes()))
}

/// Checks a tenant schema name: a plain lower-case identifier.
pub fn check_schema(schema: &str) -> Result<(), Invalid> {
    let ok = schema
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Invalid::NotPlain {
            what: "schema",
            name: schema.to_string(),
            allowed: "must be a plain identifier: lower-case letters, digits and `_`",
        })
    }
}

/// The targets a run selects: `names` (from `--target`, `--targets` or `--shard`,
/// comma-separated) and/or a wave; every target when neither is given. Unknown names
/// are an error listing the known ones.
pub fn select<'a>(
    all: &'a [Target],
    names: &[String],
    wave: Option<u32>,
) -> Result<Vec<&'a Target>, String> {
    for n in names {
        if !all.iter().any(|t| &t.name == n) {
            let known: Vec<&str> = all.iter().map(|t| t.name.as_str()).take(20).collect();
            return Err(format!(
                "no target is called `{n}` (targets: {}{})",
                known.join(", "),
                if all.len() > 20 { ", …" } else { "" }
            ));
        }
    }
    Ok(all
        .iter()
        .filter(|t| names.is_empty() || names.contains(&t.name))
        .filter(|t| wave.is_none_or(|w| t.wave == w))
        .collect())
}

/// Splits comma-separated names (`--targets a,b`, a matrix entry's `shard`).
pub fn names(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// One matrix entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shard {
    pub shard: String,
    pub wave: u32,
}

/// The `strategy.matrix` for the targets: entries of up to `per_job` targets of one
/// wave each. When that would make more than [`MAX_JOBS`] entries, shards are made
/// wider; the second value says so.
pub fn matrix(targets: &[&Target], per_job: usize) -> (Vec<Shard>, Option<String>) {
    let per_job = per_job.max(1);
    let mut waves: Vec<u32> = targets.iter().map(|t| t.wave).collect();
    waves.sort_unstable();
    waves.dedup();
    let jobs = |n: usize| -> usize {
        waves
            .iter()
            .map(|w| targets.iter().filter(|t| t.wave == *w).count().div_ceil(n))
            .sum()
    };
    let mut n = per_job;
    while jobs(n) > MAX_JOBS {
        n += 1;
    }
    let note = (n != per_job).then(|| {
        format!(
            "{} targets in shards of {per_job} would make {} jobs, over GitHub's limit of {MAX_JOBS} per matrix: shards of {n} instead",
            targets.len(),
            jobs(per_job)
        )
    });
    let mut out = Vec::new();
    for w in waves {
        let of_wave: Vec<&str> = targets
            .iter()
            .filter(|t| t.wave == w)
            .map(|t| t.name.as_str())
            .collect();
        for chunk in of_wave.chunks(n) {
            out.push(Shard {
                shard: chunk.join(","),
                wave: w,
            });
        }
    }
    (out, note)
}

/// How a target's apply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Could not be reached or configured (missing URL, connection refused, …).
    Error,
    /// A migration failed.
    Failed,
    /// The pre-flight or the history refused (nothing applied).
    Refused,
    /// Stopped by SIGTERM/SIGINT.
    Interrupted,
    /// Not started (`--fail-fast` after another target failed).
    Skipped,
    Applied,
    UpToDate,
}

/// One target's apply report (`<target>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetReport {
    pub version: u32,
    pub target: String,
    pub wave: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub outcome: Outcome,
    pub applied: Vec<String>,
    pub pending: usize,
    pub duration_ms: u64,
    /// The first error: `file:line:col: message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TargetReport {
    /// A report from an apply's result.
    pub fn of(target: &Target, rep: &ApplyReport, duration_ms: u64, dir: &str) -> TargetReport {
        let failure = |f: &Failure| {
            format!(
                "{}:{}:{}: {}",
                crate::catalog::display_path(dir, &f.file),
                f.line,
                f.column,
                f.message
            )
        };
        let blocker = |b: &Finding| format!("{}:{}: {} {}", b.file, b.line, b.rule, b.message);
        let outcome = if rep.failure.is_some() {
            Outcome::Failed
        } else if rep.interrupted {
            Outcome::Interrupted
        } else if !rep.blockers.is_empty() {
            Outcome::Refused
        } else if rep.applied.is_empty() {
            Outcome::UpToDate
        } else {
            Outcome::Applied
        };
        TargetReport {
            version: 1,
            target: target.name.clone(),
            wave: target.wave,
            schema: target.schema.clone(),
            outcome,
            applied: rep
                .applied
                .iter()
                .map(|a: &Applied| a.name.clone())
                .collect(),
            pending: rep.pending_after,
            duration_ms,
            error: rep
                .failure
                .as_ref()
                .map(failure)
                .or_else(|| rep.blockers.first().map(blocker)),
        }
    }

    /// A target that could not be run at all.
    pub fn error(target: &Target, outcome: Outcome, message: String) -> TargetReport {
        TargetReport {
            version: 1,
            target: target.name.clone(),
            wave: target.wave,
            schema: target.schema.clone(),
            outcome,
            applied: Vec::new(),
            pending: 0,
            duration_ms: 0,
            error: Some(message),
        }
    }

    pub fn ok(&self) -> bool {
        matches!(self.outcome, Outcome::Applied | Outcome::UpToDate)
    }
}

/// Orders reports most serious first, then by wave and name.
pub fn merge(mut reports: Vec<TargetReport>) -> Vec<TargetReport> {
    reports.sort_by(|a, b| (a.outcome, a.wave, &a.target).cmp(&(b.outcome, b.wave, &b.target)));
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, wave: u32) -> Target {
        Target {
            name: name.into(),
            url_env: None,
            schema: Some(name.into()),
            wave,
            environment: None,
        }
    }

    #[test]
    fn the_matrix_keeps_waves_apart_and_under_256_jobs() {
        let all: Vec<Target> = (0..600)
            .map(|i| t(&format!("t{i}"), u32::from(i >= 3)))
            .collect();
        let refs: Vec<&Target> = all.iter().collect();
        let (m, note) = matrix(&refs, 1);
        assert!(m.len() <= MAX_JOBS, "{}", m.len());
        assert!(note.is_some_and(|n| n.contains("256")));
        let total: usize = m.iter().map(|s| s.shard.split(',').count()).sum();
        assert_eq!(total, 600);
        assert!(m.iter().all(|s| s.shard.split(',').all(|n| {
            let i: usize = n[1..].parse().unwrap_or(0);
            (i >= 3) == (s.wave == 1)
        })));
        let (m, note) = matrix(&refs[..10], 4);
        assert_eq!(note, None);
        assert_eq!(
            m.iter().map(|s| s.shard.as_str()).collect::<Vec<_>>(),
            ["t0,t1,t2", "t3,t4,t5,t6", "t7,t8,t9"]
        );
    }

    #[test]
    fn selection_and_names() {
        let all = vec![t("a", 0), t("b", 1), t("c", 1)];
        assert_eq!(select(&all, &names("a, c"), None).map(|v| v.len()), Ok(2));
        assert_eq!(select(&all, &[], Some(1)).map(|v| v.len()), Ok(2));
        assert!(select(&all, &names("zz"), None).is_err_and(|e| e.contains("a, b, c")));
        assert!(
            check_name("eu-west.1").is_ok()
                && check_name("a b").is_err()
                && check_name("../x").is_err()
        );
        assert!(
            check_schema("tenant_1").is_ok()
                && check_schema("Tenant").is_err()
                && check_schema("a;b").is_err()
        );
    }
}
