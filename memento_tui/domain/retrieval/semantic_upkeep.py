"""The word vectors beside a SkillIndex: loaded with the first search that needs them, kept
current with new outcomes and changed skills, cached in ``.memento/index/semantic.npz``.

The index tells it what changed (``queue_rows``, ``skill_changed``) and lends it two readers
for the skills: their stamps and their descriptions. numpy comes in with semantic.py, so
nothing here imports it before the first search.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain.retrieval.learned_model import LearnedModel, Rows
from memento_tui.domain.retrieval.manifest import SEMANTIC_CACHE

if TYPE_CHECKING:
    from memento_tui.domain.retrieval.semantic import SemanticMemory

Stamps = Callable[[set[str] | None], dict[str, str]]  # skill -> stamp, of these names or all
Describe = Callable[[list[str]], dict[str, str]]  # skill -> description


class SemanticUpkeep(LearnedModel["SemanticMemory"]):
    NAME = "the word-vector cache"

    def __init__(self, folder: Path, learned: Path, notes: list[str]) -> None:
        super().__init__(folder, learned, notes)
        self._changed: set[str] = set()  # skills queued since the last search
        self._changed_lock = threading.Lock()  # taken under the index's lock: never waits long
        self._synced = False  # the skill vectors match every skill (after that, only changes)
        self._broken = False  # the vectors could not be read: words alone

    def load(self, outcomes_size: int) -> SemanticMemory:
        from memento_tui.domain.retrieval.semantic import SemanticMemory, word_vectors

        return SemanticMemory.load(self.folder, word_vectors(), outcomes_size)

    def learned_size(self, model: SemanticMemory) -> int:
        return model.learned_size

    def learn(self, model: SemanticMemory, rows: Rows) -> None:
        model.learn(rows)

    def write(self, model: SemanticMemory) -> None:
        model.save(self.folder)

    def skill_changed(self, name: str) -> None:
        with self._changed_lock:
            self._changed.add(name)

    def forget(self) -> None:
        """The skills or the outcomes file were replaced: start the vectors again."""
        super().forget()
        with self.lock:
            self._synced = False
            (self.folder / SEMANTIC_CACHE).unlink(missing_ok=True)

    def memory(self, stamps: Stamps, describe: Describe) -> SemanticMemory | None:
        """The vectors, current with the skills and outcomes the index has seen; None when
        they cannot be read (a broken install: the index searches by words alone)."""
        from memento_tui.domain.retrieval.semantic import word_vectors

        with self.lock:
            if self.model is None:
                if self._broken:
                    return None
                try:
                    word_vectors()
                except Exception as err:  # numpy, tokenizers and the OS each raise their own
                    self._broken = True
                    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
                    self.notes.append(
                        f"the word vectors cannot be read ({first}): searching by words alone; "
                        "'memento doctor' says how to fix it"
                    )
                    return None
            memory = self.current()
            with self._changed_lock:
                changed, self._changed = self._changed, set()
            if not self._synced:
                memory.sync_skills(stamps(None), describe)
                self._synced = True
            elif changed:
                # Only what changed: a pass over every stamp cost 150 ms per edit at 100k skills.
                now = stamps(changed)
                memory.update_skills({name: now.get(name) for name in changed}, describe)
            return memory
