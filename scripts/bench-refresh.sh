#!/usr/bin/env bash
# Measures one incremental refresh of one new hour after 1 day and after 30 days of history
# at the default scale, with the release binary. The refresh's cost should follow the new
# data, not the history: the two figures should be close.
#
# Usage: scripts/bench-refresh.sh [WORK_DIR]   (default: a new temp dir; needs ~1 GB)
# Env: RP_BIN=path/to/retail-pipeline to measure that binary instead of building --release.
# Prints one line per measurement; the JSON reports are kept in WORK_DIR.
set -euo pipefail

work="${1:-$(mktemp -d)}"
if [[ -n "${RP_BIN:-}" ]]; then
    bin="$RP_BIN"
else
    cd "$(dirname "$0")/.."
    # shellcheck source=scripts/cargo-env.sh
    . scripts/cargo-env.sh
    bin="$CARGO_TARGET_DIR/release/retail-pipeline"
    cargo build --locked --release --quiet
fi
rp() { RUST_LOG=warn "$bin" --data-dir "$work" --scale default --log-format text "$@"; }

# After the history up to $2 (inclusive) is loaded, lands one new hour at a time on date $3
# (hours 00-08) and times each refresh. Prints the median and all samples.
measure() {
    local label="$1" history_to="$2" next_date="$3"
    rp backfill --from 2026-11-01T00 --to "$history_to" >/dev/null
    rp refresh >/dev/null # load the history
    local inner=() whole=()
    for hour in 0 1 2 3 4 5 6 7 8; do
        rp generate --date "$next_date" --hour "$hour" >/dev/null
        local start end report="$work/refresh-$label-$hour.json"
        start=$(date +%s%N)
        rp refresh --json >"$report"
        end=$(date +%s%N)
        inner+=("$(grep -o '"elapsed_ms": [0-9]*' "$report" | grep -o '[0-9]*$')")
        whole+=("$(((end - start) / 1000000))")
    done
    median() { printf '%s\n' "$@" | sort -n | sed -n 5p; }
    printf '%s: refresh of 1 new hour: median %s ms inside refresh (samples %s), %s ms whole process (samples %s)\n' \
        "$label" "$(median "${inner[@]}")" "${inner[*]}" "$(median "${whole[@]}")" "${whole[*]}"
}

measure "after-1-day" 2026-11-01T23 2026-11-02
measure "after-30-days" 2026-11-30T23 2026-12-01
du -sh "$work/lake" "$work/warehouse.duckdb" | sed 's/^/size: /'
