"""Every attack runs under each process guard available here: under root both the
unprivileged uid (the default) and the pids cgroup (where the sandbox's uid 0 is host root)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from memento_tui.domain.sandbox import Sandbox
from memento_tui.domain.sandbox.guard import find_pids_cgroup
from tests.sandboxing import IS_ROOT, make_sandbox, open_dir, skill_factory, work  # noqa: F401

GUARDS = ["uid", "cgroup"] if IS_ROOT and find_pids_cgroup() else ["uid"] if IS_ROOT else ["auto"]


@pytest.fixture(scope="session", params=GUARDS)
def guard(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def sandbox(guard: str) -> Sandbox:
    box = make_sandbox(process_guard=guard)
    box.check()
    return box


@pytest.fixture
def limited(guard: str) -> Callable[..., Sandbox]:
    """A sandbox with some limits changed, under the same guard."""

    def build(**limits: object) -> Sandbox:
        return make_sandbox(process_guard=guard, **limits)

    return build
