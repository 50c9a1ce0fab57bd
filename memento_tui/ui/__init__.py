"""The Textual app. Everything here receives Services; nothing constructs clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memento_tui.ui.app import MementoApp


def make_app(services: Any, **kw: Any) -> MementoApp:
    from memento_tui.ui.app import make_app as _make_app

    return _make_app(services, **kw)


__all__ = ["make_app"]
