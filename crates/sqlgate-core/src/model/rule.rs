//! A rule's identity and documentation. Each rule is a `static` [`Rule`] next to the
//! check that reports it (in `rules::…`); findings carry a [`RuleId`] pointing at it,
//! so a misspelt rule is a compile error, and `rules::registry` lists them all.

use super::finding::Severity;
use serde::{Serialize, Serializer};
use std::fmt;

/// Documentation and default severity of one rule.
#[derive(Debug)]
pub struct Rule {
    /// The stable id users see and configure, e.g. `drop-column`.
    pub id: &'static str,
    pub severity: Severity,
    /// False for rules that are off unless enabled in `[rules]`.
    pub on: bool,
    pub category: &'static str,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// Why it matters in production.
    pub why: &'static str,
    /// What to do instead.
    pub fix: &'static str,
    /// An example that fires (a file listing or SQL).
    pub bad: &'static str,
    /// The corrected example.
    pub good: &'static str,
    /// What `apply` does with a migration the rule fires on.
    pub apply: Apply,
    /// What the finding claims about the statement, for the scratch replay to
    /// confirm or disprove.
    pub claim: Claim,
    /// How bad it is depends on the table's size (a lock, a rewrite or a scan of an
    /// existing table): with a size snapshot (`check --stats`) a small table makes it
    /// info and the message gives the table's size.
    pub sized: bool,
}

/// What `apply` does with a migration a rule fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// Runs it: the finding is for review, not for the runner.
    Runs,
    /// Refuses before anything runs (the pre-flight), unless `--allow <rule>`.
    Blocks,
    /// Runs it, and `--allow <rule>` is accepted (the rule stops a no-transaction
    /// migration, or once blocked and old workflows still pass it).
    Allowable,
}

/// What a finding claims about its statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Nothing the replay measures (a lock alone is confirmed by what it observes).
    Nothing,
    /// The statement rewrites a table: the replay confirms it when the table's
    /// relfilenode changes and disproves it when it does not.
    Rewrite,
    /// The statement was not checked: what the replay observes stands on its own.
    NotChecked,
}

/// A reference to a rule, as findings carry it. Compares, orders and serializes as
/// the rule's id.
#[derive(Clone, Copy)]
pub struct RuleId(&'static Rule);

impl RuleId {
    pub const fn of(rule: &'static Rule) -> RuleId {
        RuleId(rule)
    }

    /// The id, e.g. `drop-column`.
    pub fn as_str(self) -> &'static str {
        self.0.id
    }

    /// The rule's documentation.
    pub fn rule(self) -> &'static Rule {
        self.0
    }
}

impl From<&'static Rule> for RuleId {
    fn from(rule: &'static Rule) -> RuleId {
        RuleId(rule)
    }
}

impl PartialEq for RuleId {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}
impl Eq for RuleId {}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.0.id == *other
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.0.id == other
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RuleId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.id.cmp(other.0.id)
    }
}

impl std::hash::Hash for RuleId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.id.hash(state)
    }
}

impl fmt::Debug for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.0.id)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.0.id)
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.id)
    }
}
