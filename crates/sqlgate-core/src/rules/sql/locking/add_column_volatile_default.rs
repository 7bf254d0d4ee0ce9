//! `add-column-volatile-default`: ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), a function of unknown volatility) — or any default before PostgreSQL 11.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_COLUMN_VOLATILE_DEFAULT: Rule = Rule {
    id: "add-column-volatile-default",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), a function of unknown volatility) — or any default before PostgreSQL 11.",
    why: "Rewrites the whole table under an ACCESS EXCLUSIVE lock to compute a value per row.",
    fix: "Add the column without a default, SET DEFAULT for new rows, and backfill existing rows in batches.",
    bad: "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    good: "ALTER TABLE orders ADD COLUMN token uuid;\nALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();\n-- backfill in batches: UPDATE orders SET token = gen_random_uuid() WHERE id BETWEEN … AND … AND token IS NULL;",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for c in super::added_columns(cx) {
        let Some(expr) = c.default.filter(|_| !c.serial) else {
            continue;
        };
        let volatile = volatile_call(cx, expr, 0);
        if volatile.is_none() && cx.opts.pg_version >= 11 {
            continue;
        }
        let (t, col, ty) = (c.t(), c.col(), &c.ty);
        let why = match &volatile {
            Some((f, true)) => {
                format!("its default calls {f}(), which is volatile (evaluated per row)")
            }
            Some((f, false)) => format!(
                "its default calls {f}(), a function of unknown volatility — PostgreSQL treats a function as volatile unless it is declared IMMUTABLE or STABLE (if {f} is, its CREATE FUNCTION in an earlier migration tells sqlgate; or silence this with `-- sqlgate:ignore add-column-volatile-default`)"
            ),
            None => format!(
                "PostgreSQL {} stores any default by rewriting",
                cx.opts.pg_version
            ),
        };
        let expr_sql = deparse_expr(expr).unwrap_or_else(|| "<default>".into());
        cx.push(out, &ADD_COLUMN_VOLATILE_DEFAULT, c.def.location, format!(
            "adding {t}.{col} rewrites the whole table under an ACCESS EXCLUSIVE lock: {why}"),
            Some(format!("ALTER TABLE {t} ADD COLUMN {col} {ty};\nALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {expr_sql};\n-- backfill existing rows in batches: UPDATE {t} SET {col} = {expr_sql} WHERE … AND {col} IS NULL;")));
    }
}

/// Functions that are not volatile and may appear in column defaults. Unknown
/// functions count as volatile — PostgreSQL's default for CREATE FUNCTION — and are
/// reported as of unknown volatility.
const NON_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_timestamp",
    "current_date",
    "localtimestamp",
    "lower",
    "upper",
    "btrim",
    "trim",
    "length",
    "char_length",
    "concat",
    "concat_ws",
    "abs",
    "round",
    "floor",
    "ceil",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "date_trunc",
    "to_timestamp",
    "to_char",
    "to_date",
    "current_setting",
    "current_user",
    "session_user",
    "current_schema",
    "md5",
    "replace",
    "substring",
    "substr",
    "left",
    "right",
    "format",
    "timezone",
    "age",
    "date_part",
    "extract",
    "array_fill",
    "string_to_array",
    "jsonb_typeof",
    "inet_client_addr",
    "pg_backend_pid",
    "current_database",
    "version",
];

/// Volatile functions defaults commonly call that never return NULL (`sqlgate fix`'s
/// batched backfill of `col IS NULL` rows ends with them).
pub(crate) const NEVER_NULL: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
];

/// Functions PostgreSQL declares volatile that defaults commonly call (besides
/// [`NEVER_NULL`]).
const VOLATILE: &[&str] = &[
    "setval",
    "random_normal",
    "txid_current",
    "pg_current_xact_id",
];

/// How many arguments well-known functions take (PostgreSQL 10 to 18).
const ARITY: &[(&str, &[usize])] = &[
    ("now", &[0]),
    ("transaction_timestamp", &[0]),
    ("statement_timestamp", &[0]),
    ("clock_timestamp", &[0]),
    ("timeofday", &[0]),
    ("random", &[0, 2]),
    ("gen_random_uuid", &[0]),
    ("uuid_generate_v4", &[0]),
    ("uuidv4", &[0]),
    ("uuidv7", &[0, 1]),
    ("txid_current", &[0]),
    ("pg_current_xact_id", &[0]),
];

/// The first function a default expression calls that may be volatile, and whether
/// it is known to be (`false`: unknown volatility, volatile by PostgreSQL's default).
fn volatile_call(cx: &Ctx, node: &NodeEnum, depth: usize) -> Option<(String, bool)> {
    if depth > 64 {
        return None;
    }
    let sub = |n: &Option<Box<Node>>| {
        n.as_ref()
            .and_then(|n| n.node.as_ref())
            .and_then(|n| volatile_call(cx, n, depth + 1))
    };
    let list = |l: &[Node]| nodes(l).find_map(|n| volatile_call(cx, n, depth + 1));
    match node {
        NodeEnum::FuncCall(f) => {
            let name = names::strings(&f.funcname)
                .last()
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            // A known name with arguments it does not take is not that function
            // (`now(123)`): its volatility is unknown (or PostgreSQL rejects it).
            if let Some((_, counts)) = ARITY.iter().find(|(n, _)| *n == name) {
                if !counts.contains(&f.args.len()) && !cx.schema.functions.contains_key(&name) {
                    return Some((format!("{name} with {} argument(s)", f.args.len()), false));
                }
            }
            if VOLATILE.contains(&name.as_str()) || NEVER_NULL.contains(&name.as_str()) {
                return Some((name, true));
            }
            match cx.schema.functions.get(&name).map(String::as_str) {
                Some("volatile") => return Some((name, true)),
                Some(_) => {}
                None if !NON_VOLATILE.contains(&name.as_str()) => return Some((name, false)),
                None => {}
            }
            list(&f.args)
        }
        NodeEnum::TypeCast(t) => sub(&t.arg),
        NodeEnum::AExpr(e) => sub(&e.lexpr).or_else(|| sub(&e.rexpr)),
        NodeEnum::BoolExpr(b) => list(&b.args),
        NodeEnum::CoalesceExpr(c) => list(&c.args),
        NodeEnum::MinMaxExpr(c) => list(&c.args),
        NodeEnum::AArrayExpr(a) => list(&a.elements),
        NodeEnum::RowExpr(r) => list(&r.args),
        NodeEnum::CaseExpr(c) => sub(&c.arg)
            .or_else(|| list(&c.args))
            .or_else(|| sub(&c.defresult)),
        NodeEnum::CaseWhen(w) => sub(&w.expr).or_else(|| sub(&w.result)),
        NodeEnum::NullTest(n) => sub(&n.arg),
        NodeEnum::SubLink(_) => Some(("a subquery".into(), true)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-column-volatile-default",
            &[T],
            "alter table t add column token uuid default gen_random_uuid();",
            "alter table t add column flag boolean default true;",
        );
        pair(
            "add-column-volatile-default",
            &[T],
            "alter table t add column r float8 not null default random();",
            "alter table t add column at timestamptz not null default now();",
        );
        pair(
            "add-column-volatile-default",
            &[
                T,
                "create function seven() returns int language sql immutable as $$ select 7 $$;",
            ],
            "alter table t add column z int default random_seven();",
            "alter table t add column z int default seven();",
        );
        pair(
            "add-column-volatile-default",
            &[
                T,
                "create function eight() returns int language sql as $$ select 8 $$;",
                "alter function eight() immutable;",
            ],
            "alter table t add column z int default now(123);",
            "alter table t add column z int default eight();",
        );
        pair(
            "add-column-volatile-default",
            &[
                T,
                "create function slug() returns text language sql immutable as $$ select 'x' $$;",
            ],
            "alter table t add column s text default other_slug();",
            "alter table t add column s text default slug();",
        );
    }
}
