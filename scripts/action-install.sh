#!/usr/bin/env bash
# Installs sqlgate for the GitHub Action (action.yml): the release binary for this
# runner's OS/arch, verified by SHA-256, or a build from the action's own source.
# Inputs arrive only as environment variables (never as shell text):
#   SQLGATE_VERSION       '' (what the action was pinned to: see below), 'source', a
#                         release tag such as v0.2.0, or a major/minor line (v1, v1.2)
#                         that resolves to its newest release
#   SQLGATE_SHA256        optional: the archive's expected SHA-256 (pin it yourself)
#   SQLGATE_RELEASE_REPO  owner/name that hosts the releases [default: the action's repo]
#   SQLGATE_INSTALL_TOKEN optional: a token for the releases API (rate limits)
# Uses GITHUB_ACTION_PATH, GITHUB_ACTION_REF, GITHUB_ACTION_REPOSITORY, GITHUB_SERVER_URL,
# GITHUB_API_URL, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP; writes `path=<binary>` to
# GITHUB_OUTPUT.
#
# Which release, without a `version` input: the tag the action was pinned to
# (`@v1.2.3`); for `@v1` or `@v1.2`, the newest release of that line (not drafts or
# pre-releases); for a commit SHA or a branch, the version that checkout of the action
# records (its Cargo.toml) — so pinning the action to a SHA installs that release's
# verified binary rather than building from source. `version: source`, and a local
# action (`uses: ./`, no ref), build from the checkout.
set -euo pipefail

oneline() { printf '%s' "$1" | tr '\r\n' '  ' | cut -c1-200; }
fail() { printf '::error title=sqlgate install::%s\n' "$(oneline "$1")"; exit 1; }

action_dir="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
version="${SQLGATE_VERSION:-}"
if [ -z "$version" ]; then
  case "${GITHUB_ACTION_REF:-}" in
    v[0-9]*) version="$GITHUB_ACTION_REF" ;;
    '') version=source ;; # a local action (`uses: ./`): this checkout is the source
    *)
      # A SHA or a branch: the version this checkout of the action records.
      recorded="$(sed -n 's/^version = "\([0-9][0-9A-Za-z.+-]*\)"$/\1/p' "$action_dir/Cargo.toml" 2>/dev/null | head -n1)"
      [ -n "$recorded" ] || fail "cannot tell which release this checkout of the action is (no version in $action_dir/Cargo.toml); set the input 'version' (a release tag, or 'source')"
      version="v$recorded"
      ;;
  esac
fi
case "$version" in
  source) ;;
  v[0-9]*) ;;
  [0-9]*) version="v$version" ;;
  *) fail "input 'version' must be 'source' or a release tag like v0.2.0, not '$version'" ;;
esac
case "$version" in
  *[!A-Za-z0-9._-]*) fail "input 'version' has characters a release tag cannot have: '$version'" ;;
esac

out() { if [ -n "${GITHUB_OUTPUT:-}" ]; then printf 'path=%s\n' "$1" >>"$GITHUB_OUTPUT"; fi; printf 'sqlgate: using %s\n' "$1"; }

if [ "$version" = source ]; then
  command -v cargo >/dev/null 2>&1 || fail "building from source needs Rust (cargo); install it first or use a release version"
  # shellcheck source=ensure-deps.sh
  . "$action_dir/scripts/ensure-deps.sh"
  ensure_libclang || fail "building from source needs libclang (apt-get install libclang-dev)"
  target_dir="$tmp/sqlgate-target"
  cargo build --release --locked --quiet --manifest-path "$action_dir/Cargo.toml" --target-dir "$target_dir"
  "$target_dir/release/sqlgate" --version
  out "$target_dir/release/sqlgate"
  exit 0
fi

os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
case "$os/$arch" in
  Linux/X64|Linux/x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64|Linux/aarch64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64|Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64|Darwin/arm64) target=aarch64-apple-darwin ;;
  *) fail "no sqlgate release binary for $os/$arch; use a Linux or macOS runner, or version: source" ;;
esac

repo="${SQLGATE_RELEASE_REPO:-${GITHUB_ACTION_REPOSITORY:-}}"
[ -n "$repo" ] || fail "cannot tell which repository hosts the releases: set SQLGATE_RELEASE_REPO"
case "$repo" in
  */*/*|*[!A-Za-z0-9._/-]*) fail "SQLGATE_RELEASE_REPO must be owner/name, not '$repo'" ;;
  */*) ;;
  *) fail "SQLGATE_RELEASE_REPO must be owner/name, not '$repo'" ;;
esac
proto_of() {
  case "$1" in
    http://127.0.0.1[:/]*|http://localhost[:/]*) printf '=http,https' ;; # the test suite's local server
    *) printf '=https' ;;
  esac
}

# `v1` or `v1.2`: the newest release of that line, from the releases API.
case "$version" in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  v[0-9]*)
    api="${GITHUB_API_URL:-https://api.github.com}"
    list="$(mktemp "$tmp/sqlgate-releases.XXXXXX")"
    auth=()
    if [ -n "${SQLGATE_INSTALL_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $SQLGATE_INSTALL_TOKEN"); fi
    curl --proto "$(proto_of "$api")" -fsSL --retry 5 --retry-all-errors --retry-delay 1 \
      -H 'Accept: application/vnd.github+json' ${auth[@]+"${auth[@]}"} \
      -o "$list" "$api/repos/$repo/releases?per_page=100" \
      || fail "cannot list the releases of $repo to resolve $version (set the input 'version' to a full tag such as ${version}.0.0)"
    command -v python3 >/dev/null 2>&1 || fail "resolving $version needs python3; set the input 'version' to a full release tag"
    resolved="$(python3 - "$list" "$version" <<'EOF'
import json, re, sys
path, line = sys.argv[1], sys.argv[2]
try:
    releases = json.load(open(path))
except ValueError:
    sys.exit(0)
pat = re.compile(r"^" + re.escape(line) + r"(\.[0-9]+)*$")
full = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+$")
tags = [r.get("tag_name", "") for r in releases if isinstance(r, dict)
        and not r.get("draft") and not r.get("prerelease")]
tags = [t for t in tags if full.match(t) and pat.match(t)]
if tags:
    print(max(tags, key=lambda t: tuple(int(x) for x in t[1:].split("."))))
EOF
)"
    rm -f "$list"
    [ -n "$resolved" ] || fail "no release of $repo matches $version"
    printf 'sqlgate: %s resolves to %s\n' "$version" "$resolved"
    version="$resolved"
    ;;
esac
asset="sqlgate-$version-$target.tar.gz"
url="${GITHUB_SERVER_URL:-https://github.com}/$repo/releases/download/$version/$asset"
dest="$tmp/sqlgate-$version-$target"
mkdir -p "$dest"
proto="$(proto_of "$url")"
fetch() { curl --proto "$proto" -fsSL --retry 5 --retry-all-errors --retry-delay 1 -o "$2" "$1"; }
fetch "$url" "$dest/$asset" || fail "cannot download $url"

expected="${SQLGATE_SHA256:-}"
if [ -z "$expected" ]; then
  fetch "$url.sha256" "$dest/$asset.sha256" || fail "cannot download the checksum $url.sha256"
  expected="$(cut -d' ' -f1 <"$dest/$asset.sha256")"
fi
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$dest/$asset" | cut -d' ' -f1)"
else
  actual="$(shasum -a 256 "$dest/$asset" | cut -d' ' -f1)"
fi
expected="$(printf '%s' "$expected" | tr 'A-F' 'a-f')"
[ "$actual" = "$expected" ] || fail "SHA-256 mismatch for $asset: expected $expected, got $actual; refusing to run it"
# Only the member named `sqlgate`, into an empty directory, and only when it is a
# regular file: a link in the archive is never followed, and nothing is executable
# before the checksum matched (above).
extract="$dest/extract"
rm -rf "$extract" && mkdir -p "$extract"
tar -xzf "$dest/$asset" -C "$extract" --no-same-owner --no-same-permissions sqlgate 2>/dev/null \
  || fail "$asset has no file named sqlgate"
bin="$extract/sqlgate"
if [ -L "$bin" ] || [ ! -f "$bin" ]; then
  rm -rf "$extract"
  fail "the sqlgate in $asset is not a regular file (a link or a directory); refusing to run it"
fi
chmod 0755 "$bin"
"$bin" --version
out "$bin"
