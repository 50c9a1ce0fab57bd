#!/usr/bin/env python3
"""Convert a CSV/TSV file to JSON (array of records) or JSON Lines.

The delimiter (, ; TAB |) and the encoding (utf-8, utf-8 with BOM, utf-16
with BOM, falling back to cp1252 then latin-1) are detected automatically
unless given. All values stay strings unless --infer-types is passed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from csvsniff import (
    DELIMITER_NAMES,
    InputError,
    decode,
    make_headers,
    parse_delimiter,
    read_bytes,
    read_table,
)

INT_RE = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
FLOAT_RE = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")


def infer(value: str):
    """Convert a cell to int/float/bool/None when it unambiguously is one.

    Numbers with leading zeros (00123, zip codes, ids) stay strings.
    """
    v = value.strip()
    if v == "":
        return None
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    if INT_RE.match(v):
        return int(v)
    if FLOAT_RE.match(v):
        digits = v.lstrip("+-")
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            return value  # leading zero: keep as text
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")):
            return value
        return f
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Convert CSV/TSV to a JSON array of records or to JSON Lines.",
        epilog="Examples:\n"
        "  csv2json.py data.csv -o data.json\n"
        "  csv2json.py data.tsv --format jsonl --infer-types -o data.jsonl\n"
        "  csv2json.py export.csv --columns id,name --delimiter ';'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="CSV/TSV file path ('-' for stdin)")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument(
        "--format",
        choices=["records", "jsonl"],
        default="records",
        help="records = one JSON array of objects (default); jsonl = one object per line",
    )
    p.add_argument(
        "--delimiter",
        default="auto",
        help="auto (default), comma, semicolon, tab, pipe, or a single character",
    )
    p.add_argument("--quotechar", default=None, help='quote character (default: auto, usually ")')
    p.add_argument(
        "--encoding",
        default="auto",
        help="input encoding (default auto: BOM, utf-8, cp1252, latin-1)",
    )
    p.add_argument(
        "--infer-types",
        action="store_true",
        help="convert numbers, true/false and empty cells (-> null); off by default",
    )
    p.add_argument("--columns", help="comma-separated column names to keep, in this order")
    p.add_argument(
        "--no-header",
        action="store_true",
        help="first row is data; keys become column_1, column_2, ...",
    )
    p.add_argument("--indent", type=int, default=2, help="indent for --format records (default 2; 0 = compact)")
    p.add_argument("--ascii", action="store_true", help="escape non-ASCII characters")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        delimiter = parse_delimiter(args.delimiter)
        text, encoding = decode(read_bytes(args.input), args.encoding)
        rows, delimiter, _ = read_table(text, delimiter, args.quotechar)
        if not rows:
            raise InputError(f"no rows found in {args.input}")
        if args.no_header:
            width = max(len(r) for r in rows)
            headers = [f"column_{i}" for i in range(1, width + 1)]
            data = rows
        else:
            headers = make_headers(rows[0])
            data = rows[1:]

        keep = headers
        if args.columns:
            wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
            missing = [c for c in wanted if c not in headers]
            if missing:
                raise InputError(f"column(s) not found: {', '.join(missing)}. Available: {', '.join(headers)}")
            keep = wanted

        records = []
        ragged = 0
        for lineno, row in enumerate(data, start=1 if args.no_header else 2):
            if len(row) != len(headers):
                ragged += 1
                if ragged <= 5:
                    print(
                        f"warning: row {lineno} has {len(row)} fields, header has {len(headers)}",
                        file=sys.stderr,
                    )
            rec = {}
            full = dict(zip(headers, row + [""] * (len(headers) - len(row)), strict=False))
            if len(row) > len(headers) and not args.columns:
                full["_extra"] = row[len(headers) :]
            for key in keep + (["_extra"] if "_extra" in full else []):
                val = full.get(key, "")
                if args.infer_types and isinstance(val, str):
                    val = infer(val)
                rec[key] = val
            records.append(rec)
        if ragged > 5:
            print(f"warning: {ragged} rows in total had a different field count", file=sys.stderr)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.format == "jsonl":
        out = "".join(json.dumps(r, ensure_ascii=args.ascii) + "\n" for r in records)
    else:
        out = json.dumps(records, ensure_ascii=args.ascii, indent=args.indent if args.indent > 0 else None) + "\n"

    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(out)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
            return 2
        print(
            f"wrote {len(records)} records to {args.output} "
            f"(encoding {encoding}, delimiter {DELIMITER_NAMES.get(delimiter, repr(delimiter))})",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
