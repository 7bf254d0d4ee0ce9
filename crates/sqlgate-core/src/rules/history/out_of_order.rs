//! `out-of-order`: A new migration's version is not above every version already on the base branch. An error by default for sequential numbers, a warning for timestamps (`out_of_order` in sqlgate.toml).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static OUT_OF_ORDER: Rule = Rule {
    id: "out-of-order",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A new migration's version is not above every version already on the base branch. An error by default for sequential numbers, a warning for timestamps (`out_of_order` in sqlgate.toml).",
    why: "Databases that already ran the later migrations will either skip this one forever or apply it after migrations written on top of a different schema.",
    fix: "Rename it above the highest shipped version (the finding names a fresh file name; `sqlgate create` gives the next one). In a timestamp project that merges parallel branches, `out_of_order = \"warn\"` (the default there) or `\"allow\"` accepts it, and `apply` runs it saying so.",
    bad: "base: 20240301000000_b.sql\nnew:  20240201000000_a.sql",
    good: "base: 20240301000000_b.sql\nnew:  20240302000000_a.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
};
