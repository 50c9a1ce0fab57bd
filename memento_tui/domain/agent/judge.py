"""The verdict of a run, from the strongest source available.

A person's mark (added later, through ``RunStore.mark``) beats everything; here the
order is: the task's check command, then an LLM judge if one is configured, then the
agent's own report. A run a guard stopped (guards.py) passes only on its check: neither
the agent's word nor an LLM judge can pass work that was never finished.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain.agent.guards import RunCancelled
from memento_tui.domain.agent.listing import work_files
from memento_tui.domain.agent.trace import VerdictGiven, cap
from memento_tui.domain.llm import ModelClient, ModelError

if TYPE_CHECKING:
    from memento_tui.domain.sandbox import Sandbox

_JUDGE_PROMPT = (Path(__file__).parent / "prompts" / "judge.md").read_text(encoding="utf-8")


def run_check(check: str, sandbox: Sandbox, work_dir: Path, cancel: threading.Event | None = None) -> VerdictGiven:
    """Run the check command in the sandbox against the work dir; exit 0 passes."""
    result = sandbox.run(["sh", "-c", check], work_dir=work_dir, skill_dir=None, network=False, cancel=cancel)
    if result.cancelled:
        raise RunCancelled
    output = "\n".join(part for part in (result.stdout, result.stderr) if part)
    if result.limit:
        detail = f"check stopped by the {result.limit} limit"
    else:
        detail = f"check exited {result.exit_code}"
    return VerdictGiven(
        passed=result.exit_code == 0 and result.limit is None,
        source="check",
        detail=detail,
        check_output=cap(output, 4000),
    )


def judge(
    *,
    check: str | None,
    sandbox: Sandbox,
    work_dir: Path,
    task: str,
    answer: str,
    agent_success: bool,
    judge_model: ModelClient | None,
    guard: str = "",
    cancel: threading.Event | None = None,
) -> VerdictGiven:
    """``guard``: what the guard that stopped the run said, if one did."""
    if check:
        verdict = run_check(check, sandbox, work_dir, cancel)
        verdict.guard = guard
        return verdict
    if guard:
        return VerdictGiven(
            passed=False,
            source="guard",
            detail="a guard stopped the run and no check proves the work done",
            guard=guard,
        )
    if judge_model is not None:
        try:
            return _llm_judge(judge_model, task, answer, work_dir)
        except ModelError as err:
            return VerdictGiven(
                passed=agent_success,
                source="agent",
                detail=f"the LLM judge failed ({err.kind}); the agent's own report stands",
            )
    return VerdictGiven(passed=agent_success, source="agent", detail="the agent's own report (no check command)")


def _llm_judge(model: ModelClient, task: str, answer: str, work_dir: Path) -> VerdictGiven:
    files = work_files(work_dir, limit=1000)[:50]
    prompt = (
        _JUDGE_PROMPT.replace("{task}", task)
        .replace("{answer}", answer or "(none)")
        .replace("{files}", "\n".join(files) or "(none)")
    )
    reply = model.complete([{"role": "user", "content": prompt}], max_tokens=300)
    text = reply.text.strip()
    start, end = text.find("{"), text.rfind("}")
    try:
        data = json.loads(text[start : end + 1])
        return VerdictGiven(
            passed=bool(data["passed"]),
            source="llm-judge",
            detail=str(data.get("reason", ""))[:500],
        )
    except (ValueError, KeyError, TypeError):
        raise ModelError("the judge's reply was not the JSON asked for", kind="bad_reply") from None
