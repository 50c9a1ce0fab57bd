"""The command palette: every action of every screen, from the same registry as the keys.

The current screen's actions come first under their own names, then the app's, then the
other screens' as "Patches: Filter" or "Review: Merge". Choosing one of those goes there
first: a screen of its own (1-5) is switched to; the review opens on the patch under the
Patches cursor. An action that cannot run says why instead, wherever it was chosen from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from memento_tui.ui.actions import REGISTRY, Action, action_name
from memento_tui.ui.widgets.nav_bar import SCREENS

TITLES = {mode: label for mode, _key, label in SCREENS} | {"review": "Review", "trace": "Trace"}
KEYS = {mode: key for mode, key, _label in SCREENS}
# Screens pushed over a mode, and that mode: where to go to reach them.
PARENT = {"review": "patches"}
OPEN_WAIT = 5.0  # seconds to wait for a screen reached from the palette to have its data


class ActionsProvider(Provider):
    def _entries(self) -> list[tuple[str, str, Callable[[], Any]]]:
        here = getattr(self.screen, "SCOPE", "")
        keymap = getattr(self.app, "_keymap", {})
        scopes = [here, "app"] if here else ["app"]
        scopes += [s for s in REGISTRY if s not in scopes and s != "trace"]  # a trace needs its run
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for scope in scopes:
            local = scope in (here, "app")
            target = self.screen if scope == here else self.app
            for action in REGISTRY[scope]:
                if not local and action_name(action.action) == "back":
                    continue  # "back" means nothing from another screen
                key = keymap.get(action.id, action.key).split(",")[0]
                if local:
                    why = getattr(target, "why_not", lambda _a: None)(action_name(action.action))
                    help_text = f"unavailable: {why}" if why else f"{action.tooltip} · key {key}"
                    out.append((action.description, help_text, partial(self._run, target, action)))
                else:
                    where = TITLES[scope] + (f" ({KEYS[scope]})" if scope in KEYS else "")
                    help_text = f"{action.tooltip} · key {key} on {where}"
                    out.append((f"{TITLES[scope]}: {action.description}", help_text, partial(self._go, scope, action)))
        return out

    async def _run(self, target: Any, action: Action) -> None:
        why = getattr(target, "why_not", lambda _a: None)(action_name(action.action))
        if why:
            self.app.notify(why, title=action.description, severity="warning")
            return
        if action.action.startswith("app."):
            await self.app.run_action(action.action)
        else:
            await self.app.run_action(action.action, target)

    def _go(self, scope: str, action: Action) -> None:
        # A worker, not this handler: getting there waits on the app's own messages.
        self.app.run_worker(self._elsewhere(scope, action), group="palette", exclusive=True)

    async def _elsewhere(self, scope: str, action: Action) -> None:
        """Go to the screen the action belongs to, then run it there."""
        app: Any = self.app
        mode = PARENT.get(scope, scope)
        if app.current_mode != mode:
            await app.switch_mode(mode)
        screen = app.screen
        if scope in PARENT:
            screen = await self._open_review(screen)
            if screen is None:
                return
        await self._run(screen, action)

    async def _open_review(self, queue: Any) -> Any:
        """The review of the patch under the queue's cursor, once its diff is there."""
        from memento_tui.ui.screens.review import ReviewScreen

        if not await _until(lambda: queue.loaded):
            return None
        if queue.current_id is None:
            self.app.notify(f"No {queue.filter} patch to review.", title="Review", severity="warning")
            return None
        queue.action_open()
        app: Any = self.app
        if not await _until(lambda: isinstance(app.screen, ReviewScreen) and app.screen.patch is not None):
            return None
        return app.screen

    async def discover(self) -> Hits:
        for label, help_text, callback in self._entries():
            yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        wanted = query.strip().lower()
        for label, help_text, callback in self._entries():
            score = matcher.match(label)
            if score > 0:
                # "merge" puts Merge before Undo merge: the action's own name first.
                if wanted and label.rsplit(": ", 1)[-1].lower().startswith(wanted):
                    score *= 2
                yield Hit(score, matcher.highlight(label), callback, help=help_text)


async def _until(check: Callable[[], object]) -> bool:
    """Let the app work until ``check()`` holds (a worker reading git, a screen mounting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + OPEN_WAIT
    while not check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True
