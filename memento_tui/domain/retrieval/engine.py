"""The tantivy side: two small on-disk indexes and the queries run against them.

``skills/``   one document per skill: name, description, body (BM25 per field, weighted)
``learned/``  one document per outcome row: the task text, its skill, success or failure

They are kept apart because tantivy's BM25 takes the average field length over *every*
document in an index: thousands of short outcome rows in the skills index would shrink the
average body length and crush every body score.

tantivy is imported here only, and only when an index is opened, so ``memento --help``
and the commands that never search do not pay for it.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memento_tui.domain.retrieval.tokenize import (
    ANALYZER_NAME,
    analyzer,
    compound_extras,
    expand_compounds,
)

if TYPE_CHECKING:
    import tantivy

SKILL_FIELDS = ("name", "description", "body")
KIND_SKILL, KIND_SUCCESS, KIND_FAILURE = 0, 1, 2
# tantivy's BM25 constants, so the Python scorer for not-yet-committed documents agrees.
K1, B = 1.2, 0.75
WRITER_HEAP = 20_000_000  # bytes; the smallest tantivy accepts is 15 MB per thread


class IndexBusy(Exception):
    """Another process holds the index writer lock."""


def skill_id(name: str) -> int:
    """A skill's number in the ``sid`` fast field (read far faster than a stored document).

    A hash, not a counter, so every process sharing the index gives a name the same number.
    """
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")


def skills_schema() -> tantivy.Schema:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("sid", fast=True)
    # Positions are never used (no phrase queries), so "freq" saves a file and a fsync.
    sb.add_text_field("name", tokenizer_name=ANALYZER_NAME, index_option="freq")
    sb.add_text_field("description", stored=True, tokenizer_name=ANALYZER_NAME, index_option="freq")
    sb.add_text_field("body", tokenizer_name=ANALYZER_NAME, index_option="freq")
    return sb.build()


def learned_schema() -> tantivy.Schema:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("skill", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("sid", fast=True)
    sb.add_unsigned_field("kind", stored=True, fast=True)
    sb.add_text_field("trigger", stored=True, tokenizer_name=ANALYZER_NAME, index_option="freq")
    return sb.build()


def profiles_schema() -> tantivy.Schema:
    """One document per skill: every task text that succeeded with it, run together."""
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("skill", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("sid", fast=True)
    sb.add_text_field("trigger", tokenizer_name=ANALYZER_NAME, index_option="freq")
    return sb.build()


def profile_document(skill: str, triggers: list[str]) -> Any:
    import tantivy

    doc = tantivy.Document()
    doc.add_text("skill", skill)
    doc.add_unsigned("sid", skill_id(skill))
    _add(doc, "trigger", "\n".join(triggers))
    return doc


@dataclass
class Engine:
    """One tantivy index in one folder, with its analyzer registered."""

    path: Path
    index: Any  # tantivy.Index
    schema: Any  # tantivy.Schema

    @classmethod
    def open(cls, path: Path, schema: tantivy.Schema) -> Engine:
        """Open the index at ``path``; raises on a missing or unreadable one."""
        import tantivy

        index = tantivy.Index.open(str(path))
        index.register_tokenizer(ANALYZER_NAME, analyzer())
        return cls(path, index, schema)

    @classmethod
    def create(cls, path: Path | None, schema: tantivy.Schema) -> Engine:
        """A new empty index at ``path`` (replacing whatever was there), or in memory."""
        import tantivy

        if path is not None:
            if path.exists():
                shutil.rmtree(path)
            path.mkdir(parents=True)
        index = tantivy.Index(schema, path=str(path) if path is not None else None, reuse=False)
        index.register_tokenizer(ANALYZER_NAME, analyzer())
        return cls(path or Path(), index, schema)

    def writer(self, threads: int = 1) -> Any:
        try:
            return self.index.writer(heap_size=WRITER_HEAP * threads, num_threads=threads)
        except ValueError as err:
            if "lock" in str(err).lower():
                raise IndexBusy(str(err)) from None
            raise

    def searcher(self) -> Any:
        return self.index.searcher()

    def reload(self) -> Any:
        self.index.reload()
        return self.index.searcher()


def query_terms(text: str) -> list[str]:
    """Unique analyzed terms of a query, in order."""
    return list(dict.fromkeys(analyzer().analyze(expand_compounds(text))))


def fields_query(schema: Any, terms: list[str], weights: dict[str, float]) -> Any:
    """OR of every term in every weighted field: the sum of per-field BM25 times weight."""
    import tantivy

    clauses = []
    for field, weight in weights.items():
        if weight <= 0:
            continue
        for term in terms:
            q = tantivy.Query.term_query(schema, field, term, index_option="freq")
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, weight)))
    return tantivy.Query.boolean_query(clauses)


def skill_document(name: str, description: str, body: str) -> Any:
    import tantivy

    doc = tantivy.Document()
    doc.add_text("id", name)
    doc.add_unsigned("sid", skill_id(name))
    _add(doc, "name", name)
    _add(doc, "description", description)
    _add(doc, "body", body)
    return doc


def learned_document(skill: str, kind: int, task: str) -> Any:
    import tantivy

    doc = tantivy.Document()
    doc.add_text("skill", skill)
    doc.add_unsigned("sid", skill_id(skill))
    doc.add_unsigned("kind", kind)
    _add(doc, "trigger", task)
    return doc


def _add(doc: Any, field: str, text: str) -> None:
    """The text as it is (the first stored value), then its compound tokens as a 2nd value."""
    doc.add_text(field, text)
    extras = compound_extras(text)
    if extras:
        doc.add_text(field, " ".join(extras))


@dataclass
class FieldStats:
    """What BM25 needs about a field beyond the document itself."""

    docs: int
    avg_len: float


def field_lengths(name: str, description: str, body: str) -> dict[str, Counter[str]]:
    a = analyzer()
    return {
        "name": Counter(a.analyze(expand_compounds(name))),
        "description": Counter(a.analyze(expand_compounds(description))),
        "body": Counter(a.analyze(expand_compounds(body))),
    }


def bm25(tf: int, doc_len: int, doc_freq: int, stats: FieldStats) -> float:
    """tantivy's BM25 for one term in one field, for documents not committed yet."""
    if tf <= 0:
        return 0.0
    n = max(stats.docs, doc_freq, 1)
    idf = math.log(1.0 + (n - doc_freq + 0.5) / (doc_freq + 0.5))
    norm = K1 * (1.0 - B + B * doc_len / max(stats.avg_len, 1.0))
    return idf * (tf * (K1 + 1.0)) / (tf + norm)
