//! `[stats] replay_rows`: before the change runs, the tables it locks, rewrites or
//! scans get a sample of generated rows on the scratch database, so the replay
//! measures how long each statement holds its lock at a known size (the report scales
//! it to the production size of the snapshot). Values are made up from each column's
//! type — no production data is read —; columns with defaults take them, nullable
//! foreign keys stay NULL, a required one takes an existing parent row. A table whose
//! constraints refuse the made-up rows is left empty, and the report says so.

use sqlgate_core::model::replay::Sample;
use tokio_postgres::Client;

/// What to fill: `schema.table` and how many rows, and the table's rows in production.
#[derive(Debug, Clone, PartialEq)]
pub struct Fill {
    pub table: String,
    pub rows: i64,
    pub production_rows: i64,
}

/// The PL/pgSQL that fills one table (`%1$L`: the table, `%2$s`: the rows). Run by
/// the replay's unprivileged role inside the sandbox, under its bounds.
const FILL: &str = r#"
DO $sqlgate_fill$
DECLARE
  t regclass := %L::regclass;
  n bigint := %s;
  r record;
  cols text[] := '{}';
  vals text[] := '{}';
  expr text;
  fk record;
BEGIN
  FOR r IN
    SELECT a.attnum, a.attname, a.atttypmod, a.attnotnull, ty.typcategory, ty.typtype,
           format_type(a.atttypid, a.atttypmod) AS ftype,
           (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS defaulted
      FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
     WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum
  LOOP
    CONTINUE WHEN r.defaulted;
    SELECT c.confrelid::regclass AS parent, pa.attname AS parent_col INTO fk
      FROM pg_constraint c
      JOIN pg_attribute pa ON pa.attrelid = c.confrelid
       AND pa.attnum = c.confkey[array_position(c.conkey, r.attnum)]
     WHERE c.conrelid = t AND c.contype = 'f' AND r.attnum = ANY (c.conkey)
     LIMIT 1;
    IF FOUND THEN
      CONTINUE WHEN NOT r.attnotnull;
      expr := format('(SELECT %I FROM %s LIMIT 1)', fk.parent_col, fk.parent);
    ELSIF r.typtype = 'e' THEN
      expr := format('(enum_range(NULL::%s))[1]', r.ftype);
    ELSIF r.ftype IN ('smallint') THEN
      expr := '(g % 32000)::smallint';
    ELSIF r.typcategory = 'N' AND r.ftype LIKE 'numeric(%%' THEN
      expr := format('(g %% 1000)::%s', r.ftype);
    ELSIF r.typcategory = 'N' THEN
      expr := format('g::%s', r.ftype);
    ELSIF r.typcategory = 'S' THEN
      expr := format('left(md5(g::text), %s)::%s',
                     CASE WHEN r.atttypmod > 4 THEN least(32, r.atttypmod - 4) ELSE 32 END, r.ftype);
    ELSIF r.typcategory = 'B' THEN
      expr := '(g % 2 = 0)';
    ELSIF r.typcategory = 'D' THEN
      expr := format('(timestamp ''2020-01-01'' + g * interval ''1 second'')::%s', r.ftype);
    ELSIF r.ftype = 'uuid' THEN
      expr := 'md5(g::text)::uuid';
    ELSIF r.ftype IN ('json', 'jsonb') THEN
      expr := format('''{}''::%s', r.ftype);
    ELSIF r.typcategory = 'A' THEN
      expr := format('''{}''::%s', r.ftype);
    ELSIF NOT r.attnotnull THEN
      CONTINUE;
    ELSE
      RAISE EXCEPTION 'column % is of type %, which sqlgate cannot make up values for', r.attname, r.ftype;
    END IF;
    cols := cols || quote_ident(r.attname);
    vals := vals || expr;
  END LOOP;
  IF array_length(cols, 1) IS NULL THEN
    EXECUTE format('INSERT INTO %s SELECT FROM generate_series(1, %s) g', t, n);
  ELSE
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM generate_series(1, %s) g',
                   t, array_to_string(cols, ', '), array_to_string(vals, ', '), n);
  END IF;
  EXECUTE format('ANALYZE %s', t);
END
$sqlgate_fill$
"#;

/// Fills each table (in the replay's session, before the change runs) and says how
/// each went.
pub async fn fill(c: &Client, fills: &[Fill]) -> Vec<Sample> {
    let mut out = Vec::new();
    for f in fills {
        let sql = FILL
            .replacen("%L", &crate::quote::literal(&f.table), 1)
            .replacen("%s", &f.rows.max(0).to_string(), 1);
        let started = std::time::Instant::now();
        let result = c.batch_execute(&sql).await;
        out.push(Sample {
            table: f.table.clone(),
            rows: if result.is_ok() { f.rows } else { 0 },
            production_rows: f.production_rows,
            fill_ms: started.elapsed().as_secs_f64() * 1000.0,
            error: result.err().map(|e| crate::connection::describe(&e)),
        });
    }
    out
}
