"""The command palette lists every action of the current screen and the app-wide ones,
from the same registry as the keys; an action that cannot run now says why instead."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from memento_tui.ui.actions import Action, action_name, actions_for


class ActionsProvider(Provider):
    def _entries(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        scopes: list[tuple[str, Any]] = []
        scope = getattr(screen, "SCOPE", "")
        if scope:
            scopes.append((scope, screen))
        scopes.append(("app", self.app))
        keymap = getattr(self.app, "_keymap", {})
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for name, target in scopes:
            for action in actions_for(name):
                key = keymap.get(action.id, action.key)
                label = f"{action.description}"
                why = getattr(target, "why_not", lambda _a: None)(action_name(action.action))
                help_text = f"{action.tooltip}  [{key}]" if not why else f"unavailable: {why}"
                out.append((label, help_text, partial(self._run, target, action)))
        return out

    async def _run(self, target: Any, action: Action) -> None:
        why = getattr(target, "why_not", lambda _a: None)(action_name(action.action))
        if why:
            self.app.notify(why, title=action.description, severity="warning")
            return
        namespace = action.action.split(".", 1)[0] if action.action.startswith("app.") else None
        if namespace == "app":
            await self.app.run_action(action.action)
        else:
            await self.app.run_action(action.action, target)

    async def discover(self) -> Hits:
        for label, help_text, callback in self._entries():
            yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, callback in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)
