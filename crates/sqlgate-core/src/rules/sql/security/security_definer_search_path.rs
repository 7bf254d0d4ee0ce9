//! `security-definer-search-path`: A SECURITY DEFINER function without SET search_path.

use super::prelude::*;
use super::CATEGORY;

pub static SECURITY_DEFINER_SEARCH_PATH: Rule = Rule {
    id: "security-definer-search-path",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A SECURITY DEFINER function without SET search_path.",
    why: "The function runs with its owner's rights but resolves names through the caller's search_path: any user who can create objects can hijack it.",
    fix: "Add `SET search_path = pg_catalog, pg_temp` to the function and schema-qualify the objects it uses.",
    bad: "CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ DELETE FROM sessions $$;",
    good: "CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ DELETE FROM public.sessions $$;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    match cx.node() {
        NodeEnum::CreateFunctionStmt(f) => {
            let definer = def_elems(&f.options).any(|d| d.defname == "security" && bool_arg(d));
            let sets_path = def_elems(&f.options).any(|d| {
                d.defname == "set"
                    && matches!(
                        d.arg.as_ref().and_then(|a| a.node.as_ref()),
                        Some(NodeEnum::VariableSetStmt(v)) if v.name == "search_path"
                    )
            });
            if definer && !sets_path {
                let name = names::strings(&f.funcname).join(".");
                cx.push(
                    out,
                    &SECURITY_DEFINER_SEARCH_PATH,
                    -1,
                    format!(
                        "SECURITY DEFINER function {name} does not set search_path: callers can make it run their objects with its owner's rights"
                    ),
                    Some(format!(
                        "Add `SET search_path = pg_catalog, pg_temp` to {name} and schema-qualify what it uses."
                    )),
                );
            }
        }
        NodeEnum::AlterFunctionStmt(f) => {
            let definer = def_elems(&f.actions).any(|d| d.defname == "security" && bool_arg(d));
            let sets_path = def_elems(&f.actions).any(|d| d.defname == "set");
            if definer && !sets_path {
                cx.push(
                    out,
                    &SECURITY_DEFINER_SEARCH_PATH,
                    -1,
                    "ALTER FUNCTION … SECURITY DEFINER without SET search_path".into(),
                    None,
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair("security-definer-search-path", &[], "create function f() returns int language sql security definer as $$ select 1 $$;", "create function f() returns int language sql security definer set search_path = pg_catalog, pg_temp as $$ select 1 $$;");
    }
}
