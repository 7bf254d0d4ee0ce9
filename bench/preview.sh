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
. scripts/ensure-deps.sh
ensure_libclang
ensure_postgres
cargo build --release --quiet
bin=$root/target/release/sqlgate
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v psql >/dev/null || { echo "bench/preview.sh: psql is needed (apt-get install postgresql-client)" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$work/pg"; }
as_pg "$pgbin/initdb" -D "$work/pg" -U bench --auth=trust --no-sync >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" -w start >/dev/null
admin="postgres://bench@127.0.0.1:$port/postgres"
url() { echo "postgres://bench@127.0.0.1:$port/$1"; }

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

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
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
