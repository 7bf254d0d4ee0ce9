//! How each layout names its files, one file per naming scheme behind [`Scheme`]:
//! `flat` (`001_x.sql`, also the markers and rollback-sibling layouts), `pairs`
//! (`001_x.up.sql` + `.down.sql`), `folders` (`<version>_<name>/up.sql`). Adding a
//! layout: a file here, a line in [`SCHEMES`], a variant of `model::Layout`.

mod flat;
mod flyway;
mod folders;
mod pairs;

use crate::model::Layout;

/// What a file is to its migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Up,
    Down,
    /// A `_rollback` sibling: the down of a flat migration.
    Rollback,
    /// A folder's `metadata.toml`.
    Meta,
    /// A Flyway repeatable migration (`R__x.sql`): no version, re-applied whenever
    /// it changes.
    Repeatable,
}

/// What the files of a directory showed about its layout.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints {
    /// Some file has `-- UP` / `-- DOWN` sections.
    pub markers: bool,
    /// Some down file is a `_rollback` sibling.
    pub rollback: bool,
    /// The sections are goose's `-- +goose Up` / `Down`.
    pub goose: bool,
}

/// A layout's naming scheme.
pub trait Scheme: Sync {
    /// How messages name the scheme: "flat `.sql` files".
    fn name(&self) -> &'static str;
    /// When two schemes name as many files of a directory, the lower rank wins.
    fn rank(&self) -> u8;
    /// The role of a file and the stem it shares with the other files of its
    /// migration, when this scheme names it.
    fn classify(&self, path: &str) -> Option<(Role, String)>;
    /// True when a dialect suffix (`.postgres`, `.mysql`) may end the stem.
    fn has_dialects(&self) -> bool {
        true
    }
    /// True when up files may hold `-- UP` / `-- DOWN` sections.
    fn has_markers(&self) -> bool {
        false
    }
    /// Version and description of a migration's stem.
    fn parse_name(&self, stem: &str) -> Result<(crate::catalog::Version, String), crate::Invalid> {
        super::parse_name(stem)
    }
    /// The layout of a directory in this scheme.
    fn layout(&self, hints: Hints) -> Layout;
    /// True when this scheme names the files of `layout`.
    fn names(&self, layout: Layout) -> bool;
}

/// Every scheme, in the order they are asked to classify a path (the first that
/// recognises it wins).
pub static SCHEMES: &[&dyn Scheme] = &[
    &flyway::Flyway,
    &pairs::Pairs,
    &flat::Flat,
    &folders::Folders,
];

/// The scheme a path belongs to (its index in [`SCHEMES`]), its role and stem.
pub fn classify(path: &str) -> Option<(usize, Role, String)> {
    SCHEMES
        .iter()
        .enumerate()
        .find_map(|(i, s)| s.classify(path).map(|(role, stem)| (i, role, stem)))
}

/// The scheme of a forced layout.
pub fn of(layout: Layout) -> usize {
    SCHEMES
        .iter()
        .position(|s| s.names(layout))
        .unwrap_or_default()
}

/// `name` without `suffix`, compared case-insensitively.
pub fn strip_suffix_ci<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    let n = name.len().checked_sub(suffix.len())?;
    if name.is_char_boundary(n) && name[n..].eq_ignore_ascii_case(suffix) {
        Some(&name[..n])
    } else {
        None
    }
}
