#!/usr/bin/env python3
"""Tests for the unit-convert skill. Run: python3 tests/test_convert.py (cwd = empty temp dir)."""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "convert.py"


def read_dicts(name):
    with open(name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def run(*args, ok=True):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if ok:
        assert proc.returncode == 0, f"{args} failed ({proc.returncode}): {proc.stderr}"
    return proc


def val(*args):
    return float(run(*args, "-q").stdout.strip())


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def test_output_line_and_forms():
    assert run(5, "km", "mi").stdout == "5 km = 3.106855961 mi\n"
    assert run("5km", "mi").stdout == "5 km = 3.106855961 mi\n"
    assert run("5 km", "to", "mi", "ft").stdout.splitlines() == [
        "5 km = 3.106855961 mi",
        "5 km = 16404.19948 ft",
    ]
    assert run(1, "mi", "--to", "km", "-q").stdout == "1.609344\n"
    d = json.loads(run(5, "km", "mi", "--json").stdout)
    assert d["from"] == "km" and d["to"] == "mi" and close(d["result"], 3.1068559611866697)


def test_length_mass_volume_area():
    assert close(val(1, "in", "cm"), 2.54)
    assert close(val(1, "ft", "in"), 12)
    assert close(val(1, "nmi", "m"), 1852)
    assert close(val(1, "lb", "g"), 453.59237)
    assert close(val(16, "oz", "lb"), 1)
    assert close(val(1, "st", "lb"), 14)
    assert close(val(1, "gal", "l"), 3.785411784)
    assert close(val(1, "imp_gal", "l"), 4.54609)
    assert close(val(1, "cup", "tbsp"), 16)
    assert close(val(1, "tbsp", "tsp"), 3)
    assert close(val(1, "ha", "m2"), 10000)
    assert close(val(640, "acre", "mi2"), 1)
    assert close(val(2.5, "litres", "mL"), 2500)  # aliases and case variants


def test_temperature():
    assert run(-40, "C", "F", "-q").stdout.strip() == "-40"
    assert close(val(100, "C", "K"), 373.15)
    assert close(val(98.6, "F", "C"), 37)
    assert close(val(0, "K", "R"), 0)
    assert close(val(491.67, "R", "C"), 0)
    assert close(val(10, "C", "F", "--delta"), 18)
    r = run(-300, "C", "K", ok=False)
    assert r.returncode == 2 and "absolute zero" in r.stderr


def test_data_sizes_si_vs_iec_and_bits():
    assert close(val(1, "kB", "B"), 1000)
    assert close(val(1, "KB", "B"), 1000)  # SI: K/k both mean 1000
    assert close(val(1, "KiB", "B"), 1024)
    assert close(val(1, "GiB", "MB"), 1073.741824)
    assert close(val(1, "GB", "MiB"), 953.67431640625)
    assert close(val(100, "Mbit", "MB"), 12.5)
    assert close(val(100, "Mb", "MB"), 12.5)  # Mb = megabit
    assert close(val(8, "bit", "B"), 1)
    assert run("1e12", "B", "TB", "-q").stdout.strip() == "1"
    for amb in ("mb", "kb", "b"):
        r = run(1, amb, "B", ok=False)
        assert r.returncode == 2 and "ambiguous" in r.stderr, (amb, r.stderr)


def test_speed_time():
    assert close(val(60, "mph", "km/h"), 96.56064)
    assert close(val(10, "m/s", "km/h"), 36)
    assert close(val(1, "knot", "km/h"), 1.852)
    assert close(val(1, "day", "h"), 24)
    assert close(val(1, "year", "day"), 365.25)
    assert close(val(90, "min", "h"), 1.5)
    assert close(val(1500, "ms", "s"), 1.5)


def test_formatting_options():
    assert run(1, "gal", "imp_gal", "--decimals", "3", "-q").stdout == "0.833\n"
    assert run(2, "mi", "km", "--precision", "3", "-q").stdout == "3.22\n"
    assert run(0.1, "mm", "nm", "-q").stdout == "100000\n"  # no float noise
    assert run("1,200.5", "m", "km", "-q").stdout == "1.2005\n"


def test_errors():
    r = run(5, "km", "kg", ok=False)
    assert r.returncode == 2 and "length" in r.stderr and "mass" in r.stderr
    r = run(5, "kmz", "mi", ok=False)
    assert r.returncode == 2 and "unknown unit" in r.stderr and "km" in r.stderr
    r = run(1, "ton", "kg", ok=False)
    assert r.returncode == 2 and "short_ton" in r.stderr
    r = run("abc", "km", "mi", ok=False)
    assert r.returncode == 2 and "not a number" in r.stderr
    r = run(5, "km", ok=False)
    assert r.returncode == 2 and "target unit" in r.stderr
    assert "temperature:" in run("--list", "temperature").stdout
    assert "usage" in run("--help").stdout.lower()


def test_csv_column():
    Path("runs.csv").write_text(
        'run,distance,note\n1,5,ok\n2,10.5,"a, b"\n3,,empty\n4,abc,bad\n5,300 m,has unit\n',
        encoding="utf-8",
    )
    r = run("--csv", "runs.csv", "--column", "distance", "--from", "km", "--to", "mi", "-o", "out.csv")
    rows = read_dicts("out.csv")
    assert list(rows[0].keys()) == ["run", "distance", "note", "distance_mi"]
    assert [x["distance_mi"] for x in rows] == [
        "3.106855961",
        "6.524397518",
        "",
        "",
        "0.1864113577",
    ], rows
    assert rows[1]["note"] == "a, b" and rows[0]["distance"] == "5"
    assert "line 5" in r.stderr and "3 converted, 1 problem(s), 1 empty" in r.stderr, r.stderr
    r = run(
        "--csv",
        "runs.csv",
        "--column",
        "distance",
        "--from",
        "km",
        "--to",
        "m",
        "--in-place",
        "--strict",
        "-o",
        "inplace.csv",
        ok=False,
    )
    assert r.returncode == 1
    rows = read_dicts("inplace.csv")
    assert [x["distance"] for x in rows] == ["5000", "10500", "", "abc", "300"], rows
    Path("t.tsv").write_text("city\ttemp\nOslo\t-3\nRome\t18.5\n", encoding="utf-8")
    out = run("--csv", "t.tsv", "--column", "temp", "--from", "C", "--to", "F", "--new-column", "temp_f").stdout
    assert out == "city\ttemp\ttemp_f\nOslo\t-3\t26.6\nRome\t18.5\t65.3\n", out
    r = run("--csv", "runs.csv", "--column", "nope", "--from", "km", "--to", "mi", ok=False)
    assert r.returncode == 2 and "Available" in r.stderr
    r = run("--csv", "runs.csv", "--column", "distance", "--from", "km", "--to", "kg", ok=False)
    assert r.returncode == 2 and "cannot convert" in r.stderr


def main():
    os.chdir(tempfile.mkdtemp(prefix="units-test-", dir=os.getcwd()))
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")


if __name__ == "__main__":
    main()
