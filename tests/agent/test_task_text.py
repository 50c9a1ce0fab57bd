"""The task text is checked once, before any token, the same way everywhere; a long task
runs and teaches retrieval (its start becomes the trigger) instead of aborting at learning."""

from __future__ import annotations

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.tasks import MAX_TASK_CHARS, TRIGGER_CHARS, TaskError, check_task
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import ScriptedServer, call


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_a_blank_task_is_refused_before_the_model_is_asked(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    code = main(["-C", str(workspace.root), "run", text])
    assert code == 2
    assert "the task is empty" in capsys.readouterr().err
    assert scripted.requests == []
    with pytest.raises(TaskError):
        RunRequest(task=text)


def test_too_long_or_nul_is_refused_with_the_fix() -> None:
    with pytest.raises(TaskError, match="the limit is 100,000") as caught:
        check_task("x" * (MAX_TASK_CHARS + 1))
    assert "--input FILE" in (caught.value.fix or "")
    with pytest.raises(TaskError, match="NUL"):
        check_task("convert\0this")
    assert check_task("  do it \n") == "do it"


def test_a_task_over_4000_characters_runs_and_teaches_retrieval(workspace: Workspace, scripted: ScriptedServer) -> None:
    scripted.add(
        call("load_skill", name="text-stats"),
        call("finish", answer="counted", success=True),
    )
    spec = "Count the words in notes.txt. " + "Some pasted context. " * 400
    assert len(spec) > 8000
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task=spec))
    assert record.status == "passed"
    assert record.task == spec.strip()  # the model got all of it
    triggers = services.index().triggers("text-stats")
    assert len(triggers) == 1 and spec.startswith(triggers[0][:100])
    assert len(triggers[0]) <= TRIGGER_CHARS
