"""The person's own model settings, which no repository can write.

A workspace's ``.memento/config.toml`` is committed: whoever wrote the repository chose
it. What the person says outside it wins over it, and needs no confirmation before a
key is sent (see llm/trust.py):

    <user config dir>/config.toml    [model] name, api_base, api_key_env
    MEMENTO_MODEL, MEMENTO_API_BASE, MEMENTO_API_KEY_ENV    (over the file)
    --model, --api-base                                     (over both; set by the commands)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memento_tui.domain.config import ModelConfig
from memento_tui.domain.errors import ConfigError
from memento_tui.domain.paths import user_config_dir

USER_CONFIG_NAME = "config.toml"
ENV_KEYS = {
    "name": "MEMENTO_MODEL",
    "api_base": "MEMENTO_API_BASE",
    "api_key_env": "MEMENTO_API_KEY_ENV",
}


class PersonModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    api_base: str | None = None
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$|^$")


class UserConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: PersonModel = Field(default_factory=PersonModel)


def user_config_file() -> Path:
    return user_config_dir() / USER_CONFIG_NAME


def load_user_config(file: Path | None = None) -> UserConfig:
    """The person's config file; missing means empty. A bad file stops the command with
    the file, the key and the fix, like the workspace's config."""
    file = file or user_config_file()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserConfig()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read your config: {err}", file=file, fix="save it as a UTF-8 text file") from None
    try:
        return UserConfig.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", file=file, fix="check quotes and brackets") from None
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigError(
            "unknown key" if first["type"] == "extra_forbidden" else first["msg"],
            file=file,
            field=".".join(str(p) for p in first["loc"]),
            fix="only [model] name, api_base and api_key_env belong here (see docs/config.md)",
        ) from None


def apply_person_settings(
    model: ModelConfig, environ: Mapping[str, str] | None = None, file: Path | None = None
) -> None:
    """Lay the person's settings over a workspace's [model]."""
    environ = os.environ if environ is None else environ
    values = {key: value for key, value in load_user_config(file).model.model_dump().items() if value is not None}
    for key, variable in ENV_KEYS.items():
        if variable in environ:
            values[key] = environ[variable]
    if "api_key_env" in values:
        try:
            PersonModel(api_key_env=values["api_key_env"])
        except ValidationError:
            raise ConfigError(
                f"{values['api_key_env']!r} is not the name of an environment variable",
                field="MEMENTO_API_KEY_ENV",
                fix="give the NAME of the variable that holds the key, e.g. OPENAI_API_KEY",
            ) from None
    if values:
        model.set_by_person(**values)
