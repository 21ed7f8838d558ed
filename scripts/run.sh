#!/usr/bin/env bash
# Runs retail-pipeline on the embedded default (everything under ./data). With no arguments it
# starts the service on http://127.0.0.1:8080: its hourly schedule fills the rolling window (the
# last 3 days up to the last complete hour) at once, and then every hour.
# Any arguments are passed on: scripts/run.sh backfill --from 2026-11-01T00 --to 2026-11-30T23
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cargo-env.sh
. scripts/cargo-env.sh
if [ "$#" -eq 0 ]; then
    set -- serve
fi
cargo build --release --locked --quiet
exec "$CARGO_TARGET_DIR/release/retail-pipeline" "$@"
