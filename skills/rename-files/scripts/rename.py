#!/usr/bin/env python3
"""Batch-rename files safely: regex replace, lower/upper case, slugify, prefix/suffix,
sequential numbering, date stamps, extension changes, or a template.

DRY RUN BY DEFAULT: it prints the plan and renames nothing until --apply is given.
It refuses collisions (two files -> one name, or overwriting a file that stays) and any
name or directory that would leave the working directory. Renames are done in two
phases, so swaps and chains (a->b, b->a) are safe. --log writes an undo log.

Operations are applied in this order to the name without its extension (the stem):
  1. --regex/--replace   2. --lower/--upper/--slugify   3. --prefix/--suffix
  4. --date-stamp        5. --number                    6. --template
  7. extension: --ext / --lower-ext
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import os
import re
import sys
import unicodedata
import uuid


class PlanError(Exception):
    pass


def natural_key(s: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", s)]


def slugify(text: str, sep: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", sep, folded.lower()).strip(sep)
    if not slug:  # nothing ASCII left (e.g. CJK names): keep Unicode letters instead
        slug = re.sub(r"[^\w]+", sep, text.lower(), flags=re.U).strip(sep).replace("_", sep)
    return slug


def split_name(name: str, whole: bool) -> tuple[str, str]:
    if whole:
        return name, ""
    stem, ext = os.path.splitext(name)
    return stem, ext


def within(base: str, path: str) -> bool:
    base, path = os.path.realpath(base), os.path.realpath(path)
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def collect(args) -> list[str]:
    root = args.dir
    if not os.path.isdir(root):
        raise PlanError(f"directory not found: {root}")
    if not within(os.getcwd(), root):
        raise PlanError(f"refusing to work outside the current directory: {root}")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if args.include_hidden or not d.startswith("."))
        for name in filenames:
            if not args.include_hidden and name.startswith("."):
                continue
            if not any(
                fnmatch.fnmatchcase(name, g) if args.case_sensitive_glob else fnmatch.fnmatch(name.lower(), g.lower())
                for g in args.glob
            ):
                continue
            full = os.path.join(dirpath, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            if any(x and os.path.exists(x) and os.path.samefile(full, x) for x in (args.log, args.undo)):
                continue  # never rename our own undo log
            found.append(os.path.normpath(full))
        if not args.recursive:
            break
    return found


def sort_files(files: list[str], how: str) -> list[str]:
    if how == "mtime":
        return sorted(files, key=lambda f: (os.stat(f).st_mtime, natural_key(f)))
    if how == "size":
        return sorted(files, key=lambda f: (os.stat(f).st_size, natural_key(f)))
    if how == "name":
        return sorted(files)
    return sorted(files, key=lambda f: (natural_key(os.path.dirname(f)), natural_key(os.path.basename(f))))


def date_for(path: str, how: str, fmt: str) -> str:
    if how == "mtime":
        return dt.datetime.fromtimestamp(os.stat(path).st_mtime).strftime(fmt)
    if how == "today":
        return dt.date.today().strftime(fmt)
    try:
        return dt.date.fromisoformat(how).strftime(fmt)
    except ValueError:
        raise PlanError(f"--date-stamp must be mtime, today or YYYY-MM-DD, not {how!r}") from None


def new_name_for(path: str, n: int, width: int, args, rx) -> str:
    name = os.path.basename(path)
    stem, ext = split_name(name, args.whole_name)
    orig = stem
    if rx is not None:
        stem = rx.sub(args.replace, stem, count=args.count)
    if args.slugify:
        stem = slugify(stem, args.sep)
    elif args.lower:
        stem = stem.lower()
    elif args.upper:
        stem = stem.upper()
    stem = f"{args.prefix}{stem}{args.suffix}"
    date = date_for(path, args.date_stamp, args.date_format) if args.date_stamp else ""
    if args.date_stamp and not args.template:
        stem = f"{date}{args.sep}{stem}" if args.date_position == "prefix" else f"{stem}{args.sep}{date}"
    num = str(n).zfill(width)
    if args.number and not args.template:
        stem = f"{num}{args.sep}{stem}" if args.number_position == "prefix" else f"{stem}{args.sep}{num}"
    if args.template:
        try:
            stem = args.template.format(name=stem, orig=orig, n=n, num=num, date=date, ext=ext.lstrip("."))
        except (KeyError, IndexError, ValueError) as exc:
            raise PlanError(
                f"bad --template {args.template!r}: {exc}. Fields: {{name}} {{orig}} {{n}} {{num}} {{date}} {{ext}}"
            ) from None
    if args.ext is not None:
        ext = "" if args.ext == "" else "." + args.ext.lstrip(".")
    if args.lower_ext:
        ext = ext.lower()
    return stem + ext


def check_name(new: str, old_path: str) -> None:
    if new in ("", ".", ".."):
        raise PlanError(f"{old_path}: the new name would be {new!r}")
    if "/" in new or "\\" in new or "\0" in new:
        raise PlanError(
            f"{old_path}: new name {new!r} contains a path separator; renaming into another directory is not allowed"
        )
    if len(new.encode("utf-8")) > 255:
        raise PlanError(f"{old_path}: new name is longer than 255 bytes")


def build_plan(args) -> list[tuple[str, str]]:
    rx = None
    if args.regex is not None:
        try:
            rx = re.compile(args.regex, re.I if args.ignore_case else 0)
        except re.error as exc:
            raise PlanError(f"bad --regex: {exc}") from None
        if args.replace is None:
            raise PlanError("--regex needs --replace (use --replace '' to delete matches)")
    files = sort_files(collect(args), args.sort)
    if not files:
        raise PlanError(f"no files match {', '.join(args.glob)} in {args.dir}")
    last = args.start + len(files) - 1
    width = args.pad if args.pad else max(2, len(str(last)))
    plan = []
    for i, path in enumerate(files):
        try:
            new = new_name_for(path, args.start + i, width, args, rx)
        except (re.error, IndexError) as exc:
            raise PlanError(f"bad --replace for {path}: {exc}") from None
        check_name(new, path)
        plan.append((path, os.path.join(os.path.dirname(path), new)))
    return plan


def validate(plan: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop no-op renames and refuse collisions. Returns only real renames."""
    moves = [(a, b) for a, b in plan if a != b]
    sources = {os.path.normcase(os.path.abspath(a)) for a, _ in moves}
    targets: dict[str, str] = {}
    problems = []
    for a, b in plan:
        key = os.path.normcase(os.path.abspath(b))
        if key in targets:
            problems.append(f"{targets[key]} and {a} would both become {b}")
        targets[key] = a
    for a, b in moves:
        key = os.path.normcase(os.path.abspath(b))
        if os.path.lexists(b) and key not in sources:
            same = os.path.exists(b) and os.path.samefile(a, b)  # case-only rename
            if not same:
                problems.append(f"{a} -> {b}: a file named {os.path.basename(b)} already exists")
        if not within(os.getcwd(), b):
            problems.append(f"{a} -> {b}: target is outside the working directory")
    if problems:
        raise PlanError("refusing to rename, collisions found:\n  " + "\n  ".join(dict.fromkeys(problems)))
    return moves


def apply(moves: list[tuple[str, str]]) -> None:
    token = uuid.uuid4().hex[:8]
    staged = []
    try:
        for i, (a, _b) in enumerate(moves):
            tmp = os.path.join(os.path.dirname(a), f".rename-{token}-{i}.tmp")
            os.rename(a, tmp)
            staged.append((a, tmp))
        for (a, tmp), (_a, b) in zip(staged, moves, strict=False):
            if os.path.lexists(b):
                raise OSError(f"target appeared during rename: {b}")
            os.rename(tmp, b)
            staged[staged.index((a, tmp))] = (a, b)
    except OSError as exc:
        for orig, cur in reversed(staged):  # best-effort rollback
            try:
                if os.path.lexists(cur) and not os.path.lexists(orig):
                    os.rename(cur, orig)
            except OSError:
                pass
        raise PlanError(f"rename failed and was rolled back: {exc}") from None


def undo_plan(log_path: str) -> list[tuple[str, str]]:
    try:
        with open(log_path, encoding="utf-8") as fh:
            entries = json.load(fh)
        plan = [(e["to"], e["from"]) for e in reversed(entries["renames"])]
    except FileNotFoundError:
        raise PlanError(f"log file not found: {log_path}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PlanError(f"{log_path} is not a rename log: {exc}") from None
    for a, b in plan:
        if not os.path.lexists(a):
            raise PlanError(f"cannot undo: {a} no longer exists")
        if not within(os.getcwd(), a) or not within(os.getcwd(), b):
            raise PlanError(f"cannot undo: {a} -> {b} leaves the working directory")
        if os.path.dirname(os.path.normpath(a)) != os.path.dirname(os.path.normpath(b)):
            raise PlanError(f"cannot undo: {a} -> {b} changes directory")
    return plan


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__,
        epilog="Examples:\n"
        "  rename.py --glob '*.JPG' --lower-ext                 # preview\n"
        "  rename.py --glob '*.jpg' --number --prefix trip --sep _ --apply\n"
        "  rename.py --regex '^IMG_(\\d+)' --replace 'photo-\\1' --apply --log undo.json\n"
        "  rename.py --slugify --date-stamp mtime --apply\n"
        "  rename.py --undo undo.json --apply",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dir", default=".", help="directory to work in (default: current dir; must be inside it)")
    p.add_argument(
        "--glob",
        action="append",
        help="file name pattern, case-insensitive (repeatable; default '*')",
    )
    p.add_argument("--case-sensitive-glob", action="store_true", help="match --glob case-sensitively")
    p.add_argument("--recursive", action="store_true", help="also rename files in subdirectories")
    p.add_argument("--include-hidden", action="store_true", help="include dot-files")
    p.add_argument(
        "--whole-name",
        action="store_true",
        help="apply operations to the full name including the extension",
    )
    g = p.add_argument_group("operations")
    g.add_argument("--regex", help="Python regular expression to find in the name")
    g.add_argument("--replace", help="replacement for --regex (\\1 or \\g<name> for groups)")
    g.add_argument("--ignore-case", action="store_true", help="--regex ignores case")
    g.add_argument("--count", type=int, default=0, help="max replacements per name (0 = all)")
    case = g.add_mutually_exclusive_group()
    case.add_argument("--lower", action="store_true", help="lowercase the name")
    case.add_argument("--upper", action="store_true", help="uppercase the name")
    case.add_argument(
        "--slugify",
        action="store_true",
        help="ASCII-fold, lowercase, replace runs of other characters by --sep",
    )
    g.add_argument("--prefix", default="", help="text to put before the name")
    g.add_argument("--suffix", default="", help="text to put after the name (before the extension)")
    g.add_argument("--number", action="store_true", help="add a sequence number")
    g.add_argument("--start", type=int, default=1, help="first number (default 1)")
    g.add_argument("--pad", type=int, help="zero-pad numbers to this width (default: max(2, digits needed))")
    g.add_argument("--number-position", choices=["prefix", "suffix"], default="prefix")
    g.add_argument(
        "--sort",
        choices=["natural", "name", "mtime", "size"],
        default="natural",
        help="order used for numbering (default natural: file2 before file10)",
    )
    g.add_argument("--date-stamp", metavar="mtime|today|YYYY-MM-DD", help="add a date")
    g.add_argument("--date-format", default="%Y-%m-%d", help="strftime format for --date-stamp")
    g.add_argument("--date-position", choices=["prefix", "suffix"], default="prefix")
    g.add_argument("--sep", default="-", help="separator for slugify, numbers and dates (default '-')")
    g.add_argument(
        "--template",
        help="final stem from a template, e.g. '{date}_{num}_{name}'. Fields: {name} "
        "(after other operations) {orig} {n} {num} (padded) {date} {ext}",
    )
    g.add_argument("--ext", help="replace the extension (e.g. 'txt'; '' removes it)")
    g.add_argument("--lower-ext", action="store_true", help="lowercase the extension (.JPG -> .jpg)")
    p.add_argument("--apply", action="store_true", help="actually rename (default is a dry run)")
    p.add_argument("--log", help="with --apply: write a JSON log usable with --undo")
    p.add_argument("--undo", metavar="LOG", help="reverse the renames recorded in LOG")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    args.glob = args.glob or ["*"]
    try:
        if args.undo:
            moves = validate(undo_plan(args.undo))
        else:
            ops = [
                args.regex is not None,
                args.lower,
                args.upper,
                args.slugify,
                bool(args.prefix),
                bool(args.suffix),
                args.number,
                bool(args.date_stamp),
                bool(args.template),
                args.ext is not None,
                args.lower_ext,
            ]
            if not any(ops):
                raise PlanError(
                    "no operation given; use e.g. --regex/--replace, --lower, "
                    "--slugify, --prefix, --suffix, --number, --date-stamp, "
                    "--template, --ext or --lower-ext (see --help)"
                )
            if args.replace is not None and args.regex is None:
                raise PlanError("--replace needs --regex")
            if args.pad is not None and args.pad < 1:
                raise PlanError("--pad must be >= 1")
            moves = validate(build_plan(args))
        if args.log and not args.apply:
            print("note: --log is only written with --apply", file=sys.stderr)
        if args.json:
            print(
                json.dumps(
                    {"apply": args.apply, "renames": [{"from": a, "to": b} for a, b in moves]},
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            for a, b in moves:
                print(f"{a} -> {b}")
        if not moves:
            print("nothing to rename: every name is already as requested", file=sys.stderr)
            return 0
        if not args.apply:
            print(
                f"DRY RUN: {len(moves)} file(s) would be renamed. Re-run with --apply to rename.",
                file=sys.stderr,
            )
            return 0
        apply(moves)
        if args.log:
            with open(args.log, "w", encoding="utf-8") as fh:
                json.dump(
                    {
                        "created": dt.datetime.now().isoformat(timespec="seconds"),
                        "renames": [{"from": a, "to": b} for a, b in moves],
                    },
                    fh,
                    ensure_ascii=False,
                    indent=2,
                )
        print(
            f"renamed {len(moves)} file(s)" + (f"; undo log: {args.log}" if args.log else ""),
            file=sys.stderr,
        )
        return 0
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
