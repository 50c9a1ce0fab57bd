"""The one action registry: every key the app answers to, by screen.

Each action has a stable ``id`` (what ``[keys]`` in .memento/config.toml remaps), a default
key, a short description (the footer) and a tooltip (help and the command palette). The
same table builds each screen's ``BINDINGS``, feeds the command palette and the ``?`` help,
and is what docs/tui.md lists. Ids are ``<scope>-<verb>`` so they stay bare TOML keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    id: str
    key: str
    action: str  # the Textual action string on the screen (or app) that owns it
    description: str
    tooltip: str
    # Shown in the footer; every action is in help and the palette either way. The screen
    # keys 1-5 are shown by the nav bar at the top instead.
    show: bool = True
    priority: bool = False  # fires even while an input has focus
    # The key bar keeps it at every width (the keys that decide); the rest give way first.
    keep: bool = False


def _a(id: str, key: str, action: str, description: str, tooltip: str, **kw: bool) -> Action:
    return Action(id, key, action, description, tooltip, **kw)


REGISTRY: dict[str, tuple[Action, ...]] = {
    "app": (
        _a("app-run", "1,f1", "app.show('run')", "Run", "Run a task and watch the agent", show=False),
        _a("app-skills", "2,f2", "app.show('skills')", "Skills", "Browse and search the skill library", show=False),
        _a("app-patches", "3,f3", "app.show('patches')", "Patches", "Patches waiting for review", show=False),
        _a("app-runs", "4,f4", "app.show('runs')", "Runs", "Past runs, traces and verdicts", show=False),
        _a(
            "app-insights",
            "5,f5",
            "app.show('insights')",
            "Insights",
            "Failure analytics: categories, patterns, per-skill success",
            show=False,
        ),
        _a("app-help", "question_mark", "app.help", "Help", "The keys of this screen, with their ids", keep=True),
        _a(
            "app-leave-box",
            "escape",
            "app.leave_box",
            "Leave box",
            "Leave the text box: 1-5, ? and the screen's keys act again",
            keep=True,
        ),
        _a("app-palette", "ctrl+p", "app.command_palette", "Commands", "Every action, searchable", show=False),
        _a("app-quit", "ctrl+q", "app.quit", "Quit", "Leave Memento", priority=True),
    ),
    "run": (
        _a("run-start", "ctrl+r", "start", "Start", "Run the task in the box", priority=True),
        _a(
            "run-cancel",
            "ctrl+x",
            "cancel",
            "Cancel",
            "Stop the running task (the trace keeps what happened)",
            priority=True,
        ),
        _a("run-focus-task", "t", "focus_task", "Type a task", "Put the cursor in the task box", keep=True),
        _a("run-review", "r", "review", "Review patch", "Open the patch learning produced"),
        _a("run-learn", "l", "learn", "Learn", "Reflect on the failed run and propose a patch"),
        _a("run-clear", "ctrl+l", "clear", "Clear", "Clear the stream", show=False),
    ),
    "skills": (
        _a("skills-search", "slash", "focus_search", "Search", "Search as you type (the real retrieval)"),
        _a("skills-edit", "e", "edit", "Edit", "Open SKILL.md in $EDITOR"),
        _a("skills-refresh", "r", "refresh", "Reload", "Read skills/ again", show=False),
    ),
    "patches": (
        _a("patches-open", "enter", "open", "Review", "Open the side-by-side diff"),
        _a("patches-filter", "f", "cycle_filter", "Filter", "Pending, merged, rejected or all"),
        _a("patches-undo", "u", "undo", "Undo merge", "Undo the last merge (main goes back)"),
        _a("patches-refresh", "r", "refresh", "Reload", "Read the patch branches again", show=False),
        _a(
            "patches-sync",
            "S",
            "sync",
            "Sync",
            "Share with the team's remote: skills, what was learned, decisions, patches",
        ),
    ),
    "review": (
        _a("review-back", "escape", "back", "Back", "Back to where you came from"),
        _a(
            "review-next-hunk",
            "n",
            "next_hunk",
            "Next change",
            "Jump to the next hunk (in the next file after the last)",
            keep=True,
        ),
        _a("review-prev-hunk", "p", "prev_hunk", "Prev change", "Jump to the previous hunk"),
        _a("review-next-file", "right_square_bracket", "next_file", "Next file", "Jump to the next file", show=False),
        _a(
            "review-prev-file", "left_square_bracket", "prev_file", "Prev file", "Jump to the previous file", show=False
        ),
        _a("review-layout", "s", "toggle_layout", "Split/unified", "Switch between split and unified diff"),
        _a(
            "review-wrap",
            "w",
            "toggle_wrap",
            "Wrap/scroll",
            "Wrap long lines inside each side, or scroll sideways (←/→ move half a side)",
        ),
        _a(
            "review-context",
            "c",
            "toggle_context",
            "Side panel",
            "Show or hide the side panel: the runs behind the patch, the failing step, the evidence",
        ),
        _a(
            "review-trace",
            "t",
            "open_trace",
            "Trace",
            "Open the trace of the run under the cursor in the runs list",
            show=False,
        ),
        _a("review-evidence", "i", "show_evidence", "Evidence", "Show the side panel at the evidence", show=False),
        _a("review-merge", "m", "merge", "Merge", "Merge into main (asks first; undo with u)", keep=True),
        _a("review-reject", "x", "reject", "Reject", "Reject with a reason that later reflections see", keep=True),
        _a("review-edit", "e", "edit", "Edit", "Edit the patched file in $EDITOR; a saved change becomes a new patch"),
        _a("review-undo", "u", "undo", "Undo merge", "Undo the last merge (asks first)"),
    ),
    "runs": (
        _a("runs-open", "enter", "open", "Trace", "Read the trace of this run"),
        _a("runs-failures", "f", "toggle_failures", "Failures only", "Show only failed runs, or all"),
        _a("runs-pass", "P", "mark('pass')", "Mark pass", "Your verdict: passed (with a note)"),
        _a("runs-fail", "F", "mark('fail')", "Mark fail", "Your verdict: failed (with a note)"),
        _a("runs-learn", "l", "learn", "Reflect", "Reflect on this failed run and propose a patch"),
        _a("runs-refresh", "r", "refresh", "Reload", "Read the runs again", show=False),
    ),
    "trace": (_a("trace-back", "escape", "back", "Back", "Back to where you came from (the runs or the review)"),),
    "insights": (_a("insights-refresh", "r", "refresh", "Reload", "Count again"),),
}


def actions_for(scope: str) -> tuple[Action, ...]:
    return REGISTRY[scope]


def bindings_for(scope: str) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    return [
        Binding(
            a.key,
            a.action,
            a.description,
            show=a.show,
            tooltip=a.tooltip,
            id=a.id,
            priority=a.priority,
        )
        for a in REGISTRY[scope]
    ]


def all_ids() -> set[str]:
    return {a.id for actions in REGISTRY.values() for a in actions}


BY_ID: dict[str, Action] = {a.id: a for actions in REGISTRY.values() for a in actions}


def find(id: str) -> Action | None:
    return BY_ID.get(id)


def scope_of(id: str) -> str:
    """The registry scope an action id belongs to ("review-merge" -> "review")."""
    for scope, actions in REGISTRY.items():
        if any(a.id == id for a in actions):
            return scope
    return ""


def movement_ids() -> dict[str, str]:
    """The lists' and the diff's own movement keys (j/k, g/G, ←/→ …): id -> tooltip. They
    live on the widgets, not in the registry (they are not commands), and remap by id too."""
    from memento_tui.ui.widgets.diff_view import DiffView
    from memento_tui.ui.widgets.fit_table import FitTable
    from memento_tui.ui.widgets.skill_list import SkillList

    return {
        b.id: b.tooltip
        for widget in (DiffView, FitTable, SkillList)
        for b in widget.BINDINGS
        if isinstance(b, Binding) and b.id
    }


def check_keymap(keys: Mapping[str, str]) -> list[str]:
    """Problems with ``[keys]`` in the config: unknown ids (with the closest known one)."""
    import difflib

    known = sorted(all_ids() | set(movement_ids()))
    problems = []
    for action_id, key in keys.items():
        if action_id not in known:
            close = difflib.get_close_matches(action_id, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "see docs/tui.md for the ids"
            problems.append(f"[keys] {action_id} = {key!r}: no such action; {hint}")
        elif not key.strip():
            problems.append(f"[keys] {action_id}: the key is empty; give a key such as 'ctrl+m'")
    return problems


def action_name(action: str) -> str:
    """The method part of an action string: "mark('pass')" -> "mark", "app.show('x')" -> "show"."""
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


def scope_actions(scopes: Iterable[str]) -> list[Action]:
    return [a for scope in scopes for a in REGISTRY[scope]]
