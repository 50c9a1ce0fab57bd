"""``memento verify [SKILL...]``: audit skills; non-zero exit on any error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from memento_tui.cli.common import add_json_flag, print_json, services_from
from memento_tui.domain.errors import SkillError
from memento_tui.domain.skills.hidden_text import terminal_safe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="audit skills: schema, files, hidden text, dangerous patterns, their own tests",
        description="Audit skills: schema and files, scripts that parse, links and sizes, "
        "hidden characters, dangerous patterns, and each skill's tests/ run in the sandbox. "
        "Exits 1 when any skill has an error.",
    )
    p.add_argument(
        "skills", nargs="*", metavar="SKILL", help="skill names or folders (default: every skill in the workspace)"
    )
    p.add_argument("--no-tests", action="store_true", help="static checks only (fast)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_verify)


def _targets(skills_root: Path, names: list[str]) -> list[Path]:
    if not names:
        if not skills_root.is_dir():
            return []
        return sorted(p for p in skills_root.iterdir() if not p.name.startswith(".") and (p.is_dir() or p.is_symlink()))
    targets = []
    for name in names:
        folder = skills_root / name
        if "/" in name or (not folder.exists() and Path(name).is_dir()):
            folder = Path(name)
        if not folder.exists() and not folder.is_symlink():
            raise SkillError(
                f"no skill named {name!r}", file=skills_root, fix="run 'memento skills list' to see the names"
            )
        targets.append(folder)
    return targets


def cmd_verify(args: argparse.Namespace) -> int:
    from memento_tui.domain.skills.verify import verify_skill

    services = services_from(args)
    sandbox = None if args.no_tests else services.sandbox()
    reports = [
        verify_skill(folder, sandbox=sandbox, run_tests=not args.no_tests)
        for folder in _targets(services.paths.skills, args.skills)
    ]
    failed = any(not r.ok for r in reports)
    if args.json:
        print_json({"ok": not failed, "skills": [r.to_dict() for r in reports]})
        return 1 if failed else 0
    out = sys.stdout
    for report in reports:
        passed = sum(t.passed for t in report.tests)
        tests = f", tests {passed}/{len(report.tests)} passed" if report.tests else ""
        mark = "✓" if report.ok else "✗"
        # The skill's folder and file names and its own words may hold escapes: every
        # field is shown with its hidden characters marked, never replayed.
        out.write(
            f"{mark} {terminal_safe(report.skill, single_line=True)}: {len(report.errors)} errors, "
            f"{len(report.warnings)} warnings{tests}\n"
        )
        for f in report.findings:
            where = f" {terminal_safe(f.where(), single_line=True)}" if f.file else ""
            out.write(f"  {f.level}: [{f.code}]{where}: {terminal_safe(f.message)}\n")
            out.write(f"    fix: {terminal_safe(f.fix)}\n")
        for test in report.tests:
            if not test.passed and test.output.strip():
                out.write(f"  --- {terminal_safe(test.file, single_line=True)} output (tail) ---\n")
                for line in terminal_safe(test.output.strip()).splitlines()[-15:]:
                    out.write(f"  | {line}\n")
    if not reports:
        out.write("no skills to verify\n")
    else:
        bad = sum(not r.ok for r in reports)
        out.write(f"\n{len(reports)} skills verified, {bad} with errors\n")
    return 1 if failed else 0
