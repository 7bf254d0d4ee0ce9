//! The SQL engine's behaviour across rules (each rule's own cases sit in its file).

use super::test_support::{case, T, U};
use crate::model::Severity;

#[test]
fn version_dependent_rules() {
    let enum_type = "create type mood as enum ('ok');";
    let mut c = case(&[enum_type], &["alter type mood add value 'sad';"]);
    assert!(!c.fires("alter-enum-add-value-in-transaction"));
    c.pg = 11;
    assert!(c.fires("alter-enum-add-value-in-transaction"));
    let mut c = case(
        &[enum_type],
        &["-- sqlgate:no-transaction\nalter type mood add value 'sad';"],
    );
    c.pg = 11;
    assert!(!c.fires("alter-enum-add-value-in-transaction"));
    // Before 11 every default rewrites.
    let mut c = case(
        &[T],
        &["alter table t add column flag boolean default true;"],
    );
    assert!(!c.fires("add-column-volatile-default"));
    c.pg = 10;
    assert!(c.fires("add-column-volatile-default"));
    // A validated CHECK only helps from 12 on.
    let mut c = case(
        &[
            T,
            "alter table t add constraint a_nn check (a is not null);",
        ],
        &["alter table t alter column a set not null;"],
    );
    assert!(!c.fires("set-not-null"));
    c.pg = 11;
    assert!(c.fires("set-not-null"));
}

#[test]
fn round_two_messages_say_what_happens() {
    let msg = |shipped: &[&'static str], sql: &'static str, rule: &str| {
        let mut c = case(shipped, &[sql]);
        c.overrides
            .insert("prefer-bigint".into(), Some(Severity::Info));
        c.findings()
            .into_iter()
            .find(|f| f.rule == rule)
            .map(|f| (f.message, f.fix))
            .unwrap_or_else(|| panic!("{rule} on {sql}"))
    };
    let (m, _) = msg(&[], "create table n (a smallint);", "prefer-bigint");
    assert!(m.contains("16-bit") && m.contains("32,767"), "{m}");
    let (m, _) = msg(&[], "create table n (a integer);", "prefer-bigint");
    assert!(m.contains("32-bit"), "{m}");
    let (m, _) = msg(
        &["create table n (a int not null default 1);"],
        "alter table n alter column a drop default;",
        "drop-default",
    );
    assert!(m.contains("fails") && !m.contains("writes NULL"), "{m}");
    let (m, _) = msg(
        &["create table n (a int default 1);"],
        "alter table n alter column a drop default;",
        "drop-default",
    );
    assert!(m.contains("writes NULL"), "{m}");
    let (_, fix) = msg(
        &[],
        "-- sqlgate:no-transaction\nreindex system app;",
        "reindex-non-concurrently",
    );
    assert!(
        fix.contains("no concurrent form") && !fix.contains("TABLE"),
        "{fix}"
    );
    let (_, fix) = msg(
        &[],
        "-- sqlgate:no-transaction\nreindex database app;",
        "reindex-non-concurrently",
    );
    assert!(fix.contains("REINDEX DATABASE CONCURRENTLY app"), "{fix}");
    let (m, _) = msg(
        &[T],
        "alter table t add column s text default my_slug();",
        "add-column-volatile-default",
    );
    assert!(
        m.contains("unknown volatility") && m.contains("CREATE FUNCTION"),
        "{m}"
    );
    let (m, _) = msg(
        &[T],
        "alter table t add column s uuid default gen_random_uuid();",
        "add-column-volatile-default",
    );
    assert!(m.contains("which is volatile"), "{m}");
    let (m, _) = msg(&[T], "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);\ncreate index concurrently b_i on t (v);", "mixed-no-transaction");
    assert!(!m.contains("half-applied"), "{m}");
}

#[test]
fn share_update_exclusive_statements_need_no_lock_timeout() {
    for sql in [
        "alter table t set (fillfactor = 70);",
        "alter table t validate constraint c;",
        "-- sqlgate:no-transaction\nalter table t detach partition p concurrently;",
    ] {
        let mut c = case(&[T], &[sql]);
        c.runner_timeout = false;
        assert!(!c.fires("missing-lock-timeout"), "{sql}: {:?}", c.rules());
    }
    for sql in [
        "drop trigger trg on t;",
        "alter table t set unlogged;",
        "alter table t detach partition p;",
    ] {
        let mut c = case(&[T], &[sql]);
        c.runner_timeout = false;
        assert!(c.fires("missing-lock-timeout"), "{sql}: {:?}", c.rules());
    }
}

#[test]
fn detach_partition_depends_on_the_server_version() {
    let mut c = case(&[T], &["alter table t detach partition p;"]);
    assert!(c.fires("detach-partition-non-concurrently"));
    c.pg = 13;
    assert!(!c.fires("detach-partition-non-concurrently"));
}

#[test]
fn lock_timeout_rule_follows_the_runner() {
    let mut c = case(&[T], &["alter table t add column b text;"]);
    assert!(!c.fires("missing-lock-timeout"));
    c.runner_timeout = false;
    assert!(c.fires("missing-lock-timeout"));
    let mut c = case(
        &[T],
        &["set lock_timeout = '2s';\nalter table t add column b text;"],
    );
    c.runner_timeout = false;
    assert!(!c.fires("missing-lock-timeout"));
    let mut c = case(
        &[],
        &["create table n (a int);\nalter table n add column b text;"],
    );
    c.runner_timeout = false;
    assert!(!c.fires("missing-lock-timeout"));
}

#[test]
fn off_by_default_style_rules_can_be_enabled() {
    let mut c = case(
        &[],
        &["create table n (id serial primary key, name varchar(20));"],
    );
    assert!(!c.fires("prefer-bigint") && !c.fires("prefer-text") && !c.fires("prefer-identity"));
    c.overrides
        .insert("prefer-bigint".into(), Some(Severity::Warning));
    c.overrides
        .insert("prefer-text".into(), Some(Severity::Info));
    c.overrides
        .insert("prefer-identity".into(), Some(Severity::Info));
    assert!(c.fires("prefer-bigint") && c.fires("prefer-text") && c.fires("prefer-identity"));
}

#[test]
fn dangerous_words_in_comments_strings_and_bodies_are_not_statements() {
    let c = case(
        &[T],
        &["-- drop table t;\n/* truncate t; */\nselect 'drop table t; delete from t';\ndo $$ begin raise notice 'drop table t'; end $$;\ncreate function g() returns void language plpgsql as $$ begin truncate t; delete from t; end $$;\ncreate function h() returns int language sql begin atomic select 1; end;"],
    );
    assert!(c.rules().is_empty(), "{:?}", c.rules());
}

#[test]
fn objects_new_in_the_change_set_are_exempt() {
    // Table created by one new migration, indexed and constrained by the next.
    let c = case(&[], &["create table n (a int, b int);", "create index n_a on n (a);\nalter table n add constraint n_b check (b > 0);\nalter table n alter column a set not null;"]);
    assert!(c.rules().is_empty(), "{:?}", c.rules());
    // The same statements against a shipped table fire.
    let c = case(
        &["create table n (a int, b int);"],
        &["create index n_a on n (a);\nalter table n add constraint n_b check (b > 0);"],
    );
    assert_eq!(
        c.rules(),
        ["add-check-validating", "create-index-non-concurrently"]
    );
}

#[test]
fn names_fold_like_postgresql() {
    let c = case(
        &["create table App.Users (id int);"],
        &["create index i on app.users (id);"],
    );
    assert!(c.fires("create-index-non-concurrently"));
    let c = case(
        &[],
        &["create table \"Users\" (id int);\ncreate index i on \"Users\" (id);"],
    );
    assert!(!c.fires("create-index-non-concurrently"));
    let c = case(
        &[],
        &["create table public.users (id int);\ncreate index i on users (id);"],
    );
    assert!(!c.fires("create-index-non-concurrently"));
}

#[test]
fn findings_point_at_the_statement_and_offer_concrete_sql() {
    let f = case(
        &[T],
        &["-- add an index\n\n  create index t_a_idx on t (a);"],
    )
    .findings();
    let f = f
        .iter()
        .find(|f| f.rule == "create-index-non-concurrently")
        .expect("finding");
    assert_eq!((f.file.as_str(), f.line), ("m/002_m.sql", 3));
    assert!(
        f.message.contains("t_a_idx") && f.message.contains("SHARE lock"),
        "{}",
        f.message
    );
    assert!(
        f.fix.contains("CREATE INDEX CONCURRENTLY t_a_idx ON t"),
        "{}",
        f.fix
    );
    assert_eq!(
        f.statement.as_deref(),
        Some("create index t_a_idx on t (a)")
    );
    let f = case(
        &[T, U],
        &["alter table t add constraint t_u_fk foreign key (a) references u (id);"],
    )
    .findings();
    assert!(
        f[0].fix.contains("NOT VALID") && f[0].fix.contains("VALIDATE CONSTRAINT t_u_fk"),
        "{}",
        f[0].fix
    );
}

#[test]
fn ignore_directives_silence_one_statement() {
    let c = case(&[T], &["-- sqlgate:ignore drop-column -- unused since v2\nalter table t drop column a;\nalter table t drop column v;"]);
    let f = c.findings();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].rule.as_str(), f[0].line), ("drop-column", 3));
    let c = case(
        &[T],
        &["alter table t drop column a;\n-- sqlgate:ignore drop-column\n"],
    );
    assert!(c.fires("unused-ignore") && c.fires("drop-column"));
}

#[test]
fn placeholders_and_passwords() {
    let mut c = case(&[], &["create role app login password :'app_password';"]);
    c.vars.insert("app_password".into(), "s3cret".into());
    assert!(!c.fires("plaintext-password"));
    assert!(!c.fires("syntax-error"));
}

#[test]
fn sql_inside_do_blocks_and_called_functions_is_judged_where_it_is_written() {
    let c = case(
        &[T],
        &["do $$\nbegin\n  alter table t add column z int not null;\n  create index t_z on t (z);\nend $$;"],
    );
    let at = |rule: &str| {
        c.findings()
            .iter()
            .find(|f| f.rule == rule)
            .map(|f| (f.line, f.column))
    };
    assert_eq!(
        at("add-column-required"),
        Some((3, 28)),
        "{:?}",
        c.findings()
    );
    assert_eq!(at("create-index-non-concurrently"), Some((4, 23)));
    // A function: judged when the migration calls it, not when it is created.
    let f = "create function fill() returns void language plpgsql as $$ begin update t set a = 1; end $$;";
    let created = case(&[T], &[f]);
    assert!(
        !created.fires("update-without-where"),
        "{:?}",
        created.rules()
    );
    let called: &'static str = "create function fill() returns void language plpgsql as $$ begin update t set a = 1; end $$;\nselect public.fill();";
    assert!(case(&[T], &[called]).fires("update-without-where"));
    // A function without LANGUAGE has an SQL-standard body, not PL/pgSQL.
    let c = case(
        &[T],
        &["create function g() returns void begin atomic select 1; end;\nselect g();"],
    );
    assert!(!c.fires("unanalyzable-statement"), "{:?}", c.rules());
    // Other languages and bodies that do not parse are not guessed at.
    let c = case(
        &[T],
        &["do language plpython3u $$ plpy.execute('drop table t') $$;"],
    );
    assert!(!c.fires("drop-table"), "{:?}", c.rules());
    let c = case(&[T], &["do $$ begin if then end; end $$;"]);
    assert!(c.fires("unanalyzable-statement"), "{:?}", c.rules());
}

#[test]
fn an_undefined_template_placeholder_is_named_not_a_syntax_error() {
    let ns = r#"index .Options "Namespace""#;
    let sql: &'static str = r#"create table {{ index .Options "Namespace" }}.users (id int);
create index {{index .Options "Namespace"}}_i on {{ index .Options "Namespace" }}.users (id);
drop table t;"#;
    let c = case(&[T], &[sql]);
    let f = c.findings();
    assert_eq!(c.rules(), ["drop-table", "undefined-placeholder"], "{f:?}");
    let f: Vec<_> = f
        .into_iter()
        .filter(|f| f.rule == "undefined-placeholder")
        .collect();
    assert_eq!(f.len(), 1, "one finding per name: {f:?}");
    assert_eq!((f[0].line, f[0].column), (1, 14));
    assert!(f[0].message.contains(ns), "{}", f[0].message);
    // Defined: substituted, parsed and linted like any SQL.
    let mut c = case(&[T], &[sql]);
    c.vars.insert(ns.into(), "auth".into());
    assert_eq!(c.rules(), ["drop-table"], "{:?}", c.findings());
    // Braces only inside strings and comments are data, not a template.
    let c = case(
        &[],
        &["-- Hello {{ .Name }}\ninsert into t (body) values ('Dear {{ .Name }}, ${amount}');"],
    );
    assert!(!c.fires("undefined-placeholder"), "{:?}", c.findings());
    // ... unless the file also uses them as a template, outside strings.
    let c = case(
        &[],
        &["create table {{ .S }}.t (body text default '{{ .Greeting }}');"],
    );
    assert_eq!(c.findings().len(), 2, "{:?}", c.findings());
    // A DO body (or a function's) is code the runner renders: placeholders there
    // are a template's, even though the body is a string to the scanner.
    let c = case(
        &[],
        &["DO $$ BEGIN\n  EXECUTE 'SET search_path TO {{ index .Options \"Namespace\" }}';\nEND $$;"],
    );
    assert!(c.fires("undefined-placeholder"), "{:?}", c.findings());
    let c = case(
        &[],
        &["create function f() returns int language sql as $$ select {{ .N }} $$;"],
    );
    assert!(c.fires("undefined-placeholder"), "{:?}", c.findings());
    let c = case(&[], &["comment on table t is $$ see {{ .Docs }} $$;"]);
    assert!(!c.fires("undefined-placeholder"), "{:?}", c.findings());
    // A real syntax error elsewhere in the file is still one.
    let c = case(
        &[],
        &["create table ${S}.t (id int);\ncreate tabel u (id int);"],
    );
    assert_eq!(c.rules(), ["syntax-error", "undefined-placeholder"]);
}

#[test]
fn a_rename_with_a_compatibility_view_is_not_a_warning() {
    let c = case(
        &["create table cards (id int);"],
        &["alter table cards rename to cards_v2;\ncreate view cards as select * from cards_v2;"],
    );
    let f = c.findings();
    let rename = f.iter().find(|f| f.rule == "rename-table");
    assert!(
        rename.is_some_and(|f| f.severity == crate::model::Severity::Info
            && f.message.contains("keeps SELECT, INSERT")),
        "{f:?}"
    );
    // A view over something else does not count.
    let c = case(
        &[
            "create table cards (id int);",
            "create table other (id int);",
        ],
        &["alter table cards rename to cards_v2;\ncreate view cards as select * from other;"],
    );
    assert!(
        c.findings()
            .iter()
            .any(|f| f.rule == "rename-table" && f.severity == crate::model::Severity::Warning),
        "{:?}",
        c.findings()
    );
}

#[test]
fn set_not_null_after_validating_an_unknown_constraint_says_it_cannot_tell() {
    let c = case(
        &[],
        &["alter table ext validate constraint ext_a_nn;\nalter table ext alter column a set not null;"],
    );
    let f = c.findings();
    let s = f.iter().find(|f| f.rule == "set-not-null");
    assert!(
        s.is_some_and(
            |f| f.severity == crate::model::Severity::Warning && f.message.contains("cannot tell")
        ),
        "{f:?}"
    );
    let c = case(&[], &["alter table ext alter column a set not null;"]);
    assert!(
        c.findings()
            .iter()
            .any(|f| f.rule == "set-not-null" && f.severity == crate::model::Severity::Error),
        "{:?}",
        c.findings()
    );
}

#[test]
fn drop_default_describes_the_column_after_the_same_statement() {
    let c = case(
        &["create table k (id int, a int not null default 0);"],
        &["alter table k alter column a drop not null, alter column a drop default;"],
    );
    let f = c.findings();
    let msg = f
        .iter()
        .find(|f| f.rule == "drop-default")
        .map(|f| f.message.clone())
        .unwrap_or_default();
    assert!(
        msg.contains("now writes NULL") && !msg.contains("fails"),
        "{msg}"
    );
    let c = case(
        &["create table k (id int, a int not null default 0);"],
        &["alter table k alter column a drop default;"],
    );
    let f = c.findings();
    assert!(
        f.iter()
            .any(|f| f.rule == "drop-default" && f.message.contains("fails")),
        "{f:?}"
    );
}

#[test]
fn only_migrations_in_scope_are_linted() {
    let c = case(
        &[
            "create table n (a int);\ndrop table n;\ncreate table n (a int);",
            "truncate n;",
        ],
        &["select 1;"],
    );
    assert!(c.rules().is_empty(), "{:?}", c.rules());
}
