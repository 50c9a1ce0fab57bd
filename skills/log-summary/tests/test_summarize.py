#!/usr/bin/env python3
"""Tests for the log-summary skill. Run: python3 tests/test_summarize.py (cwd = empty temp dir)."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "scripts" / "summarize.py"
FIX = HERE / "fixtures"


def run(*args, ok=True, stdin=None):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if ok:
        assert proc.returncode == 0, f"{args} failed ({proc.returncode}): {proc.stderr}"
    return proc


def rep(*args, stdin=None):
    return json.loads(run(*args, "--json", stdin=stdin).stdout)


def test_iso_app_log_levels_and_range():
    r = rep(FIX / "app.log")
    assert r["levels"] == {"FATAL": 1, "ERROR": 4, "WARN": 1, "INFO": 4, "DEBUG": 1}, r["levels"]
    assert r["lines"] == 14 and r["entries"] == 11, r
    assert r["continuation_lines"] == 3  # traceback lines belong to the ERROR above
    assert r["time_range"]["start"] == "2024-03-04 09:58:12"
    assert r["time_range"]["end"] == "2024-03-04 12:31:00"
    assert r["time_range"]["duration_seconds"] == 9167.899


def test_patterns_masked_and_top_errors():
    r = rep(FIX / "app.log", "--top", "2")
    top = r["top_messages"]
    assert len(top) == 2
    assert top[0]["count"] == 3 and top[0]["level"] == "ERROR", top
    assert top[0]["pattern"] == "[http-<N>] Failed to connect to db <IP> after <N> retries", top
    assert top[0]["example"] == "[http-3] Failed to connect to db 10.0.0.12:5432 after 3 retries"
    assert top[1]["pattern"] == "[http-<N>] GET /api/users/<N> took <N>ms"
    errs = r["top_errors"]
    assert [e["count"] for e in errs] == [3, 1]
    assert errs[1]["level"] == "FATAL", errs
    r = rep(FIX / "app.log", "--top", "10")
    pats = [e["pattern"] for e in r["top_errors"]]
    assert "[worker] Job <HEX> crashed for user <EMAIL>" in pats, pats


def test_errors_per_bucket():
    r = rep(FIX / "app.log")
    assert r["bucket"] == "hour"
    assert r["errors_per_bucket"] == [
        {"bucket": "2024-03-04 10:00", "errors": 2},
        {"bucket": "2024-03-04 11:00", "errors": 1},
        {"bucket": "2024-03-04 12:00", "errors": 2},
    ], r["errors_per_bucket"]
    r = rep(FIX / "app.log", "--bucket", "day")
    assert r["errors_per_bucket"] == [{"bucket": "2024-03-04", "errors": 5}]
    Path("gap.log").write_text("2024-03-04T10:00:00Z ERROR a\n2024-03-04T13:10:00Z ERROR b\n", encoding="utf-8")
    r = rep("gap.log")
    assert [b["errors"] for b in r["errors_per_bucket"]] == [1, 0, 0, 1]  # empty hours shown


def test_json_lines_logs():
    r = rep(FIX / "service.jsonl")
    assert r["formats"] == {"json": 4}
    assert r["levels"] == {"ERROR": 2, "WARN": 1, "INFO": 1}, r["levels"]  # pino 50 = ERROR
    assert r["time_range"]["start"] == "2024-03-04 09:30:00"  # +01:00 converted to UTC
    assert r["time_range"]["end"] == "2024-03-04 11:00:00"  # epoch seconds
    assert r["top_messages"][0] == {
        "count": 2,
        "level": "ERROR",
        "levels": {"ERROR": 2},
        "pattern": "payment <N> declined",
        "example": "payment 5512 declined",
    }


def test_syslog_and_access_logs():
    r = rep(FIX / "syslog.txt", "--year", "2024")
    assert r["formats"] == {"syslog": 4}
    assert r["levels"] == {"ERROR": 1, "UNKNOWN": 3}, r["levels"]  # "sshd: error: ..."
    assert r["time_range"]["start"] == "2024-03-04 10:01:02"
    pats = [t["pattern"] for t in r["top_messages"]]
    assert "sshd: Accepted publickey for deploy from <IP> port <N>" in pats, pats
    r = rep(FIX / "access.log")
    assert r["levels"] == {"ERROR": 1, "WARN": 1, "INFO": 1}
    pats = {t["pattern"] for t in r["top_messages"]}
    assert "GET /missing HTTP/<N> -> 404" in pats and "POST /api/pay HTTP/<N> -> 502" in pats, pats


def test_filters_multi_file_gzip_stdin():
    r = rep(FIX / "app.log", "--min-level", "warn")
    assert {t["level"] for t in r["top_messages"]} == {"ERROR", "FATAL", "WARN"}
    assert r["levels"]["INFO"] == 4  # level counts are not filtered
    r = rep(FIX / "app.log", "--since", "2024-03-04T10:10:00", "--until", "2024-03-04T12:00")
    assert r["levels"] == {"ERROR": 2, "INFO": 1}, r["levels"]
    with open(FIX / "app.log", "rb") as src, gzip.open("app.log.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    r = rep("app.log.gz", FIX / "access.log")
    assert r["entries"] == 14 and [f["entries"] for f in r["files"]] == [11, 3]
    r = rep("-", stdin="ERROR boom 1\nERROR boom 2\nINFO ok\n")
    assert r["levels"] == {"ERROR": 2, "INFO": 1}
    assert r["entries_without_timestamp"] == 3 and r["errors_per_bucket"] == []
    assert r["top_messages"][0]["pattern"] == "boom <N>"


def test_text_report_and_errors():
    out = run(FIX / "app.log").stdout
    for needle in (
        "Levels:",
        "ERROR",
        "Top messages:",
        "Top errors:",
        "Errors per hour:",
        "time range: 2024-03-04 09:58:12 .. 2024-03-04 12:31:00 (2h 32m 48s)",
    ):
        assert needle in out, (needle, out)
    run(FIX / "app.log", "-o", "summary.txt")
    assert "Top errors:" in Path("summary.txt").read_text(encoding="utf-8")
    r = run("missing.log", ok=False)
    assert r.returncode == 2 and "not found" in r.stderr
    r = run(FIX / "app.log", "--since", "yesterday", ok=False)
    assert r.returncode == 2 and "--since" in r.stderr
    r = run(FIX / "app.log", "--min-level", "loud", ok=False)
    assert r.returncode == 2
    assert "usage" in run("--help").stdout.lower()


def main():
    os.chdir(tempfile.mkdtemp(prefix="logsum-test-", dir=os.getcwd()))
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")


if __name__ == "__main__":
    main()
