"""Running ``memento mcp``: ready the search while the SDK loads, then serve stdio until the
client hangs up.

Start-up is mostly the MCP SDK's own import (its protocol models take most of a second), so
the search index is opened and warmed on another thread meanwhile, and the first
``find_skills`` finds it ready. litellm is never imported on the way: only a replay of a
proposed patch needs a model.

stdin is read with a cap on one message: a client that sends a gigabyte on one line gets an
error for that request (its id is read from the start of the line), and the server neither
holds the line in memory nor stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from typing import IO, cast

from memento_tui.services.factory import Services

MAX_MESSAGE_BYTES = 32 * 1024 * 1024
OVERSIZED_METHOD = "memento/oversized"
_ID_RE = re.compile(rb'"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?[0-9]{1,18})')


class CappedLines:
    """The protocol's lines from a binary stream, none longer than ``cap`` bytes: the rest
    of a longer one is read and dropped, and in its place comes a request the server
    answers with an error naming the limit."""

    def __init__(self, raw: IO[bytes], cap: int = MAX_MESSAGE_BYTES) -> None:
        self.raw = raw
        self.cap = cap

    def readline(self) -> str:
        line = self.raw.readline(self.cap + 1)
        if len(line) <= self.cap or line.endswith(b"\n"):
            return line.decode("utf-8", "replace")
        head, size = line[:4096], len(line)
        while line and not line.endswith(b"\n"):
            line = self.raw.readline(1 << 20)
            size += len(line)
        return oversized_request(head, size, self.cap)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def oversized_request(head: bytes, size: int, cap: int) -> str:
    """A stand-in for a message too long to read: a request with the same id, whose
    handler answers with the error. Without an id there is no one to answer; a line that
    does not parse is logged and skipped by the SDK."""
    found = _ID_RE.search(head)
    if found is None:
        return "{}\n"
    request = {
        "jsonrpc": "2.0",
        "id": json.loads(found.group(1)),
        "method": OVERSIZED_METHOD,
        "params": {"bytes": size, "limit": cap},
    }
    return json.dumps(request) + "\n"


@contextlib.contextmanager
def claimed_stdin() -> Iterator[IO[bytes]]:
    """The protocol's stdin on a private descriptor; fd 0 reads /dev/null meanwhile, so no
    child (git, the sandbox) can ever take bytes meant for the protocol."""
    wire = os.dup(0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        with os.fdopen(wire, "rb", buffering=1 << 16) as stream:
            yield stream
    finally:
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)


def warm(services: Services) -> None:
    """Open the index and load what the first search reads (word vectors, the classifier)."""
    try:
        index = services.index()
        index.warm()
        index.search("warm up", 1)
    except Exception as err:  # the first find_skills reports it properly
        print(f"memento mcp: the search index is not ready: {err}", file=sys.stderr)


def serve(services: Services) -> None:
    """Serve the workspace over stdio until the client closes its end."""
    warming = threading.Thread(target=warm, args=(services,), name="memento-mcp-warm", daemon=True)
    warming.start()
    import anyio  # the SDK's import, with the index warming beside it

    from memento_tui.mcp.server import McpApp
    from memento_tui.mcp.session import McpSession

    app = McpApp(McpSession.open(services))
    _answer_oversized(app)
    with claimed_stdin() as raw:
        stdin = anyio.wrap_file(cast(IO[str], CappedLines(raw)))
        try:
            anyio.run(app.serve_stdio, stdin)
        finally:
            app.watch.stop()
            app.session.log.close()


def _answer_oversized(app: object) -> None:
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_REQUEST, RequestParams

    async def refuse(ctx: object, params: RequestParams) -> None:
        extra = params.model_extra or {}
        raise MCPError(
            INVALID_REQUEST,
            f"the message is {extra.get('bytes', 0):,} bytes; the limit is "
            f"{extra.get('limit', MAX_MESSAGE_BYTES):,} (send large files in parts, or as paths)",
        )

    app.server._lowlevel_server.add_request_handler(OVERSIZED_METHOD, RequestParams, refuse)  # type: ignore[attr-defined]
