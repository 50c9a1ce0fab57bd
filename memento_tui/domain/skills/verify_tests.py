"""The skill's own tests, run in the sandbox: the slow part of ``memento verify``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain import tree
from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills import Skill
from memento_tui.domain.skills.report import TestRun, VerifyReport

if TYPE_CHECKING:
    from memento_tui.domain.sandbox import Sandbox, SandboxResult

_TEST_OUTPUT_TAIL = 1500


def skill_test_files(skill_dir: Path) -> list[str]:
    folder = skill_dir / "tests"
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith("test_") and p.suffix in (".py", ".sh") and p.is_file() and not p.is_symlink()
    )


def run_skill_tests(skill_dir: Path, skill: Skill | None, sandbox: Sandbox | None, report: VerifyReport) -> None:
    files = skill_test_files(skill_dir)
    if not files:
        report.add(
            "warning",
            "no-tests",
            "tests",
            None,
            "the skill has no tests",
            "add tests/test_*.py (or .sh) that exit 0 when the scripts work",
        )
        return
    if skill is None or sandbox is None:
        _report_not_run(report, skill_loads=skill is not None)
        return

    # A skill's own tests get its network only when the folder is the reviewed one: a
    # patch under validation runs from a copy and never does.
    network = sandbox.may_use_network(skill_dir)
    for name in files:
        argv = ["python3" if name.endswith(".py") else "sh", f"/skill/tests/{name}"]
        try:
            result = _run_in_scratch(sandbox, argv, skill_dir, network)
        except MementoError as err:
            report.add(
                "error",
                "sandbox-unavailable",
                f"tests/{name}",
                None,
                f"tests cannot run: {err.message}",
                err.fix or "run 'memento doctor'",
            )
            return
        _report_result(report, name, argv, result, skill.name)


def _report_not_run(report: VerifyReport, *, skill_loads: bool) -> None:
    if not skill_loads:
        report.add(
            "warning",
            "tests-skipped",
            "tests",
            None,
            "tests not run: the skill does not load",
            "fix the schema error first",
        )
    else:
        report.add(
            "warning",
            "tests-skipped",
            "tests",
            None,
            "tests not run: no sandbox given",
            "run 'memento verify' without --no-tests",
        )


def _run_in_scratch(sandbox: Sandbox, argv: list[str], skill_dir: Path, network: bool) -> SandboxResult:
    """Run one test in a fresh work folder, removed afterwards whatever happens."""
    work = Path(tempfile.mkdtemp(prefix="memento-verify-"))
    try:
        work.chmod(0o755)
        return sandbox.run(argv, work_dir=work, skill_dir=skill_dir, network=network)
    finally:
        tree.remove_tree_quietly(work)


def _report_result(report: VerifyReport, name: str, argv: list[str], result: SandboxResult, skill: str) -> None:
    output = result.stdout + ("\n" if result.stdout and result.stderr else "") + result.stderr
    run = TestRun(
        f"tests/{name}",
        result.ok,
        result.exit_code,
        result.limit,
        round(result.duration, 3),
        output[-_TEST_OUTPUT_TAIL:],
    )
    report.tests.append(run)
    if not run.passed:
        last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or [""]
        how = f"stopped by the {result.limit} limit" if result.limit else f"exit {result.exit_code}"
        report.add(
            "error",
            "test-failed",
            f"tests/{name}",
            None,
            f"{how}: {last[0][:200]}",
            f"run it: memento sandbox run --skill {skill} -- {' '.join(argv)}",
        )
