"""What a task may be: checked once, the same way in the CLI, the app and an eval.

A task is what a person asks for. It is sent to the model whole, so it may be long (a
pasted log or a spec), but not empty, not a document so large the model cannot take it,
and without NUL bytes, which some providers refuse mid-run. What retrieval keeps from it is
shorter (``trigger_text``): a trigger is what the task is about, not the task itself.
"""

from __future__ import annotations

from memento_tui.domain.errors import MementoError

MAX_TASK_CHARS = 100_000
TRIGGER_CHARS = 4000  # what an outcome row keeps of the task (retrieval.learned.MAX_TASK_CHARS)


class TaskError(MementoError):
    """The task text cannot be run as it is."""


def check_task(text: str) -> str:
    """The task as it will run (surrounding blank space removed), or TaskError."""
    task = text.strip()
    if not task:
        raise TaskError(
            "the task is empty", field="task", fix='say what to do, e.g. memento run "Convert people.csv to JSON"'
        )
    if "\0" in task:
        raise TaskError("the task holds a NUL byte", field="task", fix="remove it (a task pasted from a binary file?)")
    if len(task) > MAX_TASK_CHARS:
        raise TaskError(
            f"the task is {len(task):,} characters; the limit is {MAX_TASK_CHARS:,}",
            field="task",
            fix="put the long material in a file and pass it with --input FILE "
            "(it lands in /work), and say in the task what to do with it",
        )
    return task


def trigger_text(task: str) -> str:
    """What retrieval keeps of a task: its start, cut at a word, at most TRIGGER_CHARS."""
    text = " ".join(task.split())
    if len(text) <= TRIGGER_CHARS:
        return text
    cut = text[:TRIGGER_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > TRIGGER_CHARS // 2 else cut
