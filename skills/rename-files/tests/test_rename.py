#!/usr/bin/env python3
"""Tests for the rename-files skill. Run: python3 tests/test_rename.py (cwd = empty temp dir).
Every test builds its own sandbox directory under the cwd and runs the script inside it."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "rename.py"
BASE = None


def fresh(*names, content=None):
    """Create a new empty work dir with the given files and chdir into it."""
    d = tempfile.mkdtemp(dir=BASE)
    os.chdir(d)
    for n in names:
        Path(n).parent.mkdir(parents=True, exist_ok=True)
        Path(n).write_text(content or n, encoding="utf-8")
    return d


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


def listing(path="."):
    out = []
    for root, _dirs, files in os.walk(path):
        out += [os.path.normpath(os.path.join(root, f)) for f in files]
    return sorted(out)


def test_dry_run_by_default():
    fresh("IMG_0001.JPG", "IMG_0002.JPG")
    r = run("--lower-ext")
    assert r.stdout.splitlines() == ["IMG_0001.JPG -> IMG_0001.jpg", "IMG_0002.JPG -> IMG_0002.jpg"]
    assert "DRY RUN" in r.stderr and "--apply" in r.stderr
    assert listing() == ["IMG_0001.JPG", "IMG_0002.JPG"]  # nothing changed
    run("--lower-ext", "--apply")
    assert listing() == ["IMG_0001.jpg", "IMG_0002.jpg"]


def test_regex_slugify_case_prefix_suffix():
    fresh("IMG_0001.jpg", "IMG_0010.jpg", "notes.txt")
    run("--glob", "img_*", "--regex", r"^IMG_0*(\d+)$", "--replace", r"photo-\1", "--apply")
    assert listing() == ["notes.txt", "photo-1.jpg", "photo-10.jpg"]
    fresh("My Holiday Photo (1).PNG", "Résumé Final.pdf")
    run("--slugify", "--lower-ext", "--apply")
    assert listing() == ["my-holiday-photo-1.png", "resume-final.pdf"], listing()
    fresh("Report.txt")
    run("--upper", "--prefix", "draft_", "--suffix", "_v2", "--apply")
    assert listing() == ["draft_REPORT_v2.txt"]
    fresh("a.tar.gz")
    run("--regex", r"\.", "--replace", "_", "--whole-name", "--apply")
    assert listing() == ["a_tar_gz"]


def test_numbering_natural_order_and_template():
    fresh("file10.txt", "file2.txt", "file1.txt")
    r = run("--number", "--sep", "_")
    assert r.stdout.splitlines() == [
        "file1.txt -> 01_file1.txt",
        "file2.txt -> 02_file2.txt",
        "file10.txt -> 03_file10.txt",
    ], r.stdout
    run("--template", "chapter-{num}", "--pad", "3", "--start", "0", "--apply")
    assert listing() == ["chapter-000.txt", "chapter-001.txt", "chapter-002.txt"]
    fresh("x.md")
    run("--date-stamp", "2024-03-04", "--apply")
    assert listing() == ["2024-03-04-x.md"]
    fresh("y.md")
    os.utime("y.md", (1709547300, 1709547300))
    run(
        "--date-stamp",
        "mtime",
        "--date-format",
        "%Y%m",
        "--date-position",
        "suffix",
        "--sep",
        "_",
        "--apply",
    )
    assert listing() == ["y_202403.md"], listing()
    r = run("--template", "{nope}", ok=False)
    assert r.returncode == 1 and "bad --template" in r.stderr


def test_collisions_refused():
    fresh("a.txt", "b.txt")
    r = run("--regex", "^[ab]$", "--replace", "same", ok=False)
    assert r.returncode == 1 and "would both become same.txt" in r.stderr, r.stderr
    r = run("--glob", "a.txt", "--regex", "a", "--replace", "b", "--apply", ok=False)
    assert r.returncode == 1 and "already exists" in r.stderr
    assert listing() == ["a.txt", "b.txt"]
    assert Path("b.txt").read_text(encoding="utf-8") == "b.txt"  # not overwritten


def test_chain_rename_is_safe():
    fresh("1.txt", "2.txt", "3.txt")
    # 1->2, 2->3, 3->4: every target but the last is also a source
    run("--template", "{num}", "--pad", "1", "--start", "2", "--apply")
    assert listing() == ["2.txt", "3.txt", "4.txt"]
    assert Path("2.txt").read_text(encoding="utf-8") == "1.txt"
    assert Path("4.txt").read_text(encoding="utf-8") == "3.txt"


def test_paths_leaving_the_directory_refused():
    fresh("a.txt")
    r = run("--regex", "a", "--replace", "../a", "--apply", ok=False)
    assert r.returncode == 1 and "path separator" in r.stderr
    r = run("--regex", "a", "--replace", "sub/a", ok=False)
    assert r.returncode == 1
    r = run("--dir", "..", "--lower", ok=False)
    assert r.returncode == 1 and "outside" in r.stderr
    r = run("--dir", "/", "--lower", ok=False)
    assert r.returncode == 1 and "outside" in r.stderr
    os.mkdir("realdir")
    os.symlink("/", "link")
    r = run("--dir", "link", "--lower", ok=False)
    assert r.returncode == 1 and "outside" in r.stderr
    r = run("--regex", ".*", "--replace", "", "--whole-name", ok=False)
    assert r.returncode == 1 and "would be" in r.stderr
    assert listing() == ["a.txt"]


def test_recursive_hidden_log_and_undo():
    fresh("Top.TXT", "sub/Inner.TXT", ".Hidden.TXT", ".git/CONFIG.TXT")
    run("--lower", "--apply")
    assert listing() == [
        ".Hidden.TXT",
        os.path.join(".git", "CONFIG.TXT"),
        os.path.join("sub", "Inner.TXT"),
        "top.TXT",
    ], listing()
    run("--recursive", "--lower-ext", "--apply", "--log", "undo.json")
    assert listing() == [
        ".Hidden.TXT",
        os.path.join(".git", "CONFIG.TXT"),
        os.path.join("sub", "Inner.txt"),
        "top.txt",
        "undo.json",
    ], listing()
    log = json.loads(Path("undo.json").read_text(encoding="utf-8"))
    assert len(log["renames"]) == 2
    r = run("--undo", "undo.json")
    assert "DRY RUN" in r.stderr
    run("--undo", "undo.json", "--apply")
    assert os.path.exists(os.path.join("sub", "Inner.TXT")) and os.path.exists("top.TXT")
    r = run("--lower-ext", "--include-hidden", "--glob", ".h*")
    assert r.stdout.strip() == ".Hidden.TXT -> .Hidden.txt", r.stdout


def test_json_and_usage_errors():
    fresh("A.txt")
    d = json.loads(run("--lower", "--json").stdout)
    assert d == {"apply": False, "renames": [{"from": "A.txt", "to": "a.txt"}]}
    r = run(ok=False)
    assert r.returncode == 1 and "no operation" in r.stderr
    r = run("--regex", "(", "--replace", "x", ok=False)
    assert r.returncode == 1 and "bad --regex" in r.stderr
    r = run("--regex", "A", "--replace", r"\2", ok=False)
    assert r.returncode == 1 and "bad --replace" in r.stderr
    r = run("--glob", "*.png", "--lower", ok=False)
    assert r.returncode == 1 and "no files match" in r.stderr
    r = run("--lower", "--dir", "missing", ok=False)
    assert r.returncode == 1 and "not found" in r.stderr
    r = run("--lower", "--upper", ok=False)
    assert r.returncode == 2
    r = run("--lower")
    assert "A.txt -> a.txt" in r.stdout
    fresh("a.txt")
    r = run("--lower")
    assert "nothing to rename" in r.stderr
    assert "usage" in run("--help").stdout.lower()


def main():
    global BASE
    BASE = tempfile.mkdtemp(prefix="rename-test-", dir=os.getcwd())
    for name, fn in sorted(globals().items()):
        if name.startswith("test_"):
            fn()
    print("ok")


if __name__ == "__main__":
    main()
