#!/usr/bin/env bash
# Every check CI runs, in the order a failure is cheapest to read: format, lints, all tests.
# Built crates are kept outside the clone, so a fresh clone reuses them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cargo-env.sh
. scripts/cargo-env.sh

echo "== cargo fmt --check" >&2
cargo fmt --all --check
echo "== cargo clippy -D warnings" >&2
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo deny" >&2
scripts/deny.sh
# The Google Cloud emulators, on free loopback ports of this run only. Set RP_EMULATORS=off to
# run without them (their tests then skip and say so).
if [ "${RP_EMULATORS:-on}" != off ]; then
    echo "== emulators" >&2
    RP_EMULATOR_RUN=$(mktemp -d)
    export RP_EMULATOR_RUN
    trap 'scripts/emulators.sh stop; rm -rf "$RP_EMULATOR_RUN"' EXIT
    eval "$(scripts/emulators.sh start)"
fi
sudo_cmd=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo -n"; fi
# Headless Chromium for the dashboard's browser test (tests/dashboard_browser.rs), from
# Debian's packages. Best effort: without it that test says SKIPPED.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium for the dashboard test" >&2
    { $sudo_cmd apt-get install -y chromium chromium-driver >/dev/null 2>&1 ||
        { $sudo_cmd apt-get update >/dev/null 2>&1 &&
            $sudo_cmd apt-get install -y chromium chromium-driver >/dev/null 2>&1; }; } ||
        echo "warning: could not install chromium; the dashboard browser test will be SKIPPED" >&2
fi
# The shellcheck linter for tests/deploy.rs, from Debian's packages; best effort like Chromium.
if ! command -v shellcheck >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    { $sudo_cmd apt-get install -y shellcheck >/dev/null 2>&1 ||
        { $sudo_cmd apt-get update >/dev/null 2>&1 &&
            $sudo_cmd apt-get install -y shellcheck >/dev/null 2>&1; }; } ||
        echo "warning: could not install shellcheck; tests/deploy.rs will skip that check" >&2
fi
# promtool, Prometheus's linter for /metrics (tests/api.rs), from Debian's prometheus package;
# best effort like Chromium, without the server's recommends. Without it that test says SKIPPED
# (fails under CI=true).
if ! command -v promtool >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    { $sudo_cmd apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 ||
        { $sudo_cmd apt-get update >/dev/null 2>&1 &&
            $sudo_cmd apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1; }; } ||
        echo "warning: could not install promtool; the /metrics lint test will be SKIPPED" >&2
fi
echo "== cargo test" >&2
cargo test --locked "$@"
# The OpenAPI document validated by the standard's checker, then every endpoint fuzzed from it,
# against the binary the tests just built.
if [ "$#" -eq 0 ]; then
    echo "== OpenAPI document (openapi-spec-validator)" >&2
    scripts/check-openapi.sh "$CARGO_TARGET_DIR/debug/retail-pipeline"
    echo "== Parquet lake (pyarrow)" >&2
    scripts/check-parquet.sh "$CARGO_TARGET_DIR/debug/retail-pipeline"
    echo "== API fuzzing (schemathesis)" >&2
    scripts/fuzz-api.sh "$CARGO_TARGET_DIR/debug/retail-pipeline"
    # One minute of the soak (scripts/soak.sh --minutes 10 is the full one): memory and file
    # handles flat, nothing logged at warning or above, every streamed event accounted for.
    echo "== soak (1 minute)" >&2
    scripts/soak.sh --minutes 1 --binary "$CARGO_TARGET_DIR/debug/retail-pipeline"
fi
