#!/usr/bin/env bash
# Benchmark: `sqlgate check` on 10,000 generated migrations, without and with a --base
# of 10,000 shipped migrations, next to the floor for the same bytes in the same run:
#   no base:   sha256sum of every migration file
#   --base:    git ls-tree + git cat-file --batch --buffer | sha256sum (base side)
#              + sha256sum of every working-tree file (head side)
# Prints best-of-N wall times and the ratio sqlgate / floor. Not a test: run by hand.
#   bash bench/catalog.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
n=10000

cargo build --release --quiet
bin=$PWD/target/release/sqlgate
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

repo=$work/repo
mkdir -p "$repo/migrations"
cd "$repo"
git init -q -b main
git config user.email bench@example.com
git config user.name bench
python3 - "$n" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(1, n + 1):
    with open(f"migrations/{i:05d}_change_{i}.sql", "w") as f:
        f.write(f"-- Migration {i}\nCREATE TABLE t{i} (\n  id bigint PRIMARY KEY,\n  name text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n")
        f.write(f"CREATE INDEX t{i}_name_idx ON t{i} (name);\n" * 3)
PY
git add -A && git commit -q -m shipped
git checkout -q -b feature
printf 'CREATE TABLE extra (id bigint);\n' > "migrations/$(printf '%05d' $((n + 1)))_extra.sql"

best() { # best wall time in ms of "$@" over $runs runs
  local best_ms=999999999 s e ms
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    ms=$(( (e - s) / 1000000 )); (( ms < best_ms )) && best_ms=$ms
  done
  echo "$best_ms"
}
floor_all() { find migrations -name '*.sql' -print0 | xargs -0 sha256sum >/dev/null; }
floor_base() {
  git ls-tree -r main -- migrations | awk '{print $3}' | git cat-file --batch --buffer | sha256sum >/dev/null
  find migrations -name '*.sql' -print0 | xargs -0 sha256sum >/dev/null
}
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

sg_all=$(best "$bin" check --all --fail-on never)
fl_all=$(best floor_all)
sg_base=$(best "$bin" check --base main --fail-on never)
fl_base=$(best floor_base)
ratio() { python3 -c "print(f'{$1/max($2,1):.2f}')"; }

echo "sqlgate check, $n migrations, best of $runs runs"
printf '%-34s %8s %8s %7s\n' case "sqlgate" floor ratio
printf '%-34s %6sms %6sms %7s\n' "check --all (no base)" "$sg_all" "$fl_all" "$(ratio "$sg_all" "$fl_all")"
printf '%-34s %6sms %6sms %7s\n' "check --base main ($n shipped)" "$sg_base" "$fl_base" "$(ratio "$sg_base" "$fl_base")"
if [ -x /usr/bin/time ]; then
  echo "peak memory: check --all $(peak_kb "$bin" check --all --fail-on never) KB, check --base $(peak_kb "$bin" check --base main --fail-on never) KB"
fi
