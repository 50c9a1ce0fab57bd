#!/usr/bin/env python3
"""Tests for the json-query skill. Run: python3 tests/test_query.py (cwd = empty temp dir)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "query.py"

DOC = {
    "store": "Main",
    "items": [
        {"name": "Widget", "price": 9.5, "category": "tools", "tags": ["a", "b"], "sku": "A1"},
        {
            "name": "Gadget",
            "price": 25,
            "category": "toys",
            "tags": [],
            "sku": "B2",
            "meta": {"id": 7},
        },
        {"name": "Doohickey", "price": 12, "category": "tools", "active": False, "sku": "A3"},
    ],
    "owner": {"name": "Ann", "id": 1, "first name": "Ann"},
}


def q(query=None, *extra, file="d.json", ok=True, stdin=None):
    args = [sys.executable, str(SCRIPT), file] + ([query] if query is not None else []) + list(extra)
    proc = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", input=stdin)
    if ok:
        assert proc.returncode == 0, f"{query!r} failed ({proc.returncode}): {proc.stderr}"
    return proc


def qj(query, *extra):
    return json.loads(q(query, *extra).stdout)


def test_paths_and_indexes():
    assert qj(".") == DOC
    assert qj("items[0].name") == "Widget"
    assert qj("$.items[-1].price") == 12
    assert qj("items.1.sku") == "B2"
    assert qj('owner["first name"]') == "Ann"
    assert qj("items[1:].name") == ["Gadget", "Doohickey"]
    assert qj("items[*].name") == ["Widget", "Gadget", "Doohickey"]
    assert qj("owner.*") == ["Ann", 1, "Ann"]
    assert qj("..id") == [7, 1]
    assert qj("items[*].meta.id") == [7]  # items without meta are skipped


def test_filters():
    assert qj("items[?price>10].name") == ["Gadget", "Doohickey"]
    assert qj("items[?price >= 9.5 && category == 'tools'].sku") == ["A1", "A3"]
    assert qj("items[?category=='toys' || price<10].name") == ["Widget", "Gadget"]
    assert qj("items[?tags].name") == ["Widget"]  # empty list is falsy
    assert qj("items[?active == false].name") == ["Doohickey"]
    assert qj("items[?!(price > 10)].name") == ["Widget"]
    assert qj(r"items[?sku =~ '^A\d'].name") == ["Widget", "Doohickey"]
    assert qj("items[?meta.id == 7].name") == ["Gadget"]
    assert qj("items[?price == '25'].name") == []  # no type coercion
    assert qj("items[?price > 1000]") == []


def test_projection_and_functions():
    assert qj("items[*].{name, cost: price}") == [
        {"name": "Widget", "cost": 9.5},
        {"name": "Gadget", "cost": 25},
        {"name": "Doohickey", "cost": 12},
    ]
    assert qj("owner.{who: name, missing}") == {"who": "Ann", "missing": None}
    assert qj("items | length") == 3
    assert qj("items[*].price | sum") == 46.5
    assert qj("items[*].price | max") == 25
    assert qj("items | sort_by(price) | map(name)") == ["Widget", "Doohickey", "Gadget"]
    assert qj("items | count_by(category)") == {"tools": 2, "toys": 1}
    assert qj("items | group_by(category) | keys") == ["tools", "toys"]
    assert qj("items[*].tags | flatten | unique") == ["a", "b"]
    assert qj("items[*].name | sort | reverse | first") == "Widget"
    assert qj("owner | keys") == ["name", "id", "first name"]


def test_output_modes():
    out = q("items[*].name", "--lines").stdout
    assert out == "Widget\nGadget\nDoohickey\n", out
    out = q("items[*].{n: name}", "-l").stdout.splitlines()
    assert [json.loads(x) for x in out] == [{"n": "Widget"}, {"n": "Gadget"}, {"n": "Doohickey"}]
    assert q("store", "--raw").stdout == "Main\n"
    assert q("store").stdout == '"Main"\n'
    assert q("owner", "-c").stdout == '{"name":"Ann","id":1,"first name":"Ann"}\n'
    q("items[0]", "-o", "first.json")
    assert json.loads(Path("first.json").read_text(encoding="utf-8"))["sku"] == "A1"


def test_missing_and_errors():
    r = q("nope", ok=False)
    assert r.returncode == 1 and "not found" in r.stderr and "items" in r.stderr, r.stderr
    r = q("items.name", ok=False)
    assert r.returncode == 1 and "items[*].name" in r.stderr, r.stderr
    r = q("items[10]", ok=False)
    assert r.returncode == 1 and "out of range" in r.stderr
    assert q("nope", "--default", "0").stdout == "0\n"
    r = q("items[", ok=False)
    assert r.returncode == 2 and "bad query" in r.stderr
    r = q("items | frobnicate", ok=False)
    assert r.returncode == 2 and "sort_by" in r.stderr
    r = q(".", file="missing.json", ok=False)
    assert r.returncode == 2 and "not found" in r.stderr


def test_validate_jsonl_paths_stdin():
    assert q(None, "--validate").stdout.startswith("valid JSON: object with 3 keys")
    Path("bad.json").write_text('{"a": 1,}', encoding="utf-8")
    r = q(None, "--validate", file="bad.json", ok=False)
    assert r.returncode == 1 and "line 1 column" in r.stderr, r.stderr
    Path("e.jsonl").write_text(
        '{"lvl": "error", "n": 1}\n{"lvl": "info", "n": 2}\n\n{"lvl": "error", "n": 3}\n',
        encoding="utf-8",
    )
    assert q(None, "--validate", file="e.jsonl").stdout.strip() == "valid JSON Lines: 3 records"
    assert json.loads(q("[?lvl=='error'].n", "-c", file="e.jsonl").stdout) == [1, 3]
    paths = q(None, "--paths").stdout
    assert "items[*].price\tnumber\tx3" in paths and 'owner["first name"]' in paths, paths
    r = q("a.b", file="-", stdin='{"a": {"b": [1, 2]}}')
    assert json.loads(r.stdout) == [1, 2]
    assert "usage" in q(None, "--help").stdout.lower()


def main():
    os.chdir(tempfile.mkdtemp(prefix="jq-test-", dir=os.getcwd()))
    Path("d.json").write_text(json.dumps(DOC), encoding="utf-8")
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")


if __name__ == "__main__":
    main()
