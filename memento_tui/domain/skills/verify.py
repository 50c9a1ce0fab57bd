"""``memento verify``: audit one skill folder before anyone relies on it.

Static checks (schema, files, links, sizes, scripts that parse, hidden text, dangerous
patterns) take milliseconds, so they can run on every save; the skill's own tests run
in the sandbox and are the slow part. The learning step calls ``verify_skill`` on a
patched skill before proposing it.
"""

from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain import tree
from memento_tui.domain.errors import SkillError
from memento_tui.domain.paths import SKILL_FILE
from memento_tui.domain.skills import Skill, load_skill
from memento_tui.domain.skills.audit_patterns import find_patterns
from memento_tui.domain.skills.report import VerifyReport
from memento_tui.domain.skills.verify_hidden import check_frontmatter_values, check_name, check_text
from memento_tui.domain.skills.verify_tests import run_skill_tests

if TYPE_CHECKING:
    from memento_tui.domain.sandbox import Sandbox

MAX_FILE_BYTES = 5 * 1024 * 1024  # one file; past this it is refused
WARN_FILE_BYTES = 1024 * 1024
MAX_SKILL_BYTES = 20 * 1024 * 1024  # the whole folder
MAX_SKILL_FILES = 500
MAX_TEXT_SCAN = 2 * 1024 * 1024  # text files larger than this are not scanned for patterns

_SCRIPT_SUFFIXES = {".py": "python", ".sh": "sh", ".bash": "bash"}
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def verify_skill(skill_dir: Path, *, sandbox: Sandbox | None, run_tests: bool = True) -> VerifyReport:
    """Every check on one skill folder. Never raises for a bad skill: it reports it."""
    report = VerifyReport(skill=skill_dir.name, dir=skill_dir)
    check_name(None, skill_dir.name, report)
    skill = _check_schema(skill_dir, report)
    if skill_dir.is_symlink() or not skill_dir.is_dir():
        return report
    check_frontmatter_values(skill_dir, report)
    texts = _check_files(skill_dir, report)
    for rel, text in texts.items():
        _check_text(rel, text, report)
    _check_scripts(skill_dir, texts, report)
    if run_tests:
        run_skill_tests(skill_dir, skill, sandbox, report)
    report.findings.sort(key=lambda f: (f.level != "error", f.file or "", f.line or 0, f.code))
    return report


# -- schema -------------------------------------------------------------------------------


def _check_schema(skill_dir: Path, report: VerifyReport) -> Skill | None:
    try:
        skill = load_skill(skill_dir, check_links=False)
    except SkillError as err:
        rel = _rel(err.file, skill_dir) if err.file else None
        report.add("error", "schema", rel, err.line, err.message, err.fix or "see docs/skill-format.md")
        return None
    for warning in skill.warnings:
        report.add("warning", "schema", SKILL_FILE, None, warning, "see docs/skill-format.md")
    if skill.wants_network:
        report.add(
            "warning",
            "wants-network",
            SKILL_FILE,
            None,
            "the skill asks for network access; it gets none until a person grants it",
            f'grant it only if you trust it: [sandbox] network = ["{skill.name}"]',
        )
    return skill


def _rel(path: Path | str, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


# -- files --------------------------------------------------------------------------------


def _check_files(skill_dir: Path, report: VerifyReport) -> dict[str, str]:
    """Links, special files, sizes, archives; returns the text of every UTF-8 file."""
    real_root = skill_dir.resolve()
    texts: dict[str, str] = {}
    total, count = 0, 0

    # An iterative walk that never follows a link: a skill from a stranger may be
    # thousands of folders deep (os.walk recursed) or hold link loops.
    def visit(entry: tree.Entry) -> bool:
        nonlocal total, count
        rel, name, st = entry.rel, entry.name, entry.st
        path = skill_dir / rel
        check_name(rel, name, report)
        if name in (".git", ".gitmodules", ".gitattributes"):
            _report_git_metadata(rel, name, report)
            return False
        if stat.S_ISLNK(st.st_mode):
            _check_link(path, rel, real_root, report)
            return False
        if stat.S_ISDIR(st.st_mode):
            return name != "__pycache__"
        if not stat.S_ISREG(st.st_mode):
            report.add(
                "error", "special-file", rel, None, "not a regular file (a device, pipe or socket)", f"delete {rel}"
            )
            return False
        count += 1
        total += st.st_size
        _check_hardlink(rel, st, report)
        if not _check_file_size(rel, st.st_size, report):
            return False
        if name.lower().endswith(_ARCHIVES):
            _check_archive(path, rel, report)
        if st.st_size <= MAX_TEXT_SCAN:
            text = _read_text(path)
            if text is not None:
                texts[rel] = text
        return False

    tree.walk(skill_dir, visit)
    _check_totals(total, count, report)
    return texts


def _report_git_metadata(rel: str, name: str, report: VerifyReport) -> None:
    report.add(
        "error",
        "git-metadata",
        rel,
        None,
        f"{name} inside a skill can change how git stores or shows its files",
        f"delete {rel}; the workspace's own git handles the skill",
    )


def _check_hardlink(rel: str, st: os.stat_result, report: VerifyReport) -> None:
    if st.st_nlink > 1:
        report.add(
            "error",
            "hardlink",
            rel,
            None,
            f"the file has {st.st_nlink} hard links; another name for it may be outside the skill",
            f"replace {rel} with a plain copy (cp --no-preserve=links)",
        )


def _check_file_size(rel: str, size: int, report: VerifyReport) -> bool:
    """False when the file is over the limit: too big to look into any further."""
    if size > MAX_FILE_BYTES:
        report.add(
            "error",
            "file-size",
            rel,
            None,
            f"{size // 1024} KiB; the limit is {MAX_FILE_BYTES // 1024} KiB",
            "keep large data out of the skill; fetch or generate it in the task",
        )
        return False
    if size > WARN_FILE_BYTES:
        report.add(
            "warning",
            "file-size",
            rel,
            None,
            f"{size // 1024} KiB is large for a skill file",
            "keep skills small: they are read by a model and reviewed by a person",
        )
    return True


def _check_totals(total: int, count: int, report: VerifyReport) -> None:
    """The whole folder's size and file count."""
    if total > MAX_SKILL_BYTES:
        report.add(
            "error",
            "skill-size",
            None,
            None,
            f"the skill holds {total // (1024 * 1024)} MiB; the limit is {MAX_SKILL_BYTES // (1024 * 1024)} MiB",
            "move data out of the skill folder",
        )
    if count > MAX_SKILL_FILES:
        report.add(
            "error",
            "skill-files",
            None,
            None,
            f"the skill holds {count} files; the limit is {MAX_SKILL_FILES}",
            "keep a skill to the scripts and references it needs",
        )


def _check_link(path: Path, rel: str, real_root: Path, report: VerifyReport) -> None:
    target = os.readlink(path)
    resolved = path.resolve()
    if resolved != real_root and real_root not in resolved.parents:
        report.add(
            "error",
            "symlink-out",
            rel,
            None,
            f"symlink points outside the skill, to {target}",
            "replace the link with a copy of the file inside the skill folder",
        )
    elif not resolved.exists():
        report.add(
            "error",
            "symlink-broken",
            rel,
            None,
            f"symlink to {target} leads nowhere",
            f"delete {rel} or point it at a file in the skill",
        )
    else:
        report.add(
            "warning",
            "symlink",
            rel,
            None,
            f"symlink to {target} (inside the skill)",
            "prefer a plain file: links are easy to retarget unnoticed in a patch",
        )


def _read_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _check_archive(path: Path, rel: str, report: VerifyReport) -> None:
    names: list[tuple[str, str | None]] = []
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [(n, None) for n in archive.namelist()]
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                names = [(m.name, m.linkname if (m.issym() or m.islnk()) else None) for m in archive.getmembers()]
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as err:
        report.add(
            "warning",
            "archive",
            rel,
            None,
            f"cannot read the archive: {err}",
            "check the file, or unpack it into the skill",
        )
        return
    for name, link in names:
        for candidate in (name, link):
            if candidate and (candidate.startswith("/") or ".." in Path(candidate).parts):
                report.add(
                    "error",
                    "archive-traversal",
                    rel,
                    None,
                    f"the archive holds {candidate!r}, which unpacks outside its folder",
                    "rebuild the archive with relative paths only",
                )
                return


# -- text: hidden characters and dangerous patterns ----------------------------------------


def _check_text(rel: str, text: str, report: VerifyReport) -> None:
    check_text(rel, text, report)
    for hit in find_patterns(text):
        p = hit.pattern
        report.add(p.level, p.code, rel, hit.line, f"{p.message}: {hit.excerpt!r}", p.fix)


# -- scripts parse --------------------------------------------------------------------------


def _script_kind(rel: str, text: str) -> str | None:
    kind = _SCRIPT_SUFFIXES.get(Path(rel).suffix)
    if kind:
        return kind
    first = text.split("\n", 1)[0]
    if first.startswith("#!"):
        if "python" in first:
            return "python"
        if "bash" in first:
            return "bash"
        if first.rstrip().endswith(("/sh", " sh")):
            return "sh"
    return None


def _check_scripts(skill_dir: Path, texts: dict[str, str], report: VerifyReport) -> None:
    for rel, text in texts.items():
        kind = _script_kind(rel, text)
        if kind == "python":
            try:
                ast.parse(text, filename=rel)
            except SyntaxError as err:
                report.add(
                    "error",
                    "syntax",
                    rel,
                    err.lineno,
                    f"Python syntax error: {err.msg}",
                    "fix the syntax; check it with: python3 -m py_compile FILE",
                )
        elif kind in ("sh", "bash"):
            shell = shutil.which(kind)
            if shell is None:
                continue
            # -n reads and parses only; nothing in the script runs.
            out = subprocess.run(
                [shell, "-n", str(skill_dir / rel)],
                capture_output=True,
                text=True,
                timeout=10,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            if out.returncode != 0:
                message = (out.stderr.strip().splitlines() or ["syntax error"])[-1]
                report.add(
                    "error",
                    "syntax",
                    rel,
                    _shell_line(message),
                    f"shell syntax error: {message.split(': ', 1)[-1]}",
                    f"fix the syntax; check it with: {kind} -n FILE",
                )


def _shell_line(message: str) -> int | None:
    for part in message.replace(":", " ").split():
        if part.isdigit():
            return int(part)
    return None
