"""Driving ``memento mcp`` as a client does: the real command in a child process, spoken to
through the SDK's own stdio client and ``ClientSession``, on a real workspace in a temp dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

CALL_TIMEOUT = 60.0


@dataclass
class Client:
    session: ClientSession
    notes: list[Any] = field(default_factory=list)
    errlog: Path | None = None

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """A tool's structured answer; a tool error fails the test with its message."""
        result = await self.session.call_tool(tool, arguments)
        assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
        data = result.structured_content
        assert isinstance(data, dict)
        return data

    async def refused(self, tool: str, **arguments: Any) -> str:
        """The message of a tool error (the call must fail)."""
        result = await self.session.call_tool(tool, arguments)
        assert result.is_error, f"{tool} was expected to fail: {result.structured_content}"
        return "\n".join(c.text for c in result.content)  # type: ignore[union-attr]

    async def wait_for(self, method: str, uri: str | None = None, timeout: float = 20.0) -> Any:
        """The first notification with ``method`` (and ``uri``), waiting for it to arrive."""
        with anyio.fail_after(timeout):
            while True:
                for note in self.notes:
                    if getattr(note, "method", None) != method:
                        continue
                    if uri is None or str(getattr(note.params, "uri", "")) == uri:
                        return note
                await anyio.sleep(0.05)


def server_command(root: Path, *, modules_out: Path | None = None) -> tuple[str, list[str]]:
    """``memento mcp -C ROOT``; with ``modules_out``, the same main() run by a Python that
    writes the names in sys.modules there when it exits."""
    if modules_out is None:
        return sys.executable, ["-m", "memento_tui", "mcp", "-C", str(root)]
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(modules_out)!r}, 'w').write('\\n'.join(sorted(sys.modules))))\n"
        "from memento_tui.cli.main import main\n"
        f"sys.exit(main(['mcp', '-C', {str(root)!r}]))\n"
    )
    return sys.executable, ["-c", code]


@asynccontextmanager
async def connected(
    root: Path, *, modules_out: Path | None = None, modern: bool = False, client_info: Any = None
) -> AsyncIterator[Client]:
    """A connected client: the handshake of today's clients (initialize), or with ``modern``
    the 2026-07-28 protocol (server/discover, then subscriptions/listen for news)."""
    command, args = server_command(root, modules_out=modules_out)
    env = {key: os.environ[key] for key in ("MEMENTO_CONFIG_DIR", "HOME") if key in os.environ}
    params = StdioServerParameters(command=command, args=args, env=env, cwd=str(root))
    errlog = root.parent / "server.err"
    client = Client(session=None, errlog=errlog)  # type: ignore[arg-type]

    async def on_message(message: Any) -> None:
        client.notes.append(message)

    with errlog.open("a", encoding="utf-8") as err:
        async with (
            stdio_client(params, errlog=err) as (read, write),
            ClientSession(
                read, write, message_handler=on_message, client_info=client_info, read_timeout_seconds=CALL_TIMEOUT
            ) as session,
        ):
            client.session = session
            await (session.discover() if modern else session.initialize())
            yield client


def memento(root: Path, *args: str) -> Any:
    """Run the memento CLI on the workspace (a separate process, as a person would)."""
    out = subprocess.run(
        [sys.executable, "-m", "memento_tui", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout) if "--json" in args else out.stdout
