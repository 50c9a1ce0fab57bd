"""Network through memento mcp follows the sandbox's own rules, never wider: a granted skill
reaches its declared host through the proxy and nothing else, an ungranted one nothing, and
a proposed patch's tests (unreviewed code) run without it. A real second host in its own
network namespace (tests/remote_host.py) plays the outside world."""

from __future__ import annotations

from memento_tui.domain.git_repo import GitRepo
from memento_tui.domain.workspace import Workspace
from tests.conftest import write_skill
from tests.mcp.conftest import connected
from tests.remote_host import RemoteHost, remote_host  # noqa: F401

GET = """import sys, urllib.request
for url in sys.argv[1:]:
    try:
        print(url, urllib.request.urlopen(url, timeout=5).read().decode().strip())
    except Exception as err:
        print(url, "FAILED", err)
"""
REACH_TEST = """import sys, urllib.request
urllib.request.urlopen(sys.argv[1] if len(sys.argv) > 1 else "http://{host}:8080/ok", timeout=5)
"""


def _fetchers(workspace: Workspace, host: str) -> None:
    for name in ("fetcher", "ungranted"):
        folder = write_skill(
            workspace.paths.skills,
            name,
            f'name: {name}\ndescription: Fetch a page.\nmetadata:\n  memento:\n    network: ["{host}:8080"]\n',
        )
        (folder / "scripts").mkdir()
        (folder / "scripts" / "get.py").write_text(GET, encoding="utf-8")
    config = workspace.paths.config.read_text(encoding="utf-8")
    workspace.paths.config.write_text(config.replace("network = []", 'network = ["fetcher"]', 1), encoding="utf-8")
    GitRepo(workspace.root).commit_paths(
        ["skills/fetcher", "skills/ungranted", ".memento/config.toml"], "two fetchers, one granted"
    )


async def test_only_a_granted_skill_reaches_only_its_declared_host(
    workspace: Workspace,
    remote_host: RemoteHost,  # noqa: F811
) -> None:
    _fetchers(workspace, remote_host.address)
    allowed, other = f"http://{remote_host.address}:8080/ok", f"http://{remote_host.address}:8443/"
    async with connected(workspace.root) as client:
        assert (await client.call("load_skill", name="fetcher"))["network"] is True
        assert (await client.call("load_skill", name="ungranted"))["network"] is False
        granted = await client.call(
            "run_skill_command", skill="fetcher", command=f"python3 /skill/scripts/get.py {allowed} {other}"
        )
        lines = granted["stdout"].splitlines()
        assert lines[0] == f"{allowed} hello from the remote host"
        assert lines[1].startswith(f"{other} FAILED")
        assert granted["network_reached"] == [f"{remote_host.address}:8080"]
        refused = await client.call(
            "run_skill_command",
            skill="ungranted",
            command=f"python3 -c 'import urllib.request as u; u.urlopen(\"{allowed}\", timeout=5)'",
        )
        assert refused["exit_code"] != 0 and "Network is unreachable" in refused["stderr"]
        assert "[memento: missing permission: network]" in refused["stderr"], "with the grant to add"
        # A fix whose test needs the network fails its check: unreviewed code runs without it.
        proposed = await client.refused(
            "propose_patch",
            skill="fetcher",
            reason="test that the page is reachable",
            files={"tests/test_reach.py": REACH_TEST.replace("{host}", remote_host.address)},
        )
        assert "does not pass its checks: test-failed" in proposed
        assert "missing permission: network" in proposed
    assert remote_host.log().count("GET /ok") == 1, "only the granted run got through"
