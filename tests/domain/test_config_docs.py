"""docs/config.md documents every key the config model accepts."""

from __future__ import annotations

import re
from pathlib import Path

from memento_tui.domain.config import Config

DOC = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text(encoding="utf-8")


def test_every_config_key_is_documented_in_its_section() -> None:
    sections = re.split(r"^## ", DOC, flags=re.MULTILINE)
    by_title = {s.split("\n", 1)[0].strip("`[] "): s for s in sections}
    missing = []
    for section, field in Config.model_fields.items():
        model = field.annotation
        text = by_title.get(section, "")
        assert text, f"docs/config.md has no section for [{section}]"
        for key in getattr(model, "model_fields", {}):
            if f"| `{key}` |" not in text:
                missing.append(f"{section}.{key}")
    assert missing == []


def test_the_repo_workspace_ships_the_same_config_as_memento_init() -> None:
    repo = Path(__file__).resolve().parents[2]
    template = repo / "memento_tui" / "domain" / "templates" / "config.toml"
    assert (repo / ".memento" / "config.toml").read_text() == template.read_text()
