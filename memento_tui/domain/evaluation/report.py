"""The learning curve of one eval, as JSON, Markdown and a terminal chart."""

from __future__ import annotations

import time
from typing import Any

from memento_tui.domain.evaluation.state import EvalState, RoundState
from memento_tui.domain.textcharts import bar_chart, percent


def round_summary(rnd: RoundState) -> dict[str, Any]:
    return {
        "round": rnd.number,
        "tasks": len(rnd.tasks),
        "passed": rnd.passed,
        "success_rate": None if rnd.success_rate is None else round(rnd.success_rate, 4),
        "skills": len(rnd.skills),
        "patches_proposed": rnd.proposed,
        "patches_validated": rnd.validated,
        "patches_merged": rnd.merged,
        "tokens": rnd.run_tokens + rnd.learn_tokens,
        "run_tokens": rnd.run_tokens,
        "learning_tokens": rnd.learn_tokens,
        "cost_usd": round(rnd.cost_usd, 6),
        "finished": rnd.finished is not None,
    }


def report_data(state: EvalState, tags: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Everything in the report, JSON-ready."""
    tags = tags or {}
    first = state.first_passed()
    tasks = []
    for task_id in state.task_ids:
        tasks.append(
            {
                "id": task_id,
                "tags": tags.get(task_id, []),
                "first_passed_round": first.get(task_id),
                "results": [rnd.tasks[task_id].status if task_id in rnd.tasks else None for rnd in state.rounds],
            }
        )
    patches = [
        {
            "round": rnd.number,
            "task": result.task_id,
            "run_id": result.run_id,
            "status": result.status,
            "category": result.category,
            "patch_id": result.patch_id,
            "skill": result.skill,
            "validated": result.validated,
            "merged": any(m.merged and m.patch_id == result.patch_id for m in rnd.merges),
            "merge_error": next((m.error for m in rnd.merges if m.patch_id == result.patch_id and m.error), ""),
            "error": result.error,
        }
        for rnd in state.rounds
        for result in rnd.learned.values()
    ]
    return {
        "eval": {
            "id": state.id,
            "suite": state.suite_name,
            "suite_path": state.suite_path,
            "suite_sha256": state.suite_sha256,
            "model": state.model,
            "rounds_target": state.rounds_target,
            "status": state.status,
            "learn": state.learn,
            "source_main": state.source_main,
            "clone": state.clone,
            "created": state.created,
            "updated": state.updated,
        },
        "rounds": [round_summary(r) for r in state.rounds],
        "tasks": tasks,
        "patches": patches,
        "totals": {
            "tokens": sum(r.run_tokens + r.learn_tokens for r in state.rounds),
            "cost_usd": round(sum(r.cost_usd for r in state.rounds), 6),
            "tasks_ever_passed": sum(1 for v in first.values() if v is not None),
            "tasks": len(state.task_ids),
        },
    }


def curve_chart(state: EvalState, width: int = 30) -> list[str]:
    rows = []
    for rnd in state.rounds:
        note = f"{percent(rnd.success_rate):>4}  ({rnd.passed}/{len(rnd.tasks)})"
        if rnd.finished is None:
            note += "  unfinished"
        rows.append((f"round {rnd.number}", rnd.success_rate, note))
    return bar_chart(rows, width)


def _mark(status: str | None) -> str:
    return {"passed": "✓", "failed": "✗", "error": "!", None: " "}.get(status, "?")


def report_markdown(state: EvalState, tags: dict[str, list[str]] | None = None) -> str:
    data = report_data(state, tags)
    info = data["eval"]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(state.created))
    lines = [
        f"# Eval {state.id}: suite `{state.suite_name}`",
        "",
        f"- suite file: `{info['suite_path']}` (sha256 {info['suite_sha256'][:12]})",
        f"- model: `{info['model'] or '(not set)'}`",
        f"- started {when} from main at `{state.source_main[:12]}`; status: {state.status}",
        f"- rounds: {len(state.rounds)} of {state.rounds_target}; learning between rounds: "
        + ("on" if state.learn else "off"),
        f"- throw-away clone: `{state.clone}`",
        "",
        "## Learning curve",
        "",
        "| round | success | passed | skills | patches proposed | validated | merged | tokens | cost |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in data["rounds"]:
        lines.append(
            f"| {row['round']} | {percent(row['success_rate'])} | {row['passed']}/{row['tasks']} "
            f"| {row['skills']} | {row['patches_proposed']} | {row['patches_validated']} "
            f"| {row['patches_merged']} | {row['tokens']} | ${row['cost_usd']:.4f} |"
        )
    lines += ["", "```", *curve_chart(state), "```", "", "## Tasks", ""]
    header = "| task | tags | " + " | ".join(f"r{r.number}" for r in state.rounds) + " | first passed |"
    lines += [header, "| --- | --- | " + " | ".join(":-:" for _ in state.rounds) + " | ---: |"]
    for task in data["tasks"]:
        marks = " | ".join(_mark(s) for s in task["results"])
        first = task["first_passed_round"]
        lines.append(f"| {task['id']} | {', '.join(task['tags'])} | {marks} | {first if first else 'never'} |")
    totals = data["totals"]
    lines += [
        "",
        f"{totals['tasks_ever_passed']} of {totals['tasks']} tasks passed at least once; "
        f"{totals['tokens']} tokens, ${totals['cost_usd']:.4f} in all.",
    ]
    if data["patches"]:
        lines += [
            "",
            "## Patches",
            "",
            "| round | task | outcome | category | skill | patch | validated | merged |",
            "| ---: | --- | --- | --- | --- | --- | :-: | :-: |",
        ]
        for p in data["patches"]:
            merged = "yes" if p["merged"] else ("conflict" if p["merge_error"] else "no")
            lines.append(
                f"| {p['round']} | {p['task']} | {p['status']} | {p['category'] or '-'} "
                f"| {p['skill'] or '-'} | {p['patch_id'] or '-'} | {'yes' if p['validated'] else 'no'} "
                f"| {merged} |"
            )
    lines += [
        "",
        "Patches were merged only into the throw-away clone above; the workspace's own main "
        "was not touched. Review them there with `memento -C <clone> patches list --all`.",
        "",
    ]
    return "\n".join(lines)
