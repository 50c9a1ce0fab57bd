"""Read → Execute → Judge for one task. Every decision is appended to the trace first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memento_tui.domain.agent.conversation import (
    assistant_turn,
    no_call_turn,
    opening,
    repeat_refusal,
    tool_result,
    unreadable_turn,
)
from memento_tui.domain.agent.guards import (
    GuardStop,
    RepeatGuard,
    RunCancelled,
    UnreadableGuard,
    over_budget,
)
from memento_tui.domain.agent.judge import judge
from memento_tui.domain.agent.listing import work_files
from memento_tui.domain.agent.request import RunCallbacks, RunRequest
from memento_tui.domain.agent.runs import RunRecord, RunStatus, RunStore, new_run_id
from memento_tui.domain.agent.teaching import teach
from memento_tui.domain.agent.tools import TOOLS, Toolbox
from memento_tui.domain.agent.trace import (
    ModelTurn,
    Note,
    RunFailed,
    RunFinished,
    RunStarted,
    SkillsRetrieved,
    ToolCalled,
    ToolResult,
    TraceEvent,
    VerdictGiven,
    cap,
)
from memento_tui.domain.config import Config
from memento_tui.domain.errors import MementoError
from memento_tui.domain.llm import ModelClient, ModelError, ModelReply, ToolCall
from memento_tui.domain.llm.client import CallCancelled
from memento_tui.domain.skills import Skill, SkillLibrary, load_skill

if TYPE_CHECKING:
    from memento_tui.domain.retrieval import SkillIndex
    from memento_tui.domain.sandbox import Sandbox


class Agent:
    def __init__(
        self,
        *,
        model: ModelClient,
        library: Callable[[], SkillLibrary],
        index: SkillIndex,
        sandbox: Sandbox,
        runs: RunStore,
        config: Config,
        judge_model: ModelClient | None = None,
    ) -> None:
        self.model = model
        self.library = library
        self.index = index
        self.sandbox = sandbox
        self.runs = runs
        self.config = config
        self.judge_model = judge_model

    def run(
        self,
        request: RunRequest,
        callbacks: RunCallbacks | None = None,
        cancel: threading.Event | None = None,
    ) -> RunRecord:
        callbacks = callbacks or RunCallbacks()
        for path in request.inputs:
            if not path.exists():
                raise MementoError("input file not found", file=path, fix="check the path given to --input")
        record = RunRecord(
            id=new_run_id(),
            task=request.task,
            model=self.model.model,
            check=request.check,
            inputs=[str(p) for p in request.inputs],
            replay_of=request.replay_of,
            patch_id=request.patch_id,
        )
        folder, writer = self.runs.create(record, request.inputs)
        session = _Session(self, request, record, writer, folder / "work", callbacks, cancel or threading.Event())
        try:
            session.go()
        finally:
            writer.close()
            self.runs.save(record)
        return record


class _Session:
    """The state of one run; lives only as long as the run."""

    def __init__(
        self,
        agent: Agent,
        request: RunRequest,
        record: RunRecord,
        writer: Any,
        work: Path,
        callbacks: RunCallbacks,
        cancel: threading.Event,
    ) -> None:
        self.agent = agent
        self.request = request
        self.record = record
        self.writer = writer
        self.work = work
        self.callbacks = callbacks
        self.cancel = cancel
        self.started = time.monotonic()
        self.step = 0
        self.answer = ""
        self.agent_success = False

    def emit(self, event: TraceEvent) -> None:
        event.step = self.step
        self.writer.write(event)  # the trace first: a crash after this loses nothing
        if self.callbacks.on_event is not None:
            self.callbacks.on_event(event)

    def go(self) -> None:
        cfg = self.agent.config
        self.emit(
            RunStarted(
                run_id=self.record.id,
                task=self.request.task,
                model=self.agent.model.model,
                check=self.request.check,
                inputs=self.record.inputs,
                replay_of=self.request.replay_of,
            )
        )
        skills = self._skills()
        hits = self._retrieve(skills)
        toolbox = Toolbox(
            self.work,
            skills,
            self.agent.sandbox,
            cfg.sandbox,
            on_output=self.callbacks.on_output,
            cancel=self.cancel,
        )
        status = self._execute_and_judge(toolbox, hits)
        try:  # what the model wrote last (write_file) is made as safe to keep as any output
            self.agent.sandbox.settle(self.work)
        except OSError as err:
            self.emit(Note(message=f"the work dir could not be checked after the run: {err}"))
        self._finish(status, toolbox.used)
        self._teach_retrieval()

    def _retrieve(self, skills: dict[str, Skill]) -> list[Any]:
        # The agent's ranking: the first stage reranked by the sentence model (loaded here, in
        # the run's worker, on the first run; the first stage alone if it cannot be read).
        hits = self.agent.index.agent_search(self.request.task, top_k=self.agent.config.retrieval.top_k)
        hits = [h for h in hits if h.name in skills]
        self.record.skills_retrieved = [h.name for h in hits]
        self.emit(
            SkillsRetrieved(
                hits=[
                    {
                        "name": h.name,
                        "score": round(h.score, 4),
                        "description": h.description,
                        "why": h.why,
                    }
                    for h in hits
                ]
            )
        )
        return hits

    def _execute_and_judge(self, toolbox: Toolbox, hits: list[Any]) -> RunStatus:
        try:
            stop = self._loop(toolbox, hits)
            if stop is not None:
                self.record.guard, self.record.guard_message = stop.guard, stop.message
                self.emit(RunFailed(kind="guard", guard=stop.guard, message=stop.message, fix=stop.fix))
            verdict = judge(
                check=self.request.check,
                sandbox=self.agent.sandbox,
                work_dir=self.work,
                task=self.request.task,
                answer=self.answer,
                agent_success=self.agent_success,
                judge_model=self.agent.judge_model,
                guard=stop.message if stop is not None else "",
                cancel=self.cancel,
            )
            self.emit(verdict)
            self.record.verdict_source = verdict.source
            self.record.verdict_detail = verdict.detail
            return "passed" if verdict.passed else "failed"
        except RunCancelled:
            self.emit(RunFailed(kind="cancelled", message="the run was cancelled by the person"))
            return "cancelled"
        except ModelError as err:
            self.emit(RunFailed(kind=f"model_{err.kind}", message=str(err)))
        except MementoError as err:
            self.emit(RunFailed(kind="error", message=str(err)))
        return "error"

    def _finish(self, status: RunStatus, used: list[str]) -> None:
        self.record.status = status
        self.record.skills_used = list(used)
        self.record.answer = self.answer
        self.record.steps = self.step
        self.record.finished = time.time()
        self.emit(
            RunFinished(
                status=status,  # type: ignore[arg-type]  # never running or interrupted here
                answer=self.answer,
                steps=self.step,
                prompt_tokens=self.record.prompt_tokens,
                completion_tokens=self.record.completion_tokens,
                cost_usd=self.record.cost_usd,
                duration=time.monotonic() - self.started,
                skills_used=list(used),
                guard=self.record.guard,
            )
        )

    def _skills(self) -> dict[str, Skill]:
        skills = dict(self.agent.library().skills)
        for name, folder in self.request.skill_overrides.items():
            skills[name] = load_skill(folder)
        return skills

    def _teach_retrieval(self) -> None:
        """What retrieval learns from this run: the rule in teaching.py (a pass a guard
        stopped teaches nothing), unless the request or the config says not to learn."""
        if self.request.learn and self.agent.config.retrieval.learn:
            teach(self.agent.index, self.record)

    # -- the tool-calling loop ---------------------------------------------------------
    def _loop(self, toolbox: Toolbox, hits: list[Any]) -> GuardStop | None:
        """Model turns and tool calls until the model is done (None) or a guard stops it."""
        messages = opening(hits, self._task_message())
        repeats, unreadable = RepeatGuard(), UnreadableGuard()
        words_only = False  # the last reply had words and no call
        while True:
            if self.cancel.is_set():
                raise RunCancelled
            stop = over_budget(
                self.agent.config.run,
                steps=self.step,
                tokens=self.record.prompt_tokens + self.record.completion_tokens,
                elapsed=time.monotonic() - self.started,
            )
            if stop is not None:
                return stop
            self.step += 1
            reply = self._turn(messages)
            error = _unreadable(reply)
            if error:
                self.emit(Note(message=f"reply not understood: {error}"))
                fix = self.agent.model.protocol_fix(empty=not (reply.text.strip() or reply.tool_calls))
                stop = unreadable.unreadable(error, fix)
                if stop is not None:
                    return stop
                if not reply.tool_calls:
                    messages += unreadable_turn(reply, error, self.agent.model.uses_native_tools())
                    continue
            else:
                unreadable.readable()
            if not reply.tool_calls and not words_only:
                # Words and no call. Often a model narrating before it acts ("Let me look at
                # the skill first"); taken as its final answer, that became a PASS on the
                # agent's report for work never done. Ask once to act or to call finish.
                words_only = True
                self.emit(Note(message="the reply called no tool: the model was asked to act or to call finish"))
                messages += no_call_turn(reply)
                continue
            if not reply.tool_calls:
                # Words again: its final answer, as native tool calling has it.
                self.answer = reply.text.strip()
                self.agent_success = bool(self.answer)
                return None
            words_only = False
            messages.append(assistant_turn(reply))
            for call in reply.tool_calls:
                if self._call(call, toolbox, repeats, messages):
                    return repeats.stop(call.name)  # None: the model called finish

    def _turn(self, messages: list[dict[str, Any]]) -> ModelReply:
        try:
            reply = self.agent.model.complete(messages, TOOLS, on_text=self.callbacks.on_text, cancel=self.cancel)
        except CallCancelled:
            raise RunCancelled from None
        self.record.prompt_tokens += reply.usage.prompt_tokens
        self.record.completion_tokens += reply.usage.completion_tokens
        self.record.cost_usd += reply.usage.cost_usd
        self.emit(
            ModelTurn(
                text=reply.text,
                tool_calls=[{"id": c.id, "name": c.name, "arguments": c.arguments} for c in reply.tool_calls],
                prompt_tokens=reply.usage.prompt_tokens,
                completion_tokens=reply.usage.completion_tokens,
                cost_usd=reply.usage.cost_usd,
                duration=reply.duration,
                protocol_error=reply.protocol_error,
            )
        )
        return reply

    def _call(
        self,
        call: ToolCall,
        toolbox: Toolbox,
        repeats: RepeatGuard,
        messages: list[dict[str, Any]],
    ) -> bool:
        """Carry out one call (or refuse a repeat); True when the run ends here."""
        self.emit(ToolCalled(call_id=call.id, name=call.name, arguments=call.arguments))
        if repeats.refuse(call.name, call.arguments):
            text = repeat_refusal(call.name)
            self.emit(
                ToolResult(
                    call_id=call.id,
                    name=call.name,
                    ok=False,
                    output=text,
                    not_run=f"the same call as the one before (repeat {repeats.repeats})",
                )
            )
            messages.append(tool_result(call, text))
            return repeats.stop(call.name) is not None
        outcome = toolbox.execute(call.name, call.arguments)
        self.emit(
            ToolResult(
                call_id=call.id,
                name=call.name,
                ok=outcome.ok,
                output=cap(outcome.output),
                exit_code=outcome.exit_code,
                limit=outcome.limit,
                skill=outcome.skill,
                duration=outcome.duration,
                sandboxed=outcome.sandboxed,
            )
        )
        if outcome.cancelled or self.cancel.is_set():
            raise RunCancelled
        if outcome.finished:
            self.answer = str(call.arguments.get("answer", ""))
            self.agent_success = outcome.success
            return True
        messages.append(tool_result(call, outcome.output))
        return False

    def _task_message(self) -> str:
        files = work_files(self.work, limit=1000)
        listing = "\n".join(f"- {f}" for f in files[:100]) or "(none)"
        return f"Task: {self.request.task}\n\nFiles in /work:\n{listing}"


def _unreadable(reply: ModelReply) -> str:
    """What makes a reply no usable action, or "" when it is one (or a final answer)."""
    if reply.protocol_error:
        return reply.protocol_error
    if any("_unparsed" in c.arguments for c in reply.tool_calls):
        return "the tool call's arguments were not valid JSON"
    if not reply.tool_calls and not reply.text.strip():
        return "the reply was empty"
    return ""


__all__ = ["Agent", "RunCallbacks", "RunCancelled", "RunRequest", "VerdictGiven"]
