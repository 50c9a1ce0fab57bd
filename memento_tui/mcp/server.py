"""The MCP server: Memento's tools and ``skill://`` resources on the official SDK's
``MCPServer``, served over stdio.

The work of each tool lives in its own module and takes an ``McpSession``; here it is only
wired to the SDK. A tool that refuses (any MementoError: a bad path, a protected skill, a
sandbox that cannot start) answers with an MCP tool error holding the message and the fix;
anything unexpected becomes a tool error too, and the server goes on. Sync work runs on
worker threads, so a long command never holds up a search.

Two things MCPServer does not do for us: it advertises no list-changed or subscribe
capability on stdio, and it lists only static resources. So the server is run here through
its low-level ``Server`` (the SDK's own client does the same), with ``resources/list``
paged from the index and ``resources/subscribe`` kept per connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourcesListChanged, ResourceUpdated
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    EmptyResult,
    ListResourcesResult,
    PaginatedRequestParams,
    Resource,
    SubscribeRequestParams,
    ToolAnnotations,
    UnsubscribeRequestParams,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import Field

from memento_tui import __version__
from memento_tui.domain.errors import MementoError
from memento_tui.domain.patches.rules import one_line
from memento_tui.mcp import checks, outcome, proposal, skill_tools
from memento_tui.mcp.calllog import CallRecord, summarize
from memento_tui.mcp.command import run_command
from memento_tui.mcp.notify import SkillChanges, SkillChangeWatch
from memento_tui.mcp.session import McpSession

T = TypeVar("T")
log = logging.getLogger("memento.mcp")

INSTRUCTIONS = """\
Memento's skill library: tested procedures (SKILL.md folders) for tasks like converting
files, with scripts that run in a sandbox. Typical use: find_skills(task) -> load_skill(name)
-> run_skill_command(skill, command, files) -> report_outcome(task, skill, passed, note).
Report every outcome, passed or failed: retrieval learns from it. When a skill is wrong or
missing something, propose_patch(skill, files, reason) puts your fix up for a person's
review (it never reaches the library by itself)."""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)


class McpApp:
    """The server, what it needs to announce changes, and the session it serves."""

    def __init__(self, session: McpSession) -> None:
        self.session = session
        self.bus = InMemorySubscriptionBus()
        self.server: MCPServer[Any] = MCPServer(
            "memento",
            title="Memento skills",
            version=__version__,
            instructions=INSTRUCTIONS,
            log_level="WARNING",
            subscriptions=self.bus,
        )
        self.resources = skill_tools.SkillResources(session)
        self.subscribed: set[str] = set()
        self.legacy: Any = None  # the ServerSession of a handshake-era client
        self.token: Any = None  # the event loop, for the watcher's thread to reach it
        self.watch = SkillChangeWatch(session.services, self._changes_seen)
        # The watcher's start walks every skill folder; it waits for the first tool call to be
        # answered (or a few seconds) rather than take the GIL from the handshake and first
        # search. Changes made meanwhile are seen by its first scan.
        self.first_call_done = threading.Event()
        _register_tools(self)
        _register_resources(self)
        self.server.middleware.append(self._log_call)

    # -- calls -----------------------------------------------------------------------
    def guarded(self, work: Callable[[], T]) -> T:
        """Run a tool's work; every failure becomes a tool error with a clear message."""
        try:
            return work()
        except MementoError as err:
            raise ToolError(checks.error_text(err, self.session.services.paths.root)) from None
        except Exception as err:
            log.exception("memento mcp: a tool failed unexpectedly")
            raise ToolError(
                f"internal error ({type(err).__name__}: {err}); the server goes on, "
                "and the call is logged in .memento/mcp/calls.jsonl"
            ) from None

    async def in_thread(self, work: Callable[[threading.Event], T]) -> T:
        """Long work on a worker thread; a client's cancel stops it (the sandbox kills the
        command at once) instead of leaving it to run out its time."""
        cancel = threading.Event()
        try:
            return await anyio.to_thread.run_sync(lambda: self.guarded(lambda: work(cancel)), abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            cancel.set()
            raise

    async def _log_call(self, ctx: Any, call_next: Any) -> Any:
        method = ctx.method
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS and method != "initialize":
            self.legacy = ctx.session  # its standalone channel carries our notifications
        if not self.session.client:
            self.session.client = _client_name(ctx)
        if method in ("ping", "notifications/progress"):
            return await call_next(ctx)
        params = dict(ctx.params or {})
        tool = params.get("name") if method == "tools/call" else None
        arguments = params.get("arguments") if method == "tools/call" else params or None
        started = time.perf_counter()
        # model_construct: the fields are ours and of the right types, and this is per call.
        record = CallRecord.model_construct(
            session=self.session.log.session,
            client=self.session.client,
            method=method,
            tool=tool if isinstance(tool, str) else None,
            arguments=summarize(arguments),
        )
        try:
            result = await call_next(ctx)
        except BaseException as err:
            cancelled = isinstance(err, anyio.get_cancelled_exc_class())
            record.ok, record.error = (
                False,
                "cancelled by the client" if cancelled else (str(err) or type(err).__name__),
            )
            record.ms = round((time.perf_counter() - started) * 1000, 2)
            self.session.log.write(record)
            raise
        record.ms = round((time.perf_counter() - started) * 1000, 2)
        record.ok, record.error, record.result = _result_summary(result)
        self.session.log.write(record)
        if method == "tools/call":
            self.first_call_done.set()
        return result

    # -- notifications ---------------------------------------------------------------
    def _changes_seen(self, changes: SkillChanges) -> None:
        """On the watcher's thread: hand the news to the event loop."""
        if self.token is None:
            return
        try:
            anyio.from_thread.run(self.announce, changes, token=self.token)
        except Exception as err:  # the loop has ended, or the client went away
            log.debug("memento mcp: a change was not announced: %s", err)

    async def announce(self, changes: SkillChanges) -> None:
        uris = [skill_tools.skill_uri(n) for n in sorted(changes.edited | changes.removed)]
        if changes.list_changed:
            await self.bus.publish(ResourcesListChanged())
        for uri in uris:
            await self.bus.publish(ResourceUpdated(uri=uri))
        if self.legacy is None:
            return
        try:
            if changes.list_changed:
                await self.legacy.send_resource_list_changed()
            for uri in uris:
                if uri in self.subscribed:
                    await self.legacy.send_resource_updated(uri)
        except Exception as err:  # a client that closed its end: nothing to tell
            log.debug("memento mcp: a notification was not sent: %s", err)

    # -- serving ---------------------------------------------------------------------
    async def serve_stdio(self, stdin: Any = None) -> None:
        from mcp.server.stdio import stdio_server

        low = self.server._lowlevel_server
        options = low.create_initialization_options(NotificationOptions(resources_changed=True))
        async with stdio_server(stdin=stdin) as (read, write):
            self.token = anyio.lowlevel.current_token()
            self.watch.start_in_background(after=self.first_call_done)
            await low.run(read, write, options)


def _client_name(ctx: Any) -> str:
    """The client's name and version as it gave them, made fit for a run record, a commit
    message and a terminal (one line, no control or invisible characters, capped)."""
    params = getattr(ctx.session, "client_params", None)
    info = getattr(params, "client_info", None)
    if info is None:
        return ""
    return one_line(f"{info.name} {info.version or ''}".strip(), 80)


def _result_summary(result: Any) -> tuple[bool, str, Any]:
    """(ok, error, summary) of a handler's result for the log: a tool's structured answer in
    short, or its error's text; for other methods only what kind of answer it was. Read off
    the attributes: dumping the whole result per call cost more than the search."""
    if result is None:
        return True, "", None
    if isinstance(result, dict):  # handlers may answer with the wire form already
        error, content, structured = result.get("isError"), result.get("content", []), result.get("structuredContent")
        texts = [c.get("text", "") for c in content if isinstance(c, dict)]
    else:
        error, content, structured = (
            getattr(result, "is_error", None),
            getattr(result, "content", []),
            getattr(result, "structured_content", None),
        )
        texts = [getattr(c, "text", "") for c in content]
    if error:
        return False, " ".join(texts)[:2000], None
    if structured is not None:
        return True, "", summarize(structured, text=200)
    return True, "", type(result).__name__


# -- tools ----------------------------------------------------------------------------

Task = Annotated[str, Field(description="the task in the words you would give a colleague")]
SkillName = Annotated[str, Field(description="a skill's name, as find_skills returns it")]


def _register_tools(app: McpApp) -> None:
    _register_reading_tools(app)
    _register_acting_tools(app)
    _register_proposing_tool(app)


def _register_reading_tools(app: McpApp) -> None:
    """The tools that only read the library."""
    server, session = app.server, app.session

    @server.tool(annotations=READ_ONLY)
    def find_skills(
        task: Task,
        k: Annotated[int | None, Field(description="how many skills (1-50; default: the workspace's top_k)")] = None,
    ) -> dict[str, Any]:
        """Find the skills for a task, best first: the same ranking as `memento search`
        (BM25 over each skill's name, description and body, meaning from word vectors, and
        what past outcomes taught). Each hit has its name, description and why it matched."""
        return app.guarded(lambda: skill_tools.find_skills(session, task, k))

    @server.tool(annotations=READ_ONLY)
    def load_skill(name: SkillName) -> dict[str, Any]:
        """Read a skill's SKILL.md (its instructions) and the list of its other files
        (scripts/, references/, ...). Read one before running its scripts."""
        return app.guarded(lambda: skill_tools.load(session, name))

    @server.tool(annotations=READ_ONLY)
    def read_skill_file(
        name: SkillName,
        path: Annotated[str, Field(description="a path inside the skill, e.g. references/format.md")],
    ) -> dict[str, Any]:
        """Read one file of a skill (text, or base64 for a binary file; at most 200 KB)."""
        return app.guarded(lambda: skill_tools.read_file(session, name, path))


def _register_acting_tools(app: McpApp) -> None:
    """The tools that run a command or record an outcome."""
    server, session = app.server, app.session

    @server.tool(
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
        )
    )
    async def run_skill_command(
        skill: SkillName,
        command: Annotated[
            str,
            Field(
                description="a shell command, run with sh -c in /work; "
                "the skill's files are at /skill, e.g. "
                "python3 /skill/scripts/x.py in.csv -o out.json"
            ),
        ],
        files: Annotated[
            dict[str, str] | None, Field(description="input files to put in /work first: path -> text")
        ] = None,
    ) -> dict[str, Any]:
        """Run a command in Memento's sandbox with the skill at /skill (read-only), in a
        fresh /work holding the files you give. No network unless the workspace grants it
        to this skill; nothing of the host is visible. Returns the exit code, stdout and
        stderr (control characters marked) and the files the command wrote."""
        return await app.in_thread(lambda cancel: run_command(session, skill, command, files, cancel=cancel))

    @server.tool(annotations=WRITES)
    def report_outcome(
        task: Task,
        skill: Annotated[str, Field(description="the skill you used for the task")],
        passed: Annotated[bool, Field(description="true if the task was done, false if not")],
        note: Annotated[str, Field(description="what went wrong or right, in a sentence or two")] = "",
    ) -> dict[str, Any]:
        """Report how a task went with a skill. It is recorded as a run, and retrieval
        learns from it (a pass makes the task find this skill; a failure pushes it down for
        similar tasks). A failure's note is what a person or `memento reflect` starts from."""
        return app.guarded(lambda: outcome.report(session, task, skill, passed, note))


def _register_proposing_tool(app: McpApp) -> None:
    """propose_patch: a client's own fix, into the review queue."""
    server, session = app.server, app.session

    @server.tool(annotations=WRITES)
    async def propose_patch(
        skill: Annotated[str, Field(description="the skill to change (a new name makes a new skill)")],
        files: Annotated[
            dict[str, str | None],
            Field(description="paths inside the skill folder -> their whole new text; null deletes"),
        ],
        reason: Annotated[str, Field(description="why: what was wrong and what the change does")],
        ctx: Context,
        run_id: Annotated[
            str | None,
            Field(description="the failed run this fixes (default: the last failure you reported with this skill)"),
        ] = None,
    ) -> dict[str, Any]:
        """Propose a fix to a skill. It is checked as Memento's own fixes are (paths, protected
        skills, the skill's tests in the sandbox, a replay of the failed run) and becomes a
        branch in the review queue: a person reads and merges or rejects it. It never changes
        the library by itself."""

        def progress(line: str) -> None:
            anyio.from_thread.run(ctx.report_progress, 0, None, line)

        return await app.in_thread(lambda _cancel: proposal.propose(session, skill, files, reason, run_id, progress))


# -- resources ------------------------------------------------------------------------


def _register_resources(app: McpApp) -> None:
    server, low = app.server, app.server._lowlevel_server

    @server.resource(
        "skill://{name}", name="skill", mime_type="text/markdown", description="a skill's SKILL.md, by name"
    )
    def skill_resource(name: str) -> str:
        try:
            return app.resources.read(name)
        except checks.CallRefused as err:
            raise ResourceNotFoundError(err.message) from None
        except MementoError as err:
            raise ResourceError(checks.error_text(err, app.session.services.paths.root)) from None

    async def list_resources(ctx: Any, params: PaginatedRequestParams) -> ListResourcesResult:
        try:
            page, following = await anyio.to_thread.run_sync(app.resources.page, params.cursor)
        except MementoError as err:
            raise MCPError(INVALID_PARAMS, err.message) from None
        return ListResourcesResult(
            resources=[
                Resource(uri=e["uri"], name=e["name"], description=e["description"], mime_type="text/markdown")
                for e in page
            ],
            next_cursor=following,
        )

    async def subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        app.subscribed.add(params.uri)
        return EmptyResult()

    async def unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        app.subscribed.discard(params.uri)
        return EmptyResult()

    low.add_request_handler("resources/list", PaginatedRequestParams, list_resources)
    low.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
    low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
