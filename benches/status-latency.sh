#!/usr/bin/env bash
# /status latency while a stress scenario streams: the release service on a free loopback
# port runs the highest custom rate (60,000 events/min), and a second process calls
# GET /status. Two loads, one after the other:
# - hey (Debian package) at a fixed 1,000 requests/s (4 workers x 250/s): the goal's figure,
#   p99 under 5 ms at that rate;
# - wrk (Debian package), closed-loop on 2 connections: as fast as the service answers, the
#   ceiling, with its own p99.
# Writes bench-results/status-latency.txt.
#
#   benches/status-latency.sh [SECONDS]   (default 30; RP_BENCH_BINARY=path measures that binary)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
# shellcheck source=scripts/cargo-env.sh
. scripts/cargo-env.sh
for tool in hey wrk; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install hey wrk)" >&2; exit 1; }
done
[ -n "${RP_BENCH_BINARY:-}" ] || cargo build --locked --release --quiet
bin="${RP_BENCH_BINARY:-$CARGO_TARGET_DIR/release/retail-pipeline}"
work=$(mktemp -d)
pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$bin" --data-dir "$work/data" serve --port "$port" --bind 127.0.0.1 --schedule false \
    >/dev/null 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 300); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# A day of data so /status has a watermark and a lake to describe, then the stress.
curl -fsS -X POST -H 'content-type: application/json' "$base/generate" -d '{"date": "2026-03-01"}' >/dev/null
sleep 3
curl -fsS -X POST "$base/bq/refresh?wait=true" >/dev/null
curl -fsS -X POST -H 'content-type: application/json' "$base/scenarios/custom/start" \
    -d "{\"events_per_minute\": 60000, \"duration_seconds\": $((2 * seconds + 15))}" >/dev/null
mkdir -p bench-results
out=bench-results/status-latency.txt
{
    echo "# $(date -u +%FT%TZ) $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "# GET /status for ${seconds}s at 1,000 requests/s (hey, 4 workers x 250/s), while a scenario streams 1,000 events/s"
    hey -z "${seconds}s" -c 4 -q 250 "$base/status" | sed -n '/^Summary/,/^Status code/p'
    echo "# GET /status for ${seconds}s, closed loop on 2 connections (wrk), the same scenario still streaming"
    wrk -t1 -c2 -d"${seconds}s" --latency "$base/status"
    echo "# scenario at the end:"
    curl -fsS "$base/status" | python3 -c 'import json,sys; s=json.load(sys.stdin); j=[j for j in s["jobs"] if j["kind"]=="scenario"][0]; print("events sent", j["done"], "rate/s", round(j["rate_per_sec"], 1))'
    # What each subscriber batch cost to write (archive, lake and warehouse sinks): the work
    # that competes with /status for the two cores.
    curl -fsS "$base/metrics" | awk '/^retail_pipeline_stream_batches_total/ {b += $2}
        /^retail_pipeline_stream_write_seconds_total/ {s += $2}
        END { if (b > 0) printf "subscriber batches %d, %.1f ms each to write\n", b, 1000 * s / b }'
} | tee "$out"
echo "written to $out" >&2
