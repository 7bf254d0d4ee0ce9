# Sourced by the benchmarks that need PostgreSQL: builds sqlgate (release), starts a
# private throwaway server (fsync, synchronous_commit and full_page_writes left on, as
# PostgreSQL ships) in a temporary directory removed on exit, and
# defines `bin`, `work`, `admin`, `url <db>` and `ms <command…>` (wall milliseconds).
#   BENCH_PG_OPTS='-c max_connections=200' . bench/server.sh
. scripts/ensure-deps.sh
ensure_libclang
ensure_postgres
cargo build --release --quiet
bin=$PWD/target/release/sqlgate
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v psql >/dev/null || { echo "bench: psql is needed (apt-get install postgresql-client)" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$work/pg"; }
as_pg "$pgbin/initdb" -D "$work/pg" -U bench --auth=trust --no-sync >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 ${BENCH_PG_OPTS:-}" -w start >/dev/null
admin="postgres://bench@127.0.0.1:$port/postgres"
url() { echo "postgres://bench@127.0.0.1:$port/$1"; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
