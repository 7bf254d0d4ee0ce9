//! `001_x.sql`: plain files (seeds 000, 001, 003), one file with `-- UP` / `-- DOWN`
//! sections (seed 004, dbmate; goose's `-- +goose Up`), or a `001_x_rollback.sql`
//! sibling as the down (seed 002).

use super::{strip_suffix_ci, Hints, Role, Scheme};
use crate::model::Layout;

pub struct Flat;

impl Scheme for Flat {
    fn name(&self) -> &'static str {
        "flat `.sql` files"
    }

    fn rank(&self) -> u8 {
        2
    }

    fn classify(&self, path: &str) -> Option<(Role, String)> {
        if path.contains('/') {
            return None;
        }
        if let Some(stem) = strip_suffix_ci(path, "_rollback.sql")
            .or_else(|| strip_suffix_ci(path, ".rollback.sql"))
        {
            Some((Role::Rollback, stem.to_string()))
        } else {
            strip_suffix_ci(path, ".sql").map(|stem| (Role::Up, stem.to_string()))
        }
    }

    fn has_markers(&self) -> bool {
        true
    }

    fn layout(&self, hints: Hints) -> Layout {
        if hints.rollback {
            Layout::Rollback
        } else if hints.goose {
            Layout::Goose
        } else if hints.markers {
            Layout::Markers
        } else {
            Layout::Flat
        }
    }

    fn names(&self, layout: Layout) -> bool {
        matches!(
            layout,
            Layout::Flat | Layout::Markers | Layout::Rollback | Layout::Goose
        )
    }
}
