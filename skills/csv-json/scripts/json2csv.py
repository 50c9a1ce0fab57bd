#!/usr/bin/env python3
"""Convert JSON (array of objects, array of arrays) or JSON Lines to CSV/TSV.

Columns are the union of keys in first-seen order. Nested objects/arrays are
written as compact JSON text, or flattened to dotted keys with --flatten.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from csvsniff import InputError, decode, parse_delimiter, read_bytes


def load_json_or_jsonl(text: str, source: str):
    """Parse a JSON document; if that fails, try JSON Lines."""
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{source} is empty")
    try:
        return json.loads(stripped), "json"
    except json.JSONDecodeError as first_err:
        items = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                if lineno == 1 or not items:
                    raise InputError(f"invalid JSON in {source}: {first_err}") from None
                raise InputError(f"invalid JSON Lines in {source}, line {lineno}: {exc.msg}") from None
        return items, "jsonl"


def pick_key(data, key: str):
    for part in key.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.lstrip("-").isdigit():
            try:
                data = data[int(part)]
            except IndexError:
                raise InputError(f"--key {key!r}: index {part} out of range") from None
        else:
            raise InputError(f"--key {key!r}: {part!r} not found")
    return data


def find_records(data, key: str | None):
    if key:
        data = pick_key(data, key)
    if isinstance(data, dict):
        lists = [(k, v) for k, v in data.items() if isinstance(v, list)]
        if len(lists) == 1:
            print(f"note: using the list under key {lists[0][0]!r}", file=sys.stderr)
            return lists[0][1]
        if not lists:
            return [data]  # a single object becomes one row
        names = ", ".join(k for k, _ in lists)
        raise InputError(f"top-level object has several lists ({names}); choose one with --key")
    if not isinstance(data, list):
        raise InputError("JSON must be an array of objects/arrays, an object, or JSON Lines")
    return data


def flatten(obj: dict, prefix: str = "", sep: str = ".") -> dict:
    out = {}
    for k, v in obj.items():
        name = f"{prefix}{sep}{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out.update(flatten(v, name, sep))
        else:
            out[name] = v
    return out


def cell(value, null: str) -> str:
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Convert a JSON array / JSON Lines file to CSV or TSV.",
        epilog="Examples:\n"
        "  json2csv.py data.json -o data.csv\n"
        "  json2csv.py events.jsonl --delimiter tab --flatten -o events.tsv\n"
        "  json2csv.py api.json --key results --columns id,name --bom -o out.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="JSON or JSON Lines file ('-' for stdin)")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument(
        "--delimiter",
        default="comma",
        help="comma (default), semicolon, tab, pipe, or a single character",
    )
    p.add_argument("--columns", help="comma-separated columns to write, in this order")
    p.add_argument("--key", help="dot path to the list inside a JSON object, e.g. data.items")
    p.add_argument(
        "--flatten",
        action="store_true",
        help="flatten nested objects to dotted columns (address.city)",
    )
    p.add_argument("--null", default="", help="text written for null (default: empty)")
    p.add_argument("--encoding", default="auto", help="input encoding (default auto)")
    p.add_argument("--bom", action="store_true", help="write UTF-8 with BOM (helps Excel open non-ASCII text)")
    p.add_argument("--crlf", action="store_true", help="use CRLF line endings (RFC 4180)")
    p.add_argument("--no-header", action="store_true", help="do not write the header row")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        delimiter = parse_delimiter(args.delimiter) or ","
        text, _ = decode(read_bytes(args.input), args.encoding)
        data, _kind = load_json_or_jsonl(text, args.input)
        records = find_records(data, args.key)

        if records and all(isinstance(r, list) for r in records):
            # array of arrays: first row is the header
            header = [str(h) for h in records[0]]
            records = [dict(zip(header, r, strict=False)) for r in records[1:]]
        bad = [i for i, r in enumerate(records) if not isinstance(r, dict)]
        if bad:
            raise InputError(
                f"item {bad[0]} is {type(records[bad[0]]).__name__}, expected an object; every item must be an object"
            )
        if args.flatten:
            records = [flatten(r) for r in records]

        columns: list[str] = []
        seen = set()
        for r in records:
            for k in r:
                if k not in seen:
                    seen.add(k)
                    columns.append(k)
        if args.columns:
            wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
            missing = [c for c in wanted if c not in seen]
            if missing:
                raise InputError(f"column(s) not found: {', '.join(missing)}. Available: {', '.join(columns)}")
            columns = wanted
        if not columns:
            raise InputError("no columns: the input has no objects with keys")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    lineterminator = "\r\n" if args.crlf else "\n"
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL)
    if not args.no_header:
        writer.writerow(columns)
    for r in records:
        writer.writerow([cell(r.get(c), args.null) for c in columns])
    if not args.output:
        sys.stdout.write(buf.getvalue())
        return 0
    try:
        with open(args.output, "w", encoding="utf-8-sig" if args.bom else "utf-8", newline="") as fh:
            fh.write(buf.getvalue())
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(records)} rows x {len(columns)} columns to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
