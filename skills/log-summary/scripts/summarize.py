#!/usr/bin/env python3
"""Summarise log files: entries per level, time range, top repeated messages (numbers,
ids, IPs, UUIDs, hex and timestamps masked so similar lines group together), top errors,
and errors per hour (or minute/day).

Understands ISO-8601 / Python logging / Go style timestamps, syslog (Mar  4 10:15:00
host app[123]: ...), Apache/nginx access logs (level from HTTP status) and JSON-lines
logs (keys like time/timestamp/ts, level/severity, msg/message). Indented lines and
stack traces are attached to the entry above. Plain text and .gz files are accepted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import sys
from collections import Counter, defaultdict

LEVEL_MAP = {
    "FATAL": "FATAL",
    "CRITICAL": "FATAL",
    "CRIT": "FATAL",
    "ALERT": "FATAL",
    "EMERG": "FATAL",
    "EMERGENCY": "FATAL",
    "PANIC": "FATAL",
    "ERROR": "ERROR",
    "ERR": "ERROR",
    "SEVERE": "ERROR",
    "E": "ERROR",
    "WARN": "WARN",
    "WARNING": "WARN",
    "W": "WARN",
    "INFO": "INFO",
    "INFORMATION": "INFO",
    "NOTICE": "INFO",
    "I": "INFO",
    "DEBUG": "DEBUG",
    "FINE": "DEBUG",
    "FINER": "DEBUG",
    "D": "DEBUG",
    "TRACE": "TRACE",
    "FINEST": "TRACE",
    "VERBOSE": "TRACE",
}
LEVEL_ORDER = ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "UNKNOWN"]
SEVERITY = {lvl: i for i, lvl in enumerate(reversed(LEVEL_ORDER))}  # UNKNOWN lowest
PINO_LEVELS = {10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}
SYSLOG_NUM = {
    0: "FATAL",
    1: "FATAL",
    2: "FATAL",
    3: "ERROR",
    4: "WARN",
    5: "INFO",
    6: "INFO",
    7: "DEBUG",
}
MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}

ISO_RE = re.compile(
    r"^\[?(?P<ts>\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
    r"(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2}))?)\]?[\s:|-]*"
)
SYSLOG_RE = re.compile(
    r"^(?:<\d+>)?(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<time>\d{2}:\d{2}:\d{2})\s+"
    r"(?P<host>\S+)\s+(?P<proc>[^:\[\s]+)(?:\[\d+\])?:\s?(?P<msg>.*)$"
)
ACCESS_RE = re.compile(
    r"^(?P<ip>\S+) \S+ \S+ \[(?P<ts>\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "
    r'"(?P<req>[^"]*)" (?P<status>\d{3}) (?P<size>\S+)'
)
BRACKET_TS_RE = re.compile(r"^\[(?P<ts>\d{2}/\w{3}/\d{4}[: ]\d{2}:\d{2}:\d{2})(?: [+-]\d{4})?\]\s*")
LOGFMT_LEVEL_RE = re.compile(r"\b(?:level|lvl|severity|loglevel)=\"?(?P<lvl>[A-Za-z]+)\"?")
LEVEL_WORD_RE = re.compile(
    r"(?<![\w-])(?P<lvl>FATAL|CRITICAL|CRIT|ALERT|EMERG|PANIC|ERROR|ERR|SEVERE|WARNING|WARN|"
    r"NOTICE|INFO|INFORMATION|DEBUG|TRACE|VERBOSE|FINEST|FINER|FINE)(?![\w-])",
    re.I,
)
CONTINUATION_RE = re.compile(r"^(\s+\S|Traceback \(|Caused by:|\s*at [\w$.<>]+\(|\.\.\. \d+ more)")

MASKS = [
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
        "<TS>",
    ),
    (
        re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
        "<UUID>",
    ),
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<EMAIL>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<IP>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<HEX>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<HEX>"),
    (re.compile(r"(?<![A-Za-z_<])[-+]?\d+(?:[.,:]\d+)*"), "<N>"),
]
QUOTED_RE = re.compile(r"(\"[^\"]*\"|'[^']*')")


def mask(message: str, mask_quoted: bool) -> str:
    keep = ""
    status = re.search(r" -> \d{3}$", message)  # HTTP status of access-log lines stays visible
    if status:
        message, keep = message[: status.start()], status.group(0)
    m = message
    if mask_quoted:
        m = QUOTED_RE.sub('"<S>"', m)
    for rx, repl in MASKS:
        m = rx.sub(repl, m)
    return re.sub(r"\s+", " ", m).strip() + keep


def to_utc_naive(ts: dt.datetime) -> dt.datetime:
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.UTC).replace(tzinfo=None)
    return ts


def parse_iso(text: str) -> dt.datetime | None:
    t = text.strip().replace("/", "-").replace(",", ".")
    t = re.sub(r"\s?UTC$", "Z", t)
    t = re.sub(r"\s(?=[+-]\d{2}:?\d{2}$)", "", t)
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    m = re.match(r"^(.*\.\d{6})\d+(.*)$", t)  # more than microseconds: trim
    if m:
        t = m.group(1) + m.group(2)
    m = re.match(r"^(.*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+-]\d{2})(\d{2})$", t)
    if m:  # +0100 -> +01:00
        t = m.group(1) + ":" + m.group(2)
    try:
        return to_utc_naive(dt.datetime.fromisoformat(t))
    except ValueError:
        return None


def parse_epoch(value) -> dt.datetime | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if v > 1e14:
        v /= 1e6  # microseconds
    elif v > 1e11:
        v /= 1e3  # milliseconds
    try:
        return dt.datetime.fromtimestamp(v, tz=dt.UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def norm_level(value) -> str:
    if isinstance(value, bool):
        return "UNKNOWN"
    if isinstance(value, (int, float)):
        v = int(value)
        if v in PINO_LEVELS:
            return PINO_LEVELS[v]
        return SYSLOG_NUM.get(v, "UNKNOWN")
    s = str(value).strip().upper()
    if s.isdigit():
        return norm_level(int(s))
    return LEVEL_MAP.get(s, "UNKNOWN")


def _get(obj: dict, keys):
    for k in keys:
        if k in obj and obj[k] not in (None, ""):
            return obj[k]
        if "." in k:
            cur = obj
            for part in k.split("."):
                cur = cur.get(part) if isinstance(cur, dict) else None
            if cur not in (None, ""):
                return cur
    return None


def parse_json_line(line: str):
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    ts_raw = _get(
        obj,
        ["timestamp", "time", "ts", "@timestamp", "datetime", "date", "t", "asctime", "eventTime"],
    )
    ts = None
    if isinstance(ts_raw, (int, float)) and not isinstance(ts_raw, bool):
        ts = parse_epoch(ts_raw)
    elif isinstance(ts_raw, str):
        ts = parse_iso(ts_raw) or (parse_epoch(ts_raw) if ts_raw.replace(".", "").isdigit() else None)
    lvl = _get(
        obj,
        ["level", "severity", "levelname", "lvl", "log.level", "loglevel", "priority", "status"],
    )
    msg = _get(obj, ["message", "msg", "event", "text", "log", "error"])
    if msg is None:
        msg = json.dumps(
            {k: v for k, v in obj.items() if k not in ("time", "timestamp", "ts")},
            ensure_ascii=False,
        )
    return ts, norm_level(lvl) if lvl is not None else "UNKNOWN", str(msg)


def split_level(rest: str):
    """Find a level token near the start of the text; return (level, message)."""
    m = LOGFMT_LEVEL_RE.search(rest)
    if m and norm_level(m.group("lvl")) != "UNKNOWN":
        msg_m = re.search(r"\b(?:msg|message)=(\"(?:[^\"\\]|\\.)*\"|\S+)", rest)
        msg = msg_m.group(1).strip('"') if msg_m else rest
        return norm_level(m.group("lvl")), msg
    m = LEVEL_WORD_RE.search(rest[:80])
    if m:
        word = m.group("lvl")
        # lowercase words count only when bracketed or followed by ':' (e.g. "[info]", "error:")
        if (
            word.isupper()
            or re.match(r"[\[(<]", rest[max(0, m.start() - 1) : m.start()] or " ")
            or rest[m.end() : m.end() + 1] in (":", "]", ")", ">")
        ):
            msg = rest[m.end() :].lstrip(" ]):>|-\t")
            prefix = rest[: m.start()].strip(" [](<>|:-\t")
            if not msg:
                msg = prefix
            return norm_level(word), msg
    return "UNKNOWN", rest


def parse_line(line: str, year: int):
    """Return (timestamp or None, level, message, kind)."""
    s = line.rstrip("\r\n")
    if s.lstrip().startswith("{"):
        r = parse_json_line(s.strip())
        if r:
            return (*r, "json")
    m = ACCESS_RE.match(s)
    if m:
        try:
            ts = to_utc_naive(dt.datetime.strptime(m.group("ts"), "%d/%b/%Y:%H:%M:%S %z"))
        except ValueError:
            ts = None
        status = int(m.group("status"))
        lvl = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"
        return ts, lvl, f"{m.group('req')} -> {status}", "access"
    m = ISO_RE.match(s)
    if m:
        ts = parse_iso(m.group("ts"))
        lvl, msg = split_level(s[m.end() :])
        return ts, lvl, msg, "iso"
    m = SYSLOG_RE.match(s)
    if m and m.group("mon").lower() in MONTHS:
        try:
            ts = dt.datetime(
                year,
                MONTHS[m.group("mon").lower()],
                int(m.group("day")),
                *map(int, m.group("time").split(":")),
            )
        except ValueError:
            ts = None
        lvl, msg = split_level(m.group("msg"))
        return ts, lvl, f"{m.group('proc')}: {msg}", "syslog"
    m = BRACKET_TS_RE.match(s)
    if m:
        try:
            ts = dt.datetime.strptime(m.group("ts").replace(" ", ":", 1), "%d/%b/%Y:%H:%M:%S")
        except ValueError:
            ts = None
        lvl, msg = split_level(s[m.end() :])
        return ts, lvl, msg, "bracket"
    lvl, msg = split_level(s)
    return None, lvl, msg, "plain"


def open_log(path: str):
    if path == "-":
        return sys.stdin
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def bucket_start(ts: dt.datetime, size: str) -> dt.datetime:
    if size == "minute":
        return ts.replace(second=0, microsecond=0)
    if size == "10min":
        return ts.replace(minute=ts.minute - ts.minute % 10, second=0, microsecond=0)
    if size == "day":
        return ts.replace(hour=0, minute=0, second=0, microsecond=0)
    return ts.replace(minute=0, second=0, microsecond=0)


STEP = {
    "minute": dt.timedelta(minutes=1),
    "10min": dt.timedelta(minutes=10),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
}


def fmt_bucket(b: dt.datetime, size: str) -> str:
    return b.strftime("%Y-%m-%d") if size == "day" else b.strftime("%Y-%m-%d %H:%M")


def fmt_duration(seconds: float) -> str:
    seconds = round(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    parts = [f"{d}d"] if d else []
    parts += [f"{h}h", f"{m}m", f"{s}s"] if d or h else [f"{m}m", f"{s}s"]
    return " ".join(parts)


def summarise(args) -> dict:
    levels: Counter = Counter()
    patterns: Counter = Counter()
    pattern_levels: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, str] = {}
    error_buckets: Counter = Counter()
    files = []
    first = last = None
    total_lines = continuation = no_ts = entries = 0
    min_sev = SEVERITY[args.min_level] if args.min_level else -1
    since = parse_iso(args.since) if args.since else None
    until = parse_iso(args.until) if args.until else None
    kinds: Counter = Counter()

    for path in args.logs:
        try:
            fh = open_log(path)
        except FileNotFoundError:
            raise SystemExit(_fail(f"log file not found: {path}")) from None
        except OSError as exc:
            raise SystemExit(_fail(f"cannot read {path}: {exc}")) from None
        f_lines = f_entries = 0
        prev_had_ts = False
        try:
            for raw in fh:
                f_lines += 1
                if not raw.strip():
                    continue
                if f_entries and CONTINUATION_RE.match(raw) and not raw.lstrip().startswith("{"):
                    continuation += 1
                    continue
                ts, lvl, msg, kind = parse_line(raw, args.year)
                if kind == "plain" and f_entries and prev_had_ts:
                    continuation += 1  # e.g. "ValueError: ..." closing a traceback
                    continue
                prev_had_ts = ts is not None
                if ts is not None and ((since and ts < since) or (until and ts > until)):
                    continue
                kinds[kind] += 1
                f_entries += 1
                levels[lvl] += 1
                if ts is None:
                    no_ts += 1
                else:
                    first = ts if first is None or ts < first else first
                    last = ts if last is None or ts > last else last
                    if lvl in ("ERROR", "FATAL"):
                        error_buckets[bucket_start(ts, args.bucket)] += 1
                if SEVERITY[lvl] >= min_sev:
                    pat = mask(msg, args.mask_quoted)[: args.max_pattern]
                    patterns[pat] += 1
                    pattern_levels[pat][lvl] += 1
                    examples.setdefault(pat, msg.strip()[:300])
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise SystemExit(_fail(f"cannot read {path}: {exc}")) from None
        finally:
            if fh is not sys.stdin:
                fh.close()
        total_lines += f_lines
        entries += f_entries
        files.append({"file": path, "lines": f_lines, "entries": f_entries})

    def top_list(filter_fn):
        rows = [(p, c) for p, c in patterns.items() if filter_fn(p)]
        rows.sort(key=lambda pc: (-pc[1], pc[0]))
        out = []
        for p, c in rows[: args.top]:
            lv = pattern_levels[p]
            out.append(
                {
                    "count": c,
                    "level": max(lv, key=lambda k: (SEVERITY[k], lv[k])),
                    "levels": dict(lv),
                    "pattern": p,
                    "example": examples[p],
                }
            )
        return out

    buckets = []
    if error_buckets:
        lo, hi = min(error_buckets), max(error_buckets)
        step = STEP[args.bucket]
        n = int((hi - lo) / step) + 1
        keys = [lo + i * step for i in range(n)] if n <= 500 else sorted(error_buckets)
        buckets = [{"bucket": fmt_bucket(k, args.bucket), "errors": error_buckets.get(k, 0)} for k in keys]

    return {
        "files": files,
        "lines": total_lines,
        "entries": entries,
        "continuation_lines": continuation,
        "entries_without_timestamp": no_ts,
        "formats": dict(kinds),
        "levels": {lvl: levels[lvl] for lvl in LEVEL_ORDER if levels[lvl]},
        "time_range": {
            "start": first.isoformat(sep=" ", timespec="seconds") if first else None,
            "end": last.isoformat(sep=" ", timespec="seconds") if last else None,
            "duration_seconds": (last - first).total_seconds() if first else None,
        },
        "top_messages": top_list(lambda p: True),
        "top_errors": top_list(lambda p: any(lv in ("ERROR", "FATAL") for lv in pattern_levels[p])),
        "bucket": args.bucket,
        "errors_per_bucket": buckets,
    }


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def render(rep: dict) -> str:
    out = []
    names = ", ".join(f["file"] for f in rep["files"])
    out.append(f"Log summary: {names}")
    out.append(
        f"  lines {rep['lines']}, entries {rep['entries']}, continuation lines "
        f"{rep['continuation_lines']}, without timestamp {rep['entries_without_timestamp']}"
    )
    tr = rep["time_range"]
    if tr["start"]:
        out.append(f"  time range: {tr['start']} .. {tr['end']} ({fmt_duration(tr['duration_seconds'])})")
    else:
        out.append("  time range: no timestamps found")
    out.append("")
    out.append("Levels:")
    total = max(1, rep["entries"])
    for lvl, n in rep["levels"].items():
        out.append(f"  {lvl:8} {n:7}  {100 * n / total:5.1f}%")
    for title, key in (("Top messages", "top_messages"), ("Top errors", "top_errors")):
        out.append("")
        out.append(f"{title}:")
        if not rep[key]:
            out.append("  (none)")
        for row in rep[key]:
            out.append(f"  {row['count']:6}  {row['level']:7} {row['pattern']}")
            if row["example"] != row["pattern"]:
                out.append(f"  {'':6}  {'':7} e.g. {row['example'][:160]}")
    out.append("")
    out.append(f"Errors per {rep['bucket']}:")
    if not rep["errors_per_bucket"]:
        out.append("  (no timestamped errors)")
    peak = max([b["errors"] for b in rep["errors_per_bucket"]] or [1]) or 1
    for b in rep["errors_per_bucket"]:
        bar = "#" * max(1 if b["errors"] else 0, round(30 * b["errors"] / peak))
        out.append(f"  {b['bucket']}  {b['errors']:5}  {bar}")
    return "\n".join(out) + "\n"


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1] + "\nExamples:\n"
        "  summarize.py app.log\n"
        "  summarize.py app.log app.log.1.gz --top 20 --bucket 10min\n"
        "  summarize.py service.jsonl --json -o summary.json\n"
        "  summarize.py /var/log/syslog --year 2024 --min-level WARN",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("logs", nargs="+", help="log files (.gz ok) or '-' for stdin")
    p.add_argument("--top", type=int, default=10, help="how many top messages to show (default 10)")
    p.add_argument(
        "--bucket",
        choices=["minute", "10min", "hour", "day"],
        default="hour",
        help="time bucket for the error histogram (default hour)",
    )
    p.add_argument(
        "--min-level",
        type=str.upper,
        choices=LEVEL_ORDER[:-1],
        help="only entries at or above this level feed the top-messages list",
    )
    p.add_argument("--since", help="ignore entries before this ISO time (e.g. 2024-03-04T10:00)")
    p.add_argument("--until", help="ignore entries after this ISO time")
    p.add_argument(
        "--year",
        type=int,
        default=dt.date.today().year,
        help="year for syslog lines, which have none (default: current year)",
    )
    p.add_argument("--mask-quoted", action="store_true", help="also mask quoted strings when grouping messages")
    p.add_argument("--max-pattern", type=int, default=200, help="truncate patterns to N chars")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("-o", "--output", help="write the summary to this file")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    if args.top < 0:
        return _fail("--top must be >= 0")
    for name in ("since", "until"):
        val = getattr(args, name)
        if val and parse_iso(val if re.search(r"\d{2}:\d{2}", val) else val + "T00:00:00") is None:
            return _fail(f"--{name} must be an ISO date/time like 2024-03-04T10:00:00")
        if val and not re.search(r"\d{2}:\d{2}", val):
            setattr(args, name, val + "T00:00:00")
    rep = summarise(args)
    text = json.dumps(rep, ensure_ascii=False, indent=2) + "\n" if args.json else render(rep)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            return _fail(f"cannot write {args.output}: {exc}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
