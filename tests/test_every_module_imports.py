"""Every module of the package imports. A name imported only for type checking but used at
run time (a type alias, a default value) passes mypy and fails here."""

from __future__ import annotations

import importlib
import pkgutil

import memento_tui


def test_every_module_imports() -> None:
    names = [m.name for m in pkgutil.walk_packages(memento_tui.__path__, "memento_tui.")]
    names = [n for n in names if not n.endswith("__main__")]  # runs the app
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as err:
            failed[name] = repr(err)
    assert len(names) > 150 and failed == {}
