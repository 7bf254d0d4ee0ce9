#!/usr/bin/env bash
# Benchmark: time and peak memory of `sqlgate check --all` on one 20 MB migration,
# written on a single line and on many lines, and the same SQL split into two files
# (the findings must be the same). Targets: under 10 s and 300 MB each.
#   bash bench/large.sh [MB]
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-20}
. scripts/ensure-deps.sh
ensure_libclang
cargo build --release --quiet
bin=$PWD/target/release/sqlgate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A block of ordinary statements with one dangerous one, repeated to the size.
python3 - "$work" "$mb" <<'EOF'
import os, sys
work, mb = sys.argv[1], int(sys.argv[2])
block = "INSERT INTO t (a, b) VALUES (1, 'x'); UPDATE t SET a = a + 1 WHERE b = 'y'; SELECT count(*) FROM t; "
danger = "DELETE FROM old_stuff; "
n = mb * 1024 * 1024 // len(block)
parts = [block * 999 + danger for _ in range(n // 1000)]
for layout, sep in (("single", ""), ("lines", "\n")):
    text = sep.join(p.replace("; ", ";" + sep) if sep else p for p in parts)
    for d in (f"{layout}/whole", f"{layout}/split"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    open(os.path.join(work, layout, "whole", "001_big.sql"), "w").write(text)
    half = len(parts) // 2
    a = sep.join(p.replace("; ", ";" + sep) if sep else p for p in parts[:half])
    b = sep.join(p.replace("; ", ";" + sep) if sep else p for p in parts[half:])
    open(os.path.join(work, layout, "split", "001_big.sql"), "w").write(a)
    open(os.path.join(work, layout, "split", "002_big.sql"), "w").write(b)
EOF

summary() { python3 -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); print(sorted(collections.Counter(f["rule"] for f in d["findings"]).items()))' "$1"; }
for layout in single lines; do
  for shape in whole split; do
    dir=$work/$layout/$shape
    size=$(du -sm "$dir" | cut -f1)
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" check --all --fail-on never --dir "$dir" --format json >"$work/$layout-$shape.json"
    read -r secs kb <"$work/time"
    printf '%-7s %-6s %4s MB  %6s s  %5d MB peak  %s\n' "$layout" "$shape" "$size" "$secs" $((kb / 1024)) "$(summary "$work/$layout-$shape.json")"
  done
  if [ "$(summary "$work/$layout-whole.json")" != "$(summary "$work/$layout-split.json")" ]; then
    echo "bench/large.sh: $layout: the findings differ between one file and two" >&2
    exit 1
  fi
done
