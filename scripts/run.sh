#!/usr/bin/env bash
# Runs retail-pipeline on the embedded default (everything under ./data). With no arguments it
# starts the service on http://127.0.0.1:8080: its hourly schedule fills the rolling window (the
# last 3 days up to the last complete hour) at once, and then every hour.
# Any arguments are passed on: scripts/run.sh backfill --from 2026-11-01T00 --to 2026-11-30T23
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/retail-pipeline/target}"
# Link DuckDB from the machine-wide cache rather than each clone's .libduckdb: the same path in
# every clone keeps the built duckdb crates valid across clones (build.rs fetches it otherwise).
if [ -z "${DUCKDB_LIB_DIR:-}" ] && lib_dir=$(scripts/libduckdb.sh 2>/dev/null | tail -n 1) && [ -n "$lib_dir" ]; then
    export DUCKDB_LIB_DIR="$lib_dir"
fi
if [ "$#" -eq 0 ]; then
    set -- serve
fi
cargo build --release --locked --quiet
exec "$CARGO_TARGET_DIR/release/retail-pipeline" "$@"
