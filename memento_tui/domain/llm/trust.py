"""Where a model call may send the person's key.

A workspace's ``.memento/config.toml`` is committed, so a cloned repository chooses its
``api_base`` (the server) and ``api_key_env`` (which of the person's variables is sent
as the key). Taken together they could send ``$OPENAI_API_KEY`` to a stranger's server,
or ``$AWS_SECRET_ACCESS_KEY`` to a model provider. So no model call goes out while
either value came from the repository, until the person confirms that exact
(workspace, api_base, api_key_env) triple with ``memento trust``. The confirmation is
kept in the person's config dir, which no repository can write.

Values the person gave (``--api-base``, ``MEMENTO_API_BASE``, their own config file)
need no confirmation; nor does a call that sends no key to the provider's own endpoint
or to a server on this machine (the local model).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from memento_tui.domain.config import ModelConfig
from memento_tui.domain.errors import ConfigError
from memento_tui.domain.files import atomic_write
from memento_tui.domain.paths import user_config_dir

TRUST_FILE_NAME = "trusted-models.json"
CONFIRM_COMMAND = "memento trust"


@dataclass(frozen=True)
class Destination:
    """What a confirmation is for: this workspace's committed server and key name."""

    workspace: str
    api_base: str
    api_key_env: str
    config_file: str = ""  # where the values came from; shown, not compared

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.workspace, self.api_base, self.api_key_env)

    def server_text(self, model: str) -> str:
        return self.api_base or f"the provider's own endpoint for {model or 'the model'}"


def is_loopback(api_base: str) -> bool:
    """A server on this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        host = urlsplit(api_base).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def destination_to_confirm(cfg: ModelConfig) -> Destination | None:
    """The triple a call with ``cfg`` needs confirmed, or None when it needs none."""
    if not (cfg.from_repository("api_base") or cfg.from_repository("api_key_env")):
        return None  # nothing the repository chose
    if not cfg.api_key_env and (not cfg.api_base or is_loopback(cfg.api_base)):
        return None  # no key, and the provider's own endpoint or this machine
    workspace = Path(cfg.config_file).parent.parent  # <workspace>/.memento/config.toml
    return Destination(str(workspace), cfg.api_base, cfg.api_key_env, cfg.config_file)


def trust_file() -> Path:
    return user_config_dir() / TRUST_FILE_NAME


class TrustStore:
    """The confirmations, one JSON file: ``{"confirmed": [{workspace, api_base, ...}]}``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or trust_file()

    def _read(self) -> list[dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            rows = data["confirmed"]
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise TypeError("'confirmed' is not a list of objects")
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ConfigError(
                f"the list of confirmed model servers cannot be read ({err})",
                file=self.path,
                fix=f"delete it and confirm again with '{CONFIRM_COMMAND}'",
            ) from None
        return rows

    def all(self) -> list[Destination]:
        out = []
        for row in self._read():
            with contextlib.suppress(TypeError):
                out.append(Destination(**{k: str(v) for k, v in row.items() if k != "at"}))
        return out

    def is_confirmed(self, destination: Destination) -> bool:
        return any(d.key == destination.key for d in self.all())

    def confirm(self, destination: Destination) -> None:
        rows = [r for r in self._read() if _key(r) != destination.key]
        rows.append({**asdict(destination), "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        self._write(rows)

    def forget(self, workspace: str) -> int:
        """Drop every confirmation for ``workspace``; how many there were."""
        rows = self._read()
        kept = [r for r in rows if r.get("workspace") != workspace]
        if len(kept) != len(rows):
            self._write(kept)
        return len(rows) - len(kept)

    def _write(self, rows: list[dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path, (json.dumps({"confirmed": rows}, indent=2) + "\n").encode("utf-8"))
        os.chmod(self.path, 0o600)


def _key(row: dict[str, str]) -> tuple[str, str, str]:
    return (row.get("workspace", ""), row.get("api_base", ""), row.get("api_key_env", ""))


def unconfirmed_message(destination: Destination, cfg: ModelConfig) -> tuple[str, str, str]:
    """(message, field, fix) for a call refused because the person has not confirmed."""
    repo_base = cfg.from_repository("api_base")
    repo_key = cfg.from_repository("api_key_env")
    field = "model.api_base" if repo_base or not repo_key else "model.api_key_env"
    what = f"your key ${destination.api_key_env}" if destination.api_key_env else "your prompts"
    chosen = " and ".join(name for name, chose in (("api_base", repo_base), ("api_key_env", repo_key)) if chose)
    message = (
        f"not sending {what} to {destination.server_text(cfg.name)}: the repository's config "
        f"chose {chosen}, and you have not confirmed it for this workspace (nothing was sent)"
    )
    fix = (
        f"if you trust that server with that key, run '{CONFIRM_COMMAND}' in "
        f"{destination.workspace}; or give your own with --api-base, MEMENTO_API_BASE or "
        "MEMENTO_API_KEY_ENV (see docs/config.md, 'Whose server, whose key')"
    )
    return message, field, fix
