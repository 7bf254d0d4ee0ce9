#!/usr/bin/env bash
# Sourced by the project's scripts: installs what building and testing sqlgate needs
# when it is missing (Debian/Ubuntu: apt-get), or says in one line what to install.
#   libclang     — bindgen needs it to build pg_query (PostgreSQL's parser)
#   PostgreSQL   — server binaries (initdb, pg_ctl, postgres) for the tests, which
#                  start their own private server (as an unprivileged user when root)

_say() { printf 'sqlgate: %s\n' "$*" >&2; }
_have() { command -v "$1" >/dev/null 2>&1; }
_apt_updated=0
_apt_install() {
  if ! _have apt-get; then return 1; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then _have sudo || return 1; sudo="sudo -n"; fi
  if [ "$_apt_updated" = 0 ]; then $sudo apt-get update -qq >/dev/null 2>&1 || true; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_libclang() {
  local f
  for f in ${LIBCLANG_PATH:+"$LIBCLANG_PATH"/libclang*.so*} \
           /usr/lib/llvm-*/lib/libclang.so* /usr/lib/llvm-*/lib/libclang-*.so* \
           /usr/lib/x86_64-linux-gnu/libclang*.so* /usr/lib/aarch64-linux-gnu/libclang*.so* \
           /usr/lib64/libclang.so* /usr/local/lib/libclang.so*; do
    [ -e "$f" ] && return 0
  done
  return 1
}

ensure_libclang() {
  have_libclang && return 0
  _say "installing libclang-dev (needed to build pg_query, PostgreSQL's parser)"
  _apt_install libclang-dev clang >/dev/null 2>&1 || true
  have_libclang && return 0
  _say "libclang is missing: install it (Debian/Ubuntu: apt-get install libclang-dev; macOS: xcode-select --install) or set LIBCLANG_PATH"
  return 1
}

have_postgres() {
  local d
  for d in $(command -v initdb 2>/dev/null | xargs -r dirname) \
           $(pg_config --bindir 2>/dev/null) /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && return 0
  done
  return 1
}

ensure_postgres() {
  [ -n "${SQLGATE_TEST_DATABASE_URL:-}" ] && return 0
  have_postgres && return 0
  _say "installing the PostgreSQL server (the tests start their own private server)"
  _apt_install postgresql >/dev/null 2>&1 || true
  have_postgres && return 0
  _say "PostgreSQL server binaries are missing: install them (Debian/Ubuntu: apt-get install postgresql) or set SQLGATE_TEST_DATABASE_URL"
  return 1
}

ensure_openssl() {
  _have openssl && return 0
  _apt_install openssl >/dev/null 2>&1 || true
  _have openssl || { _say "openssl is missing (the TLS tests make certificates with it): install openssl"; return 1; }
}

ensure_git() {
  _have git && return 0
  _apt_install git || { _say "git is missing: install git"; return 1; }
}

ensure_cargo() {
  _have cargo && return 0
  _say "cargo is missing: install Rust (https://rustup.rs)"
  return 1
}
