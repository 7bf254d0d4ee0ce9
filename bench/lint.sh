#!/usr/bin/env bash
# Benchmark: sqlgate's SQL analysis next to Squawk (PyPI `squawk-cli`, run with
# --assume-in-transaction) on the same real-world files, in the same run:
#   lemmy:  every <migration>/up.sql        (sqlgate: check --all on the directory)
#   kratos: every *.up.sql                  (sqlgate: check --all on the directory)
# The two alternated round by round; prints median wall time with min-max, the ratio
# sqlgate/squawk, peak memory, and per-rule finding counts of both tools for lemmy.
# Not a test: run by hand.
#   bash bench/lint.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-7}
corpora=$root/../shared/corpora
[ -d "$corpora/lemmy" ] && [ -d "$corpora/kratos" ] || { echo "bench/lint.sh: ../shared/corpora is absent; nothing to measure" >&2; exit 0; }

. scripts/ensure-deps.sh
ensure_libclang
cargo build --release --quiet
bin=$root/target/release/sqlgate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv" >/dev/null
"$work/venv/bin/pip" install --quiet squawk-cli
squawk=$work/venv/bin/squawk

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
peak() { # peak RSS in KB of a shell function (run in a child bash)
  /usr/bin/time -f %M bash -c "$(declare -f "$1"); bin='$bin' squawk='$squawk' corpora='$corpora' $1" 2>&1 >/dev/null | tail -1
}
ratio() { python3 -c "print(f'{$1/max($2,1):.2f}')"; }

sg_lemmy() { "$bin" check --all --fail-on never --dir "$corpora/lemmy" --format json; }
sq_lemmy() { (cd "$corpora/lemmy" && "$squawk" --assume-in-transaction --reporter json ./*/up.sql); }
sg_kratos() { "$bin" check --all --fail-on never --dir "$corpora/kratos" --format json; }
sq_kratos() { (cd "$corpora/kratos" && "$squawk" --assume-in-transaction --reporter json ./*.up.sql); }

echo "sqlgate $("$bin" --version | cut -d' ' -f2) vs $("$squawk" --version), $runs rounds alternated: median (min-max)"
for c in lemmy kratos; do
  if [ "$c" = lemmy ]; then files=$(ls "$corpora/lemmy"/*/up.sql | wc -l); else files=$(ls "$corpora/kratos"/*.up.sql | wc -l); fi
  a=(); b=()
  for _ in $(seq "$runs"); do a+=("$(ms "sg_$c")"); b+=("$(ms "sq_$c")"); done
  python3 - "$c" "$files" "${a[*]}" "${b[*]}" "$(peak "sg_$c")" "$(peak "sq_$c")" <<'PY'
import statistics, sys
c, files, a, b, ma, mb = sys.argv[1:7]
a = [int(x) for x in a.split()]; b = [int(x) for x in b.split()]
sa, sb = statistics.median(a), statistics.median(b)
print(f"{c:8} {files:>4} files  sqlgate {sa:5.0f} ms ({min(a)}-{max(a)})  squawk {sb:5.0f} ms ({min(b)}-{max(b)})  ratio {sa / max(sb, 1):.2f}  "
      f"peak memory sqlgate {int(ma) // 1024} MB, squawk {int(mb) // 1024} MB ({int(ma) / max(int(mb), 1):.1f}x)")
PY
done
sg_lemmy > "$work/sg.json" || true
sq_lemmy > "$work/sq.json" || true
python3 - "$work/sg.json" "$work/sq.json" <<'PY'
import json, sys, collections
sg = json.load(open(sys.argv[1]))["findings"]
try:
    sq = json.load(open(sys.argv[2]))
except Exception:
    sq = []
print("\nlemmy findings by rule")
print("  sqlgate (%d):" % len(sg))
for rule, n in collections.Counter(f["rule"] for f in sg).most_common():
    print(f"    {n:5}  {rule}")
print("  squawk (%d):" % len(sq))
for rule, n in collections.Counter(f.get("rule_name", "?") for f in sq).most_common():
    print(f"    {n:5}  {rule}")
PY
