#!/usr/bin/env bash
# Records what a sqlgate binary prints for a fixed set of inputs, so two builds can be
# compared byte for byte (a refactoring must not change any output):
#   bash bench/outputs.sh BINARY OUT_DIR         # record
#   bash bench/outputs.sh --diff OLD_DIR NEW_DIR # compare two recordings
# Inputs: the bundled migrations/ and examples/mistakes, and the real-world corpora in
# ../shared/corpora when present — `check --all` in every format, `check --base` on a
# git repository whose base holds the first part of lemmy, `explain`, `--help`, and
# (when PostgreSQL server binaries exist) apply/status/validate/verify/rollback on a
# private server. Durations and ports are replaced by placeholders before recording.
set -euo pipefail

if [ "${1:-}" = "--diff" ]; then
  diff -ru "$2" "$3" && echo "bench/outputs.sh: identical ($(ls "$2" | wc -l) outputs)"
  exit
fi
bin=$(realpath "$1")
out=$(mkdir -p "$2" && realpath "$2")
cd "$(dirname "$0")/.."
root=$PWD
corpora=$root/../shared/corpora

# Durations, ports and temporary paths differ between runs.
normalize() {
  sed -E -e 's/[0-9]+(\.[0-9]+)? ms/N ms/g' -e 's/"(duration_ms|execution_ms)": [0-9.]+/"\1": N/g' \
    -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' -e "s#$work#WORK#g" \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/TIMESTAMP/g' -e 's/PostgreSQL [0-9.]+[^ ]*/PostgreSQL N/g'
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
record() { # record NAME ARGS... (run in the current directory)
  local name=$1 code=0
  shift
  "$bin" "$@" >"$work/stdout" 2>"$work/stderr" || code=$?
  { cat "$work/stdout"; echo "--- stderr"; cat "$work/stderr"; echo "--- exit $code"; } | normalize >"$out/$name"
}

dirs=("migrations:migrations:" "mistakes:examples/mistakes:")
if [ -d "$corpora/lemmy" ]; then
  dirs+=("lemmy:$corpora/lemmy:" "kratos:$corpora/kratos:" "harbor:$corpora/harbor:"
    "harbor-sparse:$corpora/harbor:--numbering sparse"
    "graphile:$corpora/graphile-worker:--var GRAPHILE_WORKER_SCHEMA=graphile_worker"
    "graphile-novar:$corpora/graphile-worker:")
fi
for entry in "${dirs[@]}"; do
  IFS=: read -r name dir extra <<<"$entry"
  for format in text json markdown github; do
    # shellcheck disable=SC2086
    record "check-$name-$format" check --all --dir "$dir" --format "$format" $extra
  done
done
record explain explain
record explain-markdown explain --markdown
record explain-one explain set-not-null
record explain-typo explain drop-colum
for cmd in "" check apply status rollback validate repair baseline verify create explain ci; do
  # shellcheck disable=SC2086
  record "help-${cmd:-main}" $cmd --help
done

# A pull request on lemmy: the first 300 migrations are the base, the rest are new,
# one shipped migration is edited and one deleted.
if [ -d "$corpora/lemmy" ]; then
  repo=$work/repo
  mkdir -p "$repo/migrations"
  git -C "$repo" init -q -b main
  git -C "$repo" config user.email t@example.com
  git -C "$repo" config user.name t
  ls "$corpora/lemmy" | head -300 | while read -r m; do cp -r "$corpora/lemmy/$m" "$repo/migrations/"; done
  git -C "$repo" add -A && git -C "$repo" commit -q -m base
  ls "$corpora/lemmy" | tail -n +301 | while read -r m; do cp -r "$corpora/lemmy/$m" "$repo/migrations/"; done
  first=$(ls "$repo/migrations" | sed -n 10p)
  printf '\n-- edited\nSELECT 1;\n' >>"$repo/migrations/$first/up.sql"
  rm -r "$repo/migrations/$(ls "$repo/migrations" | sed -n 20p)"
  for format in text json markdown github; do
    (cd "$repo" && record "base-lemmy-$format" check --base main --format "$format")
  done
fi

# The database commands on a private server, when the server binaries exist.
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
if [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ]; then
  data=$work/pg
  run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  mkdir -p "$data" && { [ "$(id -u)" != 0 ] || chown postgres "$work" "$data"; }
  run_pg "$pgbin/initdb" -D "$data/d" -U sqlgate --auth=trust --no-sync >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  run_pg "$pgbin/pg_ctl" -D "$data/d" -l "$data/log" -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null
  trap 'run_pg "$pgbin/pg_ctl" -D "$data/d" -m immediate stop >/dev/null 2>&1; rm -rf "$work"' EXIT
  url="postgres://sqlgate:secret@127.0.0.1:$port/postgres"
  cp -r examples/mistakes "$work/m"
  rm -f "$work/m/add_coupons.sql" "$work/m/004_add_user_names.up.sql" "$work/m/007_index_order.down.sql"
  db() { record "$@" --database-url "$url"; }
  db db-status-0 status --dir migrations
  db db-verify-0 verify --dir migrations
  db db-dry-run apply --dir migrations --dry-run
  db db-apply-3 apply --dir migrations --count 3
  db db-status-3 status --dir migrations
  db db-status-json status --dir migrations --format json
  db db-apply apply --dir migrations
  db db-apply-again apply --dir migrations
  db db-validate validate --dir migrations
  db db-rollback rollback --dir migrations --count 2
  db db-status-after status --dir migrations
  db db-apply-mistakes apply --dir "$work/m" --allow-out-of-order
  db db-verify verify --dir migrations
fi
echo "bench/outputs.sh: $(ls "$out" | wc -l) outputs recorded in $out"
