"""``memento doctor``: each check says what it found and, when it fails, the fix.

Checks are plain functions registered with ``@check``; later parts of the program
(sandbox, model) register their own checks in their own modules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from memento_tui.domain.errors import MementoError
from memento_tui.domain.workspace import Workspace

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str = ""


CheckFn = Callable[[Workspace | None], CheckResult | list[CheckResult]]
_CHECKS: list[tuple[int, CheckFn]] = []


def check(order: int) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        _CHECKS.append((order, fn))
        return fn

    return register


def run_checks(workspace: Workspace | None) -> list[CheckResult]:
    # Modules that add checks of their own, imported here so the registry is complete.
    for module in (
        "memento_tui.domain.sandbox.doctor",
        "memento_tui.domain.retrieval.doctor",
        "memento_tui.domain.llm.doctor",
        "memento_tui.domain.llm.local_doctor",
    ):
        __import__(module)  # a missing one is a broken install: an error, never a check skipped
    results: list[CheckResult] = []
    for _, fn in sorted(_CHECKS, key=lambda pair: pair[0]):
        try:
            out = fn(workspace)
        except MementoError as err:
            detail = f"{err.where}: {err.message}" if err.where else err.message
            out = CheckResult(fn.__name__.removeprefix("check_"), "fail", detail, err.fix or "")
        results.extend(out if isinstance(out, list) else [out])
    return results


@check(10)
def check_python(_: Workspace | None) -> CheckResult:
    version = sys.version.split()[0]
    if sys.version_info < (3, 11):  # noqa: UP036 - a person may run this under an old Python
        return CheckResult("python", "fail", version, "install Python 3.11 or newer")
    return CheckResult("python", "ok", f"{version} ({sys.executable})")


@check(20)
def check_git(_: Workspace | None) -> CheckResult:
    from memento_tui.domain.git_repo import git_version

    try:
        text, _numbers = git_version()
    except MementoError as err:
        return CheckResult("git", "fail", err.message, err.fix or "")
    return CheckResult("git", "ok", text)


@check(30)
def check_bwrap(_: Workspace | None) -> CheckResult:
    from memento_tui.domain.sandbox.probe import find_bwrap

    try:
        path, text = find_bwrap()
    except MementoError as err:
        return CheckResult("bwrap", "fail", err.message, err.fix or "")
    return CheckResult("bwrap", "ok", f"{text} ({path})")


@check(40)
def check_workspace(workspace: Workspace | None) -> list[CheckResult]:
    if workspace is None:
        return [CheckResult("workspace", "fail", "not inside a workspace", "run 'memento init' or cd into one")]
    results = [CheckResult("workspace", "ok", str(workspace.root))]
    config = workspace.config  # raises ConfigError, reported as a failed check
    results.append(CheckResult("config", "ok", str(workspace.paths.config)))
    library = workspace.library()
    if library.broken:
        names = ", ".join(b.name for b in library.broken)
        results.append(
            CheckResult(
                "skills",
                "warn",
                f"{len(library)} loaded, {len(library.broken)} broken: {names}",
                "run 'memento skills list' for each error and its fix",
            )
        )
    else:
        results.append(CheckResult("skills", "ok", f"{len(library)} loaded"))
    if not config.model.name:
        results.append(
            CheckResult(
                "model",
                "warn",
                "no model configured: search, skills and review work; running tasks needs one",
                f"set [model] name in {workspace.paths.config} (see docs/config.md)",
            )
        )
    return results
