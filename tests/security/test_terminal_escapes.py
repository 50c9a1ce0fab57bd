"""Terminal escapes and hidden text from skills, models and commands never reach the
terminal raw: every CLI path shows them as ``⟨U+XXXX⟩`` markers (``\\uXXXX`` in JSON), and
``memento verify`` finds them in parsed frontmatter and in file names, not only in the raw
file. The hostile workspace is in ``hostile_text.py``; the TUI's side is in
``tests/ui/test_hostile_text.py``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.cli.safe_output import safe_output
from memento_tui.domain.skills.verify import verify_skill
from memento_tui.domain.workspace import Workspace
from memento_tui.testing.scripted_server import ScriptedServer, say
from tests.security.hostile_text import (
    BROKEN,
    HOSTILE,
    MARKERS,
    OSC52,
    RUN,
    SKILL,
    make_hostile,
    raw_in,
)


@pytest.fixture
def hostile(workspace: Workspace) -> Workspace:
    return make_hostile(workspace)


def run_cli(capsys: pytest.CaptureFixture[str], ws: Workspace, *argv: str) -> tuple[int, str, str]:
    code = main(["-C", str(ws.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for key, value in data.items() for s in (str(key), *strings(value))]
    if isinstance(data, list):
        return [s for item in data for s in strings(item)]
    return []


TEXT_COMMANDS = [
    ("skills", "list"),
    ("skills", "show", SKILL),
    ("skills", "show", BROKEN),
    ("search", "convert CSV files to JSON"),
    ("verify", "--no-tests"),
    ("runs", "list"),
    ("runs", "show", RUN),
]


@pytest.mark.parametrize("argv", TEXT_COMMANDS, ids=lambda a: " ".join(a[:2]) + (" broken" if BROKEN in a else ""))
def test_text_output_marks_every_hostile_character(
    hostile: Workspace, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    _, out, err = run_cli(capsys, hostile, *argv)
    assert raw_in(out + err) == []
    assert any(m in out + err for m in MARKERS), (out + err)[-2000:]


def test_skills_show_marks_each_field_of_the_skill(hostile: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, hostile, "skills", "show", SKILL)
    assert code == 0 and raw_in(out) == []
    # The YAML escapes were parsed into real characters; each is shown marked.
    assert "description: Converts CSV files to JSON ⟨U+001B⟩]52;c;aGk=⟨U+0007⟩" in out
    assert "⟨U+009B⟩31m⟨U+202E⟩⟨U+E0041⟩" in out
    assert "scripts/run⟨U+001B⟩]0;pwned⟨U+0007⟩.py" in out  # a file name
    assert "references/notes⟨U+202E⟩⟨U+E0041⟩.md" in out
    assert "license: MIT ⟨U+001B⟩" in out and "metadata: " in out
    assert "⟨U+001B⟩]0;pwned⟨U+0007⟩⟨U+009B⟩31m⟨U+202E⟩⟨U+E0041⟩ trust me." in out  # the body


def test_skills_list_marks_the_broken_folder_name_and_its_error(
    hostile: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, hostile, "skills", "list")
    assert code == 0 and raw_in(out) == []
    assert "broken: evil⟨U+001B⟩]52;c;aGk=⟨U+0007⟩⟨U+001B⟩]0;pwned⟨U+0007⟩⟨U+009B⟩31m" in out
    assert "Converts CSV files to JSON ⟨U+001B⟩" in out


def test_an_error_naming_a_hostile_folder_is_marked(hostile: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, hostile, "skills", "show", BROKEN)
    assert code == 2 and raw_in(out + err) == []
    assert "memento: " in err and "evil⟨U+001B⟩]52;c;aGk=⟨U+0007⟩" in err


JSON_COMMANDS = [
    ("skills", "list", "--json"),
    ("skills", "show", SKILL, "--json"),
    ("verify", "--no-tests", "--json"),
    ("runs", "list", "--json"),
    ("runs", "show", RUN, "--json"),
]


@pytest.mark.parametrize("argv", JSON_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_json_output_escapes_hidden_characters_and_keeps_the_data(
    hostile: Workspace, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    _, out, err = run_cli(capsys, hostile, *argv)
    assert raw_in(out + err) == []
    # The same data, only escaped: decoded, the characters are all there.
    assert any(HOSTILE in text for text in strings(json.loads(out)))
    assert "\\u009b" in out and "\\u202e" in out and "\\udb40\\udc41" in out


def test_json_keeps_ordinary_non_ascii_readable(hostile: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    skill_md = hostile.paths.skills / SKILL / "SKILL.md"
    skill_md.write_text(skill_md.read_text().replace("Converts CSV", "Convertit les données CSV"))
    _, out, _ = run_cli(capsys, hostile, "skills", "show", SKILL, "--json")
    assert "Convertit les données CSV" in out


def test_search_from_stdin_writes_escaped_json_lines(
    hostile: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(f"convert CSV files {HOSTILE}\n"))
    code, out, _ = run_cli(capsys, hostile, "search", "-")
    assert code == 0 and raw_in(out) == []
    record = json.loads(out.splitlines()[0])
    assert record["query"] == f"convert CSV files {HOSTILE}"
    assert "\\u009b31m\\u202e\\udb40\\udc41" in out


def test_runs_show_marks_task_model_text_command_and_output(
    hostile: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, hostile, "runs", "show", RUN)
    assert code == 0 and raw_in(out) == []
    assert "task: convert ⟨U+001B⟩]52;c;aGk=⟨U+0007⟩" in out
    assert "check: test -f out⟨U+202E⟩.json" in out
    assert "I will run it ⟨U+001B⟩" in out  # model text
    assert "Traceback ⟨U+001B⟩" in out  # command output
    assert "note ⟨U+009B⟩2J" in out


def test_reflect_marks_the_models_reflection(
    hostile: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    reflection = {
        "category": "wrong_data_format_assumption",
        "weak_skill": SKILL,
        "decision_step": 1,
        "missing_or_assumed": f"assumed commas {HOSTILE}",
        "fix_kind": "request_permission",
        "permission": f"network {OSC52}",
        "summary": f"summary {HOSTILE}",
    }
    scripted.add(say(json.dumps(reflection)))
    code, out, err = run_cli(capsys, hostile, "reflect", RUN)
    assert code == 0, err
    assert raw_in(out + err) == []
    assert "assumed commas ⟨U+001B⟩]52;c;aGk=⟨U+0007⟩" in out
    assert "permission request: network ⟨U+001B⟩]52;c;aGk=⟨U+0007⟩" in out


def test_the_output_sink_marks_what_a_command_forgot(capsys: pytest.CaptureFixture[str]) -> None:
    with safe_output():
        print(f"forgot to mark {HOSTILE}")
        print(f"on stderr {HOSTILE}", file=sys.stderr)
    out, err = capsys.readouterr()
    assert raw_in(out + err) == []
    assert out == "forgot to mark ⟨U+001B⟩]52;c;aGk=⟨U+0007⟩⟨U+001B⟩]0;pwned⟨U+0007⟩⟨U+009B⟩31m⟨U+202E⟩⟨U+E0041⟩\n"
    print("after the block, as it was")
    assert capsys.readouterr().out == "after the block, as it was\n"


def test_argparse_messages_go_through_the_sink(capsys: pytest.CaptureFixture[str]) -> None:
    # argparse echoes unknown arguments as they are, not as repr()
    with pytest.raises(SystemExit):
        main(["runs", "list", f"--bogus{HOSTILE}"])
    _, err = capsys.readouterr()
    assert raw_in(err) == [] and "unrecognized arguments: --bogus⟨U+001B⟩" in err


# -- memento verify: parsed values and names --------------------------------------------------


def test_verify_finds_yaml_escaped_characters_in_parsed_frontmatter(hostile: Workspace) -> None:
    skill_dir = hostile.paths.skills / SKILL
    assert raw_in(skill_dir.joinpath("SKILL.md").read_text().split("---\n# Trojan")[0]) == []  # ASCII only
    report = verify_skill(skill_dir, sandbox=None, run_tests=False)
    assert not report.ok
    value_errors = {
        (f.code, f.message.split(":", 1)[0])
        for f in report.errors
        if f.file == "SKILL.md" and "the parsed" in f.message
    }
    for field in ("description", "license", "metadata.note", "metadata.nested[0]"):
        for code in ("hidden-escape", "hidden-control", "hidden-bidi", "hidden-tag"):
            assert (code, field) in value_errors, (code, field, sorted(value_errors))
    assert all(f.level == "error" for f in report.findings if "the parsed" in f.message)


def test_verify_finds_a_hidden_key_and_names_it_marked(workspace: Workspace) -> None:
    from tests.conftest import write_skill

    folder = write_skill(
        workspace.paths.skills,
        "keyed",
        'name: keyed\ndescription: Plain words.\nmetadata:\n  "ver\\u202esion": "1"\n',
    )
    report = verify_skill(folder, sandbox=None, run_tests=False)
    [finding] = [f for f in report.errors if "the parsed key" in f.message]
    assert finding.code == "hidden-bidi" and finding.message.startswith("metadata.ver⟨U+202E⟩sion:")
    assert finding.line == 4


def test_verify_finds_hidden_file_and_folder_names(hostile: Workspace) -> None:
    report = verify_skill(hostile.paths.skills / SKILL, sandbox=None, run_tests=False)
    named = {f.file for f in report.errors if f.code == "hidden-name"}
    assert {
        "scripts/run\x1b]0;pwned\x07.py",
        "references/notes\u202e\U000e0041.md",
        "assets/clip\x1b]52;c;aGk=\x07.txt",
    } <= named
    broken = verify_skill(hostile.paths.skills / BROKEN, sandbox=None, run_tests=False)
    assert any(f.code == "hidden-name" and f.file is None for f in broken.errors)


def test_verify_output_names_the_field_and_marks_the_file_names(
    hostile: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, hostile, "verify", "--no-tests", SKILL)
    assert code == 1 and raw_in(out) == []
    assert (
        "error: [hidden-escape] SKILL.md:3: description: the parsed value holds hidden character U+001B ESCAPE" in out
    )
    assert "[hidden-name] scripts/run⟨U+001B⟩]0;pwned⟨U+0007⟩.py:" in out


def test_a_clean_skill_still_verifies_clean(workspace: Workspace) -> None:
    from tests.conftest import write_skill

    folder = write_skill(
        workspace.paths.skills,
        "clean",
        'name: clean\ndescription: "Résumés, 中文 and emoji 👩\u200d💻 are fine.\\nTwo lines."\n'
        "metadata:\n  tags: [a, b]\n",
    )
    (folder / "scripts").mkdir()
    (folder / "scripts" / "café.py").write_text("print('ok')\n")
    report = verify_skill(folder, sandbox=None, run_tests=False)
    assert [f for f in report.errors] == []


def test_verify_reads_the_file_it_was_given(tmp_path: Path) -> None:
    """A folder outside any workspace is verified the same way (a stranger's download)."""
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "SKILL.md").write_text('---\nname: download\ndescription: "ok \\e[8m hidden"\n---\n# D\n')
    report = verify_skill(folder, sandbox=None, run_tests=False)
    assert any(f.code == "hidden-escape" and f.message.startswith("description:") for f in report.errors)
