"""Who may use the network, and where to: a reviewed skill that declares hosts AND a config
that grants it.

The skill declares the hosts in its frontmatter (``metadata: memento: network: [host, ...]``);
the person grants it in ``.memento/config.toml`` (``[sandbox] network = ["name"]``).
Neither alone is enough, and nothing the model or a task says can change either. Only
reviewed code gets it: the skill folder must be one the person has seen (their own
``skills/``, or a copy identical to it), never a patch's folder during validation or
replay, and the connections go through the filtering proxy to the declared hosts only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memento_tui.domain.sandbox.errors import SandboxRefused
from memento_tui.domain.sandbox.hosts import HostRule, parse_rules

# A run that was denied network and then failed on it carries this marker in its stderr,
# so the reflection step can file the failure as "missing permission" rather than a bug.
NETWORK_DENIED_MARKER = "[memento: missing permission: network]"

Reviewed = Callable[[Path], bool]


@dataclass(frozen=True)
class NetworkGrant:
    skill: str
    rules: tuple[HostRule, ...]


def _sandbox_config(config: Any) -> Any:
    """Accept the whole Config or just its [sandbox] section."""
    return getattr(config, "sandbox", config)


def network_allowed(skill: Any, config: Any) -> bool:
    """True only when the skill declares network AND the config grants it by name."""
    if skill is None:
        return False
    granted = list(getattr(_sandbox_config(config), "network", []) or [])
    return bool(getattr(skill, "wants_network", False)) and skill.name in granted


def in_folder(root: Path) -> Reviewed:
    """Reviewed = a skill folder directly in ``root`` (the person's own skills/)."""
    real_root = root.resolve()
    return lambda skill_dir: skill_dir.resolve().parent == real_root


def same_as_in(root: Path) -> Reviewed:
    """Reviewed = the same files, byte for byte, as the folder of that name in ``root``
    (an eval's clone: its skills are reviewed until a patch changes them)."""

    def check(skill_dir: Path) -> bool:
        return _same_files(skill_dir, root / skill_dir.name)

    return check


def _same_files(a: Path, b: Path) -> bool:
    from memento_tui.domain import tree

    try:
        left, right = tree.files_under(a, 2000), tree.files_under(b, 2000)
        if [r for r, _ in left] != [r for r, _ in right]:
            return False
        return all((a / rel).read_bytes() == (b / rel).read_bytes() for rel, _ in left)
    except OSError:
        return False


def network_denied_note(skill_name: str | None) -> str:
    who = f"skill {skill_name!r}" if skill_name else "commands run without a skill"
    grant = (
        f'add "{skill_name}" to [sandbox] network in .memento/config.toml '
        f"(the skill must also declare its hosts: 'metadata: memento: network: [example.com]')"
        if skill_name
        else "network is only ever granted to a skill that declares it"
    )
    return f"{NETWORK_DENIED_MARKER} network is disabled in the sandbox for {who}; to allow it, {grant}"


def unreviewed_network_note(skill_name: str) -> str:
    return (
        f"{NETWORK_DENIED_MARKER} network is off for this unreviewed copy of skill {skill_name!r} (a patch "
        "being validated or replayed): unreviewed code never gets the network, though the skill is "
        "granted it; merged after review, the patch runs with it"
    )


class UnreviewedCopy(SandboxRefused):
    """A granted skill's folder that no person has seen (a patch's copy): no network."""


def require_network_grant(skill_dir: Path | None, config: Any, reviewed: Reviewed | None) -> NetworkGrant:
    """Check a ``network=True`` request against the files, not the caller's word."""
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
            fix="list the hosts it needs: 'metadata: {memento: {network: [example.com]}}' "
            "in its frontmatter (a person reviews that change)",
        )
    if not network_allowed(skill, config):
        raise SandboxRefused(
            f"network is not granted to skill {skill.name!r}",
            field="sandbox.network",
            fix=f'add "{skill.name}" to [sandbox] network in .memento/config.toml if you trust it',
        )
    if reviewed is None or not reviewed(skill_dir):
        raise UnreviewedCopy(
            f"network refused: this copy of skill {skill.name!r} has not been reviewed (a "
            "patch being validated or replayed, or an eval's change); unreviewed code never "
            "gets the network",
            file=skill_dir,
            field="sandbox.network",
            fix="merge the patch after review; the merged skill then gets its network",
        )
    try:
        rules = parse_rules(list(skill.network_hosts))
    except ValueError as err:
        raise SandboxRefused(
            f"skill {skill.name!r} declares a bad host: {err}",
            file=skill.skill_file,
            field="metadata.memento.network",
            fix="list host names (example.com), wildcards (*.example.com) or IP addresses",
        ) from None
    return NetworkGrant(skill.name, rules)
