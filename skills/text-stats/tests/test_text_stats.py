#!/usr/bin/env python3
"""Tests for the text-stats skill. Run: python3 tests/test_text_stats.py (cwd = empty temp dir)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "text_stats.py"


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


def stats(*args, stdin=None):
    return json.loads(run(*args, "--json", stdin=stdin).stdout)


def test_basic_counts():
    Path("a.txt").write_text("One two three. Four five!\nSix?\n", encoding="utf-8")
    s = stats("a.txt")["files"][0]
    assert s["file"] == "a.txt"
    assert (s["lines"], s["words"], s["sentences"], s["paragraphs"]) == (2, 6, 3, 1), s
    assert s["characters"] == 31 and s["characters_no_spaces"] == 25, s
    assert s["unique_words"] == 6


def test_sentence_edge_cases():
    text = (
        "Dr. Smith paid $1,000 at 3.30 p.m. on Monday. J. Doe said e.g. this is fine. "
        "Really?! Yes...\n\nA heading without a full stop\n\n- a list item\n"
    )
    Path("b.txt").write_text(text, encoding="utf-8")
    s = stats("b.txt")["files"][0]
    # Dr./p.m./J./e.g. are not sentence ends; the heading and list item count as sentences.
    assert s["sentences"] == 6, s
    assert s["paragraphs"] == 3, s
    words = stats("-", stdin="well-known don't 3.14 1,000 e-mail")["files"][0]["words"]
    assert words == 5, words


def test_flesch_and_reading_time():
    Path("c.txt").write_text("The cat sat on the mat.", encoding="utf-8")
    s = stats("c.txt")["files"][0]
    # 6 words, 1 sentence, 6 syllables: 206.835 - 1.015*6 - 84.6*1 = 116.145
    assert s["flesch_reading_ease"] == 116.1, s
    assert s["readability"] == "very easy"
    assert s["flesch_kincaid_grade"] == round(0.39 * 6 + 11.8 - 15.59, 1)
    Path("long.txt").write_text(("word " * 400).strip() + ".", encoding="utf-8")
    s = stats("long.txt")["files"][0]
    assert s["reading_time_minutes"] == 2.0 and s["reading_time"] == "2 min 00 s", s
    s = stats("long.txt", "--wpm", "100")["files"][0]
    assert s["reading_time_minutes"] == 4.0
    hard = (
        "Institutional accountability necessitates comprehensive organizational "
        "transformation considering intergovernmental regulatory considerations."
    )
    s = stats("-", stdin=hard)["files"][0]
    assert s["flesch_reading_ease"] < 0 and s["readability"] == "very difficult", s


def test_top_words_and_stopwords():
    Path("d.txt").write_text(
        "The data and the model. The data is big, the model is small. Data data! 42 42 42 42 42",
        encoding="utf-8",
    )
    top = stats("d.txt", "--top", "3")["files"][0]["top_words"]
    assert top == [["the", 4], ["data", 4], ["model", 2]] or top == [
        ["data", 4],
        ["the", 4],
        ["model", 2],
    ], top
    top = stats("d.txt", "--top", "2", "--stopwords")["files"][0]["top_words"]
    assert top == [["data", 4], ["model", 2]], top
    top = stats("d.txt", "--top", "1", "--include-numbers")["files"][0]["top_words"]
    assert top == [["42", 5]], top
    Path("stop.txt").write_text("data\n", encoding="utf-8")
    top = stats("d.txt", "--top", "1", "--stopwords-file", "stop.txt")["files"][0]["top_words"]
    assert top == [["model", 2]], top
    top = stats("d.txt", "--top", "2", "--stopwords", "--min-length", "5")["files"][0]["top_words"]
    assert top == [["model", 2], ["small", 1]], top


def test_many_files_directory_and_text_output():
    os.makedirs("docs/sub", exist_ok=True)
    Path("docs/x.md").write_text("# Title\n\nSome **bold** text with a [link](http://e.com).\n", encoding="utf-8")
    Path("docs/sub/y.txt").write_text("Two words.", encoding="utf-8")
    Path("docs/skip.bin").write_bytes(b"\x00\x01")
    d = stats("docs", "--strip-markdown")
    names = [os.path.normpath(f["file"]) for f in d["files"]]
    assert names == [os.path.normpath("docs/x.md"), os.path.normpath("docs/sub/y.txt")], names
    x = d["files"][0]
    assert x["words"] == 7, x  # Title Some bold text with a link (no URL)
    assert d["total"]["words"] == 9 and d["total"]["files"] == 2, d["total"]
    out = run("docs/x.md", "docs/sub/y.txt").stdout
    assert "== docs/x.md" in out and "TOTAL (2 files)" in out and "flesch reading ease" in out
    run("docs", "--json", "-o", "report.json")
    assert json.loads(Path("report.json").read_text(encoding="utf-8"))["total"]["files"] == 2


def test_encodings_and_errors():
    Path("w.txt").write_bytes("Café crème. Très bien.".encode("cp1252"))
    s = stats("w.txt")["files"][0]
    assert s["encoding"] == "cp1252" and s["words"] == 4 and s["sentences"] == 2, s
    r = run("missing.txt", ok=False)
    assert r.returncode == 2 and "not found" in r.stderr
    r = run("w.txt", "--wpm", "0", ok=False)
    assert r.returncode == 2 and "--wpm" in r.stderr
    empty = stats("-", stdin="")["files"][0]
    assert empty["words"] == 0 and empty["flesch_reading_ease"] is None
    assert "usage" in run("--help").stdout.lower()


def main():
    os.chdir(tempfile.mkdtemp(prefix="textstats-test-", dir=os.getcwd()))
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")


if __name__ == "__main__":
    main()
