//! `disable-row-level-security`: ALTER TABLE … DISABLE ROW LEVEL SECURITY.

use super::prelude::*;
use super::CATEGORY;

pub static DISABLE_ROW_LEVEL_SECURITY: Rule = Rule {
    id: "disable-row-level-security",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "ALTER TABLE … DISABLE ROW LEVEL SECURITY.",
    why: "Every policy on the table stops applying: tenants can read each other's rows.",
    fix: "Keep RLS enabled and change the policies instead.",
    bad: "ALTER TABLE documents DISABLE ROW LEVEL SECURITY;",
    good: "ALTER POLICY documents_tenant ON documents USING (tenant_id = current_setting('app.tenant')::bigint);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some(a) = cx.existing_alter() else {
        return;
    };
    for _ in a.of_kind(AlterTableType::AtDisableRowSecurity) {
        cx.push(
            out,
            &DISABLE_ROW_LEVEL_SECURITY,
            a.rv.location,
            format!(
                "row level security is disabled on {}: its policies stop applying",
                names::show(&a.table)
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "disable-row-level-security",
            &[T],
            "alter table t disable row level security;",
            "alter table t enable row level security;",
        );
    }
}
