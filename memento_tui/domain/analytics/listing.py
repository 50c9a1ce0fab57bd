"""What the skill listing costs a run: the retrieved skills' names and descriptions,
against what listing every skill's description would cost. Shows what retrieval saves
as the library grows.

Tokens are estimated at four characters a token (close for English with the common
tokenizers); the figures are marked as estimates wherever they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def listing_text(entries: Iterable[tuple[str, str]]) -> str:
    """The same lines the agent's system prompt uses: ``- name: description``."""
    return "\n".join(f"- {name}: {description}" for name, description in entries)


@dataclass(frozen=True)
class ListingCost:
    runs: int
    average_listed: float  # tokens per run for the retrieved skills
    all_skills: int  # tokens to list every skill in the library now
    skills: int

    @property
    def saved_share(self) -> float | None:
        if not self.all_skills or not self.runs:
            return None
        return 1.0 - self.average_listed / self.all_skills

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["saved_share"] = None if self.saved_share is None else round(self.saved_share, 4)
        data["average_listed"] = round(self.average_listed, 1)
        data["estimate"] = f"{CHARS_PER_TOKEN} characters a token"
        return data


def listing_cost(retrieved: Sequence[Sequence[tuple[str, str]]], library: Sequence[tuple[str, str]]) -> ListingCost:
    """``retrieved``: per run, the (name, description) pairs it was shown."""
    per_run = [estimate_tokens(listing_text(hits)) for hits in retrieved]
    return ListingCost(
        runs=len(per_run),
        average_listed=sum(per_run) / len(per_run) if per_run else 0.0,
        all_skills=estimate_tokens(listing_text(library)),
        skills=len(library),
    )
