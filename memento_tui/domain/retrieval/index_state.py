"""What one SkillIndex knows, shared by its parts: the engines and their searchers, the
manifest and its lookup tables, the changes not yet committed, the learned models.

index.py opens and closes it, index_write.py queues changes into it, index_commit.py makes
them durable, index_read.py searches it. Every field after ``lock`` is guarded by that lock.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.paths import WorkspacePaths
from memento_tui.domain.retrieval.classifier import LearnedClassifier
from memento_tui.domain.retrieval.engine import Engine, skill_id
from memento_tui.domain.retrieval.learned import LearnedRow, LearnedStore
from memento_tui.domain.retrieval.manifest import SENTENCE_CACHE, Manifest
from memento_tui.domain.retrieval.overlay import Change
from memento_tui.domain.retrieval.semantic_upkeep import SemanticUpkeep

if TYPE_CHECKING:  # numpy comes with it: imported on the first search that uses it
    from memento_tui.domain.retrieval.agent_rank import AgentRanker

Row = tuple[LearnedRow, int]  # a row and the byte offset just past it in outcomes.jsonl


class IndexState:
    """The fields of one SkillIndex; its writer, committer and reader each hold this."""

    def __init__(self, paths: WorkspacePaths, config: RetrievalConfig) -> None:
        self.paths = paths
        self.config = config
        self.folder = paths.index
        # Worth telling a person, never fatal: a rebuild and why, broken skills, unreadable
        # outcome rows, a writer lock held by another process.
        self.notes: list[str] = []
        self.lock = threading.RLock()  # guards every field below
        self.commit_lock = threading.Lock()  # one commit at a time
        self.skills: Engine | None = None
        self.learned: Engine | None = None
        self.searcher: Any = None
        self.lsearcher: Any = None
        self.profiles: Engine | None = None
        self.psearcher: Any = None
        self.manifest = Manifest()
        self.names_by_id: dict[int, str] = {}
        # Mutated in place under the lock (a search only looks names up in them): rebuilding
        # them, or deep-copying the manifest, per commit cost 200 ms at 100k skills.
        self.live: set[str] = set()
        self.pending: dict[str, Change] = {}
        self.learned_pending: list[Row] = []
        self.version = 0
        self._store: LearnedStore | None = None
        # The supervised model over outcomes (classifier.py): loaded or trained on the first
        # search that needs it, then fed the rows queued here as they arrive.
        self.classifier = LearnedClassifier(self.folder, paths.learned, self.notes)
        # Word vectors of the skills and past successes (semantic.py): loaded on the first
        # search, kept current like the classifier, cached in semantic.npz on close.
        self.semantic = SemanticUpkeep(self.folder, paths.learned, self.notes)
        # The agent's second stage (agent_rank.py): made on the first agent search.
        self.agent: AgentRanker | None = None

    def set_manifest(self, manifest: Manifest) -> None:
        self.manifest = manifest
        live = set(manifest.skills).difference(manifest.broken)
        for name in live.difference(manifest.ids):
            manifest.ids[name] = skill_id(name)
        for name in set(manifest.ids).difference(live):
            del manifest.ids[name]
        self.live = live
        self.names_by_id = {sid: name for name, sid in manifest.ids.items()}

    @property
    def store(self) -> LearnedStore:
        # Loaded on first use: opening an up-to-date index never parses the outcomes file.
        if self._store is None:
            self._store = LearnedStore(self.paths.learned)
        return self._store

    @property
    def store_loaded(self) -> bool:
        return self._store is not None

    def forget_agent(self) -> None:
        """The outcomes or skills were replaced: the second stage's vectors start again."""
        with self.lock:
            self.agent = None
        (self.folder / SENTENCE_CACHE).unlink(missing_ok=True)


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
