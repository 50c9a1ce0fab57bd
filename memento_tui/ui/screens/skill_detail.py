"""What the Skills screen shows of one skill: its entry in the list, and the texts of the
detail pane. Every piece of a skill goes through ``terminal_safe``: a skill may come from
a stranger or a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from memento_tui.domain.skills import Skill
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.domain.skills.protection import Protection
from memento_tui.domain.skills.success import NOT_USED, SkillSuccess

MAX_FILES = 30  # files listed before "… N more"
MAX_TRIGGERS = 12


@dataclass
class Entry:
    name: str
    skill: Skill | None = None
    error: str | None = None
    figures: SkillSuccess = NOT_USED
    protection: Protection | None = None  # why learning never patches it; None when it may

    @property
    def success(self) -> str:
        return self.figures.text()

    @property
    def state(self) -> str:
        if self.error:
            return "broken"
        if self.skill is not None and self.skill.warnings:
            return "warning"
        return ""


def head_text(skill: Skill, entry: Entry) -> str:
    """The description, the success figures, the lock and the warnings."""
    lines = [terminal_safe(skill.description), ""]
    runs = entry.figures.runs
    lines.append(
        f"success: {entry.success}" + (f" over {runs} run{'' if runs == 1 else 's'}" if runs else " (not used yet)")
    )
    if entry.protection is not None:
        lines.append(f"🔒 protected: learning never patches it ({entry.protection.reason})")
    lines += [f"⚠ {terminal_safe(w)}" for w in skill.warnings]
    return "\n".join(lines)


def meta_text(skill: Skill, skill_file: str, triggers: list[str] | None) -> str:
    """Where its SKILL.md is, its files and its learned triggers (None: still reading)."""
    files = skill.files()
    lines = [terminal_safe(skill_file, single_line=True), "", f"files ({len(files)}):"]
    lines += [f"  {terminal_safe(f, single_line=True)}" for f in files[:MAX_FILES]]
    if len(files) > MAX_FILES:
        lines.append(f"  … {len(files) - MAX_FILES} more")
    lines.append("")
    if triggers is None:
        lines.append("learned triggers: reading the index…")
    elif not triggers:
        lines.append("learned triggers: none yet (tasks that succeed with this skill become triggers)")
    else:
        lines.append(f"learned triggers ({len(triggers)}):")
        lines += [f"  • {terminal_safe(t, single_line=True)}" for t in triggers[:MAX_TRIGGERS]]
    return "\n".join(lines)
