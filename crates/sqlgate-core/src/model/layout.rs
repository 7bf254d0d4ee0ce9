//! The layouts a migration directory can have and its numbering policies.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a directory stores its migrations (docs/layouts.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `001_x.sql`, no down.
    Flat,
    /// One file with `-- UP` / `-- DOWN` (or dbmate's `-- migrate:up/down`) sections.
    Markers,
    /// `001_x.up.sql` + `001_x.down.sql`.
    Pairs,
    /// `001_x.sql` + `001_x_rollback.sql`.
    Rollback,
    /// `<version>_<name>/up.sql` + `down.sql`.
    Folders,
    /// Flyway: `V1.2__x.sql`, `U1.2__x.sql` (undo, the down), `R__x.sql` (repeatable).
    Flyway,
    /// goose: one file with `-- +goose Up` / `-- +goose Down` sections.
    Goose,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Flat => "flat",
            Layout::Markers => "markers",
            Layout::Pairs => "pairs",
            Layout::Rollback => "rollback",
            Layout::Folders => "folders",
            Layout::Flyway => "flyway",
            Layout::Goose => "goose",
        }
    }

    /// One line for help texts.
    pub fn description(self) -> &'static str {
        match self {
            Layout::Flat => "`001_x.sql`, no down",
            Layout::Markers => {
                "One file with `-- UP` / `-- DOWN` (or dbmate's `-- migrate:up/down`) sections"
            }
            Layout::Pairs => "`001_x.up.sql` + `001_x.down.sql`",
            Layout::Rollback => "`001_x.sql` + `001_x_rollback.sql`",
            Layout::Folders => "`<version>_<name>/up.sql` + `down.sql`",
            Layout::Flyway => {
                "Flyway's `V1__x.sql`, `U1__x.sql` (undo) and `R__x.sql` (repeatable)"
            }
            Layout::Goose => "goose's `-- +goose Up` / `-- +goose Down` sections",
        }
    }

    /// True when the layout has a place for down SQL.
    pub fn has_down(self) -> bool {
        self != Layout::Flat
    }
}

/// How versions are numbered, which decides what a gap means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Numbering {
    /// Every integer from the first version up must be present.
    Sequential,
    /// Gaps allowed; order and uniqueness still count.
    Sparse,
    /// Versions are timestamps: only order and uniqueness count.
    Timestamp,
}

impl Numbering {
    pub fn as_str(self) -> &'static str {
        match self {
            Numbering::Sequential => "sequential",
            Numbering::Sparse => "sparse",
            Numbering::Timestamp => "timestamp",
        }
    }

    /// One line for help texts.
    pub fn description(self) -> &'static str {
        match self {
            Numbering::Sequential => "Every integer from the first version up must be present",
            Numbering::Sparse => "Gaps allowed; order and uniqueness still count",
            Numbering::Timestamp => "Versions are timestamps: only order and uniqueness count",
        }
    }
}

impl Layout {
    /// Every layout, in documentation order.
    pub const ALL: [Layout; 7] = [
        Layout::Flat,
        Layout::Markers,
        Layout::Pairs,
        Layout::Rollback,
        Layout::Folders,
        Layout::Flyway,
        Layout::Goose,
    ];
}

impl Numbering {
    /// Every policy, in documentation order.
    pub const ALL: [Numbering; 3] = [
        Numbering::Sequential,
        Numbering::Sparse,
        Numbering::Timestamp,
    ];
}

impl std::str::FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Layout::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Layout::ALL.iter().map(|l| l.as_str()).collect();
                format!("`{s}` is not a layout ({})", all.join(", "))
            })
    }
}

impl std::str::FromStr for Numbering {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Numbering::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Numbering::ALL.iter().map(|n| n.as_str()).collect();
                format!("`{s}` is not a numbering policy ({})", all.join(", "))
            })
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Display for Numbering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a new migration older than one already shipped or applied means
/// (`out_of_order` in sqlgate.toml). Timestamp projects merge parallel branches all
/// the time, and diesel, dbmate, Rails and golang-migrate apply such a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutOfOrder {
    /// `check` fails; `apply` refuses it unless `--allow-out-of-order`.
    Error,
    /// `check` warns; `apply` applies it and says so.
    Warn,
    /// Nothing is reported; `apply` applies it and says so.
    Allow,
}

impl OutOfOrder {
    /// The policy when none is configured: `warn` for timestamp versions (parallel
    /// branches are normal), `error` for sequential and sparse numbers.
    pub fn default_for(numbering: Numbering) -> OutOfOrder {
        match numbering {
            Numbering::Timestamp => OutOfOrder::Warn,
            Numbering::Sequential | Numbering::Sparse => OutOfOrder::Error,
        }
    }

    /// Every policy, in documentation order.
    pub const ALL: [OutOfOrder; 3] = [OutOfOrder::Error, OutOfOrder::Warn, OutOfOrder::Allow];

    pub fn as_str(self) -> &'static str {
        match self {
            OutOfOrder::Error => "error",
            OutOfOrder::Warn => "warn",
            OutOfOrder::Allow => "allow",
        }
    }
}

impl std::str::FromStr for OutOfOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OutOfOrder::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = OutOfOrder::ALL.iter().map(|p| p.as_str()).collect();
                format!("`{s}` is not an out-of-order policy ({})", all.join(", "))
            })
    }
}

impl fmt::Display for OutOfOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
