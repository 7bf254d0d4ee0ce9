#!/usr/bin/env bash
# Benchmark: 200 tenant schemas × 20 migrations on one local server, in the same run:
#   jobs1   sqlgate apply --all-targets --jobs 1
#   jobs8   sqlgate apply --all-targets --jobs 8
#   floor   a shell loop of one `psql -f` per schema running the same 20 files, each
#           in BEGIN/COMMIT, with the schema first on search_path
# Each run gets a new database. Prints medians and ratios to the floor.
# Not a test: run by hand.
#   bash bench/fleet.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-3}
BENCH_PG_OPTS="-c max_connections=200"
. bench/server.sh

# 20 migrations: tables, columns, indexes, a function, a view.
mkdir -p "$work/p/migrations"
for i in $(seq 1 20); do
  n=$(printf '%03d' "$i")
  case $((i % 4)) in
    1) sql="CREATE TABLE t$i (id bigint PRIMARY KEY, name text, created_at timestamptz DEFAULT now());" ;;
    2) sql="ALTER TABLE t$((i - 1)) ADD COLUMN note text; CREATE INDEX t$((i - 1))_name_idx ON t$((i - 1)) (name);" ;;
    3) sql="CREATE FUNCTION f$i(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x + $i';" ;;
    0) sql="CREATE VIEW v$i AS SELECT id, name FROM t$((i - 3));" ;;
  esac
  printf '%s\n' "$sql" >"$work/p/migrations/${n}_m$i.sql"
done
: >"$work/all.sql"
for f in "$work"/p/migrations/*.sql; do printf 'BEGIN;\n\\i %s\nCOMMIT;\n' "$f" >>"$work/all.sql"; done
cat >"$work/p/sqlgate.toml" <<TOML
[targets]
query = "SELECT 'tenant_' || i AS schema FROM generate_series(1, 200) i"
control_url_env = "FLEET_URL"
TOML

floor() {
  for i in $(seq 1 200); do
    psql -X -q -v ON_ERROR_STOP=1 "$1" -c "CREATE SCHEMA tenant_$i" >/dev/null
    PGOPTIONS="-c search_path=tenant_$i,public" psql -X -q -v ON_ERROR_STOP=1 "$1" -f "$work/all.sql" >/dev/null
  done
}
n=0
: >"$work/times"
for _ in $(seq "$runs"); do
  for tool in floor jobs1 jobs8; do
    n=$((n + 1))
    psql -X -q "$admin" -c "CREATE DATABASE d$n" >/dev/null
    case $tool in
      floor) t=$(ms floor "$(url d$n)") ;;
      jobs1) t=$(cd "$work/p" && FLEET_URL=$(url d$n) ms "$bin" apply --all-targets --jobs 1) ;;
      jobs8) t=$(cd "$work/p" && FLEET_URL=$(url d$n) ms "$bin" apply --all-targets --jobs 8) ;;
    esac
    echo "$tool $t" >>"$work/times"
    psql -X -q "$admin" -c "DROP DATABASE d$n" >/dev/null
  done
done
python3 - "$work/times" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    tool, ms = line.split()
    t.setdefault(tool, []).append(int(ms))
floor = statistics.median(t["floor"])
print("200 tenant schemas x 20 migrations; medians of", len(t["floor"]), "runs")
for tool in ("floor", "jobs1", "jobs8"):
    m = statistics.median(t[tool])
    print(f"{tool:6} {m:7.0f} ms   ratio to floor {m / floor:5.2f}   runs {t[tool]}")
PY
