#!/usr/bin/env python3
"""Render CSV/TSV or JSON (array of objects, array of arrays, JSON Lines) as a
GitHub-flavoured Markdown table. Numeric columns are right-aligned by default."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import unicodedata

NUMERIC_RE = re.compile(r"^[(\-+]?\s*[$€£¥]?\s*[-+]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?\s*(%|[kKmMbB])?\)?$")


class InputError(Exception):
    pass


def is_number(text: str) -> bool:
    t = text.strip()
    return bool(t) and any(c.isdigit() for c in t) and bool(NUMERIC_RE.match(t))


def display_width(text: str) -> int:
    w = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def read_input(path: str, encoding: str) -> str:
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if encoding != "auto":
        return data.decode(encoding)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def load_json(text: str):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            data = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
        except json.JSONDecodeError:
            raise InputError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else [data]
    if not isinstance(data, list) or not data:
        raise InputError("JSON must be a non-empty array of objects or arrays")
    if all(isinstance(r, list) for r in data):
        header = [cell_text(h) for h in data[0]]
        return header, [[cell_text(c) for c in r] for r in data[1:]]
    if not all(isinstance(r, dict) for r in data):
        raise InputError("JSON array items must all be objects (or all be arrays)")
    header: list[str] = []
    for r in data:
        for k in r:
            if k not in header:
                header.append(k)
    return header, [[cell_text(r.get(k)) for k in header] for r in data]


def load_csv(text: str, delimiter: str | None):
    if delimiter is None:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        counts = {d: first.count(d) for d in [",", ";", "\t", "|"]}
        delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    if not rows:
        raise InputError("CSV input has no rows")
    return rows[0], rows[1:]


def escape(text: str, max_width: int | None) -> str:
    text = text.strip().replace("\r\n", "\n").replace("\n", "<br>")
    if max_width and len(text) > max_width:
        text = text[: max_width - 1].rstrip() + "…"
    return text.replace("|", "\\|")


def parse_align(spec: str | None, header: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    if not spec:
        return out
    names = {
        "l": "left",
        "left": "left",
        "c": "center",
        "center": "center",
        "r": "right",
        "right": "right",
    }
    parts = [p.strip() for p in spec.split(",")]
    if all("=" in p for p in parts):
        for p in parts:
            col, a = p.split("=", 1)
            if col not in header:
                raise InputError(f"--align: column {col!r} not found. Available: {', '.join(header)}")
            if a.lower() not in names:
                raise InputError(f"--align: bad alignment {a!r} (use l, c or r)")
            out[header.index(col)] = names[a.lower()]
        return out
    if len(parts) > len(header):
        raise InputError(f"--align has {len(parts)} entries but the table has {len(header)} columns")
    for i, a in enumerate(parts):
        if a == "":
            continue
        if a.lower() not in names:
            raise InputError(f"--align: bad alignment {a!r} (use l, c or r)")
        out[i] = names[a.lower()]
    return out


def render(header, rows, aligns, compact: bool) -> str:
    width = len(header)
    rows = [r + [""] * (width - len(r)) if len(r) < width else r[:width] for r in rows]
    widths = [max([3] + [display_width(r[i]) for r in [header, *rows]]) for i in range(width)]

    def fmt_row(cells):
        if compact:
            return "| " + " | ".join(cells) + " |"
        out = []
        for i, c in enumerate(cells):
            pad = widths[i] - display_width(c)
            if aligns[i] == "right":
                out.append(" " * pad + c)
            elif aligns[i] == "center":
                out.append(" " * (pad // 2) + c + " " * (pad - pad // 2))
            else:
                out.append(c + " " * pad)
        return "| " + " | ".join(out) + " |"

    seps = []
    for i in range(width):
        n = 3 if compact else widths[i]
        a = aligns[i]
        if a == "right":
            seps.append("-" * (n - 1) + ":")
        elif a == "center":
            seps.append(":" + "-" * max(1, n - 2) + ":")
        elif a == "left":
            seps.append(":" + "-" * (n - 1))
        else:
            seps.append("-" * n)
    lines = [fmt_row(header), "| " + " | ".join(seps) + " |"]
    lines += [fmt_row(r) for r in rows]
    return "\n".join(lines) + "\n"


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__,
        epilog="Examples:\n"
        "  to_markdown.py sales.csv\n"
        "  to_markdown.py data.json --columns name,price --align name=c -o table.md\n"
        "  to_markdown.py wide.tsv --max-width 30 --compact",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="CSV/TSV/JSON/JSONL file ('-' for stdin)")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument(
        "--from",
        dest="fmt",
        choices=["auto", "csv", "json"],
        default="auto",
        help="input format (default auto: by extension, then content)",
    )
    p.add_argument("--delimiter", help="CSV delimiter (default: detect , ; TAB |); 'tab' for TAB")
    p.add_argument("--columns", help="comma-separated columns to include, in this order")
    p.add_argument(
        "--align",
        help="alignments: positional 'l,r,c' or by name 'price=r,name=c' (l=left, c=center, r=right)",
    )
    p.add_argument(
        "--no-numeric-align",
        action="store_true",
        help="do not right-align numeric columns automatically",
    )
    p.add_argument("--compact", action="store_true", help="no padding (smaller output, same table)")
    p.add_argument("--max-width", type=int, help="truncate cells longer than N characters with …")
    p.add_argument("--encoding", default="auto", help="input encoding (default auto)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        text = read_input(args.input, args.encoding)
        if not text.strip():
            raise InputError(f"{args.input} is empty")
        fmt = args.fmt
        if fmt == "auto":
            low = args.input.lower()
            if low.endswith((".json", ".jsonl", ".ndjson")):
                fmt = "json"
            elif low.endswith((".csv", ".tsv", ".tab", ".txt")):
                fmt = "csv"
            else:
                fmt = "json" if text.lstrip()[:1] in "[{" else "csv"
        delim = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(
            args.delimiter, args.delimiter
        )
        if fmt == "json":
            header, rows = load_json(text)
        else:
            header, rows = load_csv(text, delim)
        if args.columns:
            wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
            missing = [c for c in wanted if c not in header]
            if missing:
                raise InputError(f"column(s) not found: {', '.join(missing)}. Available: {', '.join(header)}")
            idx = [header.index(c) for c in wanted]
            header = wanted
            rows = [[r[i] if i < len(r) else "" for i in idx] for r in rows]
        header = [escape(str(h), args.max_width) for h in header]
        rows = [[escape(c, args.max_width) for c in r] for r in rows]
        if args.max_width is not None and args.max_width < 2:
            raise InputError("--max-width must be at least 2")
        explicit = parse_align(args.align, header)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (UnicodeDecodeError, LookupError) as exc:
        print(f"error: cannot decode input: {exc}", file=sys.stderr)
        return 2

    aligns = []
    for i in range(len(header)):
        if i in explicit:
            aligns.append(explicit[i])
            continue
        col = [r[i] for r in rows if i < len(r) and r[i].strip()]
        numeric = bool(col) and all(is_number(c) for c in col)
        aligns.append("right" if numeric and not args.no_numeric_align else None)
    table = render(header, rows, aligns, args.compact)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(table)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
