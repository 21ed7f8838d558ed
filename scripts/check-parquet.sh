#!/usr/bin/env bash
# Reads a Parquet lake written by the binary with Apache Arrow's reader (pyarrow, PyPI), which
# this project did not write, and holds it to the CSV lake of the same seed and hours: types,
# values and row-group statistics (scripts/parquet/check_lake.py). Two hours: one at the small
# scale, one with enough stores for inventory to span two row groups and many pages.
#
#   scripts/check-parquet.sh [BINARY]   # default: $CARGO_TARGET_DIR/debug/retail-pipeline
#
# Without PyPI the check says SKIPPED and passes on a laptop, and fails where CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/python-venv.sh
. scripts/lib/python-venv.sh
target="${CARGO_TARGET_DIR:-$HOME/.cache/retail-pipeline/target}"
binary="${1:-$target/debug/retail-pipeline}"
cache="${RP_PARQUET_CHECK_CACHE:-$HOME/.cache/retail-pipeline/parquet-check}"
reqs=scripts/parquet/requirements.txt

log() { echo "parquet: $*" >&2; }

if [ ! -x "$binary" ]; then
    log "no binary at $binary; build it first (cargo build)"
    exit 1
fi
python_venv parquet "$cache/venv" "$reqs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One lake per scale (a lake keeps the scale it was made with), in both formats.
check() {
    local name=$1 date=$2 hour=$3
    shift 3
    for format in csv parquet; do
        RUST_LOG=warn "$binary" --data-dir "$work/$name-$format" --lake-format "$format" \
            --log-format text "$@" generate --date "$date" --hour "$hour" >/dev/null
    done
    "$venv/bin/python" scripts/parquet/check_lake.py "$work/$name-csv/lake" "$work/$name-parquet/lake"
}
check small 2026-11-20 18 --scale small
# 2,000 products in 300 stores: about 350,000 inventory rows, over ROW_GROUP_ROWS.
check wide 2026-11-22 9 --scale large --stores 300
