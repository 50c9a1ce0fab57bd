"""Quality half of benchmarks/retrieval.py: MetaTool tools as skills, Recall@1/@5 on dev.

The 199 MetaTool tools become ``skills/<slug>/SKILL.md`` in a temp workspace. Tool names
such as ``PDF&URLTool`` are not valid skill names, so each gets a slug (``pdf-url-tool``)
and the mapping is kept to score the labelled queries.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.paths import WorkspacePaths
from memento_tui.domain.retrieval import SkillIndex

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "metatool"
PREFIXES = (0, 200, 1000, 5000)


def slugify(name: str, taken: set[str]) -> str:
    """A valid skill name: lowercase letters, digits, single hyphens, at most 64 chars."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", s)
    s = re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:60].strip("-") or "tool"
    slug, n = s, 2
    while slug in taken:
        slug, n = f"{s}-{n}", n + 1
    taken.add(slug)
    return slug


def read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class MetaTool:
    slugs: dict[str, str]  # tool name -> skill name
    experience: list[dict[str, str]]
    dev: list[dict[str, str]]


def write_workspace(root: Path, data: Path = DATA) -> MetaTool:
    """A bare workspace (skills/ and .memento/) holding the 199 tools as skills."""
    taken: set[str] = set()
    slugs: dict[str, str] = {}
    for tool in read_jsonl(data / "tools.jsonl"):
        slug = slugify(tool["name"], taken)
        slugs[tool["name"]] = slug
        folder = root / "skills" / slug
        folder.mkdir(parents=True)
        body = f"# {tool['name']}\n\n{tool['body']}\n"
        (folder / "SKILL.md").write_text(
            f"---\nname: {slug}\ndescription: {json.dumps(tool['description'])}\n---\n{body}",
            encoding="utf-8",
        )
    (root / ".memento").mkdir(exist_ok=True)
    return MetaTool(slugs, read_jsonl(data / "experience.jsonl"), read_jsonl(data / "dev.jsonl"))


def recall(
    index: SkillIndex, rows: list[dict[str, str]], slugs: dict[str, str], *, agent: bool = False
) -> tuple[float, float]:
    """Recall@1 and @5 of the first stage, or (``agent``) of the agent's second stage."""
    search = index.agent_search if agent else index.search
    at1 = at5 = 0
    for row in rows:
        names = [hit.name for hit in search(row["query"], 5)]
        want = slugs[row["skill"]]
        at1 += bool(names) and names[0] == want
        at5 += want in names
    return at1 / len(rows), at5 / len(rows)


def learning_curve(
    root: Path,
    mt: MetaTool,
    config: RetrievalConfig,
    prefixes: tuple[int, ...] = PREFIXES,
    *,
    agent: bool = False,
) -> list[tuple[int, float, float, float]]:
    """(experiences, R@1, R@5, seconds to feed them) after each prefix, fed one at a time
    through record_success, as the agent loop does after a successful run. ``agent``: the
    agent's ranking (the second stage) instead of the first stage's."""
    paths = WorkspacePaths(root)
    index = SkillIndex.open(paths, config)
    fed = 0
    out = []
    try:
        for prefix in prefixes:
            start = time.perf_counter()
            for row in mt.experience[fed:prefix]:
                index.record_success(row["query"], mt.slugs[row["skill"]], source="import")
            fed = max(fed, prefix)
            feed_s = time.perf_counter() - start
            r1, r5 = recall(index, mt.dev, mt.slugs, agent=agent)
            out.append((prefix, r1, r5, feed_s))
    finally:
        index.close()
    return out


def teach_from_file(root: Path, mt: MetaTool, prefix: int, config: RetrievalConfig) -> tuple[float, float]:
    """The same prefix taught through ``memento skills teach --from``, then measured."""
    teach = root / f"teach-{prefix}.jsonl"
    with teach.open("w", encoding="utf-8") as out:
        for row in mt.experience[:prefix]:
            out.write(json.dumps({"query": row["query"], "skill": mt.slugs[row["skill"]]}) + "\n")
    cmd = [sys.executable, "-m", "memento_tui", "-C", str(root), "skills", "teach", "--from", str(teach)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    index = SkillIndex.open(WorkspacePaths(root), config)
    try:
        return recall(index, mt.dev, mt.slugs)
    finally:
        index.close()


def rank_bm25_baseline(mt: MetaTool, root: Path) -> tuple[float, float]:
    """Plain BM25 as the data's README describes it: rank-bm25, alphanumeric lower-case
    tokens over name + description + body, no learning."""
    from rank_bm25 import BM25Okapi

    def tokens(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    names = sorted(mt.slugs.values())
    corpus = []
    for name in names:
        text = (root / "skills" / name / "SKILL.md").read_text(encoding="utf-8")
        corpus.append(tokens(text.replace("---", " ")))
    bm25 = BM25Okapi(corpus)
    at1 = at5 = 0
    for row in mt.dev:
        scores = bm25.get_scores(tokens(row["query"]))
        top = sorted(range(len(names)), key=lambda i: -scores[i])[:5]
        want = mt.slugs[row["skill"]]
        at1 += names[top[0]] == want
        at5 += want in [names[i] for i in top]
    return at1 / len(mt.dev), at5 / len(mt.dev)
