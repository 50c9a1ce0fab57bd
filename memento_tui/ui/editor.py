"""Open a file in the person's own editor, with the app suspended while they work."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from textual.app import App, SuspendNotSupported


def editor_command() -> list[str] | None:
    """$VISUAL, then $EDITOR, then whichever of vi or nano exists."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    for fallback in ("vi", "nano"):
        if shutil.which(fallback):
            return [fallback]
    return None


def open_in_editor(app: App[object], path: Path) -> str | None:
    """Edit ``path``; returns what went wrong, or None. Blocks until the editor exits."""
    command = editor_command()
    if command is None:
        return "no editor found: set $EDITOR (e.g. export EDITOR=nano)"
    try:
        with app.suspend():
            result = subprocess.run([*command, str(path)], check=False)
    except SuspendNotSupported:
        if not app.is_headless:
            return f"this terminal cannot hand over to an editor; edit {path} in another window (changes show up live)"
        # Headless (tests): no terminal to share, so the editor runs as it is.
        result = subprocess.run([*command, str(path)], check=False, capture_output=True)
    except OSError as err:
        return f"could not start {command[0]}: {err.strerror}; set $EDITOR"
    if result.returncode != 0:
        return f"{command[0]} exited with {result.returncode}"
    return None
