"""Small modal dialogs: confirm a destructive step, ask for a reason or a note.

Each returns its answer through ``dismiss`` so the caller uses ``push_screen(..., callback)``
or ``push_screen_wait``; escape always means "no".
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from memento_tui.domain.skills.hidden_text import terminal_safe


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no; the default button is "no" so a stray Enter changes nothing."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar = [
        Binding("escape,n", "answer(False)", "No", id="dialog-no", tooltip="Leave everything as it is"),
        Binding("y", "answer(True)", "Yes", id="dialog-yes", tooltip="Go ahead"),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = "Yes") -> None:
        super().__init__()
        # Questions name patches, skills and files: plain text, hidden characters marked.
        self.question = terminal_safe(question, single_line=True)
        self.detail = terminal_safe(detail)
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            if self.detail:
                yield Static(self.detail, classes="dialog-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ReasonScreen(ModalScreen[str | None]):
    """One line of text (a rejection reason, a note on a verdict); None when cancelled."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="dialog-cancel", tooltip="Change nothing"),
    ]

    def __init__(self, title: str, prompt: str, *, required: bool = True, ok: str = "OK") -> None:
        super().__init__()
        self.title_text = terminal_safe(title, single_line=True)
        self.prompt = terminal_safe(prompt)
        self.required = required
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.prompt, classes="dialog-detail", markup=False)
            yield Input(placeholder="type here, Enter to confirm", id="reason")
            yield Static("", id="reason-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.ok, id="ok", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        text = self.query_one("#reason", Input).value.strip()
        if self.required and not text:
            self.query_one("#reason-error", Static).update("A reason is needed: later reflections read it.")
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
