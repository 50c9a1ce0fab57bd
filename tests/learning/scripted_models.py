"""Scripted 'models' that answer by reading the request, like a real model would.

The agent part follows whatever the loaded SKILL.md says, so a patched skill changes its
behaviour; the reflection and writer parts answer in their schemas.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from memento_tui.testing.scripted_server import Step, call, say

DAYFIRST_MARKER = "Day-first sources"
ALWAYS_MARKER = "Always pass --dayfirst"


def _system(body: dict[str, Any]) -> str:
    messages = body.get("messages", [])
    return messages[0]["content"] if messages and messages[0]["role"] == "system" else ""


def _loaded_skill_text(body: dict[str, Any]) -> str:
    return "\n".join(m.get("content") or "" for m in body["messages"] if m["role"] == "tool")


def date_agent(input_name: str, output_name: str) -> Callable[[dict[str, Any]], Step]:
    """Loads date-normalize, runs it the way its SKILL.md says, then finishes."""

    def step(body: dict[str, Any]) -> Step:
        turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
        if turns == 0:
            return call("load_skill", name="date-normalize")
        if turns == 1:
            text = _loaded_skill_text(body)
            dayfirst = ALWAYS_MARKER in text or (DAYFIRST_MARKER in text and "UK" in body["messages"][1]["content"])
            flag = " --dayfirst" if dayfirst else ""
            return call(
                "run",
                command=f"python3 /skill/scripts/normalize_dates.py {input_name} --column date -o {output_name}{flag}",
            )
        return call("finish", answer=f"wrote {output_name}", success=True)

    return step


def reflection(weak_skill: str = "date-normalize", category: str = "wrong_data_format_assumption") -> str:
    return json.dumps(
        {
            "category": category,
            "weak_skill": weak_skill,
            "decision_step": 2,
            "missing_or_assumed": "The skill read 03/04/2024 month-first, but the UK file is day-first.",
            "fix_kind": "patch_skill",
            "summary": "date-normalize assumes US month-first dates; UK and European data is day-first.",
        }
    )


def skill_edit(current_skill_md: str, addition: str) -> str:
    new = current_skill_md.rstrip("\n") + "\n\n" + addition + "\n"
    return json.dumps({"files": [{"path": "SKILL.md", "content": new}], "message": "Say when to pass --dayfirst"})


DAYFIRST_PITFALL = (
    f"## {DAYFIRST_MARKER}\n\nUK and European files write dates day-first: when the task says UK, "
    "British or European, pass `--dayfirst`."
)
ALWAYS_PITFALL = f"## Day order\n\n{ALWAYS_MARKER} for every file."


class Router:
    """One scripted model for the agent, the reflection and the writer."""

    def __init__(
        self,
        agent: Callable[[dict[str, Any]], Step],
        *,
        reflection: list[str],
        writes: list[Callable[[dict[str, Any]], str]],
    ) -> None:
        self.agent = agent
        self.reflections = list(reflection)
        self.writes = list(writes)
        self.seen: list[str] = []

    def __call__(self, body: dict[str, Any]) -> Step:
        system = _system(body)
        if system.startswith("You are reviewing a failed run"):
            self.seen.append("reflect")
            return say(self.reflections.pop(0))
        if system.startswith("You fix a skill"):
            self.seen.append("write")
            return say(self.writes.pop(0)(body))
        self.seen.append("agent")
        return self.agent(body)


def current_skill_md(body: dict[str, Any]) -> str:
    """The SKILL.md the writer was shown (between '--- SKILL.md ---' and the next file)."""
    text = body["messages"][1]["content"]
    start = text.index("--- SKILL.md ---\n") + len("--- SKILL.md ---\n")
    end = text.find("\n\n--- ", start)
    return text[start : end if end != -1 else None]
