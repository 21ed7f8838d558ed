#!/usr/bin/env bash
# Runs retail-pipeline's generator and the Python baseline (benches/baseline, Faker) on the same
# machine in one go, and writes both with their ratios to bench-results/comparison.json, with
# our CSV and Parquet lakes side by side (bytes, rows/s encoded, rows/s generated and written).
# Usage: benches/compare.sh [HOURS]   (default 24, at the default scale: 1,000 products, 25 stores)
set -euo pipefail
cd "$(dirname "$0")/.."
hours="${1:-24}"
# shellcheck source=scripts/cargo-env.sh
. scripts/cargo-env.sh
venv="${RP_BENCH_VENV:-$HOME/.cache/retail-pipeline/bench-venv}"
mkdir -p bench-results
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import faker' 2>/dev/null; then
    echo "setting up the baseline's virtual environment in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/baseline/requirements.txt
fi
echo "== python baseline, one core, $hours hours" >&2
"$venv/bin/python" benches/baseline/retail_baseline.py --hours "$hours" > bench-results/baseline.json
echo "== retail-pipeline bench, $hours hours" >&2
cargo build --locked --release --quiet
"$CARGO_TARGET_DIR/release/retail-pipeline" --data-dir "$(mktemp -d)" bench --hours "$hours" --out bench-results/generator.json
python3 - <<'PY'
import json
ours = json.load(open("bench-results/generator.json"))
base = json.load(open("bench-results/baseline.json"))
tables = {t["table"]: t for t in ours["single_thread"]["tables"]}
rows = []
for name, py_rate in base["rows_per_sec"].items():
    rust = tables[name]["rows_per_sec"]
    rows.append({"table": name, "retail_pipeline_rows_per_sec": rust, "python_rows_per_sec": py_rate, "ratio": rust / py_rate})
report = {
    "machine": ours["machine"],
    "hours": ours["hours"],
    "single_core": rows,
    "all_rows_single_core": {"retail_pipeline": ours["single_thread"]["all_rows_per_sec"], "python": base["all_rows_per_sec"],
                             "ratio": ours["single_thread"]["all_rows_per_sec"] / base["all_rows_per_sec"]},
    "all_cores_rows_per_sec": ours["all_cores"]["rows_per_sec"],
    "lake_write": ours["lake_write"],
    "lake_formats_side_by_side": ours["parquet"]["side_by_side"],
}
json.dump(report, open("bench-results/comparison.json", "w"), indent=2)
print(f"{'table (one core)':<28}{'retail-pipeline':>18}{'python+Faker':>16}{'ratio':>10}")
for r in rows:
    print(f"{r['table']:<28}{r['retail_pipeline_rows_per_sec']:>18,.0f}{r['python_rows_per_sec']:>16,.0f}{r['ratio']:>9.0f}x")
a = report["all_rows_single_core"]
print(f"{'all tables':<28}{a['retail_pipeline']:>18,.0f}{a['python']:>16,.0f}{a['ratio']:>9.0f}x")
print(f"{'csv and parquet (retail-pipeline)':<56}{'csv':>16}{'parquet':>16}{'ratio':>8}")
for f in report["lake_formats_side_by_side"]:
    print(f"{f['figure']:<56}{f['csv']:>16,.0f}{f['parquet']:>16,.0f}{f['ratio']:>8.3f}")
print("written to bench-results/comparison.json")
PY
