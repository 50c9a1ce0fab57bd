"""Who may use the network: a skill that asks for it AND a config that grants it.

The skill declares the need in its frontmatter (``metadata: memento: network: true``);
the person grants it in ``.memento/config.toml`` (``[sandbox] network = ["name"]``).
Neither alone is enough, and nothing the model or a task says can change either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from memento_tui.domain.sandbox.errors import SandboxRefused

# A run that was denied network and then failed on it carries this marker in its stderr,
# so the reflection step can file the failure as "missing permission" rather than a bug.
NETWORK_DENIED_MARKER = "[memento: missing permission: network]"


def _sandbox_config(config: Any) -> Any:
    """Accept the whole Config or just its [sandbox] section."""
    return getattr(config, "sandbox", config)


def network_allowed(skill: Any, config: Any) -> bool:
    """True only when the skill declares network AND the config grants it by name."""
    if skill is None:
        return False
    granted = list(getattr(_sandbox_config(config), "network", []) or [])
    return bool(getattr(skill, "wants_network", False)) and skill.name in granted


def network_denied_note(skill_name: str | None) -> str:
    who = f"skill {skill_name!r}" if skill_name else "commands run without a skill"
    grant = (
        f'add "{skill_name}" to [sandbox] network in .memento/config.toml '
        f"(the skill must also declare 'metadata: memento: network: true')"
        if skill_name
        else "network is only ever granted to a skill that declares it"
    )
    return f"{NETWORK_DENIED_MARKER} network is disabled in the sandbox for {who}; to allow it, {grant}"


def require_network_grant(skill_dir: Path | None, config: Any) -> str:
    """Check a ``network=True`` request against the files, not the caller's word.

    Returns the skill's name; raises SandboxRefused when the grant is missing.
    """
    if skill_dir is None:
        raise SandboxRefused(
            "network was requested for a command that runs without a skill",
            field="sandbox.network",
            fix="network is granted per skill: run the command with --skill NAME",
        )
    from memento_tui.domain.skills import load_skill

    skill = load_skill(skill_dir)
    if not skill.wants_network:
        raise SandboxRefused(
            f"skill {skill.name!r} does not declare that it needs network",
            file=skill.skill_file,
            field="metadata.memento.network",
            fix="add 'metadata: {memento: {network: true}}' to its frontmatter (a person reviews that change)",
        )
    if not network_allowed(skill, config):
        raise SandboxRefused(
            f"network is not granted to skill {skill.name!r}",
            field="sandbox.network",
            fix=f'add "{skill.name}" to [sandbox] network in .memento/config.toml if you trust it',
        )
    return skill.name
