"""Every screen shows hostile text from skills, runs, models and patches marked, never raw.

The app is driven by Pilot on a workspace full of terminal escapes and hidden text (see
``tests/security/hostile_text.py``), and what the compositor would send to the terminal is
read back. Each screen is checked twice: with the app's net (the line filter over every
painted line), as a person sees it, and without it, which proves each screen marks its own
fields. A widget that forgets is caught by the net (the last test).
"""

from __future__ import annotations

import pytest
from textual.widgets import Static

from memento_tui.domain.agent.trace import ToolResult
from memento_tui.domain.learning.models import Reflection
from memento_tui.domain.learning.outcome import LearningOutcome
from memento_tui.services.factory import Services
from memento_tui.ui.app import MementoApp
from memento_tui.ui.screens.dialogs import ConfirmScreen, ReasonScreen
from memento_tui.ui.screens.insights import InsightsScreen
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.screens.run import RunScreen
from memento_tui.ui.screens.runs import RunsScreen
from memento_tui.ui.screens.skills import SkillsScreen
from memento_tui.ui.screens.trace import TraceScreen
from memento_tui.ui.widgets.learning_view import LearningView
from memento_tui.ui.widgets.skill_list import SkillList
from tests.conftest import configure_model
from tests.security.hostile_text import (
    BROKEN,
    HOSTILE,
    MARKERS,
    RLO,
    RUN,
    SKILL,
    TITLE,
    hostile_events,
    make_hostile,
    raw_in,
)
from tests.ui.conftest import Driven, drive, evidence, make_patch

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

TALL = (150, 110)  # everything a screen shows fits, nothing hides below the fold
NETS = pytest.mark.parametrize("net", [True, False], ids=["with-net", "fields-only"])


@pytest.fixture
def hostile(services: Services) -> Services:
    make_hostile(services.workspace)
    # A model name, so the Run screen shows its stream (nothing ever calls it).
    configure_model(services.workspace, "http://127.0.0.1:9")
    services.reload_config()
    return services


def on_screen(app: MementoApp) -> str:
    """The text the compositor would send to the terminal for the current screen."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(d: Driven) -> str:
    await d.pilot.pause(0.2)
    return on_screen(d.app)


def assert_marked(text: str, *expected: str) -> None:
    assert raw_in(text) == [], text
    assert any(m in text for m in MARKERS), text
    for part in expected:
        assert part in text, (part, text)


def net_on(app: MementoApp, net: bool) -> None:
    app.hidden_filter.enabled = net


@NETS
async def test_skills_screen_marks_names_descriptions_files_and_bodies(hostile: Services, net: bool) -> None:
    async with drive(hostile, mode="skills", size=TALL) as d:
        net_on(d.app, net)
        screen = d.app.screen
        assert isinstance(screen, SkillsScreen)
        await d.until(lambda: screen.loaded, "the library to load")
        skills = screen.query_one(SkillList)
        assert BROKEN in skills.names()
        skills.move_to(SKILL)
        await d.until(lambda: screen.shown == SKILL, "the hostile skill to show")
        text = await settle(d)
        assert_marked(
            text,
            # A YAML-escaped description: the file is plain ASCII, the parsed text is not.
            "⟨U+001B⟩]52;c;aGk=⟨U+0007⟩⟨U+001B⟩]0;pwned⟨U+0007⟩⟨U+009B⟩31m⟨U+202E⟩⟨U+E0041⟩ when asked",
            "scripts/run⟨U+001B⟩]0;pwned⟨U+0007⟩.py",  # a file name
            "⟨U+202E⟩⟨U+E0041⟩ trust me.",  # the body
            "evil⟨U+001B⟩]52;c;aGk=",  # the broken folder's name in the list
        )
        skills.move_to(BROKEN)
        await d.until(lambda: screen.shown == BROKEN, "the broken skill to show")
        assert_marked(await settle(d), "BROKEN")


@NETS
async def test_runs_screen_and_trace_mark_task_answer_model_text_and_output(hostile: Services, net: bool) -> None:
    async with drive(hostile, mode="runs", size=TALL) as d:
        net_on(d.app, net)
        screen = d.app.screen
        assert isinstance(screen, RunsScreen)
        await d.until(lambda: RUN in screen.records, "the run to be listed")
        text = await settle(d)
        assert_marked(
            text,
            "check: test -f out⟨U+202E⟩.json",
            "verdict: check said ⟨U+001B⟩]0;pwned⟨U+0007⟩",
            "note: looked wrong ⟨U+E0041⟩",
            "convert ⟨U+001B",  # the task in the table, cut to its column
            "g⟨U+202E⟩,tro",  # the skills column, cut to its width
        )
        await d.press("enter")
        trace = d.app.screen
        assert isinstance(trace, TraceScreen)
        await d.until(lambda: d.seen(TraceScreen.TraceLoaded), "the trace")
        assert_marked(
            await settle(d),
            "▶ started with scripted⟨U+001B⟩]0;pwned⟨U+0007⟩",
            "next line ⟨U+001B⟩]52;c;aGk=⟨U+0007⟩",  # model text
            "Error: ⟨U+001B⟩]0;pwned⟨U+0007⟩",  # command output
            "note: note ⟨U+009B⟩2J",
            "check said ⟨U+202E⟩no",
        )


@NETS
async def test_patches_and_review_mark_the_models_reflection_and_task(hostile: Services, net: bool) -> None:
    patch = make_patch(
        hostile,
        ev=evidence(run_id=RUN, task=f"convert {HOSTILE}", reflection_summary=f"The skill {HOSTILE} was weak."),
    )
    async with drive(hostile, mode="patches", size=TALL) as d:
        net_on(d.app, net)
        screen = d.app.screen
        assert isinstance(screen, PatchesScreen)
        await d.until(lambda: patch.id in screen.patches, "the patch to be listed")
        assert_marked(await settle(d), "⟨U+202E⟩⟨U+E0041⟩ was weak.")
        await d.press("enter")
        review = d.app.screen
        assert isinstance(review, ReviewScreen)
        await d.until(lambda: review.view is not None, "the diff")
        assert_marked(await settle(d), "The skill ⟨U+001B⟩")


@NETS
async def test_run_screen_marks_the_stream_the_side_panels_and_learning(hostile: Services, net: bool) -> None:
    async with drive(hostile, mode="run", size=TALL) as d:
        net_on(d.app, net)
        screen = d.app.screen
        assert isinstance(screen, RunScreen)
        # What a run's worker hands the screen: events, model text and command output.
        for event in hostile_events():
            screen.stream.buffer.put("event", event)
            screen.post_message(RunScreen.RunEventReceived(event))
        screen.stream.buffer.put("text", f"thinking {HOSTILE}\n")
        screen.stream.buffer.put("stdout", f"printed {HOSTILE}\npartial {TITLE_PART}")
        screen.stream.buffer.put("event", ToolResult(step=2, call_id="c2", name="run", ok=True, output=HOSTILE))
        screen.learning.remove_class("hidden")
        # Short texts: the learning panel is narrow, and a wrapped marker is hard to find.
        screen.learning.post_message(LearningView.LearningProgressed(f"  said: {TITLE}"))
        result = LearningOutcome(
            run_id=RUN,
            status="no_fix",
            reflection=Reflection(
                category="model_error",
                weak_skill=f"w{RLO}",
                missing_or_assumed=f"m{TITLE}",
                summary=f"s{TITLE}",
                decision_step=1,
                fix_kind="none",
            ),
        )
        screen.learning.post_message(LearningView.LearningFinished(RUN, result))
        await d.until(lambda: screen.learning.result is not None, "the learning summary")
        screen.stream.flush()
        assert_marked(
            await settle(d),
            "▶ run 20260101-000000-e5c4 · scripted⟨U+001B⟩]0;pwned⟨U+0007⟩",
            "next line ⟨U+001B⟩]52;c;aGk=⟨U+0007⟩",  # model text
            "│ Error: ⟨U+001B⟩]0;pwned⟨U+0007⟩",  # command output
            "partial ⟨U+001B⟩]0;half",  # a line not yet ended
            "note: note ⟨U+009B⟩2J",
            "word ⟨U+202E⟩",  # why a skill was retrieved
            "said: ⟨U+001B⟩]0;pwned⟨U+0007⟩",  # learning progress
            "m⟨U+001B⟩]0;pwned⟨U+0007⟩",  # the learning summary
        )


@NETS
async def test_insights_marks_the_task_patterns_of_failed_runs(hostile: Services, net: bool) -> None:
    async with drive(hostile, mode="insights", size=TALL) as d:
        net_on(d.app, net)
        await d.until(lambda: d.seen(InsightsScreen.CountsLoaded), "the counts")
        await d.until(lambda: len(d.app.screen.query("DataTable")) > 1, "the tables")
        assert_marked(await settle(d), "convert ⟨U+001B⟩")


TITLE_PART = "\x1b]0;half"  # a line still being written when the screen paints


async def test_dialogs_and_notifications_mark_what_they_quote(hostile: Services) -> None:
    async with drive(hostile, mode="patches", size=TALL) as d:
        net_on(d.app, False)
        d.app.notify(f"Search failed: {TITLE}", title=f"t{RLO}")
        await d.pilot.pause(0.3)
        assert_marked(await settle(d), "Search failed: ⟨U+001B⟩]0;pwned⟨U+0007⟩", "t⟨U+202E⟩")
        d.app.push_screen(ConfirmScreen(f"Merge patch {TITLE}?", f"detail {RLO}"))
        assert_marked(await settle(d), "Merge patch ⟨U+001B⟩]0;pwned⟨U+0007⟩?", "detail ⟨U+202E⟩")
        d.app.pop_screen()
        d.app.push_screen(ReasonScreen(f"Reject {TITLE}?", f"why {RLO}"))
        assert_marked(await settle(d), "Reject ⟨U+001B⟩]0;pwned⟨U+0007⟩?", "why ⟨U+202E⟩")


async def test_a_widget_that_forgets_to_mark_is_caught_by_the_net(hostile: Services) -> None:
    async with drive(hostile, mode="patches", size=TALL) as d:
        await d.app.screen.mount(Static(f"forgot {HOSTILE} here", markup=False, id="forgetful"))
        assert_marked(await settle(d), "forgot ⟨U+001B⟩]52;c;aGk=")
        # Without the net the same widget would send the escapes: the net is what stops them.
        net_on(d.app, False)
        d.app.screen.query_one("#forgetful", Static).update(f"forgot {HOSTILE} again")
        assert raw_in(await settle(d)) != []
