#!/usr/bin/env bash
# Benchmark: preview databases of a pull request on lemmy's history, as `sqlgate ci`
# builds them: the base branch ships lemmy's first 245 migrations, the pull request
# adds the 246th, then a new commit adds the 247th. In the same run, the pairs
# alternated round by round, PostgreSQL with fsync on:
#   fresh        sqlgate preview up --base (the shipped 245 applied unobserved, the
#                pull request's migration observed, the schema diff taken)
#                  vs  createdb + one psql session sending each of the 246 files as one
#                      query in BEGIN/COMMIT
#   incremental  the 247th on the existing preview  vs  psql of that file
#   template     a preview copied from a migrated database with a 1,000,000-row table,
#                then the 247th  vs  createdb -T + psql of that file
# Without --base sqlgate cannot tell the pull request's migrations from the shipped
# ones and observes every one (statement by statement): BENCH_NO_BASE=1 measures that.
# (lemmy's 248th needs PostgreSQL 16: this machine's server is 15.) Prints medians with
# min–max and the ratios. Not a test: run by hand.
#   bash bench/preview.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-5}
corpus=$root/../shared/corpora/lemmy
[ -d "$corpus" ] || { echo "bench/preview.sh: ../shared/corpora/lemmy is absent; nothing to measure" >&2; exit 0; }
. bench/server.sh

# One file as one query in BEGIN/COMMIT (psql would split it at each semicolon).
one_query() { printf 'SELECT $bench$BEGIN;\n'; cat "$1"; printf '\n;COMMIT;$bench$ \\gexec\n'; }

# The repository: base = the first 245, the pull request adds the 246th.
repo=$work/repo
mkdir -p "$repo/migrations"
ls "$corpus" | sort | sed -n '1,247p' >"$work/names"
: >"$work/all.sql"
n=0
while read -r m; do
  n=$((n + 1))
  [ "$n" -le 246 ] && one_query "$corpus/$m/up.sql" >>"$work/all.sql"
  if [ "$n" -le 245 ]; then cp -r "$corpus/$m" "$repo/migrations/"; fi
done <"$work/names"
pr=$(sed -n '246p' "$work/names")
next=$(sed -n '247p' "$work/names")
one_query "$corpus/$next/up.sql" >"$work/next.sql"
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -qm base
git -C "$repo" branch -q base
cp -r "$corpus/$pr" "$repo/migrations/"
base=(--base base)
[ -z "${BENCH_NO_BASE:-}" ] || base=()

# The template: the 246 migrations and a table of 1,000,000 rows.
psql -X -q "$admin" -c "CREATE DATABASE tpl" >/dev/null
"$bin" apply --dir "$repo/migrations" --database-url "$(url tpl)" >/dev/null
psql -X -q "$(url tpl)" -c "CREATE TABLE big (id bigint PRIMARY KEY, payload text); INSERT INTO big SELECT i, md5(i::text) FROM generate_series(1, 1000000) i;" >/dev/null

up() { (cd "$repo" && "$bin" preview up --dir migrations "${base[@]}" "$@" --database-url "$admin"); }
n=0
: >"$work/times"
for _ in $(seq "$runs"); do
  n=$((n + 1))
  rm -rf "$repo/migrations/$next"
  t=$(ms up --name "s$n"); echo "fresh sqlgate $t" >>"$work/times"
  t=$(ms bash -c "psql -X -q '$admin' -c 'CREATE DATABASE h$n' && psql -X -q -v ON_ERROR_STOP=1 '$(url h$n)' -f '$work/all.sql'"); echo "fresh by-hand $t" >>"$work/times"
  cp -r "$corpus/$next" "$repo/migrations/"
  t=$(ms up --name "s$n"); echo "incremental sqlgate $t" >>"$work/times"
  t=$(ms psql -X -q -v ON_ERROR_STOP=1 "$(url h$n)" -f "$work/next.sql"); echo "incremental by-hand $t" >>"$work/times"
  t=$(ms up --name "st$n" --template tpl); echo "template sqlgate $t" >>"$work/times"
  t=$(ms bash -c "psql -X -q '$admin' -c 'CREATE DATABASE ht$n TEMPLATE tpl' && psql -X -q -v ON_ERROR_STOP=1 '$(url ht$n)' -f '$work/next.sql'"); echo "template by-hand $t" >>"$work/times"
  for d in "s$n" "st$n"; do "$bin" preview down --name "$d" --database-url "$admin" >/dev/null; done
  psql -X -q "$admin" -c "DROP DATABASE h$n" -c "DROP DATABASE ht$n" >/dev/null
done
python3 - "$work/times" "${#base[@]}" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    case, tool, ms = line.split()
    t.setdefault(case, {}).setdefault(tool, []).append(int(ms))
how = "with --base" if sys.argv[2] != "0" else "without --base (every migration observed)"
print(f"lemmy, 245 shipped + 1 (+1 new commit), {how}, fsync on, {len(t['fresh']['sqlgate'])} rounds alternated")
for case in ("fresh", "incremental", "template"):
    s, h = t[case]["sqlgate"], t[case]["by-hand"]
    ms, mh = statistics.median(s), statistics.median(h)
    print(f"{case:12} sqlgate {ms:7.0f} ms ({min(s)}-{max(s)})   by hand {mh:7.0f} ms ({min(h)}-{max(h)})   ratio {ms / mh:5.2f}")
PY
