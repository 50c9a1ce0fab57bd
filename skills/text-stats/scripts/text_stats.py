#!/usr/bin/env python3
"""Text statistics for one or many files: lines, words, characters, sentences,
paragraphs, top-N words (optionally without stopwords), reading time and
readability (Flesch reading ease, Flesch-Kincaid grade)."""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
from collections import Counter

WORD_RE = re.compile(r"[^\W_]+(?:(?:[-'\u2019.]|(?<=\d),(?=\d))[^\W_]+)*")
SENT_END_RE = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)")
PARA_SPLIT_RE = re.compile(r"\n\s*\n")
ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "fig",
    "figs",
    "approx",
    "dept",
    "est",
    "vol",
    "p",
    "pp",
    "u.s",
    "u.k",
    "a.m",
    "p.m",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mt",
    "ave",
    "cf",
    "al",
    "ca",
    "resp",
    "gen",
    "gov",
}
STOPWORDS = set(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "just",
        "may",
        "might",
        "must",
        "shall",
        "us",
        "get",
        "got",
        "one",
    ]
)


def read_text(path: str, encoding: str) -> tuple[str, str]:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as fh:
            data = fh.read()
    if encoding != "auto":
        return data.decode(encoding), encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"


def strip_markdown(text: str) -> str:
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.S | re.M)  # fenced code
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links
    text = re.sub(r"<[^>\n]+>", "", text)  # html tags
    text = re.sub(r"^\s{0,3}(#{1,6}|>+|[-*+]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"^\s*([-*_]\s*){3,}$", "", text, flags=re.M)  # rules
    text = re.sub(r"^\s*\|?\s*:?-{3,}.*$", "", text, flags=re.M)  # table rule
    text = text.replace("|", " ")
    text = re.sub(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1", r"\2", text)  # emphasis
    return text


def count_syllables(word: str) -> int:
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 1
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", w)))


def count_sentences(text: str) -> int:
    total = 0
    for para in PARA_SPLIT_RE.split(text):
        if not WORD_RE.search(para):
            continue
        ends = 0
        last_end = 0
        for m in SENT_END_RE.finditer(para):
            before = para[last_end : m.start()]
            token = before.split()[-1].lower() if before.split() else ""
            token = token.lstrip("(\"'\u201c")
            single_dot = m.group(0).startswith(".") and len(m.group(0).rstrip("\"')]\u201d\u2019")) == 1
            if single_dot and (token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())):
                continue  # "Dr." or an initial like "J."
            if WORD_RE.search(before):
                ends += 1
                last_end = m.end()
        if WORD_RE.search(para[last_end:]):
            ends += 1  # trailing text without terminator (headings, list items)
        total += ends
    return total


def reading_ease_label(score: float | None) -> str:
    if score is None:
        return "n/a"
    for limit, label in (
        (90, "very easy"),
        (80, "easy"),
        (70, "fairly easy"),
        (60, "standard"),
        (50, "fairly difficult"),
        (30, "difficult"),
    ):
        if score >= limit:
            return label
    return "very difficult"


def analyse(text: str, args) -> dict:
    if args.strip_markdown:
        text = strip_markdown(text)
    words = WORD_RE.findall(text)
    lines = text.splitlines()
    return {
        "lines": len(lines),
        "non_blank_lines": sum(1 for ln in lines if ln.strip()),
        "words": len(words),
        "characters": len(text),
        "characters_no_spaces": sum(1 for c in text if not c.isspace()),
        "sentences": count_sentences(text),
        "paragraphs": sum(1 for p in PARA_SPLIT_RE.split(text) if p.strip()),
        "syllables": sum(count_syllables(w) for w in words),
        "letters": sum(len(w) for w in words),
        "_counter": Counter(w.lower() for w in words),
    }


def finish(raw: dict, args) -> dict:
    """Derive averages, readability, reading time and top words from raw counts."""
    w, s, syl = raw["words"], raw["sentences"], raw["syllables"]
    out = {k: v for k, v in raw.items() if not k.startswith("_") and k not in ("letters",)}
    counter: Counter = raw["_counter"]
    out["unique_words"] = len(counter)
    out["avg_word_length"] = round(raw["letters"] / w, 2) if w else 0
    out["avg_sentence_words"] = round(w / s, 2) if s else 0
    if w and s:
        fre = 206.835 - 1.015 * (w / s) - 84.6 * (syl / w)
        fkg = 0.39 * (w / s) + 11.8 * (syl / w) - 15.59
        out["flesch_reading_ease"] = round(fre, 1)
        out["flesch_kincaid_grade"] = round(fkg, 1)
    else:
        out["flesch_reading_ease"] = None
        out["flesch_kincaid_grade"] = None
    out["readability"] = reading_ease_label(out["flesch_reading_ease"])
    minutes = w / args.wpm if args.wpm else 0
    out["reading_time_minutes"] = round(minutes, 2)
    secs = round(minutes * 60)
    out["reading_time"] = f"{secs // 60} min {secs % 60:02d} s"
    stop = args.stopword_set
    top = [
        (word, n)
        for word, n in counter.most_common()
        if (args.include_numbers or any(c.isalpha() for c in word))
        and len(word) >= args.min_length
        and word not in stop
    ]
    out["top_words"] = [[word, n] for word, n in top[: args.top]] if args.top else []
    return out


def expand_inputs(paths: list[str], exts: list[str]) -> list[str]:
    files: list[str] = []
    for p in paths:
        if p == "-":
            files.append(p)
        elif os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for n in sorted(names):
                    if not n.startswith(".") and os.path.splitext(n)[1].lower() in exts:
                        found.append(os.path.join(root, n))
            if not found:
                print(f"warning: no {'/'.join(exts)} files in directory {p}", file=sys.stderr)
            files.extend(found)
        elif any(c in p for c in "*?[") and not os.path.exists(p):
            matched = sorted(glob.glob(p, recursive=True))
            if not matched:
                raise FileNotFoundError(f"no files match {p}")
            files.extend(matched)
        else:
            files.append(p)
    return files


LABELS = [
    ("lines", "lines"),
    ("non_blank_lines", "non-blank lines"),
    ("words", "words"),
    ("unique_words", "unique words"),
    ("characters", "characters"),
    ("characters_no_spaces", "chars (no spaces)"),
    ("sentences", "sentences"),
    ("paragraphs", "paragraphs"),
    ("avg_word_length", "avg word length"),
    ("avg_sentence_words", "avg words/sentence"),
    ("flesch_reading_ease", "flesch reading ease"),
    ("readability", "readability"),
    ("flesch_kincaid_grade", "flesch-kincaid grade"),
    ("reading_time", "reading time"),
]


def render(name: str, st: dict) -> str:
    out = [f"== {name}"]
    for key, label in LABELS:
        out.append(f"  {label:22} {st[key]}")
    if st["top_words"]:
        out.append(f"  {'top words':22} " + ", ".join(f"{w} ({n})" for w, n in st["top_words"]))
    return "\n".join(out)


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__,
        epilog="Examples:\n"
        "  text_stats.py essay.txt\n"
        "  text_stats.py docs/ --ext .md --strip-markdown --top 15 --stopwords\n"
        "  text_stats.py a.txt b.txt --json -o stats.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", help="files, directories, glob patterns, or '-' for stdin")
    p.add_argument("--top", type=int, default=10, help="number of top words (default 10; 0 = none)")
    p.add_argument(
        "--stopwords",
        action="store_true",
        help="drop common English stopwords (the, and, of, ...) from top words",
    )
    p.add_argument("--stopwords-file", help="file with extra stopwords, one per line (implies --stopwords)")
    p.add_argument("--min-length", type=int, default=1, help="minimum length for top words (default 1)")
    p.add_argument("--include-numbers", action="store_true", help="allow numbers in top words")
    p.add_argument("--wpm", type=int, default=200, help="reading speed, words per minute (default 200)")
    p.add_argument(
        "--strip-markdown",
        action="store_true",
        help="remove Markdown syntax (code blocks, links, #, *, tables) before counting",
    )
    p.add_argument(
        "--ext",
        default=".txt,.md,.rst,.text",
        help="extensions to read from directories (default .txt,.md,.rst,.text)",
    )
    p.add_argument("--encoding", default="auto", help="input encoding (default auto)")
    p.add_argument("--json", action="store_true", help="print JSON: {files: [...], total: {...}}")
    p.add_argument("-o", "--output", help="write the report to this file")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    if args.top < 0 or args.wpm <= 0 or args.min_length < 1:
        print("error: --top must be >= 0, --wpm > 0 and --min-length >= 1", file=sys.stderr)
        return 2
    stop: set[str] = set()
    if args.stopwords or args.stopwords_file:
        stop = set(STOPWORDS)
        if args.stopwords_file:
            try:
                with open(args.stopwords_file, encoding="utf-8") as fh:
                    stop |= {ln.strip().lower() for ln in fh if ln.strip() and not ln.startswith("#")}
            except OSError as exc:
                print(f"error: cannot read stopwords file: {exc}", file=sys.stderr)
                return 2
    args.stopword_set = stop
    exts = [e if e.startswith(".") else "." + e for e in args.ext.lower().split(",") if e]

    try:
        files = expand_inputs(args.inputs, exts)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not files:
        print("error: no input files", file=sys.stderr)
        return 2

    results, totals = [], None
    for path in files:
        try:
            text, enc = read_text(path, args.encoding)
        except FileNotFoundError:
            print(f"error: file not found: {path}", file=sys.stderr)
            return 2
        except (OSError, UnicodeDecodeError, LookupError) as exc:
            print(f"error: cannot read {path}: {exc}", file=sys.stderr)
            return 2
        raw = analyse(text, args)
        if totals is None:
            totals = {k: (Counter(v) if k == "_counter" else v) for k, v in raw.items()}
        else:
            for k, v in raw.items():
                totals[k] += v
        st = finish(raw, args)
        results.append({"file": path, "encoding": enc, **st})
    total = finish(totals, args)
    total["files"] = len(results)

    if args.json:
        report = json.dumps({"files": results, "total": total}, ensure_ascii=False, indent=2) + "\n"
    else:
        blocks = [render(r["file"], r) for r in results]
        if len(results) > 1:
            blocks.append(render(f"TOTAL ({len(results)} files)", total))
        report = "\n".join(blocks) + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(report)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
