"""``memento skills list|show|new``: the library.

Everything from a skill (folder and file names, frontmatter, body) is printed through
``safe``: a skill may come from a stranger or a model.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Literal

from memento_tui.cli.common import (
    add_json_flag,
    one_line,
    print_json,
    print_table,
    safe,
    services_from,
    workspace_from,
)
from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills import Skill, check_new_name, skill_skeleton
from memento_tui.domain.skills.protection import protection_of

if TYPE_CHECKING:
    from memento_tui.domain.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("skills", help="list, show and create skills")
    skills_sub = parser.add_subparsers(dest="skills_command", metavar="ACTION", required=True)

    p = skills_sub.add_parser("list", help="every skill, and the broken ones with their errors")
    add_json_flag(p)
    p.set_defaults(handler=cmd_list)

    p = skills_sub.add_parser("show", help="one skill: frontmatter, files and body")
    p.add_argument("name")
    add_json_flag(p)
    p.set_defaults(handler=cmd_show)

    p = skills_sub.add_parser("new", help="create a skill folder with a valid SKILL.md skeleton, committed on its own")
    p.add_argument("name")
    p.add_argument(
        "--no-commit",
        action="store_true",
        help="leave it uncommitted (learning will not patch it until it is committed)",
    )
    p.set_defaults(handler=cmd_new)

    p = skills_sub.add_parser(
        "teach",
        help="teach retrieval that a task goes with a skill",
        description="Record that TASK was done with skill NAME, as a successful run would; "
        "the task text becomes one of the skill's triggers. --from FILE.jsonl teaches many "
        'lines of {"query": "...", "skill": "..."} (optionally "outcome": "failure"); a file '
        "with any bad line teaches nothing.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="the skill")
    p.add_argument("task", nargs="?", metavar="TASK", help="the task text")
    p.add_argument("--from", dest="from_file", metavar="FILE.jsonl", help="teach every line of a JSONL file")
    p.add_argument("--failure", action="store_true", help="record a failure instead: push NAME down for TASK")
    p.set_defaults(handler=cmd_teach)


def skill_summary(skill: Skill, config: Config | None = None) -> dict[str, object]:
    """``protected`` is true when the SKILL.md or, given ``config``, a glob protects it."""
    return {
        "name": skill.name,
        "description": skill.description,
        "path": str(skill.dir),
        "license": skill.frontmatter.license,
        "files": skill.files(),
        "network": skill.wants_network,
        "protected": protection_of(skill, config) is not None,
        "warnings": list(skill.warnings),
    }


def cmd_list(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    library = ws.library()
    if args.json:
        print_json(
            {
                "skills": [skill_summary(s, ws.config) for s in library],
                "broken": [{"name": b.name, **b.error.to_dict()} for b in library.broken],
            }
        )
        return 0
    rows = []
    for skill in library:
        locked = protection_of(skill, ws.config) is not None
        marks = ("🔒 " if locked else "") + ("⚠ " if skill.warnings else "")
        folders = ",".join(f for f in ("scripts", "references", "assets", "tests") if skill.folder(f))
        rows.append((marks + skill.name, one_line(skill.description, 90), folders or "-"))
    print_table(("skill", "description", "folders"), rows, title=f"{len(library)} skills in {ws.paths.skills}")
    for broken in library.broken:
        print(f"\nbroken: {safe(broken.name, single_line=True)}\n  {safe(broken.error)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    skill = ws.library().get(args.name)
    from memento_tui.domain.retrieval.learned import LearnedStore

    learned = LearnedStore(ws.paths.learned)  # what retrieval learned; plain JSONL, no index
    if args.json:
        print_json(
            {
                **skill_summary(skill, ws.config),
                "body": skill.body,
                "metadata": skill.frontmatter.metadata,
                "triggers": learned.triggers(skill.name),
                "failures": learned.failures(skill.name),
            }
        )
        return 0
    print(f"{skill.name}  ({safe(skill.dir, single_line=True)})")
    print(f"description: {safe(skill.description)}")
    if skill.frontmatter.license:
        print(f"license: {safe(skill.frontmatter.license)}")
    if skill.frontmatter.metadata:
        # repr() of the dict already escapes control characters, but not bidi or tags.
        print(f"metadata: {safe(skill.frontmatter.metadata)}")
    for warning in skill.warnings:
        print(f"warning: {safe(warning)}")
    print("files:")
    for name in skill.files():
        print(f"  {safe(name, single_line=True)}")
    triggers = learned.triggers(skill.name)
    print(f"learned triggers ({len(triggers)}):" if triggers else "learned triggers: none yet")
    for task in triggers:
        print(f"  {one_line(task, 100)}")
    failures = learned.failures(skill.name)
    if failures:
        print(f"failed on ({len(failures)}):")
        for task in failures:
            print(f"  {one_line(task, 100)}")
    print()
    print(safe(skill.body.rstrip()))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    ws = workspace_from(args)
    check_new_name(args.name, ws.paths.skills)
    folder = ws.paths.skill_dir(args.name)
    (folder / "scripts").mkdir(parents=True)
    (folder / "SKILL.md").write_text(skill_skeleton(args.name), encoding="utf-8")
    print(f"created {folder / 'SKILL.md'}")
    if not args.no_commit:
        # A patch starts from main: a skill that is only on disk could not be learned from.
        # Only this folder is committed; whatever else the person has staged stays staged.
        from memento_tui.domain.git_repo import GitRepo

        rel = str(folder.relative_to(ws.root))
        commit = GitRepo(ws.root).commit_paths([rel], f"Add skill {args.name} (scaffold)")
        print(f"committed {rel} ({commit[:10]}); commit your edits to it as you make them")
    print("next: write its description (what it does, when to use it), then 'memento verify'")
    return 0


MAX_REPORTED = 20  # bad lines of a teach file shown before "and N more"


def cmd_teach(args: argparse.Namespace) -> int:
    from pathlib import Path

    from memento_tui.domain.retrieval.learned import make_row
    from memento_tui.domain.retrieval.teach_file import (
        TeachFileError,
        read_teach_file,
        unknown_skill,
    )

    if args.from_file and (args.name or args.task):
        raise MementoError(
            "give either NAME and TASK, or --from FILE, not both",
            fix='memento skills teach NAME "TASK" or memento skills teach --from FILE.jsonl',
        )
    if not args.from_file and not (args.name and args.task):
        raise MementoError("nothing to teach", fix='memento skills teach NAME "TASK TEXT", or --from FILE.jsonl')
    services = services_from(args)
    try:
        index = services.index()
        known = index.skill_names()
        if args.from_file:
            try:
                lines = read_teach_file(Path(args.from_file), set(known))
            except TeachFileError as err:
                for problem in err.problems[:MAX_REPORTED]:
                    print(f"memento: {safe(problem)}", file=sys.stderr)
                if len(err.problems) > MAX_REPORTED:
                    print(f"memento: ... and {len(err.problems) - MAX_REPORTED} more", file=sys.stderr)
                raise
            rows = [make_row(line.outcome, line.query, line.skill, source="teach") for line in lines]
        else:
            if args.name not in known:
                raise unknown_skill(args.name, known)
            kind: Literal["success", "failure"] = "failure" if args.failure else "success"
            rows = [make_row(kind, args.task, args.name, source="teach")]
        index.record_many(rows)
        skills = {row.skill for row in rows}
        failures = sum(row.kind == "failure" for row in rows)
        what = f"{len(rows) - failures} trigger(s)" + (f" and {failures} failure(s)" if failures else "")
        print(f"taught {what} to {len(skills)} skill(s); saved in {index.store.file}")
        return 0
    finally:
        services.close()
