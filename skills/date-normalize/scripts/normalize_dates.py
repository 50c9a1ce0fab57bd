#!/usr/bin/env python3
"""Normalise dates to ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[+HH:MM|Z]).

Works on single values (--value), a CSV column (--column), a JSON field
(--field) or dates found anywhere in free text (default mode).

Ambiguous numeric dates such as 03/04/2024 are read MONTH-FIRST (US style:
March 4th) unless --dayfirst is given. There is no auto-detection.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys

MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
WEEKDAY = (
    r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?"
    r"\.?,?\s+)?"
)
ORD = r"(?:st|nd|rd|th)?"
TIME = (
    r"(?:(?:\s*(?:T|\s|,\s*|\s+at\s+))(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"(?:\s*(?P<ampm>[ap]\.?m\.?))?"
    r"(?:\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT))?)?"
)

DATE_PATTERNS = [
    # 2024-03-04, 2024/3/4, 2024.03.04
    ("iso", r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    # 03/04/2024, 3-4-24, 04.03.2024  -> ambiguous, month-first unless --dayfirst
    ("numeric", r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"),
    # 4 March 2024, 4th Mar 2024, 04-Mar-2024, Monday, 4 March 2024
    (
        "d_mon_y",
        WEEKDAY + r"(?P<d>\d{1,2})" + ORD + r"(?:\s+of)?[\s-]+" + MON + r",?[\s-]+(?P<y>\d{4}|\d{2})",
    ),
    # March 4, 2024 / Mar 4 2024 / Mon, Mar 4th, 2024
    ("mon_d_y", WEEKDAY + MON + r"\s+(?P<d>\d{1,2})" + ORD + r",?\s+(?P<y>\d{4})"),
    # 2024 Mar 04 / 2024-Mar-04
    ("y_mon_d", r"(?P<y>\d{4})[\s-]" + MON + r"[\s-](?P<d>\d{1,2})"),
]
COMPACT = re.compile(
    r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"
    r"(?:T?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?(?P<tz>Z)?)?"
)
EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?")

FULL = [
    (name, re.compile(WEEKDAY + pat + TIME if not pat.startswith(WEEKDAY) else pat + TIME, re.I))
    for name, pat in DATE_PATTERNS
]
# Patterns for finding dates inside free text (word-boundary guarded).
LEFT = r"(?<![\w./:+-])"
RIGHT = r"(?![\w/:-]|\.\d)"
SEARCH = [(name, re.compile(LEFT + pat + TIME + RIGHT, re.I)) for name, pat in DATE_PATTERNS]
SEARCH_COMPACT = re.compile(LEFT + COMPACT.pattern + RIGHT)
SEARCH_EPOCH = re.compile(LEFT + r"\d{10}(?:\d{3})?(?:\.\d+)?" + RIGHT)


class DateError(ValueError):
    pass


def year4(y: str) -> int:
    n = int(y)
    if len(y) == 2:  # POSIX %y rule: 00-68 -> 2000s, 69-99 -> 1900s
        return 2000 + n if n < 69 else 1900 + n
    return n


def make_tz(tz: str | None):
    if not tz:
        return None
    t = tz.upper()
    if t in ("Z", "UTC", "GMT"):
        return dt.UTC
    sign = -1 if t[0] == "-" else 1
    digits = t[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise DateError(f"bad UTC offset {tz!r}")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def build(y: int, m: int, d: int, g: dict, source: str, hint: str = ""):
    if not 1 <= m <= 12:
        raise DateError(f"month {m} is out of range in {source!r}{hint}")
    try:
        day = dt.date(y, m, d)
    except ValueError as exc:
        raise DateError(f"invalid date {source!r}: {exc}{hint}") from None
    if g.get("H") is None:
        return day
    hour, minute = int(g["H"]), int(g["M"])
    second = int(g.get("S") or 0)
    frac = g.get("F") or ""
    micro = int((frac + "000000")[:6]) if frac else 0
    ampm = (g.get("ampm") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise DateError(f"hour {hour} is invalid with {ampm.upper()} in {source!r}")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if second == 60:
        second = 59  # leap second: clamp
    try:
        return dt.datetime(y, m, d, hour, minute, second, micro, tzinfo=make_tz(g.get("tz")))
    except ValueError as exc:
        raise DateError(f"invalid time in {source!r}: {exc}") from None


def from_match(name: str, g: dict, source: str, dayfirst: bool):
    if name == "numeric":
        a, b = int(g["a"]), int(g["b"])
        month, day = (b, a) if dayfirst else (a, b)
        order = "day-first (--dayfirst)" if dayfirst else "month-first (US, the default)"
        other = "" if dayfirst else "; pass --dayfirst if the data is DD/MM/YYYY"
        hint = f" (numeric dates are read {order}{other})"
        return build(year4(g["y"]), month, day, g, source, hint)
    if name == "iso":
        return build(int(g["y"]), int(g["m"]), int(g["d"]), g, source)
    month = MONTHS[g["mon"].lower().rstrip(".")]
    return build(year4(g["y"]), month, int(g["d"]), g, source)


def from_epoch(text: str, unit: str):
    value = float(text)
    if unit == "auto":
        unit = "ms" if abs(value) >= 1e11 else "s"
    if unit == "ms":
        value /= 1000.0
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise DateError(f"timestamp {text!r} is out of range") from None


def parse_value(text: str, dayfirst: bool = False, epoch: str | None = None):
    """Parse one whole value. Returns a date or datetime, raises DateError."""
    s = text.strip()
    if not s:
        raise DateError("empty value")
    if EPOCH.fullmatch(s):
        if epoch:
            return from_epoch(s, epoch)
        m = COMPACT.fullmatch(s)
        if m:
            g = m.groupdict()
            return build(int(g["y"]), int(g["m"]), int(g["d"]), g, s)
        raise DateError(f"{s!r} is a bare number; if it is a unix timestamp pass --epoch")
    m = COMPACT.fullmatch(s)
    if m:
        g = m.groupdict()
        return build(int(g["y"]), int(g["m"]), int(g["d"]), g, s)
    for name, rx in FULL:
        m = rx.fullmatch(s)
        if m:
            return from_match(name, m.groupdict(), s, dayfirst)
    raise DateError(f"unrecognised date format: {s!r}")


def fmt(value, date_only: bool, to_utc: bool) -> str:
    if isinstance(value, dt.datetime):
        if to_utc and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        if date_only:
            return value.date().isoformat()
        spec = "seconds"
        if value.microsecond:
            spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
        out = value.isoformat(timespec=spec)
        if out.endswith("+00:00"):
            out = out[:-6] + "Z"
        return out
    return value.isoformat()


class Normalizer:
    def __init__(self, args):
        self.args = args
        self.converted = 0
        self.failures: list[str] = []
        self.empty = 0

    def value(self, text: str, where: str = "") -> str:
        if text is None or not str(text).strip():
            self.empty += 1
            return text
        try:
            out = fmt(
                parse_value(str(text), self.args.dayfirst, self.args.epoch),
                self.args.date_only,
                self.args.utc,
            )
        except DateError as exc:
            self.failures.append(f"{where}{exc}")
            if self.args.on_error == "empty":
                return ""
            return text
        self.converted += 1
        if self.args.changes:
            print(f"{where}{text!r} -> {out}", file=sys.stderr)
        return out

    def text(self, content: str) -> str:
        found = []
        for name, rx in SEARCH:
            for m in rx.finditer(content):
                found.append((m.start(), -(m.end() - m.start()), m.end(), name, m))
        if self.args.compact:
            for m in SEARCH_COMPACT.finditer(content):
                found.append((m.start(), -(m.end() - m.start()), m.end(), "compact", m))
        if self.args.epoch:
            for m in SEARCH_EPOCH.finditer(content):
                found.append((m.start(), -(m.end() - m.start()), m.end(), "epoch", m))
        found.sort(key=lambda t: (t[0], t[1]))
        out, pos = [], 0
        for start, _neg, end, name, m in found:
            if start < pos:
                continue
            src = m.group(0)
            line = content.count("\n", 0, start) + 1
            try:
                if name == "epoch":
                    value = from_epoch(src, self.args.epoch)
                elif name == "compact":
                    g = m.groupdict()
                    value = build(int(g["y"]), int(g["m"]), int(g["d"]), g, src)
                else:
                    value = from_match(name, m.groupdict(), src, self.args.dayfirst)
                new = fmt(value, self.args.date_only, self.args.utc)
                self.converted += 1
                if self.args.changes:
                    print(f"line {line}: {src!r} -> {new}", file=sys.stderr)
            except DateError as exc:
                if name == "compact":
                    continue  # 8-digit number that is not a date: leave silently
                self.failures.append(f"line {line}: {exc}")
                new = "" if self.args.on_error == "empty" else src
            out.append(content[pos:start])
            out.append(new)
            pos = end
        out.append(content[pos:])
        return "".join(out)


def sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in [",", ";", "\t", "|"]}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def do_csv(content: str, args, norm: Normalizer) -> str:
    delim = (
        {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(args.delimiter, args.delimiter)
        if args.delimiter != "auto"
        else sniff_delimiter(content)
    )
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=delim))
    if not rows:
        raise SystemExit(fail("CSV input has no rows"))
    header = rows[0]
    idx = []
    for col in args.column:
        if col in header:
            idx.append(header.index(col))
        elif col.isdigit() and 1 <= int(col) <= len(header):
            idx.append(int(col) - 1)
        else:
            raise SystemExit(fail(f"column {col!r} not found. Available: {', '.join(header)}"))
    for rnum, row in enumerate(rows[1:], start=2):
        for i in idx:
            if i < len(row):
                row[i] = norm.value(row[i], f"row {rnum}, column {header[i]!r}: ")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\n")
    w.writerows(rows)
    return buf.getvalue()


def apply_path(node, parts, norm, trail=""):
    """Normalise the value(s) at a dot path; lists are walked automatically."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            if (parts and isinstance(item, (dict, list))) or not parts:
                node[i] = apply_path(item, parts, norm, f"{trail}[{i}]")
        return node
    if not parts:
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, (int, float)):
            text = repr(node) if isinstance(node, float) else str(node)
            new = norm.value(text, f"{trail}: ")
            return node if new == text else new
        if isinstance(node, str):
            return norm.value(node, f"{trail}: ")
        return node
    if isinstance(node, dict) and parts[0] in node:
        node[parts[0]] = apply_path(node[parts[0]], parts[1:], norm, f"{trail}.{parts[0]}" if trail else parts[0])
    return node


def do_json(content: str, args, norm: Normalizer) -> str:
    paths = [p.split(".") for p in args.field]
    try:
        data = json.loads(content)
        is_lines = False
    except json.JSONDecodeError as exc:
        lines = [ln for ln in content.splitlines() if ln.strip()]
        try:
            data = [json.loads(ln) for ln in lines]
        except json.JSONDecodeError:
            raise SystemExit(fail(f"input is neither JSON nor JSON Lines: {exc}")) from None
        is_lines = True
    for parts in paths:
        data = apply_path(data, parts, norm)
    if is_lines:
        return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in data)
    return json.dumps(data, ensure_ascii=False, indent=args.indent) + "\n"


def fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def build_parser():
    p = argparse.ArgumentParser(
        description="Normalise dates to ISO 8601. Ambiguous numeric dates (03/04/2024) "
        "are read MONTH-FIRST (US) unless --dayfirst is given.",
        epilog="Examples:\n"
        "  normalize_dates.py --value '4 March 2024' --value 03/04/2024\n"
        "  normalize_dates.py orders.csv --column order_date -o orders_iso.csv\n"
        "  normalize_dates.py orders.csv --column date --dayfirst -o out.csv\n"
        "  normalize_dates.py events.json --field created_at --epoch auto\n"
        "  normalize_dates.py notes.txt -o notes_iso.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", nargs="?", help="input file ('-' for stdin); omit with --value")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument(
        "--value",
        action="append",
        default=[],
        help="normalise this single value and print it (repeatable)",
    )
    p.add_argument(
        "--column",
        action="append",
        default=[],
        help="CSV mode: column name (or 1-based number) to normalise (repeatable)",
    )
    p.add_argument(
        "--field",
        action="append",
        default=[],
        help="JSON/JSONL mode: dot path of the field, e.g. created or meta.date "
        "(lists are walked automatically; repeatable)",
    )
    p.add_argument(
        "--dayfirst",
        action="store_true",
        help="read ambiguous numeric dates as DD/MM/YYYY (default is MM/DD/YYYY)",
    )
    p.add_argument(
        "--epoch",
        choices=["s", "ms", "auto"],
        help="treat bare numbers as unix timestamps in seconds, milliseconds, or "
        "auto (>= 1e11 means ms). Output is UTC",
    )
    p.add_argument("--date-only", action="store_true", help="drop the time part")
    p.add_argument(
        "--utc",
        action="store_true",
        help="convert times that carry an offset to UTC (naive times unchanged)",
    )
    p.add_argument("--compact", action="store_true", help="text mode: also convert 8-digit YYYYMMDD numbers")
    p.add_argument(
        "--on-error",
        choices=["keep", "empty", "fail"],
        default="keep",
        help="unparseable values: keep unchanged (default), make empty, or fail (exit 1 after writing)",
    )
    p.add_argument("--delimiter", default="auto", help="CSV delimiter (default auto)")
    p.add_argument("--indent", type=int, default=2, help="JSON output indent (default 2)")
    p.add_argument("--encoding", default="utf-8-sig", help="input encoding (default utf-8)")
    p.add_argument("--changes", action="store_true", help="list every 'original -> normalised' pair on stderr")
    p.add_argument("--quiet", action="store_true", help="no summary on stderr")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    norm = Normalizer(args)

    if args.value:
        if args.input or args.column or args.field:
            return fail("--value cannot be combined with an input file, --column or --field")
        for v in args.value:
            print(norm.value(v))
        for f in norm.failures:
            print(f"warning: {f}", file=sys.stderr)
        return 1 if norm.failures else 0

    if not args.input:
        return fail("give an input file (or '-' for stdin), or use --value")
    if args.column and args.field:
        return fail("use either --column (CSV) or --field (JSON), not both")
    try:
        if args.input == "-":
            content = sys.stdin.read()
        else:
            with open(args.input, encoding=args.encoding, newline="") as fh:
                content = fh.read()
    except FileNotFoundError:
        return fail(f"input file not found: {args.input}")
    except (UnicodeDecodeError, LookupError) as exc:
        return fail(f"cannot read {args.input} as {args.encoding}: {exc}; try --encoding cp1252")
    except OSError as exc:
        return fail(f"cannot read {args.input}: {exc}")

    if args.column:
        result = do_csv(content, args, norm)
        mode = "csv"
    elif args.field:
        result = do_json(content, args, norm)
        mode = "json"
    else:
        result = norm.text(content)
        mode = "text"

    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                fh.write(result)
        except OSError as exc:
            return fail(f"cannot write {args.output}: {exc}")
    else:
        sys.stdout.write(result)

    if not args.quiet:
        order = "day-first" if args.dayfirst else "month-first (US)"
        print(
            f"{mode}: normalised {norm.converted} value(s), {len(norm.failures)} "
            f"unparseable, {norm.empty} empty; numeric dates read {order}",
            file=sys.stderr,
        )
        for f in norm.failures[:10]:
            print(f"warning: {f}", file=sys.stderr)
        if len(norm.failures) > 10:
            print(f"warning: ... and {len(norm.failures) - 10} more", file=sys.stderr)
    if norm.failures and args.on_error == "fail":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
