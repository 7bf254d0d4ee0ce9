#!/usr/bin/env bash
# Benchmark: `sqlgate check` on 10,000 generated migrations, without and with a --base
# of 10,000 shipped migrations, next to the floor for the same bytes in the same run:
#   no base:   sha256sum of every migration file
#   --base:    git ls-tree + git cat-file --batch --buffer | sha256sum (base side)
#              + sha256sum of every working-tree file (head side)
# The two alternated round by round; prints medians with min-max and the ratio
# sqlgate / floor. Not a test: run by hand.
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

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
floor_all() { find migrations -name '*.sql' -print0 | xargs -0 sha256sum >/dev/null; }
floor_base() {
  git ls-tree -r main -- migrations | awk '{print $3}' | git cat-file --batch --buffer | sha256sum >/dev/null
  find migrations -name '*.sql' -print0 | xargs -0 sha256sum >/dev/null
}
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

# sqlgate and its floor alternated round by round; medians with min-max.
sa=(); fa=(); sb=(); fb=()
for _ in $(seq "$runs"); do
  sa+=("$(ms "$bin" check --all --fail-on never)"); fa+=("$(ms floor_all)")
  sb+=("$(ms "$bin" check --base main --fail-on never)"); fb+=("$(ms floor_base)")
done
python3 - "$n" "$runs" "${sa[*]}" "${fa[*]}" "${sb[*]}" "${fb[*]}" <<'PY'
import statistics, sys
n, runs = sys.argv[1], sys.argv[2]
rows = [sys.argv[i].split() for i in range(3, 7)]
sa, fa, sb, fb = ([int(x) for x in r] for r in rows)
print(f"sqlgate check, {n} migrations, {runs} rounds alternated: median (min-max)")
def line(name, s, f):
    ms, mf = statistics.median(s), statistics.median(f)
    print(f"{name:<34} {ms:6.0f} ms ({min(s)}-{max(s)})  floor {mf:5.0f} ms ({min(f)}-{max(f)})  ratio {ms / max(mf, 1):.2f} ({min(s) / max(max(f), 1):.2f}-{max(s) / max(min(f), 1):.2f})")
line("check --all (no base)", sa, fa)
line(f"check --base main ({n} shipped)", sb, fb)
PY
if [ -x /usr/bin/time ]; then
  echo "peak memory: check --all $(peak_kb "$bin" check --all --fail-on never) KB, check --base $(peak_kb "$bin" check --base main --fail-on never) KB"
fi
