#!/usr/bin/env bash
# Supply-chain checks with cargo deny (deny.toml says what is allowed): banned crates,
# licenses and sources on every run; known advisories wherever the RustSec database can be
# had. Installs cargo-deny from crates.io when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.20.2
if ! cargo deny --version 2>/dev/null | grep -q " $version\$"; then
    echo "installing cargo-deny $version (a few minutes, once per machine)" >&2
    # Its own target directory: the project's must not hold its 300 crates.
    env -u CARGO_TARGET_DIR cargo install --locked --quiet cargo-deny --version "$version"
fi
cargo deny --locked check bans licenses sources
# The advisory database is a git repository on github.com, which this machine cannot reach:
# fetch it where that works, else use a copy already in ~/.cargo/advisory-dbs (cargo deny's
# default place; copy a checkout of github.com/RustSec/advisory-db there), else say SKIPPED.
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if cargo deny --locked check advisories 2>"$errors"; then
    echo "advisories ok"
elif ! grep -q "failed to fetch advisory database" "$errors"; then
    cat "$errors" >&2
    exit 1
elif compgen -G "$HOME/.cargo/advisory-dbs/*/crates" >/dev/null; then
    cargo deny --locked check --disable-fetch advisories
else
    echo "SKIPPED: cargo deny advisories: the RustSec database (github.com/RustSec/advisory-db) cannot be fetched from this machine and no copy is in ~/.cargo/advisory-dbs"
fi
