#!/usr/bin/env bash
# Benchmark: 200 tenant schemas × 20 migrations on one local server, in the same run:
#   jobs1   sqlgate apply --all-targets --jobs 1
#   jobs8   sqlgate apply --all-targets --jobs 8
#   floor   ONE psql session that, for each schema, creates it and its history table,
#           puts it first on search_path and sends each of the 20 files as one query in
#           BEGIN/COMMIT with its history INSERT — the least work that does the job
# The three alternated round by round, PostgreSQL with fsync on; each run gets a new
# database. Prints medians with min–max and ratios to the floor.
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
# The 20 files as the floor sends them, then once per schema.
: >"$work/files.sql"
for f in "$work"/p/migrations/*.sql; do
  v=$(basename "$f" | cut -d_ -f1)
  sum=$(sha256sum "$f" | cut -c1-64)
  { printf 'SELECT $floor$BEGIN;\n'; cat "$f"
    printf "\n;INSERT INTO floor_history (version, checksum) VALUES ('%s', '%s');\nCOMMIT;\$floor\$ \\gexec\n" "$v" "$sum"
  } >>"$work/files.sql"
done
for i in $(seq 1 200); do
  printf 'CREATE SCHEMA tenant_%s;\nSET search_path = tenant_%s, public;\n' "$i" "$i"
  echo 'CREATE TABLE floor_history (version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());'
  cat "$work/files.sql"
done >"$work/floor.sql"
cat >"$work/p/sqlgate.toml" <<TOML
[targets]
query = "SELECT 'tenant_' || i AS schema FROM generate_series(1, 200) i"
control_url_env = "FLEET_URL"
TOML

floor() { psql -X -q -v ON_ERROR_STOP=1 "$1" -f "$work/floor.sql" >/dev/null; }
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
print(f"200 tenant schemas x 20 migrations, fsync on, {len(t['floor'])} rounds alternated")
for tool in ("floor", "jobs1", "jobs8"):
    m = statistics.median(t[tool])
    print(f"{tool:6} median {m:7.0f} ms ({min(t[tool])}-{max(t[tool])})   ratio to floor {m / floor:5.2f}")
PY
