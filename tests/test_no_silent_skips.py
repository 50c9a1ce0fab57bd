"""Nothing is skipped silently: a module that is missing is an error, never a check,
a command or a verification quietly left out (a patch must never pass unverified)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "memento_tui"
# Optional by design, and said out loud where it matters: pygments picks a highlighter (a
# plain-text diff is still a diff); the [local] extra is looked for, and its absence is a
# ModelError that names the install command.
ALLOWED = {"ui/widgets/diff_highlight.py", "ui/widgets/diff_view.py", "domain/llm/local.py"}


def test_no_module_swallows_a_missing_import() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = str(path.relative_to(PACKAGE))
        if rel in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                if names & {"ImportError", "ModuleNotFoundError"}:
                    offenders.append(f"{rel}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "find_spec":
                offenders.append(f"{rel}:{node.lineno} (find_spec)")
    assert offenders == []


@pytest.mark.parametrize(
    ("missing", "call"),
    [
        ("memento_tui.cli.stats_cmd", "memento_tui.cli.main:build_parser"),
        ("memento_tui.domain.llm.doctor", "memento_tui.domain.doctor:run_checks"),
    ],
)
def test_a_missing_module_is_an_error(monkeypatch: pytest.MonkeyPatch, missing: str, call: str) -> None:
    module_name, func = call.split(":")
    module = __import__(module_name, fromlist=[func])
    monkeypatch.setitem(sys.modules, missing, None)  # import now raises ImportError
    with pytest.raises(ImportError):
        getattr(module, func)(*([None] if func == "run_checks" else []))
