"""One registry drives the keys: every action has a stable id, a tooltip and a handler."""

from __future__ import annotations

import pytest

from memento_tui.ui.actions import REGISTRY, action_name, check_keymap, movement_ids
from memento_tui.ui.app import MementoApp
from memento_tui.ui.screens.insights import InsightsScreen
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.screens.run import RunScreen
from memento_tui.ui.screens.runs import RunsScreen
from memento_tui.ui.screens.skills import SkillsScreen
from memento_tui.ui.screens.trace import TraceScreen

OWNERS = {
    "app": MementoApp,
    "run": RunScreen,
    "skills": SkillsScreen,
    "patches": PatchesScreen,
    "review": ReviewScreen,
    "runs": RunsScreen,
    "trace": TraceScreen,
    "insights": InsightsScreen,
}


def test_ids_are_unique_and_every_action_is_described() -> None:
    ids = [a.id for actions in REGISTRY.values() for a in actions]
    assert len(ids) == len(set(ids))
    for scope, actions in REGISTRY.items():
        for action in actions:
            assert action.id.startswith(f"{scope}-"), action.id
            assert action.description and action.tooltip, action.id
            assert "." not in action.id  # a bare TOML key under [keys]


@pytest.mark.parametrize("scope", sorted(REGISTRY))
def test_every_action_has_a_method_on_the_screen_that_owns_it(scope: str) -> None:
    owner = OWNERS[scope]
    for action in REGISTRY[scope]:
        name = action_name(action.action)
        if name in ("quit", "command_palette"):
            continue  # Textual's own
        assert hasattr(owner, f"action_{name}"), f"{owner.__name__} lacks action_{name}"
    if scope != "app":
        assert {b.id for b in owner.BINDINGS} == {a.id for a in REGISTRY[scope]}


def test_keymap_problems_name_the_unknown_id_and_the_closest_known_one() -> None:
    problems = check_keymap({"review-merj": "M", "review-merge": "M", "runs-open": " "})
    assert len(problems) == 2
    assert "review-merj" in problems[0] and "did you mean 'review-merge'" in problems[0]
    assert "runs-open" in problems[1] and "empty" in problems[1]


def test_docs_list_every_action_id() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "tui.md").read_text(encoding="utf-8")
    missing = [a.id for actions in REGISTRY.values() for a in actions if f"`{a.id}`" not in doc]
    assert missing == [], f"docs/tui.md does not list {missing}"
    moves = [id for id in movement_ids() if f"`{id}`" not in doc]
    assert moves == [], f"docs/tui.md does not list the movement keys {moves}"


def test_every_movement_key_has_an_id_and_a_tooltip_and_remaps() -> None:
    moves = movement_ids()
    assert {"list-down", "list-up", "diff-left", "diff-right"} <= set(moves)
    assert all(moves.values())
    assert check_keymap({"list-down": "n", "diff-left": "H"}) == []
