//! Preview databases (`sqlgate preview`): their names (validated identifiers, never
//! built from branch names), the record sqlgate keeps of each one in its registry (a
//! table pull-request SQL cannot write; without a record sqlgate never drops or
//! alters a database), what an `up` has to do (create, update in place, rebuild,
//! nothing), and the report of a run. Pure.

use crate::catalog::Catalog;
use crate::model::{Failure, Finding, Record, Step};
use crate::plan::plan;
use crate::Invalid;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The default name prefix (`[preview] prefix`).
pub const DEFAULT_PREFIX: &str = "sqlgate_preview";

/// The longest preview name: room is left for the build suffix within PostgreSQL's
/// 63-byte identifiers.
pub const MAX_NAME: usize = 48;

/// What the comment of a preview database starts with.
const MARKER_TAG: &str = "sqlgate-preview:v1 ";

/// Checks a name (or prefix): lower-case letters, digits and `_`, starting with a
/// letter or `_`, at most [`MAX_NAME`] bytes — so it never needs quoting and cannot
/// carry SQL.
pub fn check_name(what: &'static str, name: &str) -> Result<(), Invalid> {
    let ok_start = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if name.is_empty() || !ok_start || !ok_chars {
        return Err(Invalid::NotPlain {
            what,
            name: name.to_string(),
            allowed: "is not a plain identifier: use lower-case letters, digits and `_`, starting with a letter",
        });
    }
    if name.len() > MAX_NAME {
        return Err(Invalid::TooLong {
            what,
            name: name.to_string(),
            max: MAX_NAME,
        });
    }
    Ok(())
}

/// The preview's database name: `--name`, or `<prefix>_pr_<number>`.
pub fn name(prefix: &str, pr: Option<u64>, explicit: Option<&str>) -> Result<String, Invalid> {
    if let Some(n) = explicit {
        check_name("the preview name", n)?;
        return Ok(n.to_string());
    }
    check_name("the preview prefix", prefix)?;
    let Some(pr) = pr else {
        return Err(Invalid::Missing {
            hint: "which preview? Give --pr <number> (or --name); under `sqlgate ci` the pull request's number is used",
        });
    };
    let n = format!("{prefix}_pr_{pr}");
    check_name("the preview name", &n)?;
    Ok(n)
}

/// The name a build is made under before it is renamed into place.
pub fn build_name(name: &str, nonce: &str) -> String {
    format!("{name}__build_{nonce}")
}

/// What sqlgate's registry records of a preview database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Marker {
    /// The preview's name (a build carries the name it will get).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// SHA-256 over the applied migrations' versions and checksums.
    pub migrations: String,
    /// When the current build was made (RFC 3339, UTC): `gc --older-than` counts
    /// from here.
    pub built_at: String,
    /// Still being built (a leftover of a killed run when old).
    #[serde(default)]
    pub building: bool,
    /// The role sqlgate created for it (dropped with it), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Marker {
    /// The database comment.
    pub fn to_comment(&self) -> String {
        format!(
            "{MARKER_TAG}{}",
            serde_json::to_string(self).unwrap_or_default()
        )
    }

    /// The marker in a database comment; `None` for any other comment.
    pub fn parse(comment: &str) -> Option<Marker> {
        serde_json::from_str(comment.strip_prefix(MARKER_TAG)?).ok()
    }
}

/// The digest of what a catalog's migrations are (versions and checksums).
pub fn digest(cat: &Catalog) -> String {
    let mut h = sha2::Sha256::new();
    for m in cat.migrations.iter().chain(&cat.repeatables) {
        h.update(m.history_key().as_bytes());
        h.update(b":");
        h.update(m.checksum().as_bytes());
        h.update(b"\n");
    }
    format!("{:x}", h.finalize())
}

/// What `preview up` does to an existing preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// No preview yet: build one.
    Create,
    /// Every recorded migration is unchanged: apply the new ones in place.
    Update(usize),
    /// Nothing to do.
    UpToDate,
    /// An applied migration was edited, removed, renumbered or failed: build anew.
    Rebuild(Vec<String>),
}

/// Decides from the preview's history what `up` does.
pub fn decide(cat: &Catalog, history: Option<&[Record]>, dir: &str) -> Action {
    let Some(rows) = history else {
        return Action::Create;
    };
    let p = plan(cat, rows, dir, false);
    if !p.blockers.is_empty() {
        return Action::Rebuild(p.blockers.iter().map(|f| f.message.clone()).collect());
    }
    match p.pending.len() + p.pending_repeatables.len() {
        0 => Action::UpToDate,
        n => Action::Update(n),
    }
}

/// What a preview run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PreviewReport {
    pub name: String,
    /// `created`, `updated`, `rebuilt`, `up-to-date`, `dropped`, `failed`.
    pub action: String,
    /// Why it was rebuilt.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The database URL for the preview, password masked.
    pub url: String,
    /// The migrations applied, with their durations.
    pub applied: Vec<crate::model::Applied>,
    /// Each statement's duration, locks and rewrites.
    pub steps: Vec<Step>,
    /// The schema the change makes, against the base branch's migrations.
    pub schema_diff: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// What refused to apply (the pre-flight).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<Finding>,
    /// The template it was copied from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    pub elapsed_ms: u64,
}

/// One preview as `preview list` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Listed {
    pub database: String,
    pub marker: Marker,
    pub size_bytes: i64,
}

/// The previews `gc` removes: older than `max_age_secs` (from their build time), of
/// a closed pull request, or builds left over by killed runs (older than an hour).
pub fn garbage<'a>(
    previews: &'a [Listed],
    now_secs: i64,
    max_age_secs: Option<i64>,
    closed: &[u64],
) -> Vec<&'a Listed> {
    previews
        .iter()
        .filter(|p| {
            let age = parse_time(&p.marker.built_at).map(|t| now_secs - t);
            let old = |limit: i64| age.is_some_and(|a| a > limit);
            (p.marker.building && old(3600))
                || max_age_secs.is_some_and(old)
                || p.marker.pr.is_some_and(|n| closed.contains(&n))
        })
        .collect()
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-11-30T17:05:00Z`).
pub fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_identifiers() {
        assert_eq!(
            name("sqlgate_preview", Some(12), None).as_deref(),
            Ok("sqlgate_preview_pr_12")
        );
        assert_eq!(
            name("x", None, Some("my_preview")).as_deref(),
            Ok("my_preview")
        );
        for bad in [
            "a\"b",
            "a b",
            "A",
            "1abc",
            "",
            "x'; drop database y; --",
            &"a".repeat(100),
            "a-b",
        ] {
            assert!(name("p", None, Some(bad)).is_err(), "{bad:?}");
            assert!(name(bad, Some(1), None).is_err(), "prefix {bad:?}");
        }
        assert!(name("p", None, None).is_err());
    }

    #[test]
    fn the_marker_round_trips_and_nothing_else_parses() {
        let m = Marker {
            name: "p_pr_1".into(),
            pr: Some(1),
            head: Some("abc".into()),
            migrations: "d".into(),
            built_at: "2026-11-30T10:00:00Z".into(),
            building: false,
            role: None,
        };
        assert_eq!(Marker::parse(&m.to_comment()), Some(m));
        assert_eq!(Marker::parse("production database, do not drop"), None);
        assert_eq!(Marker::parse("sqlgate-preview:v1 not json"), None);
    }

    #[test]
    fn gc_picks_old_closed_and_abandoned_builds() {
        let at = |t: &str, pr: u64, building: bool| Listed {
            database: format!("p_{pr}"),
            marker: Marker {
                name: format!("p_{pr}"),
                pr: Some(pr),
                built_at: t.into(),
                building,
                ..Default::default()
            },
            size_bytes: 0,
        };
        let now = parse_time("2026-11-30T12:00:00Z").unwrap_or_default();
        let list = vec![
            at("2026-11-20T12:00:00Z", 1, false),
            at("2026-11-30T11:00:00Z", 2, false),
            at("2026-11-30T11:59:00Z", 3, true),
            at("2026-11-30T09:00:00Z", 4, true),
            at("2026-11-30T11:30:00Z", 5, false),
        ];
        let names = |g: Vec<&Listed>| {
            g.iter()
                .map(|l| l.marker.pr.unwrap_or(0))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(garbage(&list, now, Some(7 * 86400), &[5])), [1, 4, 5]);
        assert_eq!(names(garbage(&list, now, None, &[])), [4]);
    }
}
