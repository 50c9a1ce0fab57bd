from __future__ import annotations

from pathlib import Path

import pytest

from memento_tui.domain.config import DEFAULT_CONFIG_TEXT, Config, load_config, parse_config
from memento_tui.domain.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_default_config_text_and_repo_config_parse() -> None:
    assert parse_config(DEFAULT_CONFIG_TEXT, Path("x")) == Config()
    assert load_config(REPO / ".memento" / "config.toml").sandbox.cpu_seconds == 30


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "none.toml") == Config()


@pytest.mark.parametrize(
    ("text", "line", "field", "words", "fix"),
    [
        ("[sandbox]\ncpu_seconds = -1\n", 2, "sandbox.cpu_seconds", "greater than or equal to 1", "docs/config.md"),
        ("[sandbox]\n\ncpu_secnds = 3\n", 3, "sandbox.cpu_secnds", "unknown key", "did you mean 'cpu_seconds'"),
        ("[modle]\nname = 'x'\n", 1, "modle", "unknown key", "did you mean 'model'"),
        ("[model]\napi_key_env = 'sk-abc123 x'\n", 2, "model.api_key_env", "pattern", "NAME of the variable"),
        ("[model]\ntool_calling = 'maybe'\n", 2, "model.tool_calling", "'auto'", '"auto", "native" or "json"'),
        ("[retrieval]\ntop_k = 'five'\n", 2, "retrieval.top_k", "valid integer", "docs/config.md"),
    ],
)
def test_bad_values_name_line_field_and_fix(text: str, line: int, field: str, words: str, fix: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("/ws/.memento/config.toml"))
    err = info.value
    assert err.line == line
    assert err.field == field
    assert words in err.message
    assert fix in (err.fix or "")
    assert str(err).startswith(f"/ws/.memento/config.toml:{line}: {field}:")


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text("[model]\nname = 'unclosed\n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(file)
    assert info.value.line == 2
    assert file.read_text() == "[model]\nname = 'unclosed\n"  # nothing lost
