"""Reads a Parquet lake with Apache Arrow's reader (pyarrow), which this project did not
write, and holds it to the CSV lake of the same seed, scale and hours:

- every file decodes, with the logical types the README names (text as string, dates as
  date32, times as timestamp[us, UTC], money as decimal128(12, 2));
- its values equal the CSV file's, column for column, row for row;
- every row group's statistics (min, max, null count) are the values' own.

Usage: check_lake.py CSV_LAKE PARQUET_LAKE
"""

import pathlib
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

ALLOWED = {
    pa.string(),
    pa.int32(),
    pa.int64(),
    pa.date32(),
    pa.timestamp("us", tz="UTC"),
    pa.decimal128(12, 2),
}


def check_file(parquet_path: pathlib.Path, csv_path: pathlib.Path) -> int:
    pf = pq.ParquetFile(parquet_path)
    meta = pf.metadata
    if not meta.created_by.startswith("retail-pipeline generator"):
        raise AssertionError(f"{parquet_path}: created_by {meta.created_by!r}")
    table = pf.read()
    for field in table.schema:
        if field.type not in ALLOWED:
            raise AssertionError(f"{parquet_path}: {field.name} is {field.type}")
    expected = pcsv.read_csv(
        csv_path,
        convert_options=pcsv.ConvertOptions(
            column_types=table.schema,
            strings_can_be_null=True,
            # Only an empty field is null (customer_id); text such as "NA" stays text.
            null_values=[""],
        ),
    )
    if expected.schema.names != table.schema.names:
        raise AssertionError(f"{parquet_path}: columns {table.schema.names}, CSV {expected.schema.names}")
    expected = expected.cast(table.schema)
    if not table.equals(expected):
        for name in table.schema.names:
            if not table[name].equals(expected[name]):
                raise AssertionError(f"{parquet_path}: column {name} differs from the CSV's")
        raise AssertionError(f"{parquet_path}: differs from the CSV")
    start = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        rows = table.slice(start, group.num_rows)
        start += group.num_rows
        for c in range(group.num_columns):
            column = group.column(c)
            values = rows.column(c)
            stats = column.statistics
            if stats is None:
                raise AssertionError(f"{parquet_path}: row group {g} {column.path_in_schema} has no statistics")
            if stats.null_count != values.null_count:
                raise AssertionError(f"{parquet_path}: {column.path_in_schema} null count {stats.null_count}, values {values.null_count}")
            if stats.has_min_max:
                bounds = pc.min_max(values)
                if (stats.min, stats.max) != (bounds["min"].as_py(), bounds["max"].as_py()):
                    raise AssertionError(
                        f"{parquet_path}: row group {g} {column.path_in_schema} statistics "
                        f"{stats.min!r}..{stats.max!r}, values {bounds}"
                    )
    if start != meta.num_rows:
        raise AssertionError(f"{parquet_path}: row groups hold {start} rows, footer says {meta.num_rows}")
    return meta.num_row_groups


def main() -> None:
    csv_lake, parquet_lake = (pathlib.Path(p) for p in sys.argv[1:3])
    files = sorted(parquet_lake.glob("*/date=*/hour=*/*.parquet"))
    if not files:
        raise SystemExit(f"no Parquet files under {parquet_lake}")
    groups = 0
    for path in files:
        groups += check_file(path, csv_lake / path.relative_to(parquet_lake).with_suffix(".csv"))
    writer = pq.ParquetFile(files[0]).metadata.created_by
    print(f"parquet: {len(files)} files ({writer}), {groups} row groups read by pyarrow "
          f"{pa.__version__}: types, values and statistics as the CSV lake's")


if __name__ == "__main__":
    main()
