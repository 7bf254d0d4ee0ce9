//! Table sizes from production (`sqlgate stats export`): the snapshot's format and
//! checks, and how sizes change the verdict of the rules whose harm grows with the
//! table (`Rule::sized`: locks, rewrites and scans of existing tables). A small table
//! makes such a finding info ("small table"); every such finding names the table's
//! size and, for rewrites, index builds and scans, an order of magnitude of the time;
//! a table missing from the snapshot keeps its verdict and says so. Other rules never
//! depend on size. Pure.

use crate::model::{Claim, Finding, Severity};
use crate::sql::{self, names};
use crate::Invalid;
use pg_query::NodeEnum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The snapshot format this build reads and writes.
pub const FORMAT: u32 = 1;

/// A size snapshot: what `sqlgate stats export` writes (docs/schema/stats.json). No
/// row values, no roles, no connection details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format: u32,
    /// The server's version, e.g. `15.18`.
    pub server_version: String,
    /// When it was exported (RFC 3339, UTC).
    pub exported_at: String,
    pub tables: Vec<TableStats>,
}

/// One table's size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableStats {
    pub schema: String,
    pub name: String,
    /// Estimated rows (`reltuples`; -1 when never analysed).
    pub rows: i64,
    pub total_bytes: i64,
    pub table_bytes: i64,
    pub index_bytes: i64,
    /// Rows inserted, updated and deleted per second since the statistics were reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes_per_second: Option<f64>,
}

/// The table a finding is about, with its size (`findings[].table` in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableSize {
    pub name: String,
    pub rows: i64,
    pub bytes: i64,
    /// An order of magnitude of the time the statement holds its lock, with its
    /// assumption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<String>,
    /// What the scratch replay measured on a sample of the table (`[stats]
    /// replay_rows`), scaled to the snapshot's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<String>,
}

/// What counts as small and large, and the throughputs estimates assume (`[stats]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub small_rows: i64,
    pub small_bytes: i64,
    pub large_rows: i64,
    pub large_bytes: i64,
    pub rewrite_mb_per_s: f64,
    pub index_mb_per_s: f64,
    pub scan_mb_per_s: f64,
    /// `replay_rows`: rows the scratch replay puts in each table the change locks,
    /// rewrites or scans before it runs (0: none).
    pub replay_rows: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            small_rows: 100_000,
            small_bytes: 10 << 20,
            large_rows: 10_000_000,
            large_bytes: 1 << 30,
            rewrite_mb_per_s: 50.0,
            index_mb_per_s: 50.0,
            scan_mb_per_s: 200.0,
            replay_rows: 0,
        }
    }
}

/// Reads a snapshot; a corrupt, truncated or newer one is refused.
pub fn parse(text: &str) -> Result<Snapshot, Invalid> {
    let snap: Snapshot = serde_json::from_str(text)
        .map_err(|e| Invalid::Body(format!("not a sqlgate size snapshot: {e}")))?;
    if snap.format != FORMAT {
        return Err(Invalid::Body(format!(
            "size snapshot format {} (this sqlgate reads format {FORMAT}): export it again with this version",
            snap.format
        )));
    }
    if snap
        .tables
        .iter()
        .any(|t| t.total_bytes < 0 || t.name.is_empty())
    {
        return Err(Invalid::Body(
            "the size snapshot has a table without a name or with a negative size".into(),
        ));
    }
    Ok(snap)
}

/// `12.3 GB`, `480 kB`.
fn bytes(n: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = n.max(0) as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// `~310 M rows`.
fn rows(n: i64) -> String {
    match n {
        n if n < 0 => "rows unknown (never analysed)".into(),
        n if n >= 1_000_000 => format!("~{:.1} M rows", n as f64 / 1e6),
        n if n >= 10_000 => format!("~{} k rows", n / 1000),
        n => format!("~{n} rows"),
    }
}

/// An order of magnitude of `secs`.
fn duration(secs: f64) -> String {
    match secs {
        s if s < 1.0 => "under a second".into(),
        s if s < 90.0 => format!("about {:.0} s", s),
        s if s < 5400.0 => format!("about {:.0} minutes", s / 60.0),
        s => format!("about {:.1} hours", s / 3600.0),
    }
}

/// The existing table a statement locks, rewrites or scans, as `schema.name`, and
/// whether the statement builds an index.
#[cfg(test)]
fn table_of(statement: &str) -> Option<String> {
    target(statement).map(|(t, _)| t)
}

fn target(statement: &str) -> Option<(String, bool)> {
    let parsed = sql::parse(statement, &BTreeMap::new(), 1);
    let stmt = parsed.statements.first()?;
    let builds_index = matches!(stmt.node, NodeEnum::IndexStmt(_) | NodeEnum::ReindexStmt(_)) || {
        let upper = statement.to_ascii_uppercase();
        upper.contains("UNIQUE") || upper.contains("PRIMARY KEY") || upper.contains("EXCLUDE")
    };
    let rv = match &stmt.node {
        NodeEnum::IndexStmt(s) => s.relation.as_ref(),
        NodeEnum::AlterTableStmt(s) => s.relation.as_ref(),
        NodeEnum::ClusterStmt(s) => s.relation.as_ref(),
        NodeEnum::ReindexStmt(s) => s.relation.as_ref(),
        NodeEnum::RefreshMatViewStmt(s) => s.relation.as_ref(),
        NodeEnum::VacuumStmt(v) => crate::sql::ast::nodes(&v.rels).find_map(|r| match r {
            NodeEnum::VacuumRelation(vr) => vr.relation.as_ref(),
            _ => None,
        }),
        NodeEnum::LockStmt(l) => crate::sql::ast::nodes(&l.relations).find_map(|r| match r {
            NodeEnum::RangeVar(rv) => Some(rv),
            _ => None,
        }),
        _ => None,
    }?;
    let schema = if rv.schemaname.is_empty() {
        "public".to_string()
    } else {
        rv.schemaname.to_lowercase()
    };
    Some((
        format!("{schema}.{}", rv.relname.to_lowercase()),
        builds_index,
    ))
}

/// Judges the size-dependent findings with the snapshot.
pub fn apply(findings: &mut [Finding], snap: &Snapshot, t: &Thresholds) {
    let by_name: BTreeMap<String, &TableStats> = snap
        .tables
        .iter()
        .map(|s| {
            (
                format!("{}.{}", s.schema.to_lowercase(), s.name.to_lowercase()),
                s,
            )
        })
        .collect();
    for f in findings.iter_mut().filter(|f| f.rule.rule().sized) {
        let Some((key, builds_index)) = f.statement.as_deref().and_then(target) else {
            continue;
        };
        let shown = names::show(key.strip_prefix("public.").unwrap_or(&key));
        let Some(s) = by_name.get(&key) else {
            f.message
                .push_str(&format!(" ({shown} is not in the size snapshot)"));
            continue;
        };
        let mb = s.total_bytes as f64 / (1024.0 * 1024.0);
        let rule = f.rule.rule();
        let throughput = if rule.claim == Claim::Rewrite {
            (t.rewrite_mb_per_s, "rewrite")
        } else if builds_index {
            (t.index_mb_per_s, "index build")
        } else {
            (t.scan_mb_per_s, "scan")
        };
        let estimate = Some(throughput);
        let estimate = estimate.map(|(mbps, what)| {
            format!(
                "{} ({what} at {mbps:.0} MB/s, `[stats]`)",
                duration(mb / mbps.max(0.001))
            )
        });
        let small = s.rows >= 0 && s.rows < t.small_rows && s.total_bytes < t.small_bytes;
        let large = s.rows >= t.large_rows || s.total_bytes >= t.large_bytes;
        let size = format!("{} ({}, {})", shown, rows(s.rows), bytes(s.total_bytes));
        if small {
            f.severity = Severity::Info;
            f.message = format!("small table {size}: {}", f.message);
        } else {
            f.message.push_str(&format!(" — {size}"));
            if let Some(e) = &estimate {
                f.message.push_str(&format!("; {e}"));
            }
            if large {
                f.message.push_str(" — a large table");
            }
        }
        f.table = Some(TableSize {
            name: key,
            rows: s.rows,
            bytes: s.total_bytes,
            estimate,
            measured: None,
        });
    }
}

/// The tables the change's statements lock, rewrite or scan that the snapshot knows,
/// each with the rows to fill it with (`rows`, at most its production rows) and its
/// production rows, as `"schema"."table"`.
pub fn fills(
    cat: &crate::catalog::Catalog,
    is_new: &dyn Fn(&crate::catalog::Migration) -> bool,
    vars: &BTreeMap<String, String>,
    snap: &Snapshot,
    rows: i64,
) -> Vec<(String, i64, i64)> {
    let mut out: Vec<(String, i64, i64)> = Vec::new();
    for m in cat.migrations.iter().filter(|m| is_new(m)) {
        let parsed = sql::parse(&m.up.text, vars, m.up.first_line);
        for stmt in &parsed.statements {
            let Some((key, _)) = target(parsed.text(stmt)) else {
                continue;
            };
            let Some(t) = snap
                .tables
                .iter()
                .find(|t| format!("{}.{}", t.schema.to_lowercase(), t.name.to_lowercase()) == key)
            else {
                continue;
            };
            let quoted = format!(
                "{}.{}",
                crate::sql::names::ident(&t.schema),
                crate::sql::names::ident(&t.name)
            );
            if t.rows > 0 && !out.iter().any(|(q, ..)| *q == quoted) {
                out.push((quoted, rows.min(t.rows), t.rows));
            }
        }
    }
    out
}

/// With a replay that filled the tables (`replay_rows`): each sized finding whose
/// statement the replay timed on a sample says what it measured and what that means
/// at the snapshot's size.
pub fn measured(findings: &mut [Finding], replay: Option<&crate::model::Replay>) {
    let Some(replay) = replay else { return };
    for f in findings.iter_mut().filter(|f| f.rule.rule().sized) {
        let Some(table) = f.table.as_mut() else {
            continue;
        };
        let unquoted = |q: &str| q.replace('"', "").to_lowercase();
        let Some(sample) = replay
            .samples
            .iter()
            .find(|s| unquoted(&s.table) == table.name)
        else {
            continue;
        };
        if sample.rows <= 0 {
            let why = sample.error.as_deref().unwrap_or("no rows");
            f.message.push_str(&format!(
                " (the replay could not fill {} with sample rows: {why})",
                names::show(table.name.strip_prefix("public.").unwrap_or(&table.name))
            ));
            continue;
        }
        let Some(step) = replay
            .steps
            .iter()
            .find(|s| s.file == f.file && s.line <= f.line && f.line <= s.end_line)
        else {
            continue;
        };
        let scale = sample.production_rows as f64 / sample.rows as f64;
        let text = format!(
            "measured in the replay: {:.0} ms on {} generated rows, so {} at {}",
            step.duration_ms,
            sample.rows,
            duration(step.duration_ms / 1000.0 * scale),
            rows(sample.production_rows)
        );
        f.message.push_str(&format!("; {text}"));
        table.measured = Some(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_and_future_snapshots_are_refused() {
        assert!(parse("{").is_err());
        assert!(parse(
            r#"{"format": 2, "server_version": "15", "exported_at": "x", "tables": []}"#
        )
        .is_err());
        assert!(parse(
            r#"{"format": 1, "server_version": "15", "exported_at": "x", "tables": []}"#
        )
        .is_ok());
        assert!(parse(
            r#"{"format": 1, "server_version": "15", "exported_at": "x", "tables": [], "extra": 1}"#
        )
        .is_err());
    }

    #[test]
    fn the_statement_names_its_table() {
        assert_eq!(
            table_of("CREATE INDEX i ON Orders (a)").as_deref(),
            Some("public.orders")
        );
        assert_eq!(
            table_of("ALTER TABLE s.t ADD COLUMN c int").as_deref(),
            Some("s.t")
        );
        assert_eq!(table_of("SELECT 1"), None);
        assert_eq!(duration(240.0), "about 4 minutes");
        assert_eq!(bytes(48 << 30), "48.0 GB");
    }
}
