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

# bindgen (clang-sys) loads libclang.so, libclang-<N>.so or libclang.so.<N>; the C++
# library libclang-cpp.so.<N> (often preinstalled with LLVM) is not libclang.
is_libclang_name() {
  case "$1" in
    libclang-cpp*) return 1 ;;
  esac
  printf '%s\n' "$1" | grep -Eq '^libclang(-[0-9][0-9.]*)?\.so(\.[0-9][0-9.]*)?$'
}

# libclang_in_dir DIR...: prints the first libclang library found in the directories.
libclang_in_dir() {
  local d f
  for d in "$@"; do
    [ -d "$d" ] || continue
    for f in "$d"/libclang*.so*; do
      [ -e "$f" ] || continue
      if is_libclang_name "$(basename "$f")"; then printf '%s\n' "$f"; return 0; fi
    done
  done
  return 1
}

have_libclang() {
  # shellcheck disable=SC2086
  libclang_in_dir ${LIBCLANG_PATH:+"$LIBCLANG_PATH"} /usr/lib/llvm-*/lib \
    /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/local/lib >/dev/null
}

ensure_libclang() {
  have_libclang && return 0
  _say "installing libclang-dev and clang with apt-get (bindgen needs them to build pg_query, PostgreSQL's parser)"
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
