# Sourced by every script that builds: one target directory outside the clone, so a fresh clone
# reuses built crates, and DuckDB linked from the machine-wide cache rather than each clone's
# .libduckdb (build.rs fetches it otherwise): the same path in every clone keeps the built duckdb
# crates valid across clones. Run from the repository's root.
# shellcheck shell=bash
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/retail-pipeline/target}"
if [ -z "${DUCKDB_LIB_DIR:-}" ] && lib_dir=$(scripts/libduckdb.sh 2>/dev/null | tail -n 1) && [ -n "$lib_dir" ]; then
    export DUCKDB_LIB_DIR="$lib_dir"
fi
