"""How fast the TUI paints: start-up with big libraries, and opening a big diff.

    .venv/bin/python benchmarks/tui.py [--sizes 1000 10000] [--rounds 5] [--diff-lines 2000]
                                       [--widths 80 140] [--diff-only]

Drives the real app headless (Textual's ``run_test``, the same as the tests) on generated
workspaces and prints, as medians over ``--rounds``:

    start, Run screen       make_app → first frame on screen (events.Ready)
    start, Skills screen    make_app → first frame with the skill list filled in
                            (targets: <= 400 ms for 1k skills, <= 600 ms for 10k)
    skills fully read       make_app → every SKILL.md parsed and success rates filled in
                            (happens in a worker after the first paint; no target)
    diff view open          Enter on a patch in the queue → the split diff of a 2,000-line
                            SKILL.md change painted (target: <= 200 ms), at each of
                            ``--widths`` (80×24 and 140×45 by default: long lines wrap
                            inside their side, so the narrow terminal has more to lay out);
                            the queue reads the diffs of its pending patches in the
                            background as it loads. "cold" opens the review with nothing
                            read yet.

The machine is shared, so figures move with its load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

# The repository instead of benchmarks/ first on the path: benchmarks/git.py would
# otherwise stand in for GitPython's ``git`` package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from textual import events  # noqa: E402
from textual.app import ComposeResult  # noqa: E402
from textual.message import Message  # noqa: E402

from memento_tui.domain.patches.model import PatchEvidence  # noqa: E402
from memento_tui.domain.workspace import Workspace, init_workspace  # noqa: E402
from memento_tui.services.factory import make_services  # noqa: E402
from memento_tui.ui.app import make_app  # noqa: E402
from memento_tui.ui.screens.review import ReviewScreen  # noqa: E402
from memento_tui.ui.screens.skills import SkillsScreen  # noqa: E402
from memento_tui.ui.widgets.skill_list import SkillList  # noqa: E402

SIZE = (140, 45)
HEIGHT_AT = {80: 24, 140: 45}  # the sizes people use; other widths get 40 rows
TARGETS_MS = {"1000": 400, "10000": 600, "diff": 200}


def make_library(root: Path, count: int) -> Workspace:
    workspace = init_workspace(root, starter_skills=False)
    body = "".join(f"Step {n}: do the thing carefully and check the result.\n" for n in range(30))
    for i in range(count):
        name = f"skill-{i:05d}"
        folder = workspace.paths.skills / name
        folder.mkdir()
        (folder / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: Handles {name} tasks: convert, check, report.\n---\n# {name}\n\n{body}",
            encoding="utf-8",
        )
    return workspace


async def time_start(workspace: Workspace, mode: str) -> tuple[float, float, float]:
    """(first frame, list painted, library read) in ms from make_app."""
    marks: dict[str, float] = {}

    def hook(message: Message) -> None:
        now = time.perf_counter()
        if isinstance(message, events.Ready):
            marks.setdefault("ready", now)
        elif isinstance(message, SkillsScreen.LibraryLoaded):
            marks.setdefault("loaded", now)

    started = time.perf_counter()
    services = make_services(workspace)
    app = make_app(services, live=False, mode=mode)
    async with app.run_test(size=SIZE, message_hook=hook):
        # The Skills screen fills its list before its first frame, so Ready marks both.
        while "ready" not in marks or (mode == "skills" and "loaded" not in marks):
            await asyncio.sleep(0.005)
        if mode == "skills":
            assert app.screen.query_one(SkillList).row_count
        # Let background work (the index opening) end, so it does not slow the next round.
        await app.workers.wait_for_complete()
    services.close()
    ms = {k: (v - started) * 1000 for k, v in marks.items()}
    return ms["ready"], ms["ready"] if mode == "skills" else 0.0, ms.get("loaded", 0.0)


def make_big_patch(root: Path, lines: int) -> tuple[Workspace, str]:
    from memento_tui.domain.git_repo import GitRepo

    workspace = init_workspace(root, starter_skills=False)
    folder = workspace.paths.skills / "big-skill"
    folder.mkdir()
    head = "---\nname: big-skill\ndescription: A long skill for the diff benchmark.\n---\n# Big\n\n"
    old = [f"Line {n}: run `python3 scripts/step_{n}.py --input data.csv` and check the output." for n in range(lines)]
    (folder / "SKILL.md").write_text(head + "\n".join(old) + "\n", encoding="utf-8")
    GitRepo(workspace.root).commit_paths(["skills"], "big skill")
    # A change to every third line, a few inserted blocks: many hunks, word-level marks.
    new: list[str] = []
    for n, line in enumerate(old):
        new.append(line.replace("check the output", "compare it with expected.json") if n % 3 == 0 else line)
        if n % 200 == 0:
            new.append(f"Note {n}: never assume the delimiter; sniff it first.")
    services = make_services(workspace)
    patch = services.patches().create(
        "big-skill",
        {"skills/big-skill/SKILL.md": (head + "\n".join(new) + "\n").encode()},
        PatchEvidence(run_id="20260101-000000-abcd", task="benchmark", failure_category="bug_in_skill"),
    )
    services.close()
    return workspace, patch.id


# CPU time of the process for each open from the queue: on a shared machine the wall time
# moves with other people's work; this moves much less (it is what a quiet machine shows).
cpu: list[float] = []


async def time_diff(
    workspace: Workspace, patch_id: str, rounds: int, size: tuple[int, int] = SIZE
) -> tuple[list[float], list[float]]:
    """(from the queue, cold): Enter on the patch in the queue, whose diff the queue read in
    the background when it loaded; and the review screen opened with nothing read yet."""
    services = make_services(workspace)
    app = make_app(services, live=False, mode="patches")
    queue, cold = [], []
    cpu.clear()
    async with app.run_test(size=size) as pilot:
        patches = app.screen
        while patch_id not in getattr(patches, "diffs", {}):
            await asyncio.sleep(0.005)
        for _ in range(rounds):
            for figures in (queue, cold):
                started = time.perf_counter()
                cpu_started = time.process_time()
                if figures is queue:
                    patches.action_open()  # what Enter on the highlighted patch does
                    while not isinstance(app.screen, ReviewScreen):
                        await asyncio.sleep(0.001)
                    screen = app.screen
                else:
                    screen = ReviewScreen(patch_id)
                    await app.push_screen(screen)
                assert isinstance(screen, ReviewScreen)
                while screen.view is None:
                    await asyncio.sleep(0.001)
                await pilot.pause()  # the frame with the diff in it
                figures.append((time.perf_counter() - started) * 1000)
                if figures is queue:
                    cpu.append((time.process_time() - cpu_started) * 1000)
                app.pop_screen()
                await pilot.pause()
                # The queue reloads when it comes back; let that finish, as a person would.
                await app.workers.wait_for_complete()
                await pilot.pause(0.1)
    services.close()
    return queue, cold


async def time_baseline(rounds: int) -> list[float]:
    """A screen with one Static and a Footer, pushed and painted: what any screen costs on
    this machine, for scale."""
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Footer, Static

    class Plain(Screen[None]):
        BINDINGS: ClassVar = [(key, "noop", key) for key in "abcdefgh"]

        def compose(self) -> ComposeResult:
            yield Static("text " * 2000)
            yield Footer()

    app: App[None] = App()
    figures = []
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(rounds):
            started = time.perf_counter()
            await app.push_screen(Plain())
            await pilot.pause()
            figures.append((time.perf_counter() - started) * 1000)
            app.pop_screen()
            await pilot.pause()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--diff-lines", type=int, default=2000)
    parser.add_argument("--widths", type=int, nargs="+", default=[80, 140])
    parser.add_argument("--diff-only", action="store_true", help="only the diff view figures")
    args = parser.parse_args()
    if args.diff_only:
        args.sizes = []
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; medians of {args.rounds} rounds\n")
    with tempfile.TemporaryDirectory(prefix="memento-bench-tui-") as tmp:
        for count in args.sizes:
            workspace = make_library(Path(tmp) / f"lib{count}", count)
            run_first, skills_first, loaded = [], [], []
            for _ in range(args.rounds):
                ready, _, _ = asyncio.run(time_start(workspace, "run"))
                run_first.append(ready)
                _, listed, full = asyncio.run(time_start(workspace, "skills"))
                skills_first.append(listed)
                loaded.append(full)
            target = TARGETS_MS.get(str(count))
            print(f"{count:>6} skills  start, Run screen      {statistics.median(run_first):7.0f} ms")
            print(
                f"{count:>6} skills  start, Skills screen   {statistics.median(skills_first):7.0f} ms"
                + (f"   (target <= {target} ms)" if target else "")
            )
            print(
                f"{count:>6} skills  skills fully read     {statistics.median(loaded):7.0f} ms   (after first paint, in a worker)"
            )
        workspace, patch_id = make_big_patch(Path(tmp) / "diff", args.diff_lines)
        for width in args.widths:
            size = (width, HEIGHT_AT.get(width, 40))
            queue, cold = asyncio.run(time_diff(workspace, patch_id, args.rounds, size))
            print(
                f"\n{args.diff_lines}-line SKILL.md change at {size[0]}x{size[1]}  diff view open, from the queue  "
                f"{statistics.median(queue):7.0f} ms   (target <= {TARGETS_MS['diff']} ms; "
                f"CPU time {statistics.median(cpu):.0f} ms)"
            )
            print(
                f"{args.diff_lines}-line SKILL.md change at {size[0]}x{size[1]}  diff view open, cold        "
                f"{statistics.median(cold):7.0f} ms   (git read in a worker while the screen builds)"
            )
        baseline = asyncio.run(time_baseline(args.rounds))
        print(
            f"for scale: any screen (a Static and a Footer) pushed and painted  {statistics.median(baseline):7.0f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
