#!/usr/bin/env bash
# Measures the lake's two formats side by side in one run, at the default scale, with the
# release binary: for CSV and for Parquet, a 30-day backfill (generation with writing), the
# lake's size, the first refresh of those 30 days, and the refresh of one new hour after them
# (median of 9). Prints one line per figure and writes them to bench-results/lake-formats.json.
#
# Usage: scripts/bench-lake-formats.sh [WORK_DIR]   (default: a new temp dir; needs ~2 GB)
# Env: RP_BIN=path/to/retail-pipeline to measure that binary instead of building --release.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
if [[ -n "${RP_BIN:-}" ]]; then
    bin="$RP_BIN"
else
    cd "$root"
    # shellcheck source=scripts/cargo-env.sh
    . scripts/cargo-env.sh
    bin="$CARGO_TARGET_DIR/release/retail-pipeline"
    cargo build --locked --release --quiet
fi
ms() { echo $(($(date +%s%N) / 1000000)); }

results=()
for format in csv parquet; do
    dir="$work/$format"
    rp() { RUST_LOG=warn "$bin" --data-dir "$dir" --scale default --lake-format "$format" --log-format text "$@"; }
    start=$(ms)
    rp backfill --from 2026-11-01T00 --to 2026-11-30T23 >/dev/null
    backfill_ms=$(($(ms) - start))
    data_bytes=$(find "$dir/lake" -name "part-*.$format" -printf '%s\n' | awk '{s += $1} END {print s}')
    rows=$(cat "$dir"/lake/_manifests/*/*/*.json | grep -o '"rows": [0-9]*' | awk 'NR % 2 == 1 {s += $2} END {print s}')
    start=$(ms)
    rp refresh --json >"$work/$format-first-refresh.json"
    first_refresh_ms=$(($(ms) - start))
    samples=()
    for hour in 0 1 2 3 4 5 6 7 8; do
        rp generate --date 2026-12-01 --hour "$hour" >/dev/null
        rp refresh --json >"$work/$format-hour-$hour.json"
        samples+=("$(grep -o '"elapsed_ms": [0-9]*' "$work/$format-hour-$hour.json" | grep -o '[0-9]*$')")
    done
    hour_median=$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 5p)
    printf '%s: 30-day backfill %s ms (%s rows, %.0f rows/s), data files %s bytes, first refresh %s ms, one new hour refreshed in %s ms (median; samples %s)\n' \
        "$format" "$backfill_ms" "$rows" "$(echo "$rows * 1000 / $backfill_ms" | bc -l)" "$data_bytes" \
        "$first_refresh_ms" "$hour_median" "${samples[*]}"
    results+=("{\"format\": \"$format\", \"backfill_ms\": $backfill_ms, \"rows\": $rows, \"data_bytes\": $data_bytes, \"first_refresh_ms\": $first_refresh_ms, \"one_hour_refresh_median_ms\": $hour_median, \"one_hour_refresh_samples_ms\": [$(IFS=,; echo "${samples[*]}")]}")
    rm -rf "$dir"
done
mkdir -p "$root/bench-results"
(IFS=,; echo "[${results[*]}]") >"$root/bench-results/lake-formats.json"
echo "written to bench-results/lake-formats.json"
