#!/usr/bin/env python3
"""The shop's figures from a generated lake, with DuckDB SQL over the lake's CSV files.

    python3 scripts/shop_figures.py LAKE_DIR [--out FILE]

Reads inventory_data, sales_data and negative_inventory_alerts of every complete hour and
prints (and writes to --out as JSON) what README.md's "How the shop behaves" reports:
- pairs whose opening stock differs from the closing stock of the hour before, over every
  pair of consecutive hours in the lake (midnights and the weekly count included);
- rows where closing != opening + restocked + returned + adjusted - units_sold;
- the out-of-stock share (closing_stock <= 0, share of store-product pairs) by hour of day,
  its average, and per day the highest and lowest hour outside the night hours 23-05;
- alerts per hour, the weekly counts' adjustments, and units sold, restocked and the
  out-of-stock share per day (Black Friday and the days around it show there).
Needs the `duckdb` Python package (pip install duckdb).
"""

import argparse
import json
import sys

import duckdb

# Hours of the day whose traffic is under a tenth of the peak (reference::HOUR_CURVE): the
# stores' closing hours for the steadiness figure.
NIGHT_HOURS = (23, 0, 1, 2, 3, 4, 5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lake")
    parser.add_argument("--out")
    args = parser.parse_args()
    lake = args.lake.rstrip("/")
    db = duckdb.connect()

    def complete(table: str, columns: str) -> None:
        # Only hours whose manifest exists, as the warehouse's *_ext views read them.
        db.execute(
            f"""
            CREATE VIEW {table} AS
            SELECT d.* FROM read_csv('{lake}/{table}/*/*/*.csv', header = true,
                hive_partitioning = true, hive_types = {{'date': DATE, 'hour': INTEGER}},
                columns = {columns}) AS d
            SEMI JOIN read_json('{lake}/_manifests/{table}/*/*.json',
                columns = {{'date': 'DATE', 'hour': 'INTEGER'}}) AS m
                ON d.date = m.date AND d.hour = m.hour
            """
        )

    complete(
        "inventory_data",
        "{'store_id': 'VARCHAR', 'product_id': 'VARCHAR', 'opening_stock': 'INTEGER', "
        "'restocked': 'INTEGER', 'returned': 'INTEGER', 'adjusted': 'INTEGER', "
        "'units_sold': 'INTEGER', 'closing_stock': 'INTEGER', 'par_level': 'INTEGER'}",
    )
    complete(
        "negative_inventory_alerts",
        "{'alert_id': 'VARCHAR', 'alert_date': 'DATE', 'alert_hour': 'INTEGER', "
        "'store_id': 'VARCHAR', 'product_id': 'VARCHAR', 'opening_stock': 'INTEGER', "
        "'restocked': 'INTEGER', 'returned': 'INTEGER', 'units_sold': 'INTEGER', "
        "'closing_stock': 'INTEGER', 'detected_at': 'VARCHAR'}",
    )
    db.execute(
        "CREATE TABLE inv AS SELECT *, date + hour * INTERVAL 1 HOUR AS ts FROM inventory_data"
    )
    one = lambda sql: db.execute(sql).fetchone()  # noqa: E731

    hours, days = one("SELECT count(DISTINCT ts), count(DISTINCT date) FROM inv")
    rows, broken = one(
        "SELECT count(*), count(*) FILTER (WHERE closing_stock <> opening_stock + restocked"
        " + returned + adjusted - units_sold) FROM inv"
    )
    # Every pair of consecutive hours both in the lake.
    transitions, unexplained, midnights, midnight_unexplained = one(
        """
        SELECT count(*), count(*) FILTER (WHERE a.closing_stock <> b.opening_stock),
               count(*) FILTER (WHERE b.hour = 0),
               count(*) FILTER (WHERE b.hour = 0 AND a.closing_stock <> b.opening_stock)
        FROM inv AS a JOIN inv AS b
          ON b.ts = a.ts + INTERVAL 1 HOUR AND a.store_id = b.store_id
         AND a.product_id = b.product_id
        """
    )
    by_hour = db.execute(
        """
        WITH per AS (SELECT date, hour, avg((closing_stock <= 0)::INT) AS oos
                     FROM inv GROUP BY date, hour)
        SELECT hour, avg(oos) FROM per GROUP BY hour ORDER BY hour
        """
    ).fetchall()
    night = ",".join(str(h) for h in NIGHT_HOURS)
    per_day = db.execute(
        f"""
        WITH per AS (SELECT date, hour, avg((closing_stock <= 0)::INT) AS oos,
                            sum(units_sold) AS sold, sum(restocked) AS restocked,
                            sum(adjusted) AS adjusted, count(*) FILTER (WHERE adjusted <> 0) AS adj
                     FROM inv GROUP BY date, hour)
        SELECT date, min(oos) FILTER (WHERE hour NOT IN ({night})),
               max(oos) FILTER (WHERE hour NOT IN ({night})), avg(oos),
               sum(sold), sum(restocked), sum(adjusted), sum(adj)
        FROM per GROUP BY date ORDER BY date
        """
    ).fetchall()
    adjustments = db.execute(
        """
        SELECT date, hour, count(*), sum(adjusted), sum(abs(adjusted)),
               count(*) FILTER (WHERE abs(adjusted) = 1)
        FROM inv WHERE adjusted <> 0 GROUP BY date, hour ORDER BY date, hour
        """
    ).fetchall()
    (alerts,) = one("SELECT count(*) FROM negative_inventory_alerts")
    (pairs,) = one("SELECT count(*) FROM inv WHERE ts = (SELECT min(ts) FROM inv)")

    oos_mean = sum(v for _, v in by_hour) / len(by_hour)
    worst_ratio = max(hi / lo if lo else float("inf") for _, lo, hi, *_ in per_day)
    figures = {
        "lake": lake,
        "days": days,
        "hours": hours,
        "pairs": pairs,
        "rows": rows,
        "rows_breaking_closing_equation": broken,
        "consecutive_hour_transitions": transitions,
        "transitions_with_unexplained_difference": unexplained,
        "midnight_transitions": midnights,
        "midnight_transitions_with_unexplained_difference": midnight_unexplained,
        "out_of_stock_share_by_hour": {h: round(v * 100, 2) for h, v in by_hour},
        "out_of_stock_share_mean_pct": round(oos_mean * 100, 2),
        "night_hours_excluded_from_ratio": list(NIGHT_HOURS),
        "worst_day_max_over_min_hour": round(worst_ratio, 2),
        "alerts_per_hour": round(alerts / hours, 2),
        "weekly_counts": [
            {
                "at": f"{d}T{h:02d}",
                "pairs_adjusted": n,
                "pairs_adjusted_share_pct": round(100 * n / pairs, 1),
                "net_units": net,
                "abs_units": total,
                "pairs_off_by_one": ones,
            }
            for d, h, n, net, total, ones in adjustments
        ],
        "per_day": [
            {
                "date": str(d),
                "oos_min_open_pct": round(lo * 100, 2),
                "oos_max_open_pct": round(hi * 100, 2),
                "max_over_min": round(hi / lo, 2) if lo else None,
                "oos_mean_pct": round(mean * 100, 2),
                "units_sold": int(sold),
                "restocked": int(restocked),
            }
            for d, lo, hi, mean, sold, restocked, *_ in per_day
        ],
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
