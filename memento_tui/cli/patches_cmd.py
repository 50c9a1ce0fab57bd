"""``memento patches list|show|diff|merge|reject|undo``: review without the TUI.

Everything shown passes through ``terminal_safe``: a patch is model text, and bidi,
zero-width and control characters in it must not hide from the reviewer or reach the
terminal as escapes. ``--json`` output writes them as \\u escapes for the same reason.

``list`` puts patches made from a run or task the person marked critical first (``!``);
``show`` prints the failing step of the run a patch came from (the tool call, its output,
the check's verdict) and the runs to open with ``memento runs show``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from memento_tui.cli.common import add_json_flag, print_json, services_from


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("patches", help="review patch branches: list, show, diff, merge, reject, undo")
    patches_sub = parser.add_subparsers(dest="patches_command", metavar="ACTION", required=True)

    p = patches_sub.add_parser("list", help="pending patches with their evidence")
    p.add_argument("--all", action="store_true", help="also merged, rejected and gone patches")
    p.add_argument(
        "--status",
        choices=("pending", "merged", "rejected", "reverted", "gone", "all"),
        help="only these",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_list)

    p = patches_sub.add_parser("show", help="one patch: evidence, files, decision")
    p.add_argument("id", help="the patch id, a unique prefix of it, or its last part")
    add_json_flag(p)
    p.set_defaults(handler=cmd_show)

    p = patches_sub.add_parser("diff", help="the patch as a git diff against main")
    p.add_argument("id")
    p.add_argument("--json", action="store_true", help="the structured diff: files, hunks, lines")
    p.set_defaults(handler=cmd_diff)

    p = patches_sub.add_parser("merge", help="merge a patch into main (a merge commit; undoable)")
    p.add_argument("id")
    add_json_flag(p)
    p.set_defaults(handler=cmd_merge)

    p = patches_sub.add_parser("reject", help="delete a patch branch and record why")
    p.add_argument("id")
    p.add_argument("--reason", required=True, help="why; later reflections on the skill read it")
    add_json_flag(p)
    p.set_defaults(handler=cmd_reject)

    p = patches_sub.add_parser("undo", help="take back the last merge (if nothing came after it)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_undo)

    p = patches_sub.add_parser(
        "revert", help="take back a merged patch with a revert commit on main (after later work)"
    )
    p.add_argument("id")
    add_json_flag(p)
    p.set_defaults(handler=cmd_revert)

    p = patches_sub.add_parser("requeue", help="put a reverted patch up for review again, applied to main as it is now")
    p.add_argument("id")
    add_json_flag(p)
    p.set_defaults(handler=cmd_requeue)


def cmd_list(args: argparse.Namespace) -> int:
    from memento_tui.services.insights import critical_set, patch_queue

    services = services_from(args)
    store = services.patches()
    status = args.status or ("all" if args.all else "pending")
    # Critical first; otherwise the store's order.
    patches = patch_queue(services, store.list(status))
    marks = critical_set(services)
    critical = {p.id for p in patches if marks.is_critical(p.evidence.run_id, p.evidence.task)}
    if args.json:
        _print_json([{**p.model_dump(mode="json"), "critical": p.id in critical} for p in patches])
        return 0
    if not patches:
        print(f"no {'' if status == 'all' else status + ' '}patches")
        return 0
    # Plain lines, not a table: ids and summaries stay whole at any terminal width.
    print(
        f"{len(patches)} {'' if status == 'all' else status + ' '}patches"
        + (f"; {len(critical)} critical first (!)" if critical else "")
    )
    for p in patches:
        ev = p.evidence
        head = (
            ("! " if p.id in critical else "")
            + f"{p.id}  {p.skill}  {p.status}  {ev.failure_category or 'uncategorised'}  "
            f"replay {ev.replay_text()}  regressions {ev.regressions_text()}  "
            f"{'validated' if ev.validated else 'not validated'}  {len(p.files)} file(s)"
        )
        print(visible(head))
        summary = _short(ev.reflection_summary or p.subject, 100)
        if summary:
            print(visible(f"    {summary}"))
        if p.reason:
            print(visible(f"    rejected: {_short(p.reason, 100)}"))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from memento_tui.domain.agent.failing_step import failing_step_for

    services = services_from(args)
    patch = services.patches().get(args.id)
    failing = failing_step_for(patch.evidence, services.runs())
    if args.json:
        _print_json({**patch.model_dump(mode="json"), "failing_step": asdict(failing)})
        return 0
    ev = patch.evidence
    lines = [
        f"patch {patch.id}  ({patch.status})",
        f"skill:        {patch.skill}",
        f"branch:       {patch.branch}",
        f"base:         {patch.base[:12]}   head: {patch.head[:12]}",
        f"created:      {patch.created_at:%Y-%m-%d %H:%M:%S} UTC",
        f"subject:      {patch.subject}",
        f"kind:         {ev.kind}",
        f"run:          {ev.run_id or '-'}",
        f"task:         {ev.task or '-'}",
        f"category:     {ev.failure_category or '-'}",
        f"weak skill:   {ev.weak_skill or '-'}",
        f"decision at:  step {ev.decision_step}" if ev.decision_step is not None else "decision at:  -",
        f"replay:       {ev.replay_text()}",
        f"regressions:  {ev.regressions_text()}",
    ]
    lines += [f"  {'pass' if r.passed else 'FAIL'}  {r.run_id}  {_short(r.task, 60)}" for r in ev.regressions]
    lines += [
        f"validated:    {'yes' if ev.validated else 'no'}",
        f"cost:         {ev.cost.tokens} tokens, ${ev.cost.usd:.4f}",
    ]
    if patch.status in ("merged", "rejected", "reverted") and patch.decided_at:
        lines.append(f"{patch.status + ':':<14}{patch.decided_at:%Y-%m-%d %H:%M:%S} UTC")
    if patch.reason:
        lines.append(f"reason:       {patch.reason}")
    if not patch.has_record:
        lines.append("note:         no record in .memento/patches/; evidence read from the commit")
    lines.append("files:")
    lines += [f"  {name}" for name in patch.files]
    if ev.reflection_summary:
        lines += ["", "reflection:", *(f"  {line}" for line in ev.reflection_summary.split("\n"))]
    lines += ["", *_context_lines(patch, failing)]
    print(visible("\n".join(lines)))
    return 0


def _context_lines(patch: Any, failing: Any) -> list[str]:
    """The failing step under the evidence, then the runs behind the patch."""
    from memento_tui.domain.agent.failing_step import failing_step_lines, linked_runs, run_link_line

    head = "failing step" + (f" (run {failing.run_id})" if failing.run_id else "") + ":"
    lines = [head, *(f"  {line}" for line in failing_step_lines(failing))]
    links = linked_runs(patch.evidence)
    if links:
        lines += ["", "runs (open one with: memento runs show ID):"]
        lines += [f"  {run_link_line(link)}" for link in links]
    return lines


def cmd_diff(args: argparse.Namespace) -> int:
    store = services_from(args).patches()
    if args.json:
        _print_json(store.diff(args.id).to_json_dict())
        return 0
    # The whole text at once: splitting into lines first would let U+2028, NEL and the
    # like pass as line breaks instead of being shown.
    sys.stdout.write(visible(store.diff_text(args.id)))
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    store = services_from(args).patches()
    result = store.merge(args.id)
    if args.json:
        _print_json(result.model_dump(mode="json"))
        return 0
    if result.merge_commit is None:
        print(visible(f"{result.main} already had patch {result.id}; recorded it as merged"))
    else:
        where = f" and updated your files in {result.worktree}" if result.checked_out else ""
        print(
            visible(
                f"merged patch {result.id} ({result.skill}) into {result.main} as {result.merge_commit[:12]}{where}"
            )
        )
        print("undo with: memento patches undo")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    store = services_from(args).patches()
    rejection = store.reject(args.id, args.reason)
    if args.json:
        _print_json(rejection.model_dump(mode="json"))
        return 0
    print(visible(f"rejected patch {rejection.id} ({rejection.skill}): {rejection.reason}"))
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    store = services_from(args).patches()
    result = store.undo()
    if args.json:
        _print_json(result.model_dump(mode="json"))
        return 0
    print(
        visible(
            f"undid the merge of patch {result.id} ({result.skill}): {result.main} is back at "
            f"{result.restored[:12]}; the patch is pending again on {result.branch}"
        )
    )
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    store = services_from(args).patches()
    patch = store.revert(args.id)
    if args.json:
        _print_json(patch.model_dump(mode="json"))
        return 0
    print(
        visible(
            f"reverted patch {patch.id} ({patch.skill}) with a commit on "
            f"{store.main_branch()}; 'memento patches requeue {patch.id}' brings it back "
            "for review"
        )
    )
    return 0


def cmd_requeue(args: argparse.Namespace) -> int:
    store = services_from(args).patches()
    patch = store.requeue(args.id)
    if args.json:
        _print_json(patch.model_dump(mode="json"))
        return 0
    print(
        visible(
            f"queued again as patch {patch.id} on {patch.branch}, applied to "
            f"{store.main_branch()} as it is now (not replayed since)"
        )
    )
    return 0


def _print_json(data: Any) -> None:
    # Escapes, bidi, tag and zero-width characters come out as \\u escapes; é stays é.
    print_json(data)


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def visible(text: str) -> str:
    from memento_tui.domain.skills.hidden_text import terminal_safe

    return terminal_safe(text)
