"""Sandbox.run: results, streaming, environment, mounts and limits, with the real bwrap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import LIMITS, Sandbox, SandboxRefused, SandboxResult
from memento_tui.domain.sandbox.profile import BASE_ENV
from tests.sandboxing import make_sandbox


def test_exit_code_stdout_and_stderr(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["sh", "-c", "echo out; echo err >&2; exit 7"], work_dir=work)
    assert (result.exit_code, result.stdout, result.stderr) == (7, "out\n", "err\n")
    assert result.limit is None and not result.ok
    assert result.sandboxed and result.warning is None
    assert result.duration > 0
    assert result.summary().startswith("exit 7 in ")


def test_success_is_ok(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["true"], work_dir=work)
    assert result.ok and result.exit_code == 0


def test_work_dir_is_cwd_and_home_and_writes_land_on_the_host(sandbox: Sandbox, work: Path) -> None:
    (work / "input.csv").write_text("a,b\n")
    result = sandbox.run(["sh", "-c", "pwd; echo $HOME; cat input.csv; echo made > out.txt"], work_dir=work)
    assert result.stdout.splitlines() == ["/work", "/work", "a,b"]
    assert (work / "out.txt").read_text() == "made\n"


def test_files_written_by_the_sandbox_belong_to_the_caller(sandbox: Sandbox, work: Path) -> None:
    import os

    sandbox.run(["sh", "-c", "mkdir -p d && echo x > d/f"], work_dir=work)
    assert (work / "d" / "f").stat().st_uid == os.getuid()
    assert work.stat().st_uid == os.getuid()


def test_skill_is_mounted_read_only_at_skill(sandbox: Sandbox, work: Path, skill_factory) -> None:
    skill = skill_factory("hello", {"scripts/hello.py": "import sys; print('hello', sys.argv[1])\n"})
    result = sandbox.run(["python3", "/skill/scripts/hello.py", "world"], work_dir=work, skill_dir=skill)
    assert result.stdout == "hello world\n"
    denied = sandbox.run(["sh", "-c", "touch /skill/x"], work_dir=work, skill_dir=skill)
    assert denied.exit_code != 0 and "Read-only" in denied.stderr


def test_without_a_skill_there_is_no_skill_folder(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["sh", "-c", "test -e /skill && echo present || echo absent"], work_dir=work)
    assert result.stdout == "absent\n"


def test_environment_is_exactly_the_base_plus_config_plus_run(work: Path) -> None:
    box = make_sandbox(env={"FROM_CONFIG": "c", "SHARED": "config"})
    result = box.run(["env"], work_dir=work, env={"FROM_RUN": "r", "SHARED": "run"})
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines())
    seen.pop("PWD", None)
    assert seen == {**BASE_ENV, "FROM_CONFIG": "c", "FROM_RUN": "r", "SHARED": "run"}


def test_bad_environment_names_are_refused(sandbox: Sandbox, work: Path) -> None:
    with pytest.raises(SandboxRefused, match="environment"):
        sandbox.run(["true"], work_dir=work, env={"BAD=NAME": "x"})


@pytest.mark.parametrize("argv", [[], ["echo", "a\0b"]])
def test_bad_commands_are_refused(sandbox: Sandbox, work: Path, argv: list[str]) -> None:
    with pytest.raises(SandboxRefused):
        sandbox.run(argv, work_dir=work)


def test_missing_work_dir_is_refused(sandbox: Sandbox, open_dir: Path) -> None:
    with pytest.raises(SandboxRefused, match="not a folder"):
        sandbox.run(["true"], work_dir=open_dir / "nope")


def test_output_streams_as_it_arrives(sandbox: Sandbox, work: Path) -> None:
    chunks: list[tuple[str, str]] = []
    script = "echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three"
    result = sandbox.run(
        ["sh", "-c", script], work_dir=work, on_output=lambda stream, text: chunks.append((stream, text))
    )
    assert chunks == [("stdout", "one\n"), ("stderr", "two\n"), ("stdout", "three\n")]
    assert result.stdout == "one\nthree\n"


def test_multibyte_characters_split_across_reads_stream_whole(sandbox: Sandbox, work: Path) -> None:
    chunks: list[str] = []
    script = "printf '\\342\\202'; sleep 0.2; printf '\\254 done\\n'"  # € in two writes
    result = sandbox.run(["sh", "-c", script], work_dir=work, on_output=lambda stream, text: chunks.append(text))
    assert "".join(chunks) == "€ done\n" == result.stdout
    assert "\ufffd" not in "".join(chunks)


def test_invalid_utf8_is_replaced_not_fatal(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["sh", "-c", "printf 'a\\377b'"], work_dir=work)
    assert result.stdout == "a\ufffdb"


def test_wall_seconds_argument_overrides_the_config(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["sleep", "5"], work_dir=work, wall_seconds=0.5)
    assert result.limit == "wall_time" and result.exit_code is None
    assert "wall_time" in result.summary()


def test_output_cap_keeps_the_first_bytes(work: Path) -> None:
    box = make_sandbox(output_bytes=2048)
    result = box.run(["sh", "-c", "seq 1 100000"], work_dir=work)
    assert result.limit == "output" and result.truncated
    assert result.stdout.startswith("1\n2\n3\n")
    assert len(result.stdout) <= 2048
    assert "output cut" in result.summary()


def test_result_to_dict_round_trips_the_fields(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["sh", "-c", "echo hi"], work_dir=work)
    data = result.to_dict()
    assert data["exit_code"] == 0 and data["stdout"] == "hi\n" and data["sandboxed"] is True
    assert set(data) >= {"exit_code", "stdout", "stderr", "limit", "duration", "sandboxed"}


def test_limit_names_are_the_documented_ones() -> None:
    assert set(LIMITS) == {
        "wall_time",
        "output",
        "cpu",
        "memory",
        "file_size",
        "processes",
        "disk",
        "files",
        "open_files",
        "tmp_space",
    }
    documented = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
    for name in LIMITS:
        assert f"`{name}`" in documented.read_text(), name
    result = SandboxResult(None, "", "", "cpu", 1.0)
    assert result.summary() == "stopped by the cpu limit in 1.00s"


def test_python3_in_the_sandbox_is_the_system_one(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["python3", "-c", "import sys; print(sys.executable, sys.prefix)"], work_dir=work)
    assert result.exit_code == 0
    assert "/root" not in result.stdout and ".venv" not in result.stdout


def test_describe_names_the_protections(sandbox: Sandbox) -> None:
    text = sandbox.describe()
    assert "bubblewrap" in text
    assert "cgroup" in text or "RLIMIT_NPROC" in text
    assert ("runs as uid 65534" if os.geteuid() == 0 else "runs as you") in text


def test_cancel_stops_the_command_at_once(sandbox: Sandbox, work: Path) -> None:
    """ctrl+x in the app, Ctrl-C in the CLI: the command dies now, not when it ends."""
    import threading

    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    result = sandbox.run(["sh", "-c", "echo started; sleep 25"], work_dir=work, cancel=cancel)
    assert result.cancelled and not result.ok
    assert result.limit is None and result.exit_code is None
    assert result.duration < 3
    assert result.stdout == "started\n"
    assert result.summary().startswith("cancelled")
