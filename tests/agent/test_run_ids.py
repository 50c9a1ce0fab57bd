"""A run is found by its id, the start of it, or its random last part (what people copy)."""

from __future__ import annotations

import pytest

from memento_tui.domain.agent.runs import RunRecord, RunStore
from memento_tui.domain.errors import MementoError
from memento_tui.domain.workspace import Workspace


def _store(workspace: Workspace, *ids: str) -> RunStore:
    store = RunStore(workspace.paths)
    for run_id in ids:
        store.dir(run_id).mkdir(parents=True)
        store.save(RunRecord(id=run_id, task="t"))
    return store


def test_a_run_is_found_by_its_start_or_its_last_part(workspace: Workspace) -> None:
    store = _store(workspace, "20261123-184512-9f3a", "20261124-090000-3e2f")
    assert store.resolve("20261123-184512-9f3a") == "20261123-184512-9f3a"
    assert store.resolve("20261124") == "20261124-090000-3e2f"
    assert store.resolve("3e2f") == "20261124-090000-3e2f"
    with pytest.raises(MementoError, match="matches 2 runs: 20261123-184512-9f3a, 2026112"):
        store.resolve("2026112")
    with pytest.raises(MementoError, match="no run 'zzzz'") as caught:
        store.resolve("zzzz")
    assert "last part" in (caught.value.fix or "")
    with pytest.raises(MementoError):
        store.resolve("")
