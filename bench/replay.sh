#!/usr/bin/env bash
# Benchmark: the pull-request gate with a scratch replay (`check --base main --scratch
# URL`) on lemmy's first 247 migrations (246 shipped, 1 new), next to the
# floor in the same run, the two alternated round by round on one private server with
# fsync ON:
#   floor     CREATE DATABASE … TEMPLATE <the shipped state> + `psql -f` of the new file
#   sqlgate   the whole gate: reading both trees, every rule, and the replay (the
#             shipped state reused from the kept base after the first run)
# Also times the first run, which builds the base. Prints medians with min–max and
# the ratio. Not a test: run by hand.
#   bash bench/replay.sh [rounds]            (--scratch URL)
#   BENCH_SCRATCH=auto bash bench/replay.sh  (--scratch auto with SQLGATE_SCRATCH_CACHE)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
corpus=$PWD/../shared/corpora/lemmy
[ -d "$corpus" ] || { echo "bench/replay.sh: $corpus is missing" >&2; exit 2; }
. bench/server.sh

repo=$work/repo
mkdir -p "$repo/migrations"
# The first 247 (246 shipped + 1 new): later ones need PostgreSQL 16.
mapfile -t all < <(ls "$corpus" | sort | head -n "${BENCH_LEMMY:-247}")
newest=${all[${#all[@]}-1]}
for m in "${all[@]}"; do [ "$m" = "$newest" ] || cp -R "$corpus/$m" "$repo/migrations/"; done
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=b -c user.email=b@example.com add -A
git -C "$repo" -c user.name=b -c user.email=b@example.com commit -q -m shipped
cp -R "$corpus/$newest" "$repo/migrations/"
shipped=$(( ${#all[@]} - 1 ))

# The floor's template: the shipped migrations applied once, by psql.
psql -q "$admin" -c "CREATE DATABASE floor_base" >/dev/null
for m in "${all[@]}"; do
  [ "$m" = "$newest" ] && continue
  psql -q -v ON_ERROR_STOP=1 "$(url floor_base)" -f "$repo/migrations/$m/up.sql" >/dev/null
done
floor() {
  psql -q "$admin" -c "DROP DATABASE IF EXISTS floor_run" -c "CREATE DATABASE floor_run TEMPLATE floor_base" >/dev/null
  psql -q -v ON_ERROR_STOP=1 "$(url floor_run)" -f "$repo/migrations/$newest/up.sql" >/dev/null
}
# BENCH_SCRATCH=auto: the gate with `--scratch auto` and a cache directory (a private
# server restored with the shipped state), against the same floor.
if [ "${BENCH_SCRATCH:-url}" = auto ]; then
  export SQLGATE_SCRATCH_CACHE=$work/scratch-cache
  gate() { (cd "$repo" && "$bin" check --base main --scratch auto --format json --fail-on never); }
else
  gate() { (cd "$repo" && "$bin" check --base main --scratch "$admin" --format json --fail-on never); }
fi

first=$(ms gate)
f=(); s=()
for _ in $(seq "$rounds"); do
  f+=("$(ms floor)")
  s+=("$(ms gate)")
done
python3 - "$first" "$shipped" "${f[*]}" "${s[*]}" <<'PY'
import statistics, sys
first, shipped = int(sys.argv[1]), int(sys.argv[2])
f = [int(x) for x in sys.argv[3].split()]
s = [int(x) for x in sys.argv[4].split()]
mf, ms_ = statistics.median(f), statistics.median(s)
print(f"lemmy: {shipped} shipped + 1 new, fsync on, {len(f)} rounds alternated")
print(f"  first gate run (builds the base): {first} ms")
print(f"  gate, base reused:  median {ms_:.0f} ms ({min(s)}-{max(s)})")
print(f"  floor (template + psql): median {mf:.0f} ms ({min(f)}-{max(f)})")
print(f"  ratio gate / floor: {ms_ / mf:.2f} (spread {min(s) / max(f):.2f}-{max(s) / min(f):.2f})")
PY
