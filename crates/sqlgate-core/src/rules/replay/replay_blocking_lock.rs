//! `replay-blocking-lock`: A statement took a lock that blocks writes (SHARE or stronger) on an existing table and no static rule reported it.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static REPLAY_BLOCKING_LOCK: Rule = Rule {
    id: "replay-blocking-lock",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A statement took a lock that blocks writes (SHARE or stronger) on an existing table and no static rule reported it.",
    why: "While the lock is held (until the migration's transaction commits) every INSERT, UPDATE and DELETE on the table waits, and so does everything queued behind them.",
    fix: "Keep the transaction short and put such statements in a migration of their own; keep a lock_timeout (sqlgate's runner sets one) so the statement gives up instead of queueing.",
    bad: "CREATE TRIGGER users_audit AFTER UPDATE ON users\n  FOR EACH ROW EXECUTE FUNCTION audit();  -- SHARE ROW EXCLUSIVE on users",
    good: "-- the same, in a migration of its own, deployed at a quiet time",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
