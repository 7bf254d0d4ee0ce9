#!/usr/bin/env bash
# Benchmark: preview databases with lemmy's first 246 migrations, in the same run,
# alternating sqlgate with the same work done by hand:
#   fresh        sqlgate preview up (empty)   vs  createdb + psql -f of each file in BEGIN/COMMIT
#   incremental  one new migration (the 247th) on the existing preview
#                                             vs  psql -f of that file
#   template     a preview copied from a migrated database with a 1,000,000-row table,
#                then the 247th migration     vs  createdb -T + psql -f of that file
# (lemmy's 248th needs PostgreSQL 16: this machine's server is 15.)
# Each run uses new databases on a private server. Prints medians and ratios to the
# by-hand work. Not a test: run by hand.
#   bash bench/preview.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-5}
corpus=$root/../shared/corpora/lemmy
[ -d "$corpus" ] || { echo "bench/preview.sh: ../shared/corpora/lemmy is absent; nothing to measure" >&2; exit 0; }
. bench/server.sh

# The 246 migrations (sqlgate's directory and the by-hand script), and the 247th.
mkdir -p "$work/p/migrations"
ls "$corpus" | sort | sed -n '1,246p' >"$work/names"
: >"$work/all.sql"
while read -r m; do
  cp -r "$corpus/$m" "$work/p/migrations/"
  printf 'BEGIN;\n\\i %s\nCOMMIT;\n' "$corpus/$m/up.sql" >>"$work/all.sql"
done <"$work/names"
next=$(ls "$corpus" | sort | sed -n '247p')
printf 'BEGIN;\n\\i %s\nCOMMIT;\n' "$corpus/$next/up.sql" >"$work/next.sql"

# The template: the 246 migrations and a table of 1,000,000 rows.
psql -X -q "$admin" -c "CREATE DATABASE tpl" >/dev/null
"$bin" apply --dir "$work/p/migrations" --database-url "$(url tpl)" >/dev/null
psql -X -q "$(url tpl)" -c "CREATE TABLE big (id bigint PRIMARY KEY, payload text); INSERT INTO big SELECT i, md5(i::text) FROM generate_series(1, 1000000) i;" >/dev/null

n=0
: >"$work/times"
for _ in $(seq "$runs"); do
  n=$((n + 1))
  rm -rf "$work/p/migrations/$next"
  # fresh
  t=$(ms "$bin" preview up --dir "$work/p/migrations" --name "s$n" --database-url "$admin"); echo "fresh sqlgate $t" >>"$work/times"
  t=$(ms bash -c "psql -X -q '$admin' -c 'CREATE DATABASE h$n' && psql -X -q -v ON_ERROR_STOP=1 '$(url h$n)' -f '$work/all.sql'"); echo "fresh by-hand $t" >>"$work/times"
  # incremental
  cp -r "$corpus/$next" "$work/p/migrations/"
  t=$(ms "$bin" preview up --dir "$work/p/migrations" --name "s$n" --database-url "$admin"); echo "incremental sqlgate $t" >>"$work/times"
  t=$(ms psql -X -q -v ON_ERROR_STOP=1 "$(url h$n)" -f "$work/next.sql"); echo "incremental by-hand $t" >>"$work/times"
  # template
  t=$(ms "$bin" preview up --dir "$work/p/migrations" --name "st$n" --template tpl --database-url "$admin"); echo "template sqlgate $t" >>"$work/times"
  t=$(ms bash -c "psql -X -q '$admin' -c 'CREATE DATABASE ht$n TEMPLATE tpl' && psql -X -q -v ON_ERROR_STOP=1 '$(url ht$n)' -f '$work/next.sql'"); echo "template by-hand $t" >>"$work/times"
  for d in "s$n" "st$n"; do "$bin" preview down --name "$d" --database-url "$admin" >/dev/null; done
  psql -X -q "$admin" -c "DROP DATABASE h$n" -c "DROP DATABASE ht$n" >/dev/null
done
python3 - "$work/times" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    case, tool, ms = line.split()
    t.setdefault(case, {}).setdefault(tool, []).append(int(ms))
print("lemmy, 246 migrations (+1 new); medians of", len(t["fresh"]["sqlgate"]), "runs")
for case in ("fresh", "incremental", "template"):
    s, h = statistics.median(t[case]["sqlgate"]), statistics.median(t[case]["by-hand"])
    print(f"{case:12} sqlgate {s:7.0f} ms   by hand {h:7.0f} ms   ratio {s / h:5.2f}")
PY
