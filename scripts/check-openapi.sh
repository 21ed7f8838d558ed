#!/usr/bin/env bash
# Validates the running service's own OpenAPI document with openapi-spec-validator (PyPI), the
# standard's reference checker: any error fails. tests/api.rs checks the parameter rule without
# Python; this checks the whole document against the OpenAPI schema. Then a client generated
# from the document alone (openapi-python-client) calls every operation of the running service
# (scripts/openapi/call_every_operation.py): each must answer as documented.
#
#   scripts/check-openapi.sh [BINARY]   # default: $CARGO_TARGET_DIR/debug/retail-pipeline
#
# Without PyPI the check says SKIPPED and passes on a laptop, and fails where CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/python-venv.sh
. scripts/lib/python-venv.sh
target="${CARGO_TARGET_DIR:-$HOME/.cache/retail-pipeline/target}"
binary="${1:-$target/debug/retail-pipeline}"
cache="${RP_OPENAPI_CACHE:-$HOME/.cache/retail-pipeline/openapi-check}"
reqs=scripts/openapi/requirements.txt

log() { echo "openapi: $*" >&2; }

if [ ! -x "$binary" ]; then
    log "no binary at $binary; build it first (cargo build)"
    exit 1
fi
python_venv openapi "$cache/venv" "$reqs"

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
RUST_LOG=warn "$binary" --data-dir "$work/data" --scale small \
    serve --port "$port" --bind 127.0.0.1 --schedule false >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! curl -fsS "$base/openapi.json" -o "$work/openapi.json"; then
    log "FAILED: no /openapi.json from $binary"
    cat "$work/serve.log" >&2
    exit 1
fi
if "$venv/bin/openapi-spec-validator" --subschema-errors all "$work/openapi.json"; then
    log "the OpenAPI document is valid"
else
    log "FAILED: the OpenAPI document of $binary is invalid"
    exit 1
fi
# ruff formats the generated code when present; the client works without it.
if ! "$venv/bin/openapi-python-client" generate --path "$work/openapi.json" --meta none \
    --output-path "$work/client/rp_client" >"$work/generate.log" 2>&1; then
    log "FAILED: openapi-python-client could not generate a client from the document"
    cat "$work/generate.log" >&2
    exit 1
fi
if ! "$venv/bin/python" scripts/openapi/call_every_operation.py "$base" "$work/openapi.json" "$work/client"; then
    log "FAILED: the generated client's calls (serve log follows)"
    tail -n 40 "$work/serve.log" >&2
    exit 1
fi
