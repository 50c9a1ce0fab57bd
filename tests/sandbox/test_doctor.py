"""memento doctor's sandbox check starts a real sandbox and looks inside."""

from __future__ import annotations

import pytest

from memento_tui.domain.doctor import run_checks
from memento_tui.domain.sandbox import Sandbox
from memento_tui.domain.sandbox.doctor import check_sandbox, self_test
from tests.sandboxing import make_sandbox


def test_self_test_finds_nothing_wrong(sandbox: Sandbox) -> None:
    assert self_test(sandbox) == []


def test_variables_the_config_passes_are_not_a_leak() -> None:
    """Config env is allowed through; the check only flags what nobody allowed."""
    assert self_test(make_sandbox(env={"EXTRA": "1"})) == []


def test_doctor_reports_the_sandbox_check(workspace) -> None:
    results = {r.name: r for r in run_checks(workspace)}
    sandbox = results["sandbox"]
    assert sandbox.status in ("ok", "warn")
    assert "no capabilities" in sandbox.detail and "only lo" in sandbox.detail


def test_doctor_fails_with_the_fix_when_bwrap_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = check_sandbox(None)
    assert result.status == "fail"
    assert "apt-get install bubblewrap" in result.fix
