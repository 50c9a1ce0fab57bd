"""Run: the first-run explanation, a live run through the scripted model server (litellm's
real code path, the real sandbox), cancel, and a failure learned from and one key from review."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from textual.widgets import Input, RichLog, Static

from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import Services, make_services
from memento_tui.testing.scripted_server import ScriptedServer, Step, call, say, say_and_call
from memento_tui.ui.app import MementoApp
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.screens.run import RunScreen
from memento_tui.ui.widgets.learning_view import LearningView
from tests.conftest import configure_model
from tests.ui.conftest import drive

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

CHECK = "grep -qx right out.txt"
MARKER = "Always write the word right."


def _stream_text(screen: RunScreen) -> str:
    log = screen.query_one("#stream-log", RichLog)
    return "\n".join(strip.text for strip in log.lines)


async def test_with_no_model_the_run_screen_explains_how_to_set_one(services: Services) -> None:
    assert services.workspace.config.model.name == ""
    async with drive(services, live=True) as d:
        screen = d.app.screen
        assert isinstance(screen, RunScreen)
        setup = screen.query_one("#model-setup")
        assert setup.display and not screen.query_one("#stream").display
        text = screen.query_one("#setup-text").source
        assert "api_key_env" in text and "api_base" in text and 'name = "local"' in text
        assert ".memento/config.toml` in `ws/" in text
        screen.query_one("#task", Input).value = "count words"
        await d.press("ctrl+r")
        assert any("no model is configured" in n for n in d.notifications())
        assert not d.seen(RunScreen.RunFinished)
        # Saving the config brings the run screen to life, without a restart.
        configure_model(services.workspace, "http://127.0.0.1:9/v1")
        await d.until(lambda: not screen.query_one("#model-setup").display, "the config to be re-read")
        assert screen.query_one("#stream").display
        assert "openai/scripted" in str(screen.query_one(".nav-status", Static).render())


async def test_a_run_streams_text_tools_and_output_then_the_verdict(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    scripted.add(
        say_and_call("I will write the file now.", "write_file", path="out.txt", content="right\n"),
        call("run", command="cat out.txt && echo done-listing"),
        call("finish", answer="wrote out.txt", success=True),
    )
    services = make_services(workspace)
    try:
        async with drive(services) as d:
            screen = d.app.screen
            screen.query_one("#task", Input).value = "Write the word right into out.txt"
            screen.query_one("#check", Input).value = CHECK
            await d.press("ctrl+r")
            await d.until(lambda: d.seen(RunScreen.RunFinished), "the run to finish")
            record = d.seen(RunScreen.RunFinished)[0].record
            assert record.status == "passed" and record.verdict_source == "check"
            kinds = [m.event.type for m in d.seen(RunScreen.RunEventReceived)]
            assert kinds[0] == "run_started" and kinds[-1] == "run_finished" and "verdict" in kinds
            await d.until(lambda: "verdict: PASS" in _stream_text(screen))
            text = _stream_text(screen)
            assert "I will write the file now." in text
            assert "→ write_file out.txt (6 chars)" in text
            assert "→ run cat out.txt && echo done-listing" in text
            assert "│ done-listing" in text  # command output, streamed
            assert "■ verdict: PASS (check: " in text
            assert "PASSED" in str(screen.query_one("#run-status", Static).render())
            assert screen.query_one("#run-status").has_class("-passed")
            assert not screen.running
            # No patch: review says why.
            await d.press("escape", "r")
            assert any("no patch yet" in n for n in d.notifications())
    finally:
        services.close()


async def test_cancel_stops_the_run_between_steps(workspace: Workspace, scripted: ScriptedServer) -> None:
    scripted.add(
        Step(tool_calls=[{"name": "list_files", "arguments": {}}], delay=1.0),
        *[call("finish", answer="late", success=True)] * 3,
    )
    services = make_services(workspace)
    try:
        async with drive(services) as d:
            screen = d.app.screen
            screen.query_one("#task", Input).value = "list the files"
            await d.press("ctrl+r")
            await d.until(lambda: screen.running)
            await d.press("ctrl+x")
            await d.until(lambda: d.seen(RunScreen.RunFinished), "the run to stop")
            record = d.seen(RunScreen.RunFinished)[0].record
            assert record.status == "cancelled"
            await d.until(lambda: "cancelled" in _stream_text(screen))
    finally:
        services.close()


def _router() -> Any:
    """One scripted model: the agent follows the skill it loaded; reflection and writer answer
    in their schemas."""

    def step(body: dict[str, Any]) -> Step:
        messages = body["messages"]
        system = messages[0]["content"] if messages[0]["role"] == "system" else ""
        if system.startswith("You are reviewing a failed run"):
            return say(
                json.dumps(
                    {
                        "category": "bug_in_skill",
                        "weak_skill": "text-stats",
                        "decision_step": 2,
                        "missing_or_assumed": "The skill never said which word to write.",
                        "fix_kind": "patch_skill",
                        "summary": "text-stats should say to write the word right.",
                    }
                )
            )
        if system.startswith("You fix a skill"):
            text = messages[1]["content"]
            start = text.index("--- SKILL.md ---\n") + len("--- SKILL.md ---\n")
            end = text.find("\n\n--- ", start)
            current = text[start : end if end != -1 else None]
            new = current.rstrip("\n") + f"\n\n## The word\n\n{MARKER}\n"
            return say(json.dumps({"files": [{"path": "SKILL.md", "content": new}], "message": "Name the word"}))
        turns = sum(1 for m in messages if m["role"] == "assistant")
        loaded = "\n".join(m.get("content") or "" for m in messages if m["role"] == "tool")
        if turns == 0:
            return call("load_skill", name="text-stats")
        if turns == 1:
            return call("write_file", path="out.txt", content="right\n" if MARKER in loaded else "wrong\n")
        return call("finish", answer="done", success=True)

    return step


async def test_ctrl_x_kills_the_running_command_at_once_and_shows_cancelled(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    scripted.add(call("run", command="sleep 25"), call("finish", answer="late", success=True))
    services = make_services(workspace)
    try:
        async with drive(services) as d:
            screen = d.app.screen
            screen.query_one("#task", Input).value = "wait a while"
            await d.press("ctrl+r")
            await d.until(lambda: any(m.event.type == "tool_called" for m in d.seen(RunScreen.RunEventReceived)))
            await asyncio.sleep(0.5)  # the sandbox is running the command
            pressed = time.monotonic()
            await d.press("ctrl+x")
            await d.until(lambda: d.seen(RunScreen.RunFinished), "the run to stop")
            assert time.monotonic() - pressed < 5
            record = d.seen(RunScreen.RunFinished)[0].record
            assert record.status == "cancelled"
            status = str(screen.query_one("#run-status", Static).render())
            assert "CANCELLED" in status and "ERROR" not in status
            assert not screen.query_one("#run-status").has_class("-failed")
            await d.until(lambda: "✗ cancelled: the run was cancelled by the person" in _stream_text(screen))
            assert scripted.remaining == 1
    finally:
        services.close()


async def test_a_failed_run_is_learned_from_and_its_patch_is_one_key_away(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    scripted.add(*[_router()] * 20)
    services = make_services(workspace)
    try:
        async with drive(services) as d:
            screen = d.app.screen
            screen.query_one("#task", Input).value = "Write the word into out.txt"
            screen.query_one("#check", Input).value = CHECK
            await d.press("ctrl+r")
            await d.until(lambda: d.seen(RunScreen.RunFinished), "the run")
            assert d.seen(RunScreen.RunFinished)[0].record.status == "failed"
            await d.until(
                lambda: d.seen(LearningView.LearningFinished) or d.seen(LearningView.LearningFailed),
                "learning",
                timeout=60,
            )
            assert not d.seen(LearningView.LearningFailed), d.seen(LearningView.LearningFailed)[0].error
            result = d.seen(LearningView.LearningFinished)[0].result
            assert result.status == "patched" and result.validated is True
            assert d.seen(LearningView.PatchProposed)[0].patch_id == result.patch_id
            summary = str(screen.query_one("#learn-summary", Static).render())
            assert "bug in skill" in summary and "Press r to review" in summary
            await d.press("escape", "r")
            review = d.app.screen
            assert isinstance(review, ReviewScreen) and review.patch_id == result.patch_id
            await d.until(lambda: review.view is not None)
            assert any(r.right is not None and MARKER in r.right.text for r in review.view.rows.rows)
    finally:
        services.close()


def test_the_app_is_built_by_the_same_factory_as_the_cli(services: Services) -> None:
    from memento_tui.ui import make_app

    app = make_app(services)
    assert isinstance(app, MementoApp) and app.services is services
