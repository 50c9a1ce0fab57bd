"""Shared helpers for the csv-json scripts: encoding and dialect detection.

Standard library only. Imported by csv2json.py, json2csv.py and sniff.py
(the script directory is on sys.path when a script is run directly).
"""

from __future__ import annotations

import codecs
import csv
import io
import sys

CANDIDATE_DELIMITERS = [",", ";", "\t", "|"]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DELIMITER_ALIASES = {
    "comma": ",",
    ",": ",",
    "semicolon": ";",
    ";": ";",
    "tab": "\t",
    "\\t": "\t",
    "\t": "\t",
    "tsv": "\t",
    "pipe": "|",
    "|": "|",
    "space": " ",
    " ": " ",
}
SAMPLE_BYTES = 64 * 1024


class InputError(Exception):
    """Bad input that should be reported to the user (exit code 2)."""


def die(msg: str, code: int = 2) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


def parse_delimiter(value: str | None) -> str | None:
    """Turn a user-supplied delimiter name into the delimiter character."""
    if value is None or value == "auto":
        return None
    key = value if value in DELIMITER_ALIASES else value.lower()
    if key in DELIMITER_ALIASES:
        return DELIMITER_ALIASES[key]
    if len(value) == 1:
        return value
    raise InputError(f"unknown delimiter {value!r}; use one character or comma/semicolon/tab/pipe/space")


def read_bytes(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"input is a directory, not a file: {path}") from None
    except PermissionError:
        raise InputError(f"permission denied reading: {path}") from None


def detect_encoding(data: bytes) -> str:
    """Return the codec name to decode ``data`` with.

    Order: BOMs (utf-32, utf-16, utf-8-sig), then strict utf-8, then cp1252,
    then latin-1 (which never fails).
    """
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return "utf-32"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # UTF-16 without BOM: lots of NUL bytes in alternating positions.
    if data and data.count(b"\x00") > len(data) // 4:
        even_nuls = data[0::2].count(b"\x00")
        odd_nuls = data[1::2].count(b"\x00")
        if odd_nuls > even_nuls * 4:
            return "utf-16-le"
        if even_nuls > odd_nuls * 4:
            return "utf-16-be"
    for enc in ("utf-8", "cp1252"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"


def decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode bytes, auto-detecting when ``encoding`` is None or 'auto'."""
    if encoding in (None, "auto"):
        encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except LookupError:
        raise InputError(f"unknown encoding: {encoding}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot decode input as {encoding}: {exc}. Try --encoding auto, cp1252 or latin-1") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def _field_counts(sample: str, delim: str, quotechar: str) -> list[int]:
    reader = csv.reader(io.StringIO(sample), delimiter=delim, quotechar=quotechar)
    counts = []
    try:
        for row in reader:
            if row == [] or row == [""]:
                continue
            counts.append(len(row))
            if len(counts) >= 200:
                break
    except csv.Error:
        return []
    return counts


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among , ; TAB | that gives the most consistent rows."""
    sample = text[:SAMPLE_BYTES]
    if len(text) > SAMPLE_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n")]  # drop a possibly cut last line
    best = None
    best_score = (0.0, 0, 0)
    for idx, delim in enumerate(CANDIDATE_DELIMITERS):
        counts = _field_counts(sample, delim, '"')
        if not counts:
            continue
        modal = max(set(counts), key=lambda c: (counts.count(c), c))
        if modal < 2:
            continue
        consistency = counts.count(modal) / len(counts)
        score = (round(consistency, 3), modal, -idx)
        if score > best_score:
            best, best_score = delim, score
    return best if best is not None else ","


def sniff_quotechar(text: str, delimiter: str) -> str:
    """Return "'" when single quotes clearly wrap fields, otherwise '"'."""
    sample = text[:SAMPLE_BYTES]
    d = delimiter
    dq = sample.count(d + '"') + sample.count('"' + d) + sample.count('\n"')
    sq = sample.count(d + "'") + sample.count("'" + d) + sample.count("\n'")
    return "'" if sq > 2 * max(dq, 1) else '"'


def has_header(rows: list[list[str]]) -> bool:
    """Heuristic: the first row is a header unless it looks like data.

    A first row containing any purely numeric cell is treated as data.
    """
    if not rows:
        return True
    for cell in rows[0]:
        c = cell.strip()
        if not c:
            continue
        try:
            float(c.replace(",", ""))
            return False
        except ValueError:
            pass
    return True


def read_table(text: str, delimiter: str | None, quotechar: str | None):
    """Parse CSV text. Returns (rows, delimiter, quotechar)."""
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    if quotechar is None:
        quotechar = sniff_quotechar(text, delimiter)
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar=quotechar,
        skipinitialspace=False,
        strict=False,
    )
    rows = []
    try:
        for row in reader:
            if not row or row == [""]:
                continue  # blank line
            rows.append(row)
    except csv.Error as exc:
        raise InputError(f"CSV parse error near line {reader.line_num}: {exc}") from None
    return rows, delimiter, quotechar


def make_headers(first_row: list[str]) -> list[str]:
    """Clean header names: strip, fill blanks, de-duplicate (a, a_2, a_3)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(first_row, start=1):
        name = raw.strip() or f"column_{i}"
        if name in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}_{seen[name]}"
            name = candidate
        seen.setdefault(name, 1)
        out.append(name)
    return out


def _main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(
        description="Helper module of csv2json.py/json2csv.py/sniff.py. Run directly, it "
        "prints the detected encoding and delimiter of a file (use sniff.py for a full report)."
    )
    p.add_argument("input", help="CSV/TSV file ('-' for stdin)")
    args = p.parse_args(argv)
    try:
        text, encoding = decode(read_bytes(args.input), None)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    delim = sniff_delimiter(text)
    print(f"encoding={encoding} delimiter={DELIMITER_NAMES.get(delim, delim)}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
