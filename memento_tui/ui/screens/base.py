"""What every Memento screen shares: its scope in the action registry, the services, and
``why_not`` — the one place a screen says an action cannot run now, and why.

``check_action`` dims an action whose ``why_not`` gives a reason (the footer shows it
dim, the palette lists it as unavailable) and the app tells the person that reason when
they press its key anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.screen import ModalScreen, Screen

from memento_tui.ui.actions import action_name, bindings_for

if TYPE_CHECKING:
    from memento_tui.services.factory import Services
    from memento_tui.ui.host import MementoHost


class ActionsMixin:
    SCOPE: ClassVar[str] = ""
    app: Any  # given by the Screen this is mixed into

    def __init_subclass__(cls, **kwargs: object) -> None:
        # Before Textual's own __init_subclass__, which merges BINDINGS.
        if cls.__dict__.get("SCOPE") and "BINDINGS" not in cls.__dict__:
            cls.BINDINGS = bindings_for(cls.SCOPE)  # type: ignore[attr-defined]
        super().__init_subclass__(**kwargs)

    @property
    def memento(self) -> MementoHost:
        return cast("MementoHost", self.app)

    @property
    def services(self) -> Services:
        return self.memento.services

    def why_not(self, action: str) -> str | None:
        """Why ``action`` cannot run now, or None when it can."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.why_not(action_name(action)):
            return None  # shown dim, not run
        return True


class MementoScreen(ActionsMixin, Screen[None]):
    """A top-level screen (one per mode). esc in a text box is the app's ``leave_box``."""


class MementoModal(ActionsMixin, ModalScreen[object]):
    """A pushed screen over another (review, trace, help, dialogs)."""
