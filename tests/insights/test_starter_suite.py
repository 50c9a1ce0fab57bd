"""The bundled suite: it loads, and every check tells a right answer from the naive one.

For each task, in the real sandbox and without a model: the reference solution, run on a
copy of the inputs, passes the check; the obvious use of a starter skill (``naive``),
run on a fresh copy with that skill at /skill, fails it.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from memento_tui.domain.config import SandboxConfig
from memento_tui.domain.evaluation.suite import LoadedSuite, SuiteError, SuiteTask, load_suite
from memento_tui.domain.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "benchmarks" / "suites" / "starter.yaml"
KINDS = {"data-format", "ambiguous", "permission", "missing-skill"}

STARTER = load_suite(SUITE)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(wall_seconds=30))


def _work(tmp_path: Path, suite: LoadedSuite, task: SuiteTask, name: str) -> Path:
    """The work dir as the agent gets it: each input copied in by its own name."""
    work = tmp_path / name
    work.mkdir()
    for path in suite.input_paths(task):
        if path.is_dir():
            shutil.copytree(path, work / path.name)
        else:
            shutil.copy2(path, work / path.name)
    return work


def _sh(sandbox: Sandbox, command: str, work: Path, skill: Path | None = None) -> tuple[int | None, str]:
    result = sandbox.run(["sh", "-c", command], work_dir=work, skill_dir=skill, network=False)
    return result.exit_code, (result.stdout + result.stderr)[-2000:]


def test_the_suite_has_enough_tasks_of_every_failure_kind() -> None:
    assert STARTER.name == "starter"
    assert len(STARTER.tasks) >= 24
    for task in STARTER.tasks:
        assert task.reference and task.naive and task.probes, task.id
        assert KINDS & set(task.tags), f"{task.id} names none of {KINDS}"
        if task.naive.skill:
            assert (REPO / "skills" / task.naive.skill / "SKILL.md").is_file(), task.id
    counts = {kind: sum(1 for t in STARTER.tasks if kind in t.tags) for kind in KINDS}
    assert min(counts.values()) >= 3, counts
    readme = (SUITE.parent / "README.md").read_text(encoding="utf-8")
    missing = [t.id for t in STARTER.tasks if f"`{t.id}`" not in readme]
    assert not missing, f"README.md does not describe {missing}"


@pytest.mark.parametrize("task", STARTER.tasks, ids=lambda t: t.id)
def test_reference_passes_and_naive_fails(task: SuiteTask, sandbox: Sandbox, tmp_path: Path) -> None:
    assert task.reference is not None and task.naive is not None
    work = _work(tmp_path, STARTER, task, "reference")
    code, out = _sh(sandbox, task.reference, work)
    assert code == 0, f"the reference solution failed:\n{out}"
    code, out = _sh(sandbox, task.check, work)
    assert code == 0, f"the check rejects the reference output:\n{out}"

    work = _work(tmp_path, STARTER, task, "naive")
    skill = REPO / "skills" / task.naive.skill if task.naive.skill else None
    _sh(sandbox, task.naive.command, work, skill)
    code, out = _sh(sandbox, task.check, work)
    assert code != 0, "the check accepts what the starter skill does unaided"


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "in.csv").write_text("a\n")
    path = tmp_path / "suite.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (
            "tasks:\n  - id: a\n    prompt: p\n    check: 'true'\n    colour: red\n",
            5,
            "tasks[0].colour (task 'a')",
            "Extra inputs",
        ),
        ("tasks:\n  - id: a\n    prompt: p\n", 2, "tasks[0].check (task 'a')", "Field required"),
        (
            "tasks:\n  - id: Bad_Id\n    prompt: p\n    check: 'true'\n",
            2,
            "tasks[0].id (task 'Bad_Id')",
            "lowercase",
        ),
        (
            "tasks:\n  - id: a\n    prompt: p\n    check: 'true'\n  - id: a\n    prompt: q\n    check: 'true'\n",
            5,
            "tasks[1].id",
            "used twice",
        ),
        (
            "tasks:\n  - id: a\n    prompt: p\n    check: 'true'\n    inputs: [nope.csv]\n",
            5,
            "tasks[0].inputs[0] (task 'a')",
            "does not exist",
        ),
        (
            "tasks:\n  - id: a\n    prompt: p\n    check: 'true'\n    inputs: [../x.csv]\n",
            5,
            "tasks[0].inputs[0] (task 'a')",
            "outside",
        ),
        (
            "tasks:\n  - id: a\n    prompt: p\n    prompt: q\n    check: 'true'\n",
            4,
            None,
            "written twice",
        ),
        ("tasks:\n  - id: a\n   prompt: [\n", None, None, "not valid YAML"),
        ("tasks: []\n", 1, "tasks", "at least 1"),
    ],
)
def test_a_bad_suite_names_the_file_line_and_field(
    tmp_path: Path, text: str, line: int | None, field: str | None, words: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    err = caught.value
    assert err.file == path.resolve()
    assert words in err.message
    if line is not None:
        assert err.line == line
    if field is not None:
        assert err.field == field
    assert err.fix


def test_selecting_tasks_by_id_and_tag() -> None:
    assert [t.id for t in STARTER.select(["site-status"])] == ["site-status"]
    assert {t.id for t in STARTER.select(tags=["permission"])} == {
        "fetch-json-title",
        "fetch-xml-slides",
        "site-status",
    }
    with pytest.raises(SuiteError, match="no task 'nope'"):
        STARTER.select(["nope"])
