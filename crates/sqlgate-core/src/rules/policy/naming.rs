//! `naming`: a name the change gives that breaks the team's convention.

use super::{Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};
use crate::sql::design::{generated_name, Kind, Named};
use crate::sql::names;

pub static NAMING: Rule = Rule {
    id: "naming",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`[policy.naming]`): a table, column, index, constraint, sequence or function named in the change does not match the team's pattern for that kind of object.",
    why: "Names are forever: renaming a table or column later breaks every query and client that uses it. A convention kept from the start keeps the schema searchable and the generated code predictable.",
    fix: "Rename the object so the whole name matches the pattern (the finding suggests a name when one is obvious).",
    bad: "CREATE TABLE \"UserAccounts\" (id bigint PRIMARY KEY);",
    good: "CREATE TABLE user_accounts (id bigint PRIMARY KEY);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

/// `UserAccount` / `user-account` → `user_account`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            prev_lower = false;
        } else if c.is_alphanumeric() {
            out.push(c);
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Names worth suggesting for `n`, most likely first.
fn candidates(n: &Named) -> Vec<String> {
    let mut out = vec![snake(&n.name)];
    if let Some(table) = &n.table {
        let bare = snake(table.rsplit('.').next().unwrap_or(table));
        let cols: Vec<String> = n.columns.iter().map(|c| snake(c)).collect();
        match n.kind {
            Kind::Index | Kind::Constraint => {
                let suffix = if n.suffix.is_empty() { "idx" } else { n.suffix };
                let short = match suffix {
                    "pkey" => "pk",
                    "fkey" => "fk",
                    "key" => "uq",
                    "check" => "ck",
                    "excl" => "ex",
                    _ => "idx",
                };
                let named_cols = if suffix == "pkey" {
                    Vec::new()
                } else {
                    cols.clone()
                };
                out.push(generated_name(&bare, &named_cols, suffix));
                out.push(generated_name(&bare, &named_cols, short));
                let mut prefixed = vec![short.to_string(), bare.clone()];
                prefixed.extend(named_cols);
                out.push(prefixed.join("_"));
            }
            _ => {}
        }
    }
    out
}

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    for naming in &cx.policy.naming {
        for n in cx.design.named.iter().filter(|n| n.kind == naming.kind) {
            if naming.regex.is_match(&n.name) {
                continue;
            }
            let suggestion = candidates(n)
                .into_iter()
                .find(|c| !c.is_empty() && naming.regex.is_match(c));
            let kind = n.kind.as_str();
            let fix = match &suggestion {
                Some(s) => format!("Name it `{s}`, which matches `{}`.", naming.pattern),
                None => format!(
                    "Choose a name that matches `{}` as a whole.",
                    naming.pattern
                ),
            };
            out.push(n.site.finding(
                &NAMING,
                format!(
                    "{kind} name {} does not match the team's pattern for {kind}s `{}` (`[policy.naming] {kind}`)",
                    names::ident(&n.name),
                    naming.pattern
                ),
                fix,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::with;

    #[test]
    fn fires_on_names_that_break_the_pattern_and_suggests_one() {
        let on = |p: &mut crate::rules::policy::Policy| {
            p.add_naming("table", "[a-z][a-z0-9_]*").unwrap();
            p.add_naming("column", "[a-z][a-z0-9_]*").unwrap();
            p.add_naming("index", "idx_[a-z0-9_]+").unwrap();
            p.add_naming("constraint", "(pk|fk|uq|ck)_[a-z0-9_]+")
                .unwrap();
        };
        let f = with(&[], &["create table \"UserAccounts\" (id int, \"firstName\" text, constraint users_pk primary key (id));\ncreate index ua_first on \"UserAccounts\" (\"firstName\");\ncreate index idx_ok on \"UserAccounts\" (id);"], on);
        let got: Vec<(&str, u32, &str)> = f
            .iter()
            .filter(|f| f.rule == "naming")
            .map(|f| {
                (
                    f.message.split(' ').next().unwrap_or(""),
                    f.line,
                    f.fix.as_str(),
                )
            })
            .collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got
            .iter()
            .any(|(k, l, fix)| *k == "table" && *l == 1 && fix.contains("`user_accounts`")));
        assert!(got
            .iter()
            .any(|(k, _, fix)| *k == "column" && fix.contains("`first_name`")));
        assert!(got.iter().any(|(k, l, fix)| *k == "index"
            && *l == 2
            && fix.contains("`idx_user_accounts_first_name`")));
        assert!(got
            .iter()
            .any(|(k, _, fix)| *k == "constraint" && fix.contains("`pk_user_accounts`")));
        // Names in shipped migrations, and names that match, are not judged.
        let f = with(
            &["create table \"Old\" (\"X\" int);"],
            &["alter table \"Old\" add column y int;"],
            on,
        );
        assert!(f.iter().all(|f| f.rule != "naming"), "{f:?}");
        let f = with(&[], &["create table \"Bad\" (id int);"], |_| {});
        assert!(f.iter().all(|f| f.rule != "naming"));
    }

    #[test]
    fn an_invalid_pattern_or_kind_is_refused_with_its_reason() {
        let mut p = crate::rules::policy::Policy::default();
        assert!(p
            .add_naming("table", "([a-z]")
            .unwrap_err()
            .to_string()
            .contains("regular expression"));
        assert!(p
            .add_naming("view", "x")
            .unwrap_err()
            .to_string()
            .contains("table, column, index"));
        assert!(!p.is_active());
    }
}
