//! The data sqlgate reasons about and reports: findings and rules, the check report,
//! the history table's records and migration states, apply results, replay
//! observations, layouts. Plain data; every other module builds on it.

pub mod admin;
pub mod apply;
pub mod finding;
pub mod history;
pub mod layout;
pub mod replay;
pub mod report;
pub mod rule;

pub use admin::{Check, Invalid};
pub use apply::{Applied, ApplyReport, Failure, RollbackReport};
pub use finding::{Counts, FailOn, Finding, ReplayVerdict, Severity};
pub use history::{current_and_latest, Record, RecordStatus, State, StatusLine};
pub use layout::{Layout, Numbering, OutOfOrder};
pub use replay::{Replay, Step};
pub use report::Report;
pub use rule::{Apply, Claim, Rule, RuleId};
