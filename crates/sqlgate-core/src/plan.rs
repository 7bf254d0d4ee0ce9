//! What `apply` would do: the catalog compared with the history table's records —
//! which migrations are applied, pending, modified, missing or failed, and what must
//! stop an apply (`checksum-mismatch`, `missing-file`, `failed-migration`,
//! `out-of-order`). Pure.

use crate::catalog::{display_path, Catalog, Migration, Version};
use crate::model::{Finding, Record, RecordStatus, State, StatusLine};
use crate::rules::database::{CHECKSUM_MISMATCH, FAILED_MIGRATION, MISSING_FILE};
use crate::rules::history::OUT_OF_ORDER;
use std::collections::HashMap;

/// What `apply` would do, and what stops it.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub pending: Vec<&'a Migration>,
    /// `checksum-mismatch`, `missing-file`, `failed-migration`, `out-of-order`.
    pub blockers: Vec<Finding>,
    pub status: Vec<StatusLine>,
}

/// Compares the catalog with the history rows.
pub fn plan<'a>(
    cat: &'a Catalog,
    rows: &[Record],
    dir: &str,
    allow_out_of_order: bool,
) -> Plan<'a> {
    let mut out = Plan::default();
    let by_version: HashMap<&str, &Migration> = cat
        .migrations
        .iter()
        .map(|m| (m.version.canonical(), m))
        .collect();
    let recorded: HashMap<&str, &Record> = rows.iter().map(|r| (r.version.as_str(), r)).collect();
    let baseline = rows
        .iter()
        .filter(|r| r.status == RecordStatus::Baseline)
        .filter_map(|r| Version::from_digits(&r.version))
        .max();
    let max_applied = rows
        .iter()
        .filter_map(|r| Version::from_digits(&r.version))
        .max();
    for r in rows {
        match by_version.get(r.version.as_str()) {
            None if r.status != RecordStatus::Baseline => {
                out.blockers.push(Finding::new(
                    &MISSING_FILE,
                    display_path(dir, &r.name),
                    format!(
                        "version {} ({}) is recorded as {} in the database but has no file",
                        r.version, r.name, r.status
                    ),
                ));
                out.status.push(line(r, State::Missing));
            }
            None => out.status.push(line(r, State::Baseline)),
            Some(m) if r.status == RecordStatus::Failed => {
                out.blockers.push(
                    Finding::new(
                        &FAILED_MIGRATION,
                        display_path(dir, &m.up.path),
                        format!(
                            "{} failed part-way ({} statements ran): {}",
                            m.name,
                            r.statements_done.unwrap_or(0),
                            r.error.as_deref().unwrap_or("no error recorded")
                        ),
                    )
                    .version(m.version.raw()),
                );
                out.status.push(line(r, State::Failed));
            }
            Some(m) if r.status == RecordStatus::Applied && r.checksum != m.checksum() => {
                out.blockers.push(
                    Finding::new(
                        &CHECKSUM_MISMATCH,
                        display_path(dir, &m.up.path),
                        format!(
                            "{} was applied with checksum {}…, the file now has {}…",
                            m.name,
                            &r.checksum[..r.checksum.len().min(12)],
                            &m.checksum()[..12]
                        ),
                    )
                    .version(m.version.raw()),
                );
                out.status.push(line(r, State::Modified));
            }
            Some(_) => out.status.push(line(
                r,
                if r.status == RecordStatus::Baseline {
                    State::Baseline
                } else {
                    State::Applied
                },
            )),
        }
    }
    for m in &cat.migrations {
        let v = m.version.canonical();
        if recorded.contains_key(v) || baseline.as_ref().is_some_and(|b| &m.version <= b) {
            if !recorded.contains_key(v) {
                out.status.push(StatusLine {
                    version: m.version.raw().into(),
                    name: m.name.clone(),
                    state: State::Baseline,
                    applied_at: None,
                    execution_ms: None,
                });
            }
            continue;
        }
        if let Some(max) = &max_applied {
            if &m.version < max && !allow_out_of_order {
                out.blockers.push(
                    Finding::new(
                        &OUT_OF_ORDER,
                        display_path(dir, &m.up.path),
                        format!(
                            "{} is pending but the database already has version {max}",
                            m.name
                        ),
                    )
                    .version(m.version.raw()),
                );
            }
        }
        out.pending.push(m);
        out.status.push(StatusLine {
            version: m.version.raw().into(),
            name: m.name.clone(),
            state: State::Pending,
            applied_at: None,
            execution_ms: None,
        });
    }
    out.status.sort_by(|a, b| {
        let va = Version::from_digits(&a.version);
        let vb = Version::from_digits(&b.version);
        va.cmp(&vb)
    });
    out
}

fn line(r: &Record, state: State) -> StatusLine {
    StatusLine {
        version: r.version.clone(),
        name: r.name.clone(),
        state,
        applied_at: Some(r.applied_at.clone()),
        execution_ms: Some(r.execution_ms),
    }
}
