from __future__ import annotations

import os
from pathlib import Path

import pytest

from memento_tui.domain.errors import SkillError
from memento_tui.domain.skills import SkillLibrary, load_skill, skill_skeleton
from tests.conftest import write_skill


def test_loads_a_valid_skill_with_folders(tmp_path: Path) -> None:
    folder = write_skill(
        tmp_path,
        "csv-tools",
        "name: csv-tools\ndescription: Convert CSV.\nlicense: MIT\n"
        "allowed-tools: Bash Read\nmetadata:\n  version: '1.0'\n  memento:\n    network: true\n",
        body="# CSV\n\nUse it.\n",
    )
    (folder / "scripts").mkdir()
    (folder / "scripts" / "run.py").write_text("print(1)\n")
    skill = load_skill(folder)
    assert skill.name == "csv-tools"
    assert skill.description == "Convert CSV."
    assert skill.frontmatter.allowed_tools == "Bash Read"
    assert skill.wants_network is True
    assert skill.body == "# CSV\n\nUse it.\n"
    assert skill.body_line == 11
    assert skill.files() == ["SKILL.md", "scripts/run.py"]
    assert skill.folder("scripts") == folder / "scripts"
    assert skill.folder("assets") is None


def _error(tmp_path: Path, frontmatter: str, name: str = "demo") -> SkillError:
    folder = write_skill(tmp_path, name, frontmatter)
    with pytest.raises(SkillError) as info:
        load_skill(folder)
    return info.value


@pytest.mark.parametrize(
    ("frontmatter", "line", "field", "words"),
    [
        ("description: x\n", 2, "name", "'name' is missing"),
        ("name: demo\n", 2, "description", "'description' is missing"),
        ("name: demo\ndescription: ''\n", 3, "description", "is empty"),
        ("name: Demo_Skill\ndescription: x\n", 2, "name", "not lowercase"),
        ("name: " + "a" * 65 + "\ndescription: x\n", 2, "name", "limit is 64"),
        ("name: other\ndescription: x\n", 2, "name", "does not match the folder"),
        ("name: demo\ndescription: 42\n", 3, "description", "valid string"),
        ("name: demo\ndescription: x\nmetadata: [1, 2]\n", 4, "metadata", "dictionary"),
        ("name: demo\ndescription: x\ncompatibility: " + "c" * 501 + "\n", 4, "compatibility", "500"),
        ("name: demo\ndescription: " + "d" * 5000 + "\n", 3, "description", "limit"),
    ],
)
def test_schema_errors_name_line_field_and_fix(
    tmp_path: Path, frontmatter: str, line: int, field: str, words: str
) -> None:
    err = _error(tmp_path, frontmatter)
    assert words in err.message
    assert err.line == line
    assert err.field == field
    assert err.fix
    assert str(err.file).endswith("demo/SKILL.md")
    assert f"SKILL.md:{line}: {field}:" in str(err)


@pytest.mark.parametrize(
    ("frontmatter", "line", "words"),
    [
        ("name: demo\ndescription: &d x\n", 3, "anchors"),
        ("name: demo\ndescription: x\nmetadata:\n  a: *d\n", 5, "aliases"),
        ("name: demo\ndescription: x\nname: demo\n", 4, "duplicate key 'name' (first on line 2)"),
        ("name: demo\ndescription: !!python/object/apply:os.system ['id']\n", 3, "explicit YAML tags"),
        ("name: demo\ndescription: x\nmetadata: {a: 1\n", 4, "not valid YAML"),  # where { opened
        ("- a\n- b\n", 2, "must be a mapping"),
    ],
)
def test_unsafe_or_broken_yaml_is_refused(tmp_path: Path, frontmatter: str, line: int, words: str) -> None:
    err = _error(tmp_path, frontmatter)
    assert words in err.message
    assert err.line == line
    assert err.fix


def test_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    bomb = "name: demo\ndescription: x\nmetadata:\n  a: &a [x, x, x, x, x, x, x, x, x]\n"
    bomb += "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)
    )
    err = _error(tmp_path, bomb)
    assert "anchors" in err.message


def test_yes_no_on_off_stay_strings_and_never_grant_network(tmp_path: Path) -> None:
    folder = write_skill(
        tmp_path, "demo", "name: demo\ndescription: x\nmetadata:\n  memento:\n    network: on\n    protected: yes\n"
    )
    skill = load_skill(folder)
    assert skill.frontmatter.metadata["memento"] == {"network": "on", "protected": "yes"}
    assert skill.wants_network is False
    assert skill.protected is False


def test_oversized_frontmatter_is_refused(tmp_path: Path) -> None:
    err = _error(
        tmp_path, "name: demo\ndescription: x\nmetadata:\n" + "".join(f"  k{i}: {'v' * 60}\n" for i in range(400))
    )
    assert "larger than 16 KiB" in err.message


def test_missing_or_unclosed_frontmatter(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "SKILL.md").write_text("# no frontmatter\n")
    with pytest.raises(SkillError, match="no YAML frontmatter"):
        load_skill(folder)
    (folder / "SKILL.md").write_text("---\nname: demo\n")
    with pytest.raises(SkillError, match="never closed"):
        load_skill(folder)
    (folder / "SKILL.md").write_bytes(b"---\nname: demo\ndescription: caf\xe9\n---\n")
    with pytest.raises(SkillError, match="not UTF-8"):
        load_skill(folder)


def test_long_description_and_unknown_keys_load_with_warnings(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "demo", "name: demo\ndescription: " + "w " * 600 + "\nversion: 2\n")
    skill = load_skill(folder)
    assert any("over the Agent Skills limit" in w for w in skill.warnings)
    assert any("unknown frontmatter keys kept as they are: version" in w for w in skill.warnings)


def test_symlinked_skill_folder_is_refused(tmp_path: Path) -> None:
    real = write_skill(tmp_path / "elsewhere", "demo")
    skills = tmp_path / "skills"
    skills.mkdir()
    os.symlink(real, skills / "demo")
    with pytest.raises(SkillError, match="folder is a symlink"):
        load_skill(skills / "demo")


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    folder = write_skill(tmp_path / "skills", "demo")
    (folder / "references").mkdir()
    os.symlink("/etc/passwd", folder / "references" / "passwd.md")
    with pytest.raises(SkillError, match="symlink points outside") as info:
        load_skill(folder)
    assert info.value.file == folder / "references" / "passwd.md"


def test_symlinked_skill_md_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    outside = tmp_path / "real.md"
    outside.write_text("---\nname: demo\ndescription: x\n---\n")
    os.symlink(outside, folder / "SKILL.md")
    with pytest.raises(SkillError, match="not a regular file"):
        load_skill(folder)


def test_symlink_inside_the_skill_is_allowed(tmp_path: Path) -> None:
    folder = write_skill(tmp_path / "skills", "demo")
    (folder / "references").mkdir()
    (folder / "references" / "a.md").write_text("a")
    os.symlink("a.md", folder / "references" / "b.md")
    assert load_skill(folder).files() == ["SKILL.md", "references/a.md"]


def test_one_broken_skill_never_stops_the_library(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    write_skill(skills, "good-one")
    write_skill(skills, "bad-yaml", "name: bad-yaml\ndescription: [\n")
    write_skill(skills, "wrong-name", "name: other\ndescription: x\n")
    (skills / "no-file").mkdir()
    write_skill(skills, "good-two")
    (skills / "README.md").write_text("not a skill")
    library = SkillLibrary.load(skills)
    assert [s.name for s in library] == ["good-one", "good-two"]
    assert sorted(b.name for b in library.broken) == ["bad-yaml", "no-file", "wrong-name"]
    with pytest.raises(SkillError, match="not valid YAML"):
        library.get("bad-yaml")
    with pytest.raises(SkillError, match="did you mean good-one"):
        library.get("good-on")


def test_skeleton_is_a_valid_skill(tmp_path: Path) -> None:
    folder = tmp_path / "my-skill"
    folder.mkdir()
    (folder / "SKILL.md").write_text(skill_skeleton("my-skill"))
    skill = load_skill(folder)
    assert skill.name == "my-skill"
    assert skill.warnings == ()


def test_an_unknown_skill_suggests_names_that_contain_it_or_look_like_it() -> None:
    from memento_tui.domain.skills import did_you_mean

    names = ["csv-json", "csv-clean", "date-normalize", "text-stats"]
    assert did_you_mean("csv", names) == ["csv-clean", "csv-json"]
    assert did_you_mean("date-normalise", names) == ["date-normalize"]
    assert did_you_mean("zzz", names) == []


@pytest.mark.parametrize(
    ("value", "line", "fix"),
    [
        ("[unclosed", 3, "starts with [ is read as a YAML list"),
        ("{unclosed", 3, "starts with { is read as a YAML map"),
        ("Converts: CSV", 3, "quote a value that contains ': '"),
        ('"a\\q"', 3, "write a backslash as"),
    ],
)
def test_a_yaml_mistake_gets_a_fix_that_fits_it(tmp_path: Path, value: str, line: int, fix: str) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "SKILL.md").write_text(f"---\nname: x\ndescription: {value}\n---\nbody\n")
    with pytest.raises(SkillError) as caught:
        load_skill(folder)
    assert caught.value.line == line
    assert fix in (caught.value.fix or "")
