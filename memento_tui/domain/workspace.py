"""A workspace: a git repository with ``skills/`` and ``.memento/``."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from memento_tui.domain.config import DEFAULT_CONFIG_TEXT, Config, load_config
from memento_tui.domain.errors import WorkspaceError
from memento_tui.domain.paths import STATE_GITIGNORE, WorkspacePaths, find_workspace_root
from memento_tui.domain.skills import SkillLibrary


@dataclass
class Workspace:
    paths: WorkspacePaths
    _config: Config | None = field(default=None, repr=False)

    @classmethod
    def at(cls, root: Path) -> Workspace:
        return cls(WorkspacePaths(root.resolve()))

    @classmethod
    def find(cls, start: Path | None = None) -> Workspace:
        root = find_workspace_root(start)
        if root is None:
            where = (start or Path.cwd()).resolve()
            raise WorkspaceError(
                "not inside a Memento workspace (no .memento/ here or in any parent folder)",
                file=where,
                fix="run 'memento init' here, or cd into a workspace",
            )
        return cls.at(root)

    @property
    def root(self) -> Path:
        return self.paths.root

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = self.read_config()
        return self._config

    def read_config(self) -> Config:
        """The committed config with the person's own model settings over it."""
        from memento_tui.domain.user_config import apply_person_settings

        config = load_config(self.paths.config)
        apply_person_settings(config.model)
        return config

    def reload_config(self) -> Config:
        self._config = None
        return self.config

    def library(self) -> SkillLibrary:
        return SkillLibrary.load(self.paths.skills)

    def ensure_state(self) -> None:
        """Create the local state folders and their .gitignore if missing."""
        self.paths.state.mkdir(parents=True, exist_ok=True)
        ignore = self.paths.state / ".gitignore"
        if not ignore.exists():
            ignore.write_text(STATE_GITIGNORE, encoding="utf-8")


def starter_dir() -> Path:
    """The bundled starter skills and config: in the wheel, or the source checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_starter"
    if (packaged / "skills").is_dir():
        return packaged
    return here.parent  # an editable install: the checkout is itself a workspace


LEARNED_GITATTRIBUTES = "outcomes.jsonl merge=union\n"


def init_workspace(target: Path, *, starter_skills: bool = True) -> Workspace:
    """Make a workspace in ``target``: git repo, config, starter skills, a first commit.

    Refuses to touch a folder that already has ``.memento/`` or a non-empty ``skills/``.
    """
    from memento_tui.domain.git_repo import GitRepo

    target = target.resolve()
    paths = WorkspacePaths(target)
    if paths.state.exists():
        raise WorkspaceError(
            "already a Memento workspace",
            file=paths.state,
            fix="use it as it is, or choose an empty folder",
        )
    if paths.skills.exists() and any(paths.skills.iterdir()):
        raise WorkspaceError(
            "skills/ already exists and is not empty; init will not overwrite it",
            file=paths.skills,
            fix="choose another folder, or create .memento/config.toml by hand to adopt these skills",
        )
    target.mkdir(parents=True, exist_ok=True)
    source = starter_dir()
    paths.skills.mkdir(exist_ok=True)
    if starter_skills:
        for skill in sorted((source / "skills").iterdir()):
            if (skill / "SKILL.md").is_file() and not skill.is_symlink():
                shutil.copytree(
                    skill,
                    paths.skills / skill.name,
                    symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
    paths.state.mkdir()
    paths.config.write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
    (paths.state / ".gitignore").write_text(STATE_GITIGNORE, encoding="utf-8")
    # What retrieval learns is shared through git: rows only ever append, so when two people
    # learned at once, git's union merge keeps both sides instead of a conflict.
    paths.learned.mkdir()
    (paths.learned / ".gitattributes").write_text(LEARNED_GITATTRIBUTES, encoding="utf-8")
    repo = GitRepo.open_or_init(target)
    tracked = [".memento/config.toml", ".memento/.gitignore", ".memento/learned/.gitattributes"]
    if any(paths.skills.iterdir()):
        tracked.insert(0, "skills")
    repo.commit_paths(tracked, "Start a Memento workspace")
    return Workspace(paths)
