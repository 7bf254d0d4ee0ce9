#!/usr/bin/env bash
# The whole test suite: formatting, lints and every test (unit, integration, corpora).
# Installs what a fresh machine lacks, or says in one line what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'scripts/test.sh: %s\n' "$*" >&2; }
# shellcheck source=ensure-deps.sh
. scripts/ensure-deps.sh
ensure_cargo || exit 2
ensure_git || exit 2
ensure_libclang || exit 2
ensure_postgres || exit 2
ensure_openssl || exit 2
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    if _have rustup; then rustup component add "$component" >/dev/null 2>&1 || true; fi
  fi
done

if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all -- --check || { say "formatting differs: run 'cargo fmt'"; exit 1; }
else
  say "rustfmt is not installed: skipping the format check"
fi
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --all-targets --locked -- -D warnings
else
  say "clippy is not installed: skipping lints"
fi
cargo test --locked "$@"
