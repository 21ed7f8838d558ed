#!/usr/bin/env python3
"""The Python generator a user would otherwise run, written fairly: Faker for names, a fixed
catalog drawn once (the fast way the better public generators do it), csv.writer into memory,
and the same tables and columns as retail-pipeline (product_catalog, stores, sales_data,
inventory_data, negative_inventory_alerts) with stock carried over hour to hour.

Prints one JSON object with rows and seconds per table for the hours it generated, on one core.
Usage: retail_baseline.py --hours 24 [--products 1000 --stores 25]
"""
import argparse
import csv
import io
import json
import random
import time
from datetime import datetime, timedelta, timezone

from faker import Faker

CATEGORIES = ["Grocery", "Beverages", "Household", "Personal Care", "Beauty", "Electronics",
              "Apparel", "Home & Kitchen", "Toys", "Sports & Outdoors", "Pet Supplies", "Office"]
HOUR_CURVE = [0.04, 0.02, 0.02, 0.02, 0.03, 0.08, 0.22, 0.45, 0.70, 0.85, 0.95, 1.00, 1.00, 0.92,
              0.85, 0.85, 0.92, 1.00, 1.00, 0.90, 0.72, 0.50, 0.28, 0.10]
PAYMENTS = ["credit_card", "debit_card", "mobile_wallet", "cash", "gift_card"]
PAYMENT_WEIGHTS = [0.45, 0.28, 0.15, 0.10, 0.02]


def build_world(fake, rng, n_products, n_stores):
    products = []
    for i in range(n_products):
        price = round(rng.uniform(1.29, 99.99), 2)
        products.append({
            "product_id": f"P{i + 1:05d}",
            "name": f"{fake.last_name()} {fake.word().title()}",
            "category": rng.choice(CATEGORIES),
            "brand": fake.company(),
            "unit_price": price,
            "list_price": price,
            "cost_price": round(price * rng.uniform(0.45, 0.75), 2),
            "supplier_id": f"SUP{rng.randint(1, 40):04d}",
            "supplier_name": fake.company(),
        })
    stores = []
    for j in range(n_stores):
        stores.append({
            "store_id": f"S{j + 1:04d}",
            "store_name": f"{fake.city()} {rng.choice(['Plaza', 'Crossing', 'Commons'])}",
            "city": fake.city(),
            "state": fake.state_abbr(),
            "format": rng.choice(["Supercenter", "Neighborhood", "Express"]),
            "size_sqft": rng.randint(8000, 190000),
            "manager": fake.name(),
            "opened_on": fake.date_between(start_date="-25y").isoformat(),
        })
    weights = [1.0 / (r + 1) ** 0.9 for r in range(n_products)]
    rng.shuffle(weights)
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    assortments = {s["store_id"]: [p for p in range(n_products) if rng.random() < 0.6] for s in stores}
    return products, stores, cum, assortments


def poisson(rng, mean):
    # Knuth, as the usual pure-Python generators do
    import math
    limit = math.exp(-mean)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def generate_hour(rng, products, stores, cum, assortments, stock, when, timings, rows):
    # product_catalog and stores: a snapshot per hour, as seed 000 writes them
    t = time.perf_counter()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(products[0].keys()))
    w.writeheader()
    w.writerows(products)
    timings["product_catalog"] += time.perf_counter() - t
    rows["product_catalog"] += len(products)

    t = time.perf_counter()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(stores[0].keys()))
    w.writeheader()
    w.writerows(stores)
    timings["stores"] += time.perf_counter() - t
    rows["stores"] += len(stores)

    # sales against stock, then inventory and alerts
    t = time.perf_counter()
    sales = io.StringIO()
    sw = csv.writer(sales)
    sw.writerow(["transaction_id", "line_number", "sold_at", "store_id", "product_id", "customer_id",
                 "quantity", "unit_price", "total_amount", "payment_method"])
    opening = dict(stock)
    sold = {}
    stamp = when.strftime("%Y%m%d%H")
    prefix = when.strftime("%Y-%m-%dT%H:")
    n_sales = 0
    for s in stores:
        sid = s["store_id"]
        baskets = poisson(rng, 66 * HOUR_CURVE[when.hour])
        for b in range(baskets):
            tid = f"T{stamp}-{sid}-{b + 1:05d}"
            sec = rng.randrange(3600)
            ts = f"{prefix}{sec // 60:02d}:{sec % 60:02d}Z"
            customer = f"C{rng.randrange(1, 50000):07d}" if rng.random() < 0.7 else ""
            payment = rng.choices(PAYMENTS, PAYMENT_WEIGHTS)[0]
            lines = 1 + poisson(rng, 1.6)
            for line, p in enumerate(rng.choices(range(len(products)), cum_weights=cum, k=lines), 1):
                key = (sid, p)
                qty = rng.randint(1, 3)
                if stock.get(key, 0) < qty and rng.random() > 0.006:
                    continue
                stock[key] = stock.get(key, 0) - qty
                sold[key] = sold.get(key, 0) + qty
                price = products[p]["unit_price"]
                sw.writerow([tid, line, ts, sid, products[p]["product_id"], customer, qty, f"{price:.2f}",
                             f"{price * qty:.2f}", payment])
                n_sales += 1
    timings["sales_data"] += time.perf_counter() - t
    rows["sales_data"] += n_sales

    t = time.perf_counter()
    inv = io.StringIO()
    iw = csv.writer(inv)
    iw.writerow(["store_id", "product_id", "opening_stock", "restocked", "returned", "units_sold",
                 "closing_stock", "par_level"])
    alerts = io.StringIO()
    aw = csv.writer(alerts)
    aw.writerow(["alert_id", "date", "hour", "store_id", "product_id", "opening_stock", "restocked",
                 "returned", "units_sold", "closing_stock", "detected_at"])
    n_inv = n_alerts = 0
    for s in stores:
        sid = s["store_id"]
        for p in assortments[sid]:
            key = (sid, p)
            o, u, c = opening.get(key, 0), sold.get(key, 0), stock.get(key, 0)
            iw.writerow([sid, products[p]["product_id"], o, 0, 0, u, c, 10])
            n_inv += 1
            if c < 0:
                aw.writerow([f"NEG-{stamp}-{sid}-{products[p]['product_id']}", when.date().isoformat(),
                             when.hour, sid, products[p]["product_id"], o, 0, 0, u, c,
                             when.strftime("%Y-%m-%dT%H:59:59Z")])
                n_alerts += 1
    timings["inventory_data"] += time.perf_counter() - t
    rows["inventory_data"] += n_inv
    rows["negative_inventory_alerts"] += n_alerts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--stores", type=int, default=25)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    fake = Faker("en_US")
    fake.seed_instance(args.seed)
    t = time.perf_counter()
    products, stores, cum, assortments = build_world(fake, rng, args.products, args.stores)
    world_secs = time.perf_counter() - t
    timings = dict.fromkeys(["product_catalog", "stores", "sales_data", "inventory_data"], 0.0)
    rows = dict.fromkeys(["product_catalog", "stores", "sales_data", "inventory_data",
                          "negative_inventory_alerts"], 0)
    start = datetime(2026, 11, 16, tzinfo=timezone.utc)
    stock = {}
    for h in range(args.hours):
        when = start + timedelta(hours=h)
        if when.hour == 0:  # nightly count, as retail-pipeline does
            stock = {(s["store_id"], p): rng.randint(5, 40) for s in stores for p in assortments[s["store_id"]]}
        if when.hour == 6:  # the morning delivery
            for key in stock:
                stock[key] = max(stock[key], 40)
        generate_hour(rng, products, stores, cum, assortments, stock, when, timings, rows)
    total = sum(timings.values())
    print(json.dumps({
        "world_build_secs": world_secs,
        "hours": args.hours,
        "rows": rows,
        "secs": timings,
        "rows_per_sec": {k: rows[k] / timings[k] for k in timings if timings[k] > 0},
        "all_rows_per_sec": sum(rows.values()) / total,
    }))


if __name__ == "__main__":
    main()
