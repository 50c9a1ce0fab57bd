"""Network by permission: declared by the skill AND granted by the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from memento_tui.domain.config import Config, SandboxConfig
from memento_tui.domain.sandbox import NETWORK_DENIED_MARKER, Sandbox, network_allowed
from memento_tui.domain.skills import load_skill

DECLARES = "metadata:\n  memento:\n    network: [example.com]\n"


@pytest.mark.parametrize(
    ("declares", "granted", "allowed"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_network_needs_both_the_declaration_and_the_grant(
    skill_factory, declares: bool, granted: bool, allowed: bool
) -> None:
    skill = load_skill(skill_factory("fetcher", frontmatter=DECLARES if declares else ""))
    config = SandboxConfig(network=["fetcher"] if granted else [])
    assert network_allowed(skill, config) is allowed
    assert network_allowed(skill, Config(sandbox=config)) is allowed  # the whole config works too


def test_no_skill_means_no_network() -> None:
    assert network_allowed(None, SandboxConfig(network=["anything"])) is False


def test_denied_network_note_names_the_skill_and_the_grant(sandbox: Sandbox, work: Path, skill_factory) -> None:
    skill = skill_factory(
        "fetcher",
        {"scripts/get.py": "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=3)\n"},
    )
    streamed: list[str] = []
    result = sandbox.run(
        ["python3", "/skill/scripts/get.py"], work_dir=work, skill_dir=skill, on_output=lambda s, t: streamed.append(t)
    )
    assert result.network_denied_hint
    note = result.notes[0]
    assert note.startswith(NETWORK_DENIED_MARKER)
    assert "'fetcher'" in note and "[sandbox] network" in note and ".memento/config.toml" in note
    assert note in result.stderr and note + "\n" in streamed


def test_a_successful_run_gets_no_network_note(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["sh", "-c", "echo 'Connection refused is just text'"], work_dir=work)
    assert not result.network_denied_hint and result.notes == []
