#!/usr/bin/env python3
"""Tests for the markdown-table skill. Run: python3 tests/test_markdown_table.py
(cwd = an empty writable temp dir)."""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TO_MD = HERE.parent / "scripts" / "to_markdown.py"
FROM_MD = HERE.parent / "scripts" / "from_markdown.py"
REPORT = HERE / "fixtures" / "report.md"


def read_rows(name):
    with open(name, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def run(script, *args, ok=True, stdin=None):
    proc = subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if ok:
        assert proc.returncode == 0, f"{script.name} {args} failed: {proc.stderr}"
    return proc


def test_csv_to_markdown_exact():
    Path("a.csv").write_text('name,price,qty\nWidget,9.50,3\nGadget,"1,200.00",12\n', encoding="utf-8")
    out = run(TO_MD, "a.csv").stdout
    assert out == (
        "| name   |    price | qty |\n"
        "| ------ | -------: | --: |\n"
        "| Widget |     9.50 |   3 |\n"
        "| Gadget | 1,200.00 |  12 |\n"
    ), out
    out = run(TO_MD, "a.csv", "--compact", "--no-numeric-align").stdout
    assert out.splitlines()[1] == "| --- | --- | --- |", out
    out = run(TO_MD, "a.csv", "--align", "name=c,qty=l", "--compact").stdout
    assert out.splitlines()[1] == "| :-: | --: | :-- |", out
    out = run(TO_MD, "a.csv", "--align", "r", "--compact", "--columns", "qty,name").stdout
    assert out.splitlines()[0] == "| qty | name |" and out.splitlines()[1] == "| --: | --- |", out


def test_json_to_markdown_escaping():
    data = [
        {"id": 1, "text": "a|b", "ok": True, "tags": ["x", "y"]},
        {"id": 2, "text": "line1\nline2", "ok": None, "extra": "z"},
    ]
    Path("d.json").write_text(json.dumps(data), encoding="utf-8")
    lines = run(TO_MD, "d.json", "--compact").stdout.splitlines()
    assert lines[0] == "| id | text | ok | tags | extra |", lines
    assert lines[2] == '| 1 | a\\|b | true | ["x", "y"] |  |', lines
    assert lines[3] == "| 2 | line1<br>line2 |  |  | z |", lines
    long = run(
        TO_MD,
        "-",
        "--from",
        "json",
        "--max-width",
        "8",
        "--compact",
        stdin='[{"t": "abcdefghijklmnop"}]',
    ).stdout
    assert "| abcdefg… |" in long, long


def test_markdown_to_json_and_csv():
    recs = json.loads(run(FROM_MD, REPORT).stdout)
    assert recs == [
        {"Region": "North", "Revenue": "1200", "Growth": "5.5%", "Notes": "**best** quarter"},
        {
            "Region": "South",
            "Revenue": "800",
            "Growth": "-2%",
            "Notes": "see [wiki](http://example.com)",
        },
        {"Region": "East", "Revenue": "", "Growth": "0%", "Notes": "a | b"},
    ], recs
    typed = json.loads(run(FROM_MD, REPORT, "--infer-types", "--strip-formatting").stdout)
    assert typed[0]["Revenue"] == 1200 and typed[2]["Revenue"] is None
    assert typed[0]["Notes"] == "best quarter" and typed[1]["Notes"] == "see wiki", typed
    run(FROM_MD, REPORT, "--to", "csv", "-o", "t.csv")
    rows = read_rows("t.csv")
    assert rows[0] == ["Region", "Revenue", "Growth", "Notes"] and rows[3][3] == "a | b", rows


def test_multiple_tables_list_all_and_fences():
    listing = run(FROM_MD, REPORT, "--list").stdout
    assert listing.count("table ") == 2, listing  # fenced table is ignored
    assert "line 5, 4 columns, 3 rows" in listing and "2 columns, 2 rows: Team, Lead" in listing
    r = run(FROM_MD, REPORT, "--table", "2", "--to", "jsonl")
    assert [json.loads(x) for x in r.stdout.splitlines()] == [
        {"Team": "Core", "Lead": "Ann"},
        {"Team": "Infra", "Lead": "Bob"},
    ]
    assert "warning" in r.stderr  # the row with an extra cell
    allt = json.loads(run(FROM_MD, REPORT, "--all").stdout)
    assert [t["line"] for t in allt] == [5, 17], allt
    assert allt[0]["align"] == ["left", "right", "center", "default"]


def test_round_trip():
    src = 'city,pop,motto\n"Oslo, NO",709037,Unanimiter | et constanter\nBergen,285911,\n'
    Path("c.csv").write_text(src, encoding="utf-8")
    run(TO_MD, "c.csv", "-o", "c.md")
    run(FROM_MD, "c.md", "--to", "csv", "-o", "c2.csv")
    assert Path("c2.csv").read_text(encoding="utf-8") == src


def test_errors():
    r = run(FROM_MD, REPORT, "--table", "5", ok=False)
    assert r.returncode == 2 and "found 2 table" in r.stderr
    Path("none.md").write_text("# nothing | here\n", encoding="utf-8")
    r = run(FROM_MD, "none.md", ok=False)
    assert r.returncode == 1 and "no Markdown table" in r.stderr
    r = run(TO_MD, "missing.csv", ok=False)
    assert r.returncode == 2 and "not found" in r.stderr
    Path("a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    r = run(TO_MD, "a.csv", "--columns", "z", ok=False)
    assert r.returncode == 2 and "Available: x, y" in r.stderr
    r = run(TO_MD, "a.csv", "--align", "q", ok=False)
    assert r.returncode == 2 and "bad alignment" in r.stderr
    Path("bad.json").write_text("[1, 2", encoding="utf-8")
    r = run(TO_MD, "bad.json", ok=False)
    assert r.returncode == 2 and "invalid JSON" in r.stderr
    for s in (TO_MD, FROM_MD):
        assert "usage" in run(s, "--help").stdout.lower()


def main():
    os.chdir(tempfile.mkdtemp(prefix="mdtable-test-", dir=os.getcwd()))
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")


if __name__ == "__main__":
    main()
