#!/usr/bin/env python3
"""Report how a CSV/TSV file is encoded and delimited, and what columns it has.

Run this first when a delimited file looks wrong (one giant column, mojibake
like 'CafÃ©', a stray '\\ufeff' before the first header).
"""

from __future__ import annotations

import argparse
import json
import sys

from csvsniff import (
    DELIMITER_NAMES,
    InputError,
    decode,
    has_header,
    make_headers,
    parse_delimiter,
    read_bytes,
    read_table,
)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description="Detect encoding, delimiter, quote character and columns of a CSV/TSV file.",
        epilog="Example:\n  sniff.py export.csv\n  sniff.py export.csv --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="CSV/TSV file ('-' for stdin)")
    p.add_argument("--encoding", default="auto", help="force an encoding instead of detecting")
    p.add_argument("--delimiter", default="auto", help="force a delimiter instead of detecting")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--preview", type=int, default=3, help="data rows to preview (default 3)")
    args = p.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        raw = read_bytes(args.input)
        text, encoding = decode(raw, args.encoding)
        rows, delimiter, quotechar = read_table(text, parse_delimiter(args.delimiter), None)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: no rows found in {args.input}", file=sys.stderr)
        return 2
    widths = sorted({len(r) for r in rows})
    header_guess = has_header(rows)
    report = {
        "file": args.input,
        "encoding": encoding,
        "bom": encoding in ("utf-8-sig", "utf-16", "utf-32"),
        "delimiter": DELIMITER_NAMES.get(delimiter, delimiter),
        "quotechar": quotechar,
        "line_endings": "CRLF" if b"\r\n" in raw[:65536] or "\r\n" in text[:65536] else "LF",
        "rows": len(rows),
        "data_rows": len(rows) - 1 if header_guess else len(rows),
        "field_counts": widths,
        "header_detected": header_guess,
        "columns": make_headers(rows[0]) if header_guess else [f"column_{i}" for i in range(1, len(rows[0]) + 1)],
        "preview": rows[1 : 1 + args.preview] if header_guess else rows[: args.preview],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    for key in (
        "file",
        "encoding",
        "bom",
        "delimiter",
        "quotechar",
        "line_endings",
        "rows",
        "data_rows",
        "field_counts",
        "header_detected",
    ):
        print(f"{key:16} {report[key]}")
    print(f"{'columns':16} {', '.join(report['columns'])}")
    if len(widths) > 1:
        print(
            "warning: rows have different field counts; check the delimiter/quoting",
            file=sys.stderr,
        )
    for row in report["preview"]:
        print("  | " + " | ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
