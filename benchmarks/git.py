"""Patch branch operations on a big skill repository.

    .venv/bin/python benchmarks/git.py [--skills 1000] [--commits 5000] [--rounds 30]

Generates a workspace whose main branch has 1k skills (3 files each) and 5k commits
(written in one go with ``git fast-import``), checks it out, then times through
PatchStore, the code the CLI and TUI use:

    create      a patch branch from main (plumbing, private index)     target <= 50 ms
    diff        the structured diff of a pending patch                 target <= 20 ms
    merge       with main checked out (the person's files update)      target <= 100 ms
    merge       with another branch checked out (update-ref only)      target <= 100 ms
    reject      delete the branch and record the reason                target <= 20 ms

Each figure is the median of ``--rounds`` runs. The machine is shared, so figures move
with its load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memento_tui.domain.git_repo import git_env
from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.model import PatchEvidence
from memento_tui.domain.workspace import Workspace

TARGETS_MS = {
    "create": 50,
    "diff": 20,
    "merge (main checked out)": 100,
    "merge (main not checked out)": 100,
    "reject": 20,
}


def skill_md(name: str, version: int) -> bytes:
    body = "".join(f"Step {n}: do the {name} thing carefully.\n" for n in range(1, 41))
    return (
        f"---\nname: {name}\ndescription: Handles {name} tasks (version {version}).\n---\n# {name}\n\n{body}"
    ).encode()


def skill_name(i: int) -> str:
    return f"skill-{i:04d}"


def generate(root: Path, skills: int, commits: int) -> None:
    """A workspace with ``skills`` skills and ``commits`` commits on main, via fast-import."""
    env = git_env(("Bench", "bench@localhost"))
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    chunks: list[bytes] = []

    def data(payload: bytes) -> None:
        chunks.append(b"data %d\n" % len(payload))
        chunks.append(payload)
        chunks.append(b"\n")

    def inline(path: str, payload: bytes) -> None:
        chunks.append(f"M 100644 inline {path}\n".encode())
        data(payload)

    when = 1_700_000_000
    chunks.append(b"commit refs/heads/main\nmark :1\n")
    chunks.append(f"committer Bench <bench@localhost> {when} +0000\n".encode())
    data(b"Add the skills")
    for i in range(skills):
        name = skill_name(i)
        inline(f"skills/{name}/SKILL.md", skill_md(name, 0))
        inline(f"skills/{name}/scripts/run.py", f"print('{name}')\n".encode())
        inline(f"skills/{name}/references/notes.md", f"Notes for {name}.\n".encode())
    for c in range(2, commits + 1):
        i = (c * 7919) % skills
        name = skill_name(i)
        chunks.append(f"commit refs/heads/main\nmark :{c}\n".encode())
        chunks.append(f"committer Bench <bench@localhost> {when + c} +0000\n".encode())
        data(f"Tune {name}".encode())
        chunks.append(f"from :{c - 1}\n".encode())
        inline(f"skills/{name}/references/notes.md", f"Notes for {name}, revision {c}.\n".encode())
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(chunks), cwd=root, check=True, env=env)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True, env=env)
    (root / ".memento").mkdir()
    with open(root / ".git" / "info" / "exclude", "a") as handle:
        handle.write(".memento/\n")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def make_patch(store: PatchStore, i: int, tag: str) -> str:
    name = skill_name(i)
    files = {f"skills/{name}/SKILL.md": skill_md(name, 1) + f"Also: {tag}.\n".encode()}
    return store.create(name, files, PatchEvidence(run_id=f"bench-{tag}")).id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    rounds = args.rounds

    with tempfile.TemporaryDirectory(prefix="memento-bench-git-") as tmp:
        root = Path(tmp) / "ws"
        start = time.perf_counter()
        generate(root, args.skills, args.commits)
        count = subprocess.run(
            ["git", "rev-list", "--count", "main"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(
            f"generated {args.skills} skills, {count} commits in {time.perf_counter() - start:.1f} s "
            f"({subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}, "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f})"
        )
        store = PatchStore(Workspace.at(root))
        store.main_tip()  # first use: opens the repository and finds main
        results: dict[str, list[float]] = {}

        ids: list[str] = []
        results["create"] = [timed(lambda i=i: ids.append(make_patch(store, i, "create"))) for i in range(rounds)]
        results["diff"] = [timed(lambda p=p: store.diff(p)) for p in ids]
        results["reject"] = [timed(lambda p=p: store.reject(p, "benchmark")) for p in ids]

        to_merge = [make_patch(store, rounds + i, "merge") for i in range(rounds)]
        results["merge (main checked out)"] = [timed(lambda p=p: store.merge(p)) for p in to_merge]

        subprocess.run(["git", "switch", "-q", "-c", "elsewhere"], cwd=root, check=True, env=git_env())
        to_merge = [make_patch(store, 2 * rounds + i, "merge2") for i in range(rounds)]
        results["merge (main not checked out)"] = [timed(lambda p=p: store.merge(p)) for p in to_merge]

        print(f"\nmedians over {rounds} runs (load {os.getloadavg()[0]:.2f}):")
        for name, figures in results.items():
            median = statistics.median(figures)
            target = TARGETS_MS[name]
            verdict = "ok" if median <= target else "OVER"
            print(
                f"  {name:<30} {median:7.1f} ms   (p90 {statistics.quantiles(figures, n=10)[-1]:6.1f} ms, "
                f"target <= {target} ms: {verdict})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
