"""Every attack runs under each guard available here: a cgroup for the whole run (pids and
memory), and per-process rlimits alone. Under root the sandbox runs as an unprivileged uid
either way (never as host root)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from memento_tui.domain.sandbox import Sandbox
from memento_tui.domain.sandbox.cgroups import find_cgroups
from tests.remote_host import remote_host  # noqa: F401
from tests.sandboxing import IS_ROOT, make_sandbox, open_dir, skill_factory, work  # noqa: F401

GUARDS = ["rlimit", "cgroup"] if find_cgroups().has("pids") else ["rlimit"]


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
