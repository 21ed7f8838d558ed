#!/usr/bin/env bash
# Soak: a stress scenario (the highest custom rate) for --minutes N while an hourly generate
# and a refresh run every 20 s, on the embedded default. Once the start-up window is loaded,
# samples the service's memory (RSS), DuckDB's own account of its memory and open file
# handles every 5 s and fails if either grows (memory only judged from 5 minutes on), if any
# error or warning is logged, or if the streamed events do not reconcile.
# Writes its figures, with every sample, to a JSON file.
#
#   scripts/soak.sh [--minutes N] [--binary PATH] [--out FILE] [--no-jobs | --no-stream]
# --no-jobs leaves out the generate and refresh calls, --no-stream the scenario: each half of
# the load alone, to tell which one a change in memory comes from. The environment reaches
# the service: RP_WAREHOUSE_MEMORY_MIB=64 soaks it with a smaller DuckDB cap.
# Defaults: 10 minutes, $CARGO_TARGET_DIR/release/retail-pipeline (built if missing),
# $CARGO_TARGET_DIR/soak/soak-<minutes>m.json. CI runs a 1-minute soak of the debug binary.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cargo-env.sh
. scripts/cargo-env.sh
target="$CARGO_TARGET_DIR"
minutes=10
binary=""
out=""
jobs=1
stream=1
while [ "$#" -gt 0 ]; do
    case "$1" in
        --minutes) minutes=$2; shift 2 ;;
        --binary) binary=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --no-jobs) jobs=0; shift ;;
        --no-stream) stream=0; shift ;;
        *) echo "usage: scripts/soak.sh [--minutes N] [--binary PATH] [--out FILE] [--no-jobs | --no-stream]" >&2; exit 2 ;;
    esac
done
[ "$jobs$stream" = 00 ] && { echo "soak: --no-jobs and --no-stream leave nothing to run" >&2; exit 2; }
case "$minutes" in ''|*[!0-9]*|0) echo "soak: --minutes must be a whole number above 0" >&2; exit 2 ;; esac
if [ -z "$binary" ]; then
    binary="$target/release/retail-pipeline"
    [ -x "$binary" ] || cargo build --release --locked --quiet
fi
out="${out:-$target/soak/soak-${minutes}m.json}"
mkdir -p "$(dirname "$out")"

log() { echo "soak: $*" >&2; }

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
RUST_LOG=info "$binary" --data-dir "$work/data" --log-format json \
    serve --port "$port" --bind 127.0.0.1 >"$work/serve.out" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 300); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
post() { curl -fsS -X POST -H 'content-type: application/json' "$base$1" ${2:+-d "$2"}; }

# The schedule fills the rolling window (three days) as the service starts, and the first
# refresh loads all of it in one transaction: warm-up, whose DuckDB spill files and staged
# copies come and go with it (they took the handles from 14 to 23 for one sample, then back).
# Both end before sampling starts, so the samples judge the sped-up hourly pipeline alone.
idle=0
for _ in $(seq 1 600); do
    status=$(curl -fsS "$base/status")
    if grep -q '"kind":"generate"' <<<"$status" && ! grep -q '"state":"running"' <<<"$status"; then
        idle=1
        break
    fi
    sleep 0.1
done
[ "$idle" = 1 ] || { log "the start-up generate did not end within 60 s"; exit 1; }
[ "$jobs" = 1 ] && post "/bq/refresh?wait=true" >/dev/null

seconds=$((minutes * 60))
rate=60000
if [ "$stream" = 1 ]; then
    post /scenarios/custom/start "{\"events_per_minute\": $rate, \"duration_seconds\": $seconds}" >/dev/null
    log "stress scenario at $rate events/min for $minutes min against pid $pid"
fi
[ "$jobs" = 1 ] && log "a generate and a refresh every 20 s for $minutes min against pid $pid"
samples="$work/samples.tsv"
start=$(date +%s)
hour=0
next_job=$start
while :; do
    now=$(date +%s)
    elapsed=$((now - start))
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    # DuckDB's own account of its memory (buffer pool and the rest), to set against RSS.
    wh=$(curl -fsS "$base/metrics" | awk '/^retail_pipeline_warehouse_memory_bytes/ { s += $2 } END { printf "%d", s / 1024 }')
    printf '%s\t%s\t%s\t%s\n' "$elapsed" "$rss" "$fds" "$wh" >>"$samples"
    if [ "$jobs" = 1 ] && [ "$now" -ge "$next_job" ]; then
        # One new hour, then a refresh, every 20 s: the hourly pipeline, sped up.
        printf -v h '%02d' $((hour % 24))
        day=$((1 + hour / 24))
        post /generate "{\"date\": \"2026-02-$(printf '%02d' "$day")\", \"hour\": $((10#$h))}" >/dev/null
        post /bq/refresh >/dev/null
        hour=$((hour + 1))
        next_job=$((now + 20))
    fi
    if ! curl -fsS "$base/status" | grep -q '"kind":"scenario","name":"custom","state":"running"'; then
        [ "$elapsed" -ge "$seconds" ] && break
    fi
    [ "$elapsed" -gt $((seconds + 120)) ] && { log "the scenario did not end in time"; break; }
    sleep 5
done
# Let the last refresh end, then read the final state.
sleep 2
[ "$jobs" = 1 ] && post "/bq/refresh?wait=true" >/dev/null
curl -fsS "$base/status" >"$work/status.json"
kill -TERM "$pid"
wait "$pid" || true
pid=""

python3 - "$samples" "$work/status.json" "$work/serve.log" "$out" "$minutes" "$rate" "$jobs" "$stream" <<'PY'
import json, statistics, sys
samples_path, status_path, log_path, out_path, minutes, rate, with_jobs, with_stream = sys.argv[1:]
with_jobs, with_stream = with_jobs == "1", with_stream == "1"
rows = [tuple(int(x) for x in line.split("\t")) for line in open(samples_path) if line.strip()]
status = json.load(open(status_path))
problems = []
# The first third is warm-up (allocator arenas, DuckDB's cache of the tables it writes); memory
# is flat when the last third's median RSS is within 5% (+8 MiB of allocator slack) of the
# middle third's. Runs under 5 minutes report memory without judging it: too short to tell
# warm-up from growth.
third = max(1, len(rows) // 3)
first = statistics.median(r[1] for r in rows[third:2 * third] or rows)
last = statistics.median(r[1] for r in rows[-third:])
fds = [r[2] for r in rows]
bad_lines = []
for line in open(log_path):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    if entry.get("severity") in ("ERROR", "CRITICAL", "WARNING"):
        bad_lines.append(entry.get("message", line.strip()))
scenario = next((j for j in status["jobs"] if j["kind"] == "scenario"), None)
stream = status["stream"]
expected = int(rate) * int(minutes)
if with_stream and (scenario is None or scenario["state"] != "completed" or scenario["done"] != expected):
    problems.append(f"scenario: {scenario and (scenario['state'], scenario['done'])}, expected completed with {expected}")
accounted = stream["orders"] + stream["inventory"] + stream["user_activity"] + stream["alerts"] + stream["dead_letters"] + stream["failed"]
if stream["received"] != accounted or stream["failed"] or stream["dead_letters"]:
    problems.append(f"stream does not reconcile: {stream}")
# Handles are flat when they never vary by more than 8.
if int(minutes) >= 5 and last > first * 1.05 + 8 * 1024:
    problems.append(f"memory grew: median RSS {first:.0f} KiB in the middle third, {last:.0f} KiB in the last")
if max(fds) - min(fds) > 8:
    problems.append(f"file handles vary from {min(fds)} to {max(fds)}")
if bad_lines:
    problems.append(f"{len(bad_lines)} error/warning log lines, first: {bad_lines[0]}")
jobs = [j for j in status["jobs"] if j["kind"] in ("generate", "refresh")]
report = {
    "minutes": int(minutes),
    "load": {"scenario": with_stream, "generate_and_refresh": with_jobs},
    "rate_events_per_minute": int(rate),
    "events_sent": scenario and scenario["done"],
    "events_per_sec_measured": scenario and scenario["rate_per_sec"],
    "stream": stream,
    "rss_kib": {"middle_third_median": first, "last_third_median": last, "max": max(r[1] for r in rows)},
    "warehouse_memory_kib": {"last_third_median": statistics.median(r[3] for r in rows[-third:]), "max": max(r[3] for r in rows)},
    "samples_seconds_rss_kib_fds_warehouse_kib": rows,
    "open_fds": {"min": min(fds), "max": max(fds)},
    "generate_and_refresh_jobs": len(jobs),
    "failed_jobs": sum(1 for j in jobs if j["state"] == "failed"),
    "error_log_lines": len(bad_lines),
    "samples": len(rows),
    "problems": problems,
}
if report["failed_jobs"]:
    problems.append(f"{report['failed_jobs']} generate/refresh jobs failed")
json.dump(report, open(out_path, "w"), indent=2)
print(json.dumps({k: report[k] for k in ("events_sent", "rss_kib", "warehouse_memory_kib", "open_fds", "generate_and_refresh_jobs", "problems")}))
sys.exit(1 if problems else 0)
PY
log "figures in $out"
