#!/usr/bin/env bash
# Measures the lake's two formats side by side in one run, at the default scale, with the
# release binary: for CSV and for Parquet, a 30-day backfill (generation with writing), the
# lake's size, the first refresh of those 30 days, and the refresh of one new hour after them
# (median of 9, the formats alternating hour by hour). Prints one line per format and writes
# the figures to bench-results/lake-formats.json.
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

rp() {
    local format=$1
    shift
    RUST_LOG=warn "$bin" --data-dir "$work/$format" --scale default --lake-format "$format" --log-format text "$@"
}
elapsed() { grep -o '"elapsed_ms": [0-9]*' "$1" | grep -o '[0-9]*$'; }

declare -A backfill_ms rows data_bytes first_refresh_ms samples
for format in csv parquet; do
    start=$(ms)
    rp "$format" backfill --from 2026-11-01T00 --to 2026-11-30T23 >/dev/null
    backfill_ms[$format]=$(($(ms) - start))
    # The backfill's files reach the disk before the refresh is timed: otherwise the kernel's
    # writeback of them (568 MB of CSV, 87 MB of Parquet) runs during the refresh and is
    # counted as the refresh's time (measured the same hour: CSV's first refresh 8.4-9.9 s
    # without this, 8.3-8.6 s with it).
    sync
    data_bytes[$format]=$(find "$work/$format/lake" -name "part-*.$format" -printf '%s\n' | awk '{s += $1} END {print s}')
    rows[$format]=$(cat "$work/$format"/lake/_manifests/*/*/*.json | grep -o '"rows": [0-9]*' | awk 'NR % 2 == 1 {s += $2} END {print s}')
    start=$(ms)
    rp "$format" refresh --json >"$work/$format-first-refresh.json"
    first_refresh_ms[$format]=$(($(ms) - start))
done
# One new hour at a time, the formats alternating, so that the machine's drift over the run
# (other tenants, the disk) falls on both alike.
for hour in 0 1 2 3 4 5 6 7 8; do
    for format in csv parquet; do
        rp "$format" generate --date 2026-12-01 --hour "$hour" >/dev/null
        rp "$format" refresh --json >"$work/$format-hour-$hour.json"
        samples[$format]+="$(elapsed "$work/$format-hour-$hour.json") "
    done
done

results=()
for format in csv parquet; do
    read -r -a hour_samples <<<"${samples[$format]}"
    hour_median=$(printf '%s\n' "${hour_samples[@]}" | sort -n | sed -n 5p)
    printf '%s: 30-day backfill %s ms (%s rows, %.0f rows/s), data files %s bytes, first refresh %s ms, one new hour refreshed in %s ms (median; samples %s)\n' \
        "$format" "${backfill_ms[$format]}" "${rows[$format]}" "$(echo "${rows[$format]} * 1000 / ${backfill_ms[$format]}" | bc -l)" \
        "${data_bytes[$format]}" "${first_refresh_ms[$format]}" "$hour_median" "${hour_samples[*]}"
    results+=("{\"format\": \"$format\", \"backfill_ms\": ${backfill_ms[$format]}, \"rows\": ${rows[$format]}, \"data_bytes\": ${data_bytes[$format]}, \"first_refresh_ms\": ${first_refresh_ms[$format]}, \"one_hour_refresh_median_ms\": $hour_median, \"one_hour_refresh_samples_ms\": [$(IFS=,; echo "${hour_samples[*]}")]}")
done
rm -rf "$work/csv" "$work/parquet"
mkdir -p "$root/bench-results"
(IFS=,; echo "[${results[*]}]") >"$root/bench-results/lake-formats.json"
echo "written to bench-results/lake-formats.json"
