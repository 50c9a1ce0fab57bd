"""Where everything lives. The one module that knows the workspace layout.

    skills/<name>/SKILL.md        the skills
    .memento/config.toml          committed settings
    .memento/learned/             committed: what retrieval learned (triggers, failures)
    .memento/runs/<id>/           local: trace, verdict, reflection, work dir
    .memento/index/               local, disposable: the search index
    .memento/patches/             local: evidence for patch branches
    .memento/reviews.jsonl        local: merge / reject decisions
    .memento/mcp/                 local: the log of every call made to 'memento mcp'

and, outside every workspace, the person's own settings (``user_config_dir()``):

    config.toml                   the person's [model] settings, over any workspace's
    trusted-models.json           model servers the person confirmed for a workspace
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STATE_DIR_NAME = ".memento"
SKILLS_DIR_NAME = "skills"
CONFIG_NAME = "config.toml"
SKILL_FILE = "SKILL.md"

# Everything in .memento/ but the config and what was learned is local state.
STATE_GITIGNORE = """\
# Memento local state: runs, the index, patch evidence, review decisions.
*
!.gitignore
!config.toml
!learned/
!learned/**
"""


@dataclass(frozen=True)
class WorkspacePaths:
    root: Path

    @property
    def skills(self) -> Path:
        return self.root / SKILLS_DIR_NAME

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR_NAME

    @property
    def config(self) -> Path:
        return self.state / CONFIG_NAME

    @property
    def learned(self) -> Path:
        return self.state / "learned"

    @property
    def runs(self) -> Path:
        return self.state / "runs"

    @property
    def index(self) -> Path:
        return self.state / "index"

    @property
    def patches(self) -> Path:
        return self.state / "patches"

    @property
    def reviews(self) -> Path:
        return self.state / "reviews.jsonl"

    @property
    def shared_decisions(self) -> Path:
        """Review decisions as the team shares them (committed, merged by union; sync)."""
        return self.learned / "decisions.jsonl"

    @property
    def eval(self) -> Path:
        return self.state / "eval"

    @property
    def mcp(self) -> Path:
        return self.state / "mcp"

    def skill_dir(self, name: str) -> Path:
        return self.skills / name

    def run_dir(self, run_id: str) -> Path:
        return self.runs / run_id


def find_workspace_root(start: Path | None = None) -> Path | None:
    """Walk up from ``start`` (default: the current directory) to a folder holding ``.memento/``.

    ``MEMENTO_WORKSPACE`` overrides the walk, so tests and scripts can point anywhere.
    """
    override = os.environ.get("MEMENTO_WORKSPACE")
    if override:
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / STATE_DIR_NAME).is_dir():
            return folder
    return None


def user_config_dir() -> Path:
    """The person's own settings, outside every repository: ``MEMENTO_CONFIG_DIR``, else
    ``$XDG_CONFIG_HOME/memento``, else ``~/.config/memento``. Nothing a cloned repository
    holds can write here, which is why confirmations live here."""
    override = os.environ.get("MEMENTO_CONFIG_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "memento"
