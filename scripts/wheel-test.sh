#!/usr/bin/env bash
# Builds the Python wheel for this machine (maturin, the `dist` profile, the binary
# inside), installs it into a fresh virtualenv with no cargo on PATH, runs `sqlgate
# check --all` on the bundled migrations/, then tries the pre-commit mirror
# (pre-commit-mirror/, `pre-commit try-repo`, the wheel found locally, no cargo on PATH)
# on a scratch repository: a bad migration blocks the commit, a good one passes. Slow
# (a release build): run by hand or in the release workflow, not in scripts/test.sh.
#   bash scripts/wheel-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
say() { printf 'scripts/wheel-test.sh: %s\n' "$*" >&2; }
. scripts/ensure-deps.sh
ensure_cargo || exit 2
ensure_libclang || exit 2
ensure_git || exit 2
tools=$root/target/packaging-tools
[ -x "$tools/bin/maturin" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install -q maturin pre-commit; }
export CARGO_TARGET_DIR=$root/target/packaging
rm -rf "$root/target/wheels"
start=$(date +%s)
"$tools/bin/maturin" build --profile dist --out "$root/target/wheels" >/dev/null
wheel=$(ls "$root"/target/wheels/sqlgate-*.whl)
say "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB) in $(($(date +%s) - start)) s"

try=$(mktemp -d)
trap 'rm -rf "$try"' EXIT
# Nothing below may build Rust: no cargo, rustc or clang on PATH.
bare=$try/bin
mkdir -p "$bare"
for tool in git python3 sh bash env; do ln -s "$(command -v "$tool")" "$bare/$tool"; done
nocargo() { env PATH="$bare:/usr/bin:/bin" CARGO=/nonexistent RUSTC=/nonexistent "$@"; }
if nocargo sh -c 'command -v cargo' >/dev/null; then say "cargo is still on PATH in /usr/bin"; fi
python3 -m venv "$try/venv"
nocargo "$try/venv/bin/pip" install -q "$wheel"
"$try/venv/bin/sqlgate" --version
"$try/venv/bin/sqlgate" check --all --dir "$root/migrations" >/dev/null
say "the installed wheel checks the bundled migrations/: ok"

# pre-commit: the mirror (pre-commit-mirror/ as its own repository), which installs the
# wheel as a dependency — found in target/wheels here, on PyPI for users.
mirror=$try/mirror
cp -R "$root/pre-commit-mirror" "$mirror"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n1)
sed -i "s/\"sqlgate==[^\"]*\"/\"sqlgate==$version\"/" "$mirror/pyproject.toml"
git -C "$mirror" init -q -b main && git -C "$mirror" add -A
git -C "$mirror" -c user.name=t -c user.email=t@example.com commit -q -m mirror
export PIP_FIND_LINKS="$root/target/wheels"
repo=$try/app
mkdir -p "$repo/migrations"
git -C "$repo" init -q -b main
printf 'CREATE TABLE users (id bigint PRIMARY KEY);\n' >"$repo/migrations/001_users.sql"
git -C "$repo" add -A
git -C "$repo" -c user.name=t -c user.email=t@example.com commit -q -m base
printf 'CREATE TABLE posts (id bigint PRIMARY KEY);\n' >"$repo/migrations/002_posts.sql"
git -C "$repo" add -A
(cd "$repo" && PRE_COMMIT_HOME=$try/pc nocargo "$tools/bin/pre-commit" try-repo "$mirror" sqlgate-check --files migrations/002_posts.sql) >"$try/good.log" 2>&1 \
  || { cat "$try/good.log" >&2; say "a good migration was blocked"; exit 1; }
printf 'CREATE INDEX users_id_idx ON users (id);\n' >"$repo/migrations/003_index.sql"
git -C "$repo" add -A
if (cd "$repo" && PRE_COMMIT_HOME=$try/pc nocargo "$tools/bin/pre-commit" try-repo "$mirror" sqlgate-check --files migrations/003_index.sql) >"$try/bad.log" 2>&1; then
  cat "$try/bad.log" >&2; say "a bad migration passed"; exit 1
fi
grep -q "create-index-non-concurrently" "$try/bad.log" || { cat "$try/bad.log" >&2; say "the finding is not shown"; exit 1; }
say "pre-commit (the mirror, no cargo on PATH): a good migration passes, a bad one is blocked with its finding: ok"
