"""A patch's evidence as a reviewer reads it: why it exists and what replay showed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Static

from memento_tui.domain.learning.models import CATEGORY_LABELS
from memento_tui.domain.skills.hidden_text import terminal_safe

if TYPE_CHECKING:
    from memento_tui.domain.patches.model import Patch


def category(name: str) -> str:
    return CATEGORY_LABELS.get(name, name) if name else "uncategorised"


def _age(when: Any) -> str:
    try:
        return when.astimezone().strftime("%Y-%m-%d %H:%M")
    except (AttributeError, ValueError):
        return str(when)


def evidence_text(patch: Patch, hidden: int = 0, critical: bool = False) -> str:
    ev = patch.evidence
    lines = [f"patch {patch.id}", f"status: {patch.status}"]
    if critical:
        lines.append("! critical: its run or task is marked critical (first in the queue)")
    if patch.status in ("merged", "rejected") and patch.decided_at is not None:
        lines[-1] += f" ({_age(patch.decided_at)})"
    if patch.reason:
        lines.append(f"reason: {patch.reason}")
    lines += [
        f"skill: {patch.skill}  ({'new skill' if ev.kind == 'new-skill' else 'change'})",
        f"branch: {patch.branch}",
        f"made: {_age(patch.created_at)}",
        "",
    ]
    if hidden:
        lines += [f"⚠ {hidden} line(s) with invisible or control characters", ""]
    lines.append(f"validated: {'yes' if ev.validated else 'NO'}")
    lines.append(f"replay of the failed task: {ev.replay_text()}")
    lines.append(f"regressions: {ev.regressions_text()}")
    for reg in ev.regressions:
        mark = "✓" if reg.passed else "✗"
        lines.append(f"  {mark} {reg.task[:60]}  ({reg.run_id})")
    if skipped := ev.details.get("regressions_skipped"):
        lines.append(f"  not all run: {skipped}")
    lines.append("")
    lines.append(f"failed run: {ev.run_id or '—'}")
    if ev.task:
        lines.append(f"task: {ev.task}")
    lines.append(f"failure: {category(ev.failure_category)}")
    if ev.decision_step is not None:
        lines.append(f"went wrong at step {ev.decision_step}")
    if missing := ev.details.get("missing_or_assumed"):
        lines.append(f"missing or assumed: {missing}")
    if ev.reflection_summary:
        lines += ["", "reflection:", ev.reflection_summary]
    if edited := ev.details.get("edited_from"):
        lines += ["", f"edited by a person from patch {edited}"]
    lines += ["", f"learning cost: {ev.cost.tokens} tokens, ${ev.cost.usd:.4f}"]
    lines += ["", "files:"] + [f"  {f}" for f in patch.files]
    return terminal_safe("\n".join(lines))


def evidence_line(patch: Patch) -> str:
    """The evidence in one line, for the top of the review screen."""
    ev = patch.evidence
    parts = [
        "validated" if ev.validated else "NOT validated",
        f"replay {ev.replay.result.replace('-', ' ')}",
        f"regressions {ev.regressions_text()}",
        f"failure: {category(ev.failure_category)}",
    ]
    if ev.reflection_summary:
        parts.append(" ".join(terminal_safe(ev.reflection_summary).split()))
    return terminal_safe("  ·  ".join(parts) + "    (c: failing step · i: evidence)")


class EvidencePanel(Static):
    def __init__(self, **kw: Any) -> None:
        super().__init__("", markup=False, **kw)

    def show(self, patch: Patch | None, hidden: int = 0, *, critical: bool = False) -> None:
        if patch is None:
            self.update("No patch selected.")
            return
        self.update(evidence_text(patch, hidden, critical))
        self.set_class(bool(hidden), "-hidden-text")
        self.set_class(patch.evidence.validated, "-validated")
