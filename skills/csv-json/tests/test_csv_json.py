#!/usr/bin/env python3
"""Tests for the csv-json skill. Run: python3 tests/test_csv_json.py (cwd = empty temp dir)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
CSV2JSON = SCRIPTS / "csv2json.py"
JSON2CSV = SCRIPTS / "json2csv.py"
SNIFF = SCRIPTS / "sniff.py"


def run(script, *args, ok=True):
    proc = subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if ok:
        assert proc.returncode == 0, f"{script.name} {args} failed: {proc.stderr}"
    return proc


def write(name, data: bytes) -> str:
    Path(name).write_bytes(data)
    return name


def test_basic_comma_records():
    write("a.csv", b'id,name,city\n1,Ann,Oslo\n2,"Bob, Jr.","New\nYork"\n')
    out = json.loads(run(CSV2JSON, "a.csv").stdout)
    assert out == [
        {"id": "1", "name": "Ann", "city": "Oslo"},
        {"id": "2", "name": "Bob, Jr.", "city": "New\nYork"},
    ], out


def test_delimiters_sniffed():
    for delim in [";", "\t", "|"]:
        data = delim.join(["a", "b", "c"]) + "\n" + delim.join(["1", "x,y", "3"]) + "\n"
        write("d.csv", data.encode())
        out = json.loads(run(CSV2JSON, "d.csv").stdout)
        assert out == [{"a": "1", "b": "x,y", "c": "3"}], (delim, out)


def test_semicolon_with_decimal_commas():
    write("eu.csv", "name;price\nTea;3,50\nCafé;2,10\n".encode())
    out = json.loads(run(CSV2JSON, "eu.csv").stdout)
    assert out == [{"name": "Tea", "price": "3,50"}, {"name": "Café", "price": "2,10"}], out


def test_encodings():
    text = "name,note\nJosé,naïve café\n"
    expected = [{"name": "José", "note": "naïve café"}]
    cases = {
        "bom8.csv": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "u16.csv": text.encode("utf-16"),  # includes BOM
        "cp.csv": text.encode("cp1252"),
        "plain.csv": text.encode("utf-8"),
    }
    for name, data in cases.items():
        write(name, data)
        out = json.loads(run(CSV2JSON, name).stdout)
        assert out == expected, (name, out)
        assert "\ufeff" not in json.dumps(out)
    info = json.loads(run(SNIFF, "u16.csv", "--json").stdout)
    assert info["encoding"] == "utf-16" and info["bom"] is True, info
    info = json.loads(run(SNIFF, "cp.csv", "--json").stdout)
    assert info["encoding"] == "cp1252", info
    # bytes undefined in cp1252 fall back to latin-1
    write("l1.csv", b"a,b\n\x81x,\xe9\n")
    info = json.loads(run(SNIFF, "l1.csv", "--json").stdout)
    assert info["encoding"] == "latin-1", info


def test_infer_types_off_by_default_and_on():
    write("t.csv", b"zip,n,f,flag,empty,neg\n00123,42,3.5,TRUE,,-7\n")
    raw = json.loads(run(CSV2JSON, "t.csv").stdout)[0]
    assert raw == {
        "zip": "00123",
        "n": "42",
        "f": "3.5",
        "flag": "TRUE",
        "empty": "",
        "neg": "-7",
    }, raw
    typed = json.loads(run(CSV2JSON, "t.csv", "--infer-types").stdout)[0]
    assert typed == {"zip": "00123", "n": 42, "f": 3.5, "flag": True, "empty": None, "neg": -7}, typed


def test_jsonl_and_columns_and_output_file():
    write("c.csv", b"id,name,email\n1,Ann,a@x.org\n2,Bob,b@x.org\n")
    run(CSV2JSON, "c.csv", "--format", "jsonl", "--columns", "email,id", "-o", "c.jsonl")
    lines = Path("c.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == [
        {"email": "a@x.org", "id": "1"},
        {"email": "b@x.org", "id": "2"},
    ]
    assert list(json.loads(lines[0]).keys()) == ["email", "id"]  # requested order
    bad = run(CSV2JSON, "c.csv", "--columns", "nope", ok=False)
    assert bad.returncode != 0 and "nope" in bad.stderr and "Available" in bad.stderr


def test_duplicate_and_blank_headers_and_no_header():
    write("h.csv", b"a,a,\n1,2,3\n")
    out = json.loads(run(CSV2JSON, "h.csv").stdout)
    assert out == [{"a": "1", "a_2": "2", "column_3": "3"}], out
    write("nh.csv", b"1,2\n3,4\n")
    out = json.loads(run(CSV2JSON, "nh.csv", "--no-header").stdout)
    assert out == [{"column_1": "1", "column_2": "2"}, {"column_1": "3", "column_2": "4"}]


def test_json_to_csv_records_and_jsonl():
    recs = [
        {"id": 1, "name": "Ann", "tags": ["a", "b"]},
        {"id": 2, "name": "Bob, Jr.", "active": False, "note": None},
    ]
    Path("r.json").write_text(json.dumps(recs), encoding="utf-8")
    run(JSON2CSV, "r.json", "-o", "r.csv")
    text = Path("r.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "id,name,tags,active,note", text
    assert '"Bob, Jr."' in text and '"[""a"",""b""]"' in text and ",false," in text, text
    Path("r.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n", encoding="utf-8")
    out = run(JSON2CSV, "r.jsonl", "--delimiter", "tab").stdout
    assert out.splitlines()[0] == "id\tname\ttags\tactive\tnote", out


def test_json_to_csv_key_flatten_bom():
    doc = {"meta": {"n": 1}, "data": {"items": [{"id": 1, "addr": {"city": "Oslo"}}]}}
    Path("n.json").write_text(json.dumps(doc), encoding="utf-8")
    run(JSON2CSV, "n.json", "--key", "data.items", "--flatten", "--bom", "-o", "n.csv")
    raw = Path("n.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw
    assert raw.decode("utf-8-sig") == "id,addr.city\n1,Oslo\n", raw


def test_round_trip():
    src = 'id;name;comment\n1;Zoë;"said ""hi""; left"\n2;Ümit;\n'
    write("rt.csv", src.encode("utf-8"))
    run(CSV2JSON, "rt.csv", "-o", "rt.json")
    run(JSON2CSV, "rt.json", "--delimiter", "semicolon", "-o", "rt2.csv")
    run(CSV2JSON, "rt2.csv", "-o", "rt2.json")
    a = json.loads(Path("rt.json").read_text(encoding="utf-8"))
    b = json.loads(Path("rt2.json").read_text(encoding="utf-8"))
    assert a == b and a[0]["comment"] == 'said "hi"; left', (a, b)


def test_errors():
    r = run(CSV2JSON, "missing.csv", ok=False)
    assert r.returncode == 2 and "not found" in r.stderr, r.stderr
    Path("bad.json").write_text("{not json", encoding="utf-8")
    r = run(JSON2CSV, "bad.json", ok=False)
    assert r.returncode == 2 and "invalid JSON" in r.stderr, r.stderr
    Path("scalar.json").write_text("[1, 2]", encoding="utf-8")
    r = run(JSON2CSV, "scalar.json", ok=False)
    assert r.returncode == 2 and "expected an object" in r.stderr, r.stderr
    for s in (CSV2JSON, JSON2CSV, SNIFF):
        assert "usage" in run(s, "--help").stdout.lower()


def main():
    # Work in a private temp dir inside cwd's filesystem; never write near the scripts.
    os.chdir(tempfile.mkdtemp(prefix="csvjson-test-", dir=os.getcwd()))
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    for t in tests:
        t()
    print("ok")


if __name__ == "__main__":
    main()
