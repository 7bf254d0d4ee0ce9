//! `mixed-layout`: The directory mixes layouts (e.g. `.up.sql` pairs next to plain `.sql` files).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static MIXED_LAYOUT: Rule = Rule {
    id: "mixed-layout",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "The directory mixes layouts (e.g. `.up.sql` pairs next to plain `.sql` files).",
    why: "Down migrations and ordering are read differently per layout; a mixed directory is ambiguous and one of the files would be misread.",
    fix: "Convert the file to the directory's layout, or force one with `layout = \"…\"` in sqlgate.toml.",
    bad: "001_a.up.sql\n001_a.down.sql\n002_b.sql",
    good: "001_a.up.sql\n001_a.down.sql\n002_b.up.sql\n002_b.down.sql",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};
