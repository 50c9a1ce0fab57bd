"""A skill's success figures and what protects it: one answer for the Skills screen and the CLI."""

from __future__ import annotations

from pathlib import Path

from memento_tui.domain.agent.runs import RunRecord, RunStatus
from memento_tui.domain.config import Config, LearningConfig
from memento_tui.domain.skills import load_skill
from memento_tui.domain.skills.protection import Protection, protection_of
from memento_tui.domain.skills.success import NOT_USED, SkillSuccess, success_by_skill
from tests.conftest import write_skill


def _run(n: int, status: RunStatus, used: list[str], replay_of: str | None = None) -> RunRecord:
    return RunRecord(
        id=f"20260101-00000{n}-aaaa", task="t", status=status, pid=-1, skills_used=used, replay_of=replay_of
    )


def test_only_finished_runs_of_the_persons_tasks_count() -> None:
    runs = [
        _run(1, "passed", ["a", "b"]),
        _run(2, "failed", ["a"]),
        _run(3, "passed", ["a"]),
        _run(4, "error", ["a"]),  # neither a pass nor a fail
        _run(5, "running", ["c"]),
        _run(6, "passed", ["a"], replay_of="20260101-000002-aaaa"),  # an experiment on a patch
    ]
    figures = success_by_skill(runs)
    assert figures == {"a": SkillSuccess(passed=2, runs=3), "b": SkillSuccess(passed=1, runs=1)}
    assert figures["a"].text() == "2/3 66%" and figures["a"].percent == 66
    assert NOT_USED.text() == "—" and NOT_USED.percent is None


def test_a_skill_is_protected_by_its_skill_md_first_then_by_a_config_glob(tmp_path: Path) -> None:
    flagged = load_skill(
        write_skill(
            tmp_path,
            "csv-json",
            "name: csv-json\ndescription: Convert CSV.\nmetadata:\n  memento:\n    protected: true\n",
        )
    )
    plain = load_skill(write_skill(tmp_path, "csv-other"))
    globbed = Config(learning=LearningConfig(protected=["csv-*"]))
    assert protection_of(flagged, globbed) == Protection("skill_md")
    assert protection_of(flagged, None) == Protection("skill_md")
    by_glob = protection_of(plain, globbed)
    assert by_glob == Protection("config")
    assert by_glob is not None and by_glob.reason == "[learning] protected in .memento/config.toml"
    assert Protection("skill_md").reason == "metadata.memento.protected in its SKILL.md"
    assert protection_of(plain, Config()) is None and protection_of(plain, None) is None


def test_a_skill_known_by_its_text_is_protected_the_same_way() -> None:
    # protection_in: the patch store (SKILL.md as on main) and memento mcp (a capped read).
    from memento_tui.domain.skills.protection import protection_in

    flagged = "---\nname: csv-json\ndescription: d\nmetadata:\n  memento:\n    protected: true\n---\nbody\n"
    plain = "---\nname: csv-json\ndescription: d\n---\nbody\n"
    config = Config(learning=LearningConfig(protected=["csv-*"]))
    assert protection_in("csv-json", flagged, config) == Protection("skill_md")
    assert protection_in("csv-json", plain, config) == Protection("config")
    assert protection_in("csv-json", None, config) == Protection("config")  # a new skill
    assert protection_in("csv-json", plain, None) is None
    assert protection_in("csv-json", "---\n: broken\n", Config()) is None  # unparsable protects nothing
