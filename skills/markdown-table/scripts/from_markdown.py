#!/usr/bin/env python3
"""Extract GitHub-flavoured Markdown tables from a document and write them as
CSV, JSON records or JSON Lines. Tables inside fenced code blocks are ignored."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys

SEP_CELL_RE = re.compile(r"^\s*:?-+:?\s*$")
FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
INT_RE = re.compile(r"^[+-]?(0|[1-9]\d*)$")
FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


class InputError(Exception):
    pass


def split_row(line: str) -> list[str]:
    """Split a table row on unescaped pipes; drop the optional outer pipes."""
    s = line.strip()
    cells, cur, i = [], [], 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if ch == "|":
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    cells.append("".join(cur))
    if s.startswith("|"):
        cells = cells[1:]
    if s.endswith("|") and not s.endswith("\\|") and cells:
        cells = cells[:-1]
    return [c.strip() for c in cells]


def alignment(cell: str) -> str:
    c = cell.strip()
    if c.startswith(":") and c.endswith(":"):
        return "center"
    if c.endswith(":"):
        return "right"
    if c.startswith(":"):
        return "left"
    return "default"


def find_tables(text: str) -> list[dict]:
    lines = text.splitlines()
    tables = []
    in_fence = None
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE_RE.match(line)
        if fence:
            marker = fence.group(1)
            if in_fence is None:
                in_fence = marker
            elif in_fence == marker:
                in_fence = None
            i += 1
            continue
        if in_fence or "|" not in line or i + 1 >= len(lines):
            i += 1
            continue
        header = split_row(line)
        sep_line = lines[i + 1]
        if "-" not in sep_line:
            i += 1
            continue
        sep = split_row(sep_line)
        if not sep or not all(SEP_CELL_RE.match(c) for c in sep) or len(sep) != len(header):
            i += 1
            continue
        table = {
            "line": i + 1,
            "header": header,
            "align": [alignment(c) for c in sep],
            "rows": [],
            "ragged": 0,
        }
        j = i + 2
        while j < len(lines) and lines[j].strip() and "|" in lines[j] and not FENCE_RE.match(lines[j]):
            cells = split_row(lines[j])
            if len(cells) != len(header):
                table["ragged"] += 1
                cells = (cells + [""] * len(header))[: len(header)]
            table["rows"].append(cells)
            j += 1
        tables.append(table)
        i = j
    return tables


def clean(cell: str, keep_br: bool) -> str:
    if not keep_br:
        cell = re.sub(r"<br\s*/?>", "\n", cell, flags=re.I)
    return cell


def infer(v: str):
    t = v.strip()
    if t == "":
        return None
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    if INT_RE.match(t):
        return int(t)
    if FLOAT_RE.match(t) and not re.match(r"^[+-]?0\d", t):
        return float(t)
    return v


def unique_headers(header: list[str]) -> list[str]:
    out, seen = [], {}
    for i, h in enumerate(header, start=1):
        name = h or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        out.append(name)
    return out


def strip_inline(cell: str) -> str:
    """Remove simple inline Markdown: **bold**, *em*, `code`, [text](url)."""
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)
    cell = re.sub(r"(\*\*|__)(.+?)\1", r"\2", cell)
    cell = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", cell)
    cell = re.sub(r"`([^`]*)`", r"\1", cell)
    return cell


def table_keys(table, args) -> list[str]:
    return unique_headers([strip_inline(h) if args.strip_formatting else h for h in table["header"]])


def records(table, args) -> list[dict]:
    keys = table_keys(table, args)
    out = []
    for row in table["rows"]:
        rec = {}
        for k, v in zip(keys, row, strict=False):
            v = clean(v, args.keep_br)
            if args.strip_formatting:
                v = strip_inline(v)
            rec[k] = infer(v) if args.infer_types else v
        out.append(rec)
    return out


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__,
        epilog="Examples:\n"
        "  from_markdown.py README.md --list\n"
        "  from_markdown.py README.md --table 2 --to csv -o prices.csv\n"
        "  from_markdown.py notes.md --to json --infer-types\n"
        "  from_markdown.py report.md --all -o tables.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="Markdown file ('-' for stdin)")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument(
        "--to",
        choices=["json", "jsonl", "csv"],
        default="json",
        help="output format (default json = array of records)",
    )
    p.add_argument("--table", type=int, default=1, help="which table, 1-based (default 1)")
    p.add_argument(
        "--all",
        action="store_true",
        help="output every table as JSON [{line, columns, align, rows}]",
    )
    p.add_argument("--list", action="store_true", help="list tables found (line, columns, rows)")
    p.add_argument(
        "--infer-types",
        action="store_true",
        help="JSON: numbers/true/false become typed, empty cells null",
    )
    p.add_argument(
        "--strip-formatting",
        action="store_true",
        help="remove **bold**, *italic*, `code` and [link](url) markup from cells",
    )
    p.add_argument("--keep-br", action="store_true", help="keep <br> instead of turning it into a newline")
    p.add_argument("--delimiter", default=",", help="CSV delimiter (default ','; 'tab' for TAB)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        if args.input == "-":
            text = sys.stdin.read()
        else:
            with open(args.input, encoding="utf-8-sig") as fh:
                text = fh.read()
    except FileNotFoundError:
        print(f"error: input file not found: {args.input}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2

    tables = find_tables(text)
    if args.list:
        if not tables:
            print("no tables found")
        for n, t in enumerate(tables, start=1):
            print(
                f"table {n}: line {t['line']}, {len(t['header'])} columns, {len(t['rows'])} rows: "
                f"{', '.join(t['header'])}"
            )
        return 0
    if not tables:
        print(
            f"error: no Markdown table found in {args.input} (a table needs a header row "
            "and a separator row like | --- | --- |)",
            file=sys.stderr,
        )
        return 1

    if args.all:
        if args.to != "json":
            print("error: --all only supports --to json", file=sys.stderr)
            return 2
        payload = [
            {
                "line": t["line"],
                "columns": table_keys(t, args),
                "align": t["align"],
                "rows": records(t, args),
            }
            for t in tables
        ]
        out = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    else:
        if not 1 <= args.table <= len(tables):
            print(
                f"error: --table {args.table} out of range; found {len(tables)} table(s)",
                file=sys.stderr,
            )
            return 2
        t = tables[args.table - 1]
        if t["ragged"]:
            print(
                f"warning: {t['ragged']} row(s) had a different number of cells than the header; padded/truncated",
                file=sys.stderr,
            )
        recs = records(t, args)
        if args.to == "json":
            out = json.dumps(recs, ensure_ascii=False, indent=2) + "\n"
        elif args.to == "jsonl":
            out = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
        else:
            delim = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ","}.get(args.delimiter, args.delimiter)
            if len(delim) != 1:
                print("error: --delimiter must be one character", file=sys.stderr)
                return 2
            buf = io.StringIO()
            w = csv.writer(buf, delimiter=delim, lineterminator="\n")
            w.writerow(table_keys(t, args))
            for r in recs:
                w.writerow(["" if v is None else v for v in r.values()])
            out = buf.getvalue()
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                fh.write(out)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
