"""What a screen or widget may ask of the app that hosts it.

Screens are made by the app (ui/app.py imports every screen), so a screen naming the app's
class would tie the two into a loop; they name this instead, and MementoApp meets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.signal import Signal

    from memento_tui.services.factory import Services
    from memento_tui.ui.widgets.diff_rows import Layout


class MementoHost(Protocol):
    services: Services
    skills_changed: Signal[set[str]]  # names of skills whose files changed on disk
    patches_changed: Signal[None]  # the review queue changed (here or in another process)
    config_changed: Signal[None]  # .memento/config.toml was saved
    review_view: tuple[Layout, bool]  # split or unified, wrapped or not: kept across patches

    def model_ready(self) -> str | None:
        """Why a run cannot start yet (no model configured, ...), or None when it can."""
        ...
