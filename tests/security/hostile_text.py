"""A workspace full of terminal escapes and hidden text, for the CLI and the TUI tests.

A skill folder whose name carries them (a broken skill: it cannot match its frontmatter),
a loadable skill whose frontmatter writes them as YAML escapes in double-quoted strings
(the raw file is plain ASCII) and whose file names carry them, and a failed run whose
task, answer, model text, command and output carry them.
"""

from __future__ import annotations

from typing import Any

from memento_tui.domain.agent.runs import RunRecord
from memento_tui.domain.agent.trace import (
    ModelTurn,
    Note,
    RunFailed,
    RunFinished,
    RunStarted,
    SkillsRetrieved,
    ToolCalled,
    ToolResult,
    VerdictGiven,
)
from memento_tui.domain.workspace import Workspace

OSC52 = "\x1b]52;c;aGk=\x07"  # writes "hi" to the clipboard
TITLE = "\x1b]0;pwned\x07"  # sets the window title
CSI = "\x9b"  # a one-byte CSI on 8-bit terminals
RLO = "\u202e"  # right-to-left override
TAG = "\U000e0041"  # an invisible TAG LATIN CAPITAL LETTER A
HOSTILE = f"{OSC52}{TITLE}{CSI}31m{RLO}{TAG}"
# What must never reach the terminal raw; each has a visible marker instead.
RAW = ("\x1b", "\x07", CSI, RLO, TAG)
MARKERS = ("⟨U+001B⟩", "⟨U+0007⟩", "⟨U+009B⟩", "⟨U+202E⟩", "⟨U+E0041⟩")

SKILL = "trojan"
BROKEN = f"evil{HOSTILE}"
RUN = "20260101-000000-e5c4"
# The same characters as YAML escapes: the file holds only ASCII.
YAML_HOSTILE = r"\e]52;c;aGk=\a\e]0;pwned\a\x9b31m\u202e\U000E0041"
SKILL_MD = f"""---
name: {SKILL}
description: "Converts CSV files to JSON {YAML_HOSTILE} when asked"
license: "MIT {YAML_HOSTILE}"
metadata:
  note: "{YAML_HOSTILE}"
  nested:
    - "deep {YAML_HOSTILE}"
---
# Trojan

Convert with `python3 scripts/convert.py`. {HOSTILE} trust me.
"""
FILE_NAMES = (f"scripts/run{TITLE}.py", f"references/notes{RLO}{TAG}.md", f"assets/clip{OSC52}.txt")


def raw_in(text: str) -> list[str]:
    """The raw hostile characters found in ``text`` (none is the goal)."""
    return [repr(char) for char in RAW if char in text]


def write_hostile_skills(workspace: Workspace) -> None:
    skills = workspace.paths.skills
    folder = skills / SKILL
    for sub in ("scripts", "references", "assets"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(SKILL_MD, encoding="utf-8")
    (folder / "scripts" / "convert.py").write_text("print('ok')\n", encoding="utf-8")
    for name in FILE_NAMES:
        (folder / name).write_text("x\n", encoding="utf-8")
    broken = skills / BROKEN
    broken.mkdir()
    (broken / "SKILL.md").write_text(
        f"---\nname: evil\ndescription: Broken on purpose {HOSTILE}\n---\n# Evil\n", encoding="utf-8"
    )
    # As cloned from a hostile repository: committed, so learning takes it as it is.
    import subprocess

    person = {
        "GIT_AUTHOR_NAME": "H",
        "GIT_AUTHOR_EMAIL": "h@x",
        "GIT_COMMITTER_NAME": "H",
        "GIT_COMMITTER_EMAIL": "h@x",
        "PATH": "/usr/bin:/bin",
    }
    for args in (["add", "skills"], ["commit", "-q", "-m", "hostile skills"]):
        subprocess.run(["git", "-C", str(workspace.root), *args], env=person, check=True, capture_output=True)


def hostile_events() -> list[Any]:
    return [
        RunStarted(run_id=RUN, task=f"convert {HOSTILE} files", model=f"scripted{TITLE}"),
        SkillsRetrieved(hits=[{"name": SKILL, "score": 1.5, "description": HOSTILE, "why": [f"word {RLO}"]}]),
        ModelTurn(step=1, text=f"I will run it {HOSTILE}\nnext line {OSC52}"),
        ToolCalled(step=1, call_id="c1", name="run", arguments={"command": f"echo {HOSTILE}"}),
        ToolResult(
            step=1,
            call_id="c1",
            name="run",
            ok=False,
            output=f"Traceback {HOSTILE}\nError: {TITLE}",
            exit_code=1,
            skill=SKILL,
        ),
        Note(step=1, message=f"note {CSI}2J"),
        RunFailed(step=1, kind="tool", message=f"failed {OSC52}"),
        VerdictGiven(
            step=1, passed=False, source="check", detail=f"check said {RLO}no", check_output=f"AssertionError {HOSTILE}"
        ),
        RunFinished(step=1, status="failed", answer=f"done {HOSTILE}"),
    ]


def write_hostile_run(workspace: Workspace) -> str:
    from memento_tui.domain.agent.runs import RunStore

    store = RunStore(workspace.paths)
    _, writer = store.create(RunRecord(id=RUN, task=f"convert {HOSTILE} files", pid=-1))
    for event in hostile_events():
        writer.write(event)
    writer.close()
    # run.json is a file on disk: its skill names are whatever it says.
    store.update(
        RUN,
        status="failed",
        skills_used=[f"g{RLO}", SKILL],
        skills_retrieved=[SKILL],
        finished=1.0,
        answer=f"done {HOSTILE}",
        check=f"test -f out{RLO}.json",
        verdict_source="check",
        verdict_detail=f"check said {TITLE}",
        note=f"looked wrong {TAG}",
    )
    return RUN


def make_hostile(workspace: Workspace) -> Workspace:
    write_hostile_skills(workspace)
    write_hostile_run(workspace)
    return workspace
