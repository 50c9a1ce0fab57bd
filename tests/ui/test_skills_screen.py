"""Skills: the list, search through the real retrieval, broken skills with their error,
edits made anywhere showing up live, and `e` opening $EDITOR."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.widgets import Input, Markdown, Static

from memento_tui.services.factory import Services
from memento_tui.ui.app import MementoApp
from memento_tui.ui.screens.skills import SkillsScreen
from memento_tui.ui.widgets.skill_list import SkillList
from tests.conftest import write_skill
from tests.ui.conftest import drive

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'


def _names(screen: SkillsScreen) -> list[str]:
    return screen.query_one(SkillList).names()


async def test_lists_every_skill_and_shows_the_highlighted_one(services: Services) -> None:
    write_skill(services.paths.skills, "zz-broken", frontmatter="name: other-name\ndescription: x\n")
    async with drive(services, mode="skills") as d:
        screen = d.app.screen
        await d.until(lambda: screen.loaded, "the library to load")
        assert d.seen(SkillsScreen.SkillsListed) and d.seen(SkillsScreen.LibraryLoaded)
        names = _names(screen)
        assert names[0] == "csv-json" and "zz-broken" in names and len(names) == 9
        await d.until(lambda: screen.shown == "csv-json")
        head = str(screen.query_one("#skill-head", Static).render())
        assert str(screen.query_one("#skill-name", Static).render()) == "csv-json" and "Convert CSV" in head
        assert "csv2json" in screen.query_one("#skill-body", Markdown).source
        assert "scripts/csv2json.py" in str(screen.query_one("#skill-meta", Static).render())
        count = str(screen.query_one("#skill-count", Static).render())
        assert "8 skills · 1 broken" in count
        # The broken one is listed with the error that names the file and the fix.
        screen.query_one(SkillList).move_to("zz-broken")
        await d.until(lambda: screen.shown == "zz-broken")
        head = str(screen.query_one("#skill-head", Static).render())
        assert "BROKEN" in head and "does not match the folder name" in head and "fix:" in head


async def test_search_as_you_type_goes_through_the_real_retrieval(services: Services) -> None:
    async with drive(services, mode="skills") as d:
        screen = d.app.screen
        await d.press("slash")
        assert isinstance(screen.focused, Input)
        await d.pilot.press(*"semicolon csv to json")
        await d.until(lambda: d.seen(SkillsScreen.SearchFinished), "a search to finish")
        await d.until(lambda: screen.hits is not None and screen.search_text == "semicolon csv to json")
        finished = d.seen(SkillsScreen.SearchFinished)[-1]
        assert finished.hits[0].name == "csv-json"
        assert _names(screen)[0] == "csv-json"
        assert "matches for" in str(screen.query_one("#skill-count", Static).render())
        skills = screen.query_one(SkillList)
        hits = list(finished.hits)
        assert len(hits) >= 2
        skills.move_to(hits[1].name)
        # The same query's hits again (a skill edited elsewhere) keep the cursor where it is...
        screen.post_message(SkillsScreen.SearchFinished(screen.search_text, hits))
        await d.pilot.pause()
        assert skills.current == hits[1].name
        # ...and a new query's hits put it on their best match.
        screen.search_text = "another query"
        screen.post_message(SkillsScreen.SearchFinished("another query", hits[::-1]))
        await d.pilot.pause()
        assert skills.current == hits[-1].name
        # A search nothing matches says so, not that the library is empty.
        screen.search_text = "qqqq zzzz"
        screen.post_message(SkillsScreen.SearchFinished("qqqq zzzz", []))
        await d.pilot.pause()
        assert "No skill matches this search" in str(screen.query_one("#skill-head", Static).render())
        screen.search_text = "semicolon csv to json"
        # Clearing the box brings the whole list back.
        screen.query_one("#skill-search", Input).value = ""
        await d.until(lambda: screen.hits is None)
        assert len(_names(screen)) == 8


async def test_edits_made_anywhere_show_up_live(services: Services) -> None:
    async with drive(services, mode="skills", live=True) as d:
        screen = d.app.screen
        await d.until(lambda: screen.loaded)
        write_skill(services.paths.skills, "fresh-skill", frontmatter="name: fresh-skill\ndescription: Brand new.\n")
        await d.until(lambda: "fresh-skill" in _names(screen), "the new skill to appear")
        assert any("fresh-skill" in m.names for m in d.seen(MementoApp.SkillsChanged))
        # Breaking it in place lists it as broken, with its error.
        (services.paths.skills / "fresh-skill" / "SKILL.md").write_text("no frontmatter here\n")
        await d.until(lambda: screen.entries["fresh-skill"].error is not None, "the skill to show as broken")
        assert "frontmatter" in screen.entries["fresh-skill"].error.lower()


@pytest.fixture
def fake_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nprintf "\\n## Edited by hand\\n" >> "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    return script


async def test_e_opens_the_skill_in_the_editor_and_shows_the_change(services: Services, fake_editor: Path) -> None:
    async with drive(services, mode="skills") as d:
        screen = d.app.screen
        await d.until(lambda: screen.loaded)
        await d.until(lambda: screen.shown == "csv-json")
        await d.press("e")
        skill_md = services.paths.skill_dir("csv-json") / "SKILL.md"
        assert "## Edited by hand" in skill_md.read_text()
        await d.until(lambda: "Edited by hand" in screen.query_one("#skill-body", Markdown).source)
        assert os.environ["EDITOR"] == str(fake_editor)


async def test_a_broken_skill_fixed_from_outside_gets_its_success_figures_back(services: Services) -> None:
    from tests.ui.run_files import patch_with_runs

    patch_with_runs(services)  # three runs that used csv-json: one passed
    skill_md = services.paths.skill_dir("csv-json") / "SKILL.md"
    good = skill_md.read_text(encoding="utf-8")
    skill_md.write_text("---\nname: csv-json\n---\nno description\n", encoding="utf-8")
    async with drive(services, mode="skills") as d:
        screen = d.app.screen
        assert isinstance(screen, SkillsScreen)
        await d.until(lambda: screen.loaded, "the library to load")
        assert screen.entries["csv-json"].error
        skill_md.write_text(good, encoding="utf-8")  # fixed in the person's editor
        d.app.post_message(MementoApp.SkillsChanged({"csv-json"}))
        await d.until(lambda: screen.entries["csv-json"].skill is not None, "the fix to be read")
        assert screen.entries["csv-json"].success == "1/3 33%"
        screen.query_one(SkillList).move_to("csv-json")
        await d.until(lambda: screen.shown == "csv-json")
        assert "success: 1/3 33% over 3 runs" in str(screen.query_one("#skill-head", Static).render())
