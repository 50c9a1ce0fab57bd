"""Textual's Footer, recomposed at most once per frame.

The stock Footer rebuilds all its key widgets on every ``refresh_bindings`` call; a screen
that changes a few states at once (a diff arriving: focus, hunk, bindings) paid for that
several times over before its first frame.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class MementoFooter(Footer):
    _recompose_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_once)

    async def _recompose_once(self) -> None:
        self._recompose_pending = False
        await self.recompose()
