"""A model over ``outcomes.jsonl`` kept beside the index: the classifier and the word vectors.

Each is made on the first search that needs it (from its cache in ``.memento/index/``, then
the outcome rows the cache had not seen), fed the rows recorded since, dropped when the
outcomes file is replaced, and written back on close. The outcomes file is the truth; the
caches only save the work.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Generic, TypeVar

from memento_tui.domain.retrieval.learned import LearnedStore

M = TypeVar("M")
Rows = list[tuple[Any, int]]  # (row, byte offset just past it in outcomes.jsonl)


class LearnedModel(Generic[M]):
    NAME = "a cache"  # for the note when it cannot be saved

    def __init__(self, folder: Path, learned: Path, notes: list[str]) -> None:
        self.folder = folder
        self.learned = learned
        self.notes = notes
        self.lock = threading.Lock()
        self.model: M | None = None
        self._rows: Rows = []

    # What each model does -------------------------------------------------------------------
    def load(self, outcomes_size: int) -> M:
        """The model from its cache (or a new one) for an outcomes file of this size."""
        raise NotImplementedError

    def learned_size(self, model: M) -> int:
        """Bytes of the outcomes file the model has taken in."""
        raise NotImplementedError

    def learn(self, model: M, rows: Rows) -> None:
        raise NotImplementedError

    def write(self, model: M) -> None:
        """Save the cache (raises OSError)."""
        raise NotImplementedError

    # The upkeep -------------------------------------------------------------------------------
    def queue_rows(self, rows: Rows) -> None:
        with self.lock:
            if self.model is not None:
                self._rows.extend(rows)

    def forget(self) -> None:
        """The outcomes file was replaced or the index rebuilt: make it again on next use."""
        with self.lock:
            self.model = None
            self._rows = []

    def current(self) -> M:
        """The model with every outcome taken in. The caller holds ``lock``."""
        model = self.model
        if model is None:
            size = LearnedStore.file_size(self.learned)
            model = self.load(size)
            if self.learned_size(model) < size:
                # A private read: the index's own store must not skip rows it has not indexed
                # yet (sync_learned tells new rows by what its store has read).
                fresh = LearnedStore(self.learned)
                self.learn(model, list(zip(fresh.rows, fresh.ends, strict=True)))
            self.model = model
        rows, self._rows = self._rows, []
        if rows:
            self.learn(model, rows)
        return model

    def save(self) -> None:
        """Write the cache, with the rows recorded since the last search taken in."""
        with self.lock:
            if self.model is None:
                return
            try:
                self.write(self.current())
            except OSError as err:  # a cache: the next search makes the model again
                self.notes.append(f"could not save {self.NAME} in {self.folder}: {err}")
