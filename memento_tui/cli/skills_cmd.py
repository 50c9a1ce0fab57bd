"""``memento skills list|show|new``: the library.

Everything from a skill (folder and file names, frontmatter, body) is printed through
``safe``: a skill may come from a stranger or a model.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from memento_tui.cli.common import (
    add_json_flag,
    one_line,
    print_json,
    print_table,
    safe,
    workspace_from,
)
from memento_tui.domain.skills import Skill, check_new_name, skill_skeleton

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

    p = skills_sub.add_parser(
        "new", help="create a skill folder with a valid SKILL.md skeleton, committed on its own"
    )
    p.add_argument("name")
    p.add_argument("--no-commit", action="store_true",
                   help="leave it uncommitted (learning will not patch it until it is committed)")
    p.set_defaults(handler=cmd_new)

    from memento_tui.cli.teach import add_teach_parser

    add_teach_parser(skills_sub)


def skill_summary(skill: Skill, config: Config | None = None) -> dict[str, object]:
    """``protected`` is true when the SKILL.md or, given ``config``, a glob protects it."""
    from memento_tui.domain.protection import protected_by_config

    return {
        "name": skill.name,
        "description": skill.description,
        "path": str(skill.dir),
        "license": skill.frontmatter.license,
        "files": skill.files(),
        "network": skill.wants_network,
        "protected": skill.protected or (config is not None and protected_by_config(skill.name, config)),
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
    from memento_tui.domain.protection import protected_by_config

    rows = []
    for skill in library:
        locked = skill.protected or protected_by_config(skill.name, ws.config)
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
