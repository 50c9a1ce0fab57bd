"""Tokenisation for skill search: compound names, then tantivy's analyzer.

Skill names and task texts are full of compounds: ``csv-to-json``, ``snake_case``,
``camelCase``, ``PDF&URLTool``. A person may type either the parts ("csv to json") or the
joined form ("csvtojson", "camelcase"), so every compound contributes both. tantivy's
``simple`` tokenizer already splits on punctuation (giving the parts of ``csv-to-json``)
and keeps letter runs whole (giving ``camelcase``); :func:`expand_compounds` adds what it
misses: the joined form of hyphen/underscore compounds and the parts of camelCase words.

The rest (lower-casing, English stopwords, Snowball stemming) runs inside tantivy, in
Rust, so indexing 10k documents does not pay for a Python tokenizer. Queries go through
the very same two steps, so a query token always meets its indexed twin.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tantivy

ANALYZER_NAME = "memento_en"

# English function words plus the politeness of task texts ("can you please help me"):
# they match everything and so point nowhere.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing don down during each few for
    from further had has have having he her here hers herself him himself his how i if in into
    is it its itself just me more most my myself no nor not now of off on once only or other
    our ours ourselves out over own same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your yours yourself
    yourselves please help need want like get know also""".split()  # noqa: SIM905
)
MAX_TOKEN_CHARS = 40

# What a compound looks like inside a token.
_COMPOUND = re.compile(
    r"[^\W_]+(?:[-_][^\W_]+)+"  # csv-to-json, snake_case, c3_glide
    r"|[^\W_]*[a-z][A-Z][^\W_]*"  # camelCase, PascalCase, iPhone
    r"|[^\W_]*[A-Z]{2,}[a-z][^\W_]*"  # URLTool, PDFReader
)
# A cheap first look at one whitespace-separated token; most tokens fail it.
_MAYBE_COMPOUND = re.compile(r"[-_]|[a-z][A-Z]|[A-Z]{2}[a-z]")
_SEPARATOR = re.compile(r"[-_]+")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+")


def compound_extras(text: str) -> list[str]:
    """The tokens the plain tokenizer would miss: joined compounds and camelCase parts."""
    extras: list[str] = []
    for word in _compound_words(text):
        pieces = [p for p in _SEPARATOR.split(word) if p]
        if len(pieces) > 1:
            extras.append("".join(pieces))
        for piece in pieces:
            parts = _CAMEL_PART.findall(piece)
            if len(parts) > 1:
                extras.extend(parts)
    return extras


def _compound_words(text: str) -> list[str]:
    # Running the compound regex over a whole document costs about 1 ms per 5 KB (Python's
    # re is slow on alternations); str.split and the str.is* tests run in C and leave only
    # the rare candidate tokens for the regex: 8x faster on prose.
    words: list[str] = []
    for token in text.split():
        if token.isalpha() and (token.islower() or token.istitle() or token.isupper()):
            continue
        if _MAYBE_COMPOUND.search(token):
            words.extend(_COMPOUND.findall(token))
    return words


def expand_compounds(text: str) -> str:
    """``text`` with the extra compound tokens appended (positions do not matter to BM25)."""
    extras = compound_extras(text)
    return f"{text}\n{' '.join(extras)}" if extras else text


@lru_cache(maxsize=4)
def analyzer(stem: bool = True, stopwords: bool = True) -> tantivy.TextAnalyzer:
    """The tantivy analyzer registered on the index under :data:`ANALYZER_NAME`."""
    import tantivy

    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(tantivy.Filter.lowercase())
    )
    if stopwords:
        builder = builder.filter(tantivy.Filter.custom_stopword(sorted(STOPWORDS)))
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


def tokenize(text: str, *, stem: bool = True, stopwords: bool = True) -> list[str]:
    """The index terms of ``text``, in order, with repeats (what BM25 counts)."""
    return analyzer(stem, stopwords).analyze(expand_compounds(text))
