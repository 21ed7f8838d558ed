#!/usr/bin/env bash
# Fetch DuckDB's official prebuilt shared library (libduckdb.so) so the
# `duckdb` crate can link against it instead of compiling DuckDB from source.
#
# The library is taken from the npm package @duckdb/node-bindings-linux-x64,
# which ships libduckdb.so with parquet, json and icu built in. The tarball is
# checked against a pinned sha512 integrity before anything is extracted.
#
# Usage:
#   export DUCKDB_LIB_DIR="$(scripts/libduckdb.sh)"
#
# The last (and only) line on stdout is the directory holding libduckdb.so;
# progress and errors go to stderr. Idempotent: a cache that already holds a
# verified copy is reused without touching npm.
#
# Env:
#   RP_DUCKDB_CACHE  cache dir (default $HOME/.cache/retail-pipeline/libduckdb-1.5.6)
#
# Only x86_64 Linux is covered; elsewhere build with the bundled fallback
# (cargo feature `duckdb-bundled`, i.e. duckdb/bundled).
set -euo pipefail

readonly DUCKDB_VERSION="1.5.6"
readonly NPM_SPEC="@duckdb/node-bindings-linux-x64@1.5.6-r.1"
readonly NPM_INTEGRITY="sha512-IXcrZJE6kEqM0Z4wwdVnGBHX/frOS33VPNAwDXQ/Q+Fs84b058Qe94chrCCIcNJlG8Y3UHIUU4eBeCQxW5mN1Q=="

die() {
    printf 'libduckdb.sh: error: %s\n' "$*" >&2
    exit 1
}

log() {
    printf 'libduckdb.sh: %s\n' "$*" >&2
}

# Hex sha512 of a file, compared against the hex form of the pinned integrity.
sha512_hex() {
    sha512sum "$1" | cut -d' ' -f1
}

integrity_hex() {
    printf '%s' "${NPM_INTEGRITY#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n'
}

os="$(uname -s)"
arch="$(uname -m)"
if [[ "$os" != "Linux" || "$arch" != "x86_64" ]]; then
    die "no prebuilt libduckdb for ${os}/${arch} (only Linux/x86_64); build with the bundled DuckDB instead: cargo build --features duckdb-bundled"
fi

cache="${RP_DUCKDB_CACHE:-${HOME:?HOME is not set}/.cache/retail-pipeline/libduckdb-${DUCKDB_VERSION}}"
lib="${cache}/libduckdb.so"
stamp="${cache}/.verified"
expected_stamp="${NPM_SPEC} ${NPM_INTEGRITY}"

# Fast path: a previous run verified the tarball and extracted the library.
# The stamp records the integrity and the size of the extracted library.
if [[ -f "$lib" && -f "$stamp" ]]; then
    size="$(stat -c %s "$lib")"
    if [[ "$(cat "$stamp")" == "${expected_stamp} ${size}" ]]; then
        printf '%s\n' "$cache"
        exit 0
    fi
    log "cached copy in ${cache} is stale or incomplete; fetching again"
fi

mkdir -p "$cache" || die "cannot create cache dir ${cache}"
tmp="$(mktemp -d "${cache}/.tmp.XXXXXX")" || die "cannot create a temp dir in ${cache}"
trap 'rm -rf "$tmp"' EXIT

command -v npm >/dev/null 2>&1 \
    || die "npm not found; install npm (e.g. apt-get install npm) or build with the bundled DuckDB: cargo build --features duckdb-bundled"

log "fetching ${NPM_SPEC} with npm pack"
# npm prints the tarball name on stdout: keep stdout for our own result only.
if ! (cd "$tmp" && npm pack --loglevel=error "$NPM_SPEC") >"${tmp}/npm-pack.out" 2>"${tmp}/npm-pack.err"; then
    cat "${tmp}/npm-pack.err" >&2
    die "npm pack ${NPM_SPEC} failed (registry unreachable?)"
fi
tarball="$(find "$tmp" -maxdepth 1 -name '*.tgz' -print -quit)"
[[ -n "$tarball" ]] || die "npm pack ${NPM_SPEC} produced no tarball"

log "verifying sha512 of $(basename "$tarball")"
if [[ "$(sha512_hex "$tarball")" != "$(integrity_hex)" ]]; then
    die "checksum mismatch for ${NPM_SPEC}: tarball does not match pinned ${NPM_INTEGRITY}"
fi

members=(package/libduckdb.so)
# No header is shipped today (libduckdb-sys uses its pre-generated bindings),
# but take duckdb.h too if a later package has one.
if tar -tzf "$tarball" | grep -qx 'package/duckdb.h'; then
    members+=(package/duckdb.h)
fi
# Keep the archive's mtime (npm pins it to 1985): cargo reruns a build script whose tracked
# file is newer than its last run, so a fresh mtime would cost one extra rebuild.
tar -xzf "$tarball" -C "$tmp" "${members[@]}" || die "cannot extract libduckdb.so from $(basename "$tarball")"

# Move into place with renames so a concurrent run never sees a partial file.
for member in "${members[@]}"; do
    mv -f "${tmp}/${member}" "${cache}/$(basename "$member")"
done
size="$(stat -c %s "$lib")"
printf '%s %s\n' "$expected_stamp" "$size" >"${tmp}/stamp"
mv -f "${tmp}/stamp" "$stamp"

log "libduckdb ${DUCKDB_VERSION} ready in ${cache}"
printf '%s\n' "$cache"
