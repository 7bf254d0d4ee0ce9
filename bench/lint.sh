#!/usr/bin/env bash
# Benchmark: sqlgate's SQL analysis next to Squawk (PyPI `squawk-cli`, run with
# --assume-in-transaction) on the same real-world files, in the same run:
#   lemmy:  every <migration>/up.sql        (sqlgate: check --all on the directory)
#   kratos: every *.up.sql                  (sqlgate: check --all on the directory)
# Prints best-of-N wall time, the ratio sqlgate/squawk, peak memory, and per-rule
# finding counts of both tools for lemmy. Not a test: run by hand.
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

best() { # best wall time in ms over $runs runs of "$@"
  local best_ms=999999999 s e ms
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    ms=$(( (e - s) / 1000000 )); (( ms < best_ms )) && best_ms=$ms
  done
  echo "$best_ms"
}
peak() { # peak RSS in KB of a shell function (run in a child bash)
  /usr/bin/time -f %M bash -c "$(declare -f "$1"); bin='$bin' squawk='$squawk' corpora='$corpora' $1" 2>&1 >/dev/null | tail -1
}
ratio() { python3 -c "print(f'{$1/max($2,1):.2f}')"; }

sg_lemmy() { "$bin" check --all --fail-on never --dir "$corpora/lemmy" --format json; }
sq_lemmy() { (cd "$corpora/lemmy" && "$squawk" --assume-in-transaction --reporter json ./*/up.sql); }
sg_kratos() { "$bin" check --all --fail-on never --dir "$corpora/kratos" --format json; }
sq_kratos() { (cd "$corpora/kratos" && "$squawk" --assume-in-transaction --reporter json ./*.up.sql); }

echo "sqlgate $("$bin" --version | cut -d' ' -f2) vs $("$squawk" --version), best of $runs runs"
printf '%-8s %6s %10s %10s %7s %12s %12s\n' corpus files sqlgate squawk ratio "sqlgate mem" "squawk mem"
for c in lemmy kratos; do
  if [ "$c" = lemmy ]; then files=$(ls "$corpora/lemmy"/*/up.sql | wc -l); else files=$(ls "$corpora/kratos"/*.up.sql | wc -l); fi
  a=$(best "sg_$c"); b=$(best "sq_$c")
  printf '%-8s %6s %8sms %8sms %7s %10sKB %10sKB\n' "$c" "$files" "$a" "$b" "$(ratio "$a" "$b")" "$(peak "sg_$c")" "$(peak "sq_$c")"
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
