"""Skill retrieval: BM25 over SKILL.md folders, learning from outcomes, kept live.

tokenize   compound-aware tokens (csv-to-json, snake_case, camelCase)
engine     the tantivy indexes and queries (tantivy is imported on first use only)
learned    ``.memento/learned/outcomes.jsonl``: successes and failures, append-only
ranking    how outcomes move a ranking: nearest-neighbour votes and failure penalties
classifier a softmax regression over outcomes (one SGD pass; its weights a cache in the index)
index      SkillIndex: open / rebuild / refresh / search / record_success / record_failure,
           made of index_state (the fields and their lock), index_write (queues changes),
           index_commit (the background commit) and index_read (searches)
semantic   static word vectors that rerank the first stage's best by meaning
agent_rank the agent's second stage: all-MiniLM-L6-v2 (sentence_encoder, in numpy) reranks
           the first stage's best once per task (SkillIndex.agent_search)
watcher    a watchdog watcher that keeps a SkillIndex current as files change
"""

from __future__ import annotations

from memento_tui.domain.retrieval.index import SearchHit, SkillIndex
from memento_tui.domain.retrieval.learned import LearnedRow, LearnedStore

__all__ = ["LearnedRow", "LearnedStore", "SearchHit", "SkillIndex"]
