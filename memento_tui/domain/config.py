"""``.memento/config.toml``: one pydantic model per section, errors that point at the line."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from memento_tui.domain.errors import ConfigError

# The [model] keys a person may give outside the repository (flags, environment, their
# own config file); see ModelConfig.set_by_person.
PERSON_KEYS = ("name", "api_base", "api_key_env")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Section):
    name: str = Field(default="", description="litellm model string; '' means not set")
    api_base: str = Field(default="", description="server URL for local or proxied models")
    api_key_env: str = Field(
        default="",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$|^$",
        description="the NAME of the environment variable holding the key, never the key",
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=4096, ge=16, le=1_000_000)
    timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    retries: int = Field(default=3, ge=0, le=10)
    tool_calling: Literal["auto", "native", "json"] = "auto"
    judge: str = Field(default="", description="model for the LLM judge; '' turns it off")

    # Where the server and the key's name came from. A workspace's config file is written
    # by whoever wrote the repository, so the values read from it are remembered here, and
    # a key is not sent to a server they chose until the person confirms it (llm/trust.py).
    _config_file: str = PrivateAttr(default="")
    _committed: dict[str, str] = PrivateAttr(default_factory=dict)

    def remember_committed(self, file: Path) -> None:
        """Mark the values now set as read from ``file``, a workspace's committed config."""
        self._config_file = str(file)
        self._committed = {key: getattr(self, key) for key in PERSON_KEYS}

    def set_by_person(self, **values: str) -> None:
        """Values the person gave (a flag, their environment, their own config file)."""
        for key, value in values.items():
            setattr(self, key, value)
        self._committed = {k: v for k, v in self._committed.items() if k not in values}

    def from_repository(self, key: str) -> bool:
        """Is ``key``'s value (api_base, api_key_env) the one the repository's file chose?
        A value the program or the person set since then is not."""
        value = getattr(self, key)
        return bool(value) and key in self._committed and self._committed[key] == value

    @property
    def config_file(self) -> str:
        return self._config_file

    def __eq__(self, other: object) -> bool:
        # Two configs with the same values are equal wherever the values came from.
        if not isinstance(other, ModelConfig):
            return NotImplemented
        return self.model_dump() == other.model_dump()


class SandboxConfig(_Section):
    cpu_seconds: int = Field(default=30, ge=1, le=3600)
    memory_mb: int = Field(default=2048, ge=64, le=65536)
    max_processes: int = Field(default=256, ge=8, le=4096)
    file_size_mb: int = Field(default=64, ge=1, le=65536)
    open_files: int = Field(default=256, ge=16, le=65536)
    output_bytes: int = Field(default=1_000_000, ge=1024, le=100_000_000)
    wall_seconds: float = Field(default=60.0, gt=0, le=3600)
    tmp_size_mb: int = Field(default=64, ge=1, le=4096)
    disk_mb: int = Field(default=1024, ge=1, le=1_048_576, description="how much the work dir may grow in one run")
    max_files: int = Field(default=10_000, ge=10, le=10_000_000, description="new files and folders in one run")
    process_guard: Literal["auto", "cgroup", "rlimit", "uid"] = Field(
        default="auto",
        description="how processes and memory are limited: a cgroup for the whole run "
        "(auto: when one is writable), or per-process rlimits ('uid' is the old name)",
    )
    sandbox_uid: int = Field(
        default=65534,
        ge=1,
        le=4_294_967_294,
        description="under root, the unprivileged uid the sandbox runs as (never root)",
    )
    seccomp: bool = Field(default=True, description="the extra seccomp filter (needs libseccomp)")
    env: dict[str, str] = Field(default_factory=dict, description="extra variables set inside the sandbox")
    network: list[str] = Field(
        default_factory=list,
        description="skills granted network access (they must also declare it)",
    )


class RetrievalConfig(_Section):
    top_k: int = Field(default=5, ge=1, le=50)
    name_weight: float = Field(default=2.0, ge=0)
    description_weight: float = Field(default=1.5, ge=0)
    body_weight: float = Field(default=0.6, ge=0)
    trigger_weight: float = Field(default=1.0, ge=0, description="weight of votes from similar past successes")
    profile_weight: float = Field(default=1.0, ge=0, description="weight of a skill's past successes taken together")
    classifier_weight: float = Field(
        default=0.5,
        ge=0,
        description="weight of the model trained on outcomes, relative to the best lexical score",
    )
    trigger_neighbours: int = Field(default=50, ge=1, le=1000, description="past outcomes consulted per query")
    trigger_votes: int = Field(default=3, ge=1, le=50, description="votes one skill may collect per query")
    failure_weight: float = Field(
        default=0.5, ge=0, le=1, description="how far a failure on a similar task pushes down"
    )
    semantic_weight: float = Field(
        default=0.5,
        ge=0,
        description="weight of meaning (word vectors) beside the words themselves; 0 turns it off",
    )
    learn: bool = Field(default=True, description="let learned outcomes move the ranking")


class RunConfig(_Section):
    max_steps: int = Field(default=30, ge=1, le=500)
    max_tokens: int = Field(default=200_000, ge=1000)
    wall_seconds: float = Field(default=900.0, gt=0)
    keep_runs: int = Field(default=0, ge=0, description="0 keeps every run")


class LearningConfig(_Section):
    enabled: bool = True
    regressions: int = Field(default=3, ge=0, le=50, description="past successes to replay")
    reflect_max_tokens: int = Field(default=30_000, ge=1000)
    replay_max_tokens: int = Field(default=100_000, ge=1000)
    protected: list[str] = Field(default_factory=list, description="globs of protected skills")


class Config(_Section):
    model: ModelConfig = Field(default_factory=ModelConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    learning: LearningConfig = Field(default_factory=LearningConfig)
    keys: dict[str, str] = Field(default_factory=dict, description="action id -> key")


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Find the line of ``section.key`` in TOML text; good enough for error messages."""
    if not loc:
        return None
    section, key = (str(loc[0]), str(loc[1]) if len(loc) > 1 else None)
    lines = text.splitlines()
    start = 0
    if key is not None:
        for i, line in enumerate(lines):
            if re.match(rf"^\s*\[{re.escape(section)}\]\s*(#.*)?$", line):
                start = i + 1
                break
        target = key
    else:
        target = section
    for i in range(start, len(lines)):
        if re.match(r"^\s*\[", lines[i]) and i > start and key is not None:
            break
        if re.match(rf"^\s*\[?{re.escape(target)}\]?\s*[=\]]", lines[i]):
            return i + 1
    return None


def _fix_for(loc: tuple[Any, ...], kind: str, model: type[BaseModel]) -> str:
    if kind == "extra_forbidden":
        names: list[str] = []
        if len(loc) == 1:
            names = list(Config.model_fields)
        else:
            sub = Config.model_fields.get(str(loc[0]))
            annotation = getattr(sub, "annotation", None)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names = list(annotation.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        if close:
            return f"did you mean '{close[0]}'? (see docs/config.md)"
        return f"remove it; known keys here: {', '.join(names)}"
    return _FIELD_FIXES.get(".".join(str(p) for p in loc), "see docs/config.md for the allowed values")


_FIELD_FIXES = {
    "model.api_key_env": 'write the NAME of the variable, e.g. api_key_env = "OPENAI_API_KEY", '
    "and export the key in your shell; never put the key in this file",
    "model.tool_calling": 'use "auto", "native" or "json"',
}


def parse_config(text: str, file: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        if match:
            line: int | None = int(match.group(1))
        elif "end of document" in str(err):
            line = len(text.rstrip("\n").splitlines()) or 1
        else:
            line = None
        raise ConfigError(
            f"not valid TOML: {err}",
            file=file,
            line=line,
            fix="check quotes and brackets on that line",
        ) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(
            message.removeprefix("Value error, "),
            file=file,
            line=_line_of(text, loc),
            field=".".join(str(p) for p in loc),
            fix=_fix_for(loc, first["type"], Config),
        ) from None
    config.model.remember_committed(file)
    return config


def load_config(file: Path) -> Config:
    """Read the config; a missing file means the defaults."""
    if not file.exists():
        return Config()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read the config: {err}", file=file, fix="save it as a UTF-8 text file") from None
    return parse_config(text, file)


DEFAULT_CONFIG_TEXT = (Path(__file__).parent / "templates" / "config.toml").read_text(encoding="utf-8")
