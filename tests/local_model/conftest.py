"""The real-model tests skip only when the [local] extra is missing, and then say so at the
end of the run (not only under ``-rs``), so a CI log shows that they did not run."""

from __future__ import annotations

from typing import Any

from memento_tui.domain.llm.local import extra_status


def local_model_missing() -> str:
    usable, why = extra_status()
    if usable:
        return ""
    return f"{why}: pip install 'memento-tui[local]' (or scripts/setup --local)"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reason = local_model_missing()
    if reason and terminalreporter.stats.get("skipped"):
        terminalreporter.write_line(f"local model tests skipped: {reason}", yellow=True)
