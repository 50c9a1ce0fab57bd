#!/usr/bin/env python3
"""Tests for the date-normalize skill. Run: python3 tests/test_normalize_dates.py
(cwd = an empty writable temp dir; nothing is written next to this file)."""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "scripts" / "normalize_dates.py"
FIX = HERE / "fixtures"


def read_dicts(name):
    with open(name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


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


def values(*vals, extra=()):
    args = []
    for v in vals:
        args += ["--value", v]
    return run(*args, *extra).stdout.splitlines()


def test_many_formats():
    cases = {
        "2024-03-04": "2024-03-04",
        "2024/3/4": "2024-03-04",
        "2024.03.04": "2024-03-04",
        "4 March 2024": "2024-03-04",
        "4th Mar 2024": "2024-03-04",
        "04-Mar-2024": "2024-03-04",
        "Mar 4, 2024": "2024-03-04",
        "March 4 2024": "2024-03-04",
        "Monday, 4 March 2024": "2024-03-04",
        "2024-Mar-04": "2024-03-04",
        "20240304": "2024-03-04",
        "Sept 30, 2023": "2023-09-30",
        "2024-03-04 10:15": "2024-03-04T10:15:00",
        "2024-03-04T10:15:30Z": "2024-03-04T10:15:30Z",
        "2024-03-04T10:15:30.250+05:30": "2024-03-04T10:15:30.250+05:30",
        "Mar 4, 2024 3:05 PM": "2024-03-04T15:05:00",
        "4 March 2024 12:00 am": "2024-03-04T00:00:00",
    }
    got = values(*cases.keys())
    assert got == list(cases.values()), list(zip(cases, got, strict=False))


def test_month_first_default_and_dayfirst():
    assert values("03/04/2024", "3-4-24", "04.03.2024") == [
        "2024-03-04",
        "2024-03-04",
        "2024-04-03",
    ]
    assert values("03/04/2024", "3-4-24", "04.03.2024", extra=["--dayfirst"]) == [
        "2024-04-03",
        "2024-04-03",
        "2024-03-04",
    ]
    # 13/04/2024 is impossible month-first: reported, left unchanged, hint mentions --dayfirst
    r = run("--value", "13/04/2024", ok=False)
    assert r.returncode == 1 and r.stdout.strip() == "13/04/2024", r
    assert "month-first" in r.stderr and "--dayfirst" in r.stderr, r.stderr
    assert values("13/04/2024", extra=["--dayfirst"]) == ["2024-04-13"]


def test_two_digit_years_and_invalid():
    assert values("1/2/68", "1/2/69") == ["2068-01-02", "1969-01-02"]
    r = run("--value", "2023-02-29", ok=False)
    assert r.returncode == 1 and "invalid date" in r.stderr, r.stderr
    r = run("--value", "next tuesday", ok=False)
    assert r.returncode == 1 and "unrecognised" in r.stderr, r.stderr


def test_epoch_utc_date_only():
    r = run("--value", "1709547300", ok=False)
    assert r.returncode == 1 and "--epoch" in r.stderr
    assert values("1709547300", "1709547300123", extra=["--epoch", "auto"]) == [
        "2024-03-04T10:15:00Z",
        "2024-03-04T10:15:00.123Z",
    ]
    assert values("1709547300000", extra=["--epoch", "ms", "--date-only"]) == ["2024-03-04"]
    assert values("2024-03-04T23:30:00-02:00", extra=["--utc"]) == ["2024-03-05T01:30:00Z"]
    assert values("2024-03-04T23:30:00-02:00", extra=["--date-only"]) == ["2024-03-04"]


def test_csv_column():
    run(FIX / "orders.csv", "--column", "order_date", "-o", "out.csv")
    rows = read_dicts("out.csv")
    assert [r["order_date"] for r in rows] == [
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
        "",
        "2023-12-11",
    ], rows
    assert rows[0]["customer"] == "Smith, Ann" and rows[2]["customer"] == "Chloé"
    assert rows[0]["amount"] == "19.99"  # other columns untouched
    run(FIX / "orders.csv", "--column", "order_date", "--dayfirst", "-o", "out_df.csv")
    rows = read_dicts("out_df.csv")
    assert rows[0]["order_date"] == "2024-04-03" and rows[5]["order_date"] == "2023-11-12"
    assert rows[1]["order_date"] == "2024-03-05"  # ISO input is never ambiguous


def test_csv_errors():
    r = run(FIX / "orders.csv", "--column", "when", ok=False)
    assert r.returncode == 2 and "not found" in r.stderr and "order_date" in r.stderr
    Path("bad.csv").write_text("id;d\n1;31/12/2024\n2;01/02/2024\n", encoding="utf-8")
    r = run("bad.csv", "--column", "d", "--on-error", "fail", "-o", "bad_out.csv", ok=False)
    assert r.returncode == 1 and "31/12/2024" in r.stderr
    assert Path("bad_out.csv").read_text(encoding="utf-8") == "id;d\n1;31/12/2024\n2;2024-01-02\n"
    r = run("missing.csv", "--column", "d", ok=False)
    assert r.returncode == 2 and "not found" in r.stderr


def test_json_field_nested_and_epoch():
    r = run(
        FIX / "events.json",
        "--field",
        "events.created",
        "--field",
        "events.meta.seen",
        "--epoch",
        "s",
        "-o",
        "ev.json",
    )
    data = json.loads(Path("ev.json").read_text(encoding="utf-8"))
    ev = data["events"]
    assert ev[0]["created"] == "2024-03-04T09:30:00"
    assert ev[1]["created"] == "2024-03-04T10:15:00Z"
    assert ev[2]["created"] == "not a date"  # kept, reported
    assert ev[0]["meta"]["seen"] == "2024-03-04"
    assert ev[1]["meta"]["seen"] == "2024-03-04T10:15:00+01:00"
    assert ev[2]["meta"]["seen"] is None
    assert data["source"] == "app"
    assert "1 unparseable" in r.stderr, r.stderr


def test_jsonl():
    Path("x.jsonl").write_text('{"d": "Mar 4, 2024"}\n{"d": "12/11/2023"}\n', encoding="utf-8")
    out = run("x.jsonl", "--field", "d").stdout.splitlines()
    assert [json.loads(x)["d"] for x in out] == ["2024-03-04", "2023-12-11"], out


def test_text_mode():
    text = (
        "Invoice dated 03/04/2024, due March 31, 2024.\n"
        "Shipped 2024-04-02T08:00:00Z; ref 20240304; version 1.2.3; ip 10.0.0.1\n"
    )
    Path("note.txt").write_text(text, encoding="utf-8")
    out = run("note.txt").stdout
    assert out == (
        "Invoice dated 2024-03-04, due 2024-03-31.\n"
        "Shipped 2024-04-02T08:00:00Z; ref 20240304; version 1.2.3; ip 10.0.0.1\n"
    ), out
    out = run("note.txt", "--compact", "--dayfirst", "--date-only").stdout
    assert "dated 2024-04-03," in out and "ref 2024-03-04;" in out and "Shipped 2024-04-02;" in out, out
    out = run("-", stdin="on 4 March 2024\n").stdout
    assert out == "on 2024-03-04\n"


def test_usage_errors_and_help():
    assert "month-first" in run("--help").stdout.lower().replace("\n", " ")
    r = run(ok=False)
    assert r.returncode == 2 and "input" in r.stderr
    r = run(FIX / "orders.csv", "--column", "a", "--field", "b", ok=False)
    assert r.returncode == 2


def main():
    os.chdir(tempfile.mkdtemp(prefix="dates-test-", dir=os.getcwd()))
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")


if __name__ == "__main__":
    main()
