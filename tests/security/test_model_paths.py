"""Paths a model chooses are checked before anything is read, stat'ed or written.

The work dir is written by hostile sandboxed code, so these tests plant what such code
can leave there (symlink loops, links to /etc/shadow and /proc/self/mem, a FIFO, a
socket, a 60 GB sparse file, a 3,000-deep tree, a mode-000 folder) and then drive the
real agent through litellm to a scripted server: every tool call gets a result the
model reads, and the run carries on to its verdict. Patch paths go through the real
learning code: each is refused with the path and the rule, and nothing is read first.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.agent.tools import MAX_READ_BYTES, Toolbox, ToolOutcome
from memento_tui.domain.config import SandboxConfig
from memento_tui.domain.tree import remove_tree_quietly
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.learning import learn_from_run
from memento_tui.testing.scripted_server import ScriptedServer, Step, call, calls, say
from tests.conftest import configure_model
from tests.learning.scripted_models import Router, reflection

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

SPARSE_BYTES = 60 * 1024**3
DEPTH = 3000


@pytest.fixture(autouse=True)
def _remove_deep_trees(tmp_path: Path) -> Iterator[None]:
    """pytest removes old temp dirs with shutil.rmtree, which recurses: a 3,000-deep tree
    left behind ends the session with a RecursionError."""
    yield
    remove_tree_quietly(tmp_path)


def make_deep(root: Path, depth: int = DEPTH, leaf: str = "leaf.txt") -> None:
    """``root/d/d/.../d/leaf`` ``depth`` folders deep (longer than PATH_MAX: built by fd)."""
    root.mkdir()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        leaf_fd = os.open(leaf, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf_fd, b"bottom\n")
        os.close(leaf_fd)
    finally:
        os.close(fd)


def plant_hostile(work: Path) -> None:
    """What sandboxed code can leave in /work."""
    os.symlink("loop", work / "loop")
    os.symlink("pair_b", work / "pair_a")
    os.symlink("pair_a", work / "pair_b")
    os.symlink("/etc/shadow", work / "shadow")
    os.symlink("/proc/self/mem", work / "mem")
    os.symlink("/", work / "host")
    os.mkfifo(work / "pipe")
    os.mknod(work / "sock", 0o600 | stat.S_IFSOCK)
    with open(work / "big.bin", "wb") as handle:
        handle.truncate(SPARSE_BYTES)
    make_deep(work / "deep")
    (work / "locked").mkdir()
    (work / "locked" / "secret.txt").write_text("s")
    (work / "locked").chmod(0)
    (work / os.fsdecode(b"bad-\xff.txt")).write_text("not utf-8 name")


def in_thread(fn: Callable[[], Any], seconds: float = 120) -> Any:
    """Run ``fn`` and fail (instead of hanging the suite) if it does not return in time."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as err:  # re-raised in the test's thread
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s (a read hung?)"
    if "error" in box:
        raise box["error"]
    return box["value"]


def _work_of_the_run(workspace: Workspace) -> Path:
    (work,) = workspace.paths.runs.glob("*/work")
    return work


# -- agent tool calls --------------------------------------------------------------------

HOSTILE_CALLS: list[tuple[str, dict[str, Any], bool, str]] = [
    ("read_file", {"path": "/proc/self/mem"}, False, "outside /work"),
    ("read_file", {"path": "/etc/shadow"}, False, "outside /work"),
    ("read_file", {"path": "../../x"}, False, "leads outside /work"),
    ("read_file", {"path": "/work/../../x"}, False, "leads outside /work"),
    ("read_file", {"path": "a\x00b"}, False, "NUL byte"),
    ("read_file", {"path": "a\u200bb"}, False, "invisible character U+200B"),
    ("read_file", {"path": "loop"}, False, "is a symlink"),
    ("read_file", {"path": "pair_a"}, False, "is a symlink"),
    ("write_file", {"path": "loop/x", "content": "x"}, False, "loop is a symlink, not a folder"),
    ("read_file", {"path": "shadow"}, False, "is a symlink"),
    ("write_file", {"path": "shadow", "content": "pwned"}, False, "is a symlink"),
    ("read_file", {"path": "mem"}, False, "is a symlink"),
    ("read_file", {"path": "host/etc/passwd"}, False, "host is a symlink, not a folder"),
    ("list_files", {"path": "host"}, False, "host is a symlink, not a folder"),
    ("read_file", {"path": "pipe"}, False, "is a FIFO"),
    ("write_file", {"path": "pipe", "content": "x"}, False, "is a FIFO"),
    ("read_file", {"path": "sock"}, False, "is a socket"),
    ("read_file", {"path": "big.bin"}, True, f"only the first {MAX_READ_BYTES} shown"),
    ("read_file", {"path": "deep"}, False, "is a folder"),
    ("read_file", {"path": "/".join(["deep", *["d"] * DEPTH, "leaf.txt"])}, False, "longer than 1024 bytes"),
    ("list_files", {"path": "deep"}, True, "leaf.txt  (7 bytes)"),
    ("list_files", {"path": "locked"}, True, "secret.txt"),
    ("write_file", {"path": ".git/config", "content": "[core]\n\tfsmonitor = evil"}, False, "git folder"),
    ("write_file", {"path": 42, "content": "x"}, False, "must be text"),
    ("write_file", {"path": "/work/new/dir/out.txt", "content": "fine"}, True, "wrote 4 characters"),
    ("read_skill_file", {"name": "csv-json", "path": "/proc/self/mem"}, False, "outside /skill"),
    ("read_skill_file", {"name": "csv-json", "path": "../../../.memento/config.toml"}, False, "leads outside /skill"),
    ("read_skill_file", {"name": "csv-json", "path": "/skill/SKILL.md"}, True, "name: csv-json"),
    ("list_files", {}, True, "big.bin  (64424509440 bytes)"),
]


def test_hostile_tool_paths_become_tool_results_and_the_run_reaches_its_verdict(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    shadow_before = Path("/etc/shadow").read_bytes() if os.access("/etc/shadow", os.R_OK) else None

    def plant_then_call(body: dict[str, Any]) -> Step:
        plant_hostile(_work_of_the_run(workspace))
        return calls(*[(name, args) for name, args, _, _ in HOSTILE_CALLS])

    scripted.add(plant_then_call, call("finish", answer="looked around", success=True))
    services = make_services(workspace)
    record = in_thread(lambda: services.agent().run(RunRequest(task="look at the files", learn=False)))

    assert record.status == "passed" and record.verdict_source == "agent"
    events, problems = services.runs().trace(record.id)
    assert problems == []
    results = [e for e in events if e.type == "tool_result" and e.name != "finish"]
    assert len(results) == len(HOSTILE_CALLS)
    for (name, args, ok, words), result in zip(HOSTILE_CALLS, results, strict=True):
        assert result.name == name
        assert (result.ok, words in result.output) == (ok, True), (name, args, result.output)
    assert [e.type for e in events][-2:] == ["verdict", "run_finished"]
    # The model read these results; nothing outside /work was written.
    told = json.dumps(scripted.requests[1]["messages"])
    assert "is a FIFO" in told and "leads outside /work" in told
    if shadow_before is not None:
        assert Path("/etc/shadow").read_bytes() == shadow_before
    work = services.runs().dir(record.id) / "work"
    assert (work / "new" / "dir" / "out.txt").read_text() == "fine"
    assert not (work / ".git").exists()


def test_the_llm_judge_lists_a_hostile_work_dir_without_hanging(workspace: Workspace, scripted: ScriptedServer) -> None:
    configure_model(workspace, scripted.api_base, judge="openai/scripted")

    def plant_then_finish(body: dict[str, Any]) -> Step:
        plant_hostile(_work_of_the_run(workspace))
        (_work_of_the_run(workspace) / "answer.txt").write_text("42")
        return call("finish", answer="wrote answer.txt", success=True)

    scripted.add(plant_then_finish, say('{"passed": true, "reason": "answer.txt is there"}'))
    services = make_services(workspace)
    record = in_thread(lambda: services.agent().run(RunRequest(task="write the answer", learn=False)))

    assert record.status == "passed" and record.verdict_source == "llm-judge"
    judge_prompt = scripted.requests[-1]["messages"][0]["content"]
    listed = judge_prompt.split("work folder:\n")[1].split("\n\nReply")[0].splitlines()
    assert "answer.txt" in listed and "big.bin" in listed and "locked/secret.txt" in listed
    assert any(line.endswith("d/d/leaf.txt") for line in listed)
    # Only regular files: no link, FIFO or socket is named, let alone followed.
    assert not {"loop", "pipe", "sock", "shadow", "host"} & set(listed)


def test_a_lone_surrogate_in_the_models_json_does_not_break_the_trace(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    # call() sends '\udcff' as a JSON escape; decoded, it is a lone surrogate, which the
    # trace (UTF-8) cannot hold. It arrives as "?".
    scripted.add(call("write_file", path="x\udcff.txt", content="\udcff"), call("finish", answer="ok", success=False))
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="write a file", learn=False))
    events, problems = services.runs().trace(record.id)
    assert problems == []
    called = next(e for e in events if e.type == "tool_called")
    assert called.arguments == {"path": "x?.txt", "content": "?"}
    assert (services.runs().dir(record.id) / "work" / "x?.txt").read_text() == "?"
    assert record.status == "failed" and record.verdict_source == "agent"


def test_an_input_folder_with_link_loops_and_depth_is_copied_without_following(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n")
    os.symlink("loop", data / "loop")
    os.symlink("/etc/passwd", data / "passwd")
    (data / "sub").mkdir()
    os.symlink("..", data / "sub" / "up")
    make_deep(data / "deep", depth=1200)  # past os.walk's and shutil.copytree's recursion
    scripted.add(call("list_files"), call("finish", answer="ok", success=True))
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="look", inputs=[data], learn=False))

    assert record.status == "passed"
    work = services.runs().dir(record.id) / "work" / "data"
    assert (work / "rows.csv").read_text() == "a,b\n"
    assert not os.path.lexists(work / "loop") and not os.path.lexists(work / "passwd")
    assert not os.path.lexists(work / "sub" / "up")
    first = scripted.requests[0]["messages"][1]["content"]
    assert "data/rows.csv" in first and "leaf.txt" in first


def test_an_input_deeper_than_path_max_is_refused_before_a_run_is_recorded(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    make_deep(tmp_path / "deep")
    services = make_services(workspace)
    from memento_tui.domain.errors import MementoError

    with pytest.raises(MementoError, match="cannot copy the input") as caught:
        services.agent().run(RunRequest(task="look", inputs=[tmp_path / "deep"], learn=False))
    assert caught.value.file == tmp_path / "deep"
    assert services.runs().list() == []
    assert not any(services.paths.runs.iterdir())


# -- patch paths through reflection and writing ------------------------------------------


def _failing_agent(body: dict[str, Any]) -> Step:
    turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
    if turns == 0:
        return call("load_skill", name="date-normalize")
    return call("finish", answer="could not do it", success=False)


def _writer(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda body: json.dumps({"files": [{"path": path, "content": "x\n"}], "message": "fix"})


def _git(ws: Workspace, *args: str) -> str:
    return subprocess.run(["git", "-C", str(ws.root), *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/proc/self/mem", "is absolute"),
        ("/etc/shadow", "is absolute"),
        ("../../x", "'..' segment"),
        ("scripts/../../other/SKILL.md", "'..' segment"),
        ("SKILL.md\x00.txt", "NUL byte"),
        (".git/hooks/pre-commit", "touches a git file"),
        # Numbered: litellm stops a stream that repeats one chunk over and over.
        ("/".join(f"d{i}" for i in range(DEPTH)) + "/x.md", "longer than 1024 bytes"),
    ],
    ids=["proc-self-mem", "etc-shadow", "dotdot", "dotdot-inside", "nul", "git-hook", "deep"],
)
def test_a_patch_path_the_rules_refuse_is_refused_before_anything_is_read(
    workspace: Workspace, scripted: ScriptedServer, path: str, words: str
) -> None:
    router = Router(_failing_agent, reflection=[reflection()], writes=[_writer(path)])
    scripted.add(*[router] * 6)
    services = make_services(workspace)
    branches = _git(workspace, "branch", "--list")
    failed = services.agent().run(RunRequest(task="normalise the dates in a.csv"))
    assert failed.status == "failed"

    result = learn_from_run(services, failed.id)

    assert result.status == "write_refused"
    assert words in result.error
    assert router.seen[-2:] == ["reflect", "write"]
    assert _git(workspace, "branch", "--list") == branches
    assert services.patches().list(status="all") == []


def test_memento_run_survives_a_proc_self_mem_patch_path(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    router = Router(_failing_agent, reflection=[reflection()], writes=[_writer("/proc/self/mem")])
    scripted.add(*[router] * 6)
    code = main(["-C", str(workspace.root), "run", "normalise the dates in a.csv"])
    out = capsys.readouterr().out
    assert code == 1
    assert "the fix was refused: path '/proc/self/mem': is absolute" in out


@pytest.mark.parametrize("kind", ["loop", "link-inside", "fifo", "sparse", "deep"])
def test_a_patch_path_through_what_a_skill_folder_holds_is_refused_or_compared_safely(
    workspace: Workspace, scripted: ScriptedServer, kind: str
) -> None:
    """Paths the text rules allow, into things on disk that must not be followed or read
    whole: the comparison reads at most the new content's size, and a link on main
    refuses the patch (the patch store checks the branch against main)."""
    skill = workspace.paths.skills / "date-normalize"
    path = {
        "loop": "loop/x.md",
        "link-inside": "docs/x.md",
        "fifo": "pipe.txt",
        "sparse": "big.txt",
        "deep": "deep/x.md",
    }[kind]
    if kind == "loop":
        os.symlink("loop", skill / "loop")
    elif kind == "link-inside":
        os.symlink("references", skill / "docs")
    elif kind == "fifo":
        os.mkfifo(skill / "pipe.txt")
    elif kind == "sparse":
        with open(skill / "big.txt", "wb") as handle:
            handle.truncate(SPARSE_BYTES)
    else:
        make_deep(skill / "deep")
    if kind in ("loop", "link-inside"):
        _git(workspace, "add", "skills/date-normalize")
        _git(workspace, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a link")
    from memento_tui.domain.learning.models import SkillEdit
    from memento_tui.domain.learning.reflect import changed_files, skill_files_text

    edit = SkillEdit.model_validate({"files": [{"path": path, "content": "x\n"}]})
    changes = in_thread(lambda: changed_files(edit, skill, "date-normalize"), 20)
    assert [c.path for c in changes] == [path]
    prompt = in_thread(lambda: skill_files_text(skill), 20)
    assert "--- SKILL.md ---" in prompt and len(prompt) < 300_000
    if kind in ("loop", "link-inside"):
        from memento_tui.domain.errors import MementoError
        from memento_tui.domain.patches.model import PatchEvidence

        services = make_services(workspace)
        with pytest.raises(MementoError, match="a file or link on main"):
            services.patches().create(
                "date-normalize", {f"skills/date-normalize/{path}": b"x\n"}, PatchEvidence(run_id="r")
            )


# -- the toolbox itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        RecursionError("maximum recursion depth exceeded"),
        RuntimeError("Symlink loop from '/host/secret/work/loop'"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        ValueError("embedded null byte"),
        OSError(errno.EIO, "Input/output error", "/host/secret/work/x"),
        KeyError("surprise"),
    ],
    ids=lambda err: type(err).__name__,
)
def test_every_error_in_a_tool_becomes_a_result_the_model_reads(fault: Exception, tmp_path: Path) -> None:
    class Faulty(Toolbox):
        def _tool_list_files(self, path: str = ".") -> ToolOutcome:
            raise fault

    outcome = Faulty(tmp_path, {}, None, SandboxConfig()).execute("list_files", {})
    assert outcome.ok is False
    if isinstance(fault, OSError):
        # Told by its reason alone: its file name is a host path.
        assert outcome.output == "list_files failed: Input/output error"
    else:
        assert outcome.output.startswith(f"list_files failed: {type(fault).__name__}: ")


def test_a_skill_folder_with_a_link_loop_and_3000_folders_loads_and_is_read(
    workspace: Workspace,
) -> None:
    skill = workspace.paths.skills / "date-normalize"
    os.symlink("loop", skill / "loop")
    os.mkfifo(skill / "pipe")
    make_deep(skill / "deep")
    library = make_services(workspace).library()
    assert "date-normalize" in library.skills and library.broken == []
    box = Toolbox(workspace.root / "work", library.skills, None, SandboxConfig())
    loaded = in_thread(lambda: box.execute("load_skill", {"name": "date-normalize"}), 30)
    assert loaded.ok is True and "leaf.txt" in loaded.output and "pipe" not in loaded.output
    for path, words in [("loop", "is a symlink"), ("pipe", "is a FIFO"), ("deep", "is a folder")]:
        result = box.execute("read_skill_file", {"name": "date-normalize", "path": path})
        assert result.ok is False and words in result.output
