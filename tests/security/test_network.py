"""Network: a loopback service on the host, DNS, bash's /dev/tcp, abstract unix sockets,
frontmatter or callers that try to switch network on, and a granted skill, which reaches
its declared hosts through the filtering proxy and nothing else."""

from __future__ import annotations

import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import NETWORK_DENIED_MARKER, Sandbox, SandboxRefused
from tests.remote_host import RemoteHost
from tests.sandboxing import make_sandbox


class Listener:
    """A TCP service on the host's 127.0.0.1 that records every connection it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def test_a_loopback_service_on_the_host_is_unreachable(
    sandbox: Sandbox, work: Path, skill_factory, listener: Listener
) -> None:
    skill = skill_factory(
        "exfil",
        {
            "scripts/connect.py": f"""
        import socket
        s = socket.create_connection(("127.0.0.1", {listener.port}), timeout=2)
        s.sendall(b"secret")
        print("CONNECTED")
        """
        },
    )
    result = sandbox.run(["python3", "/skill/scripts/connect.py"], work_dir=work, skill_dir=skill)
    assert result.exit_code != 0
    assert "CONNECTED" not in result.stdout
    assert listener.connections == 0
    # A failed run that tried the network says so, in words the reflection step recognises.
    assert result.network_denied_hint
    assert NETWORK_DENIED_MARKER in result.stderr and "'exfil'" in result.stderr


def test_bash_dev_tcp_cannot_connect(sandbox: Sandbox, work: Path, listener: Listener) -> None:
    script = f"echo secret > /dev/tcp/127.0.0.1/{listener.port} && echo SENT"
    result = sandbox.run(["bash", "-c", script], work_dir=work)
    assert "SENT" not in result.stdout
    assert listener.connections == 0


def test_dns_does_not_resolve(sandbox: Sandbox, work: Path) -> None:
    code = "import socket; print(socket.getaddrinfo('example.com', 443))"
    result = sandbox.run(["python3", "-c", code], work_dir=work)
    assert result.exit_code != 0
    assert "gaierror" in result.stderr
    assert result.network_denied_hint


def test_only_loopback_exists(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["cat", "/proc/net/dev"], work_dir=work)
    interfaces = [line.split(":")[0].strip() for line in result.stdout.splitlines()[2:]]
    assert interfaces == ["lo"]


def test_abstract_unix_sockets_of_the_host_are_unreachable(sandbox: Sandbox, work: Path) -> None:
    """Abstract sockets belong to the network namespace (X11, D-Bus and others use them)."""
    name = f"\0memento-test-{uuid.uuid4().hex}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(name)
    server.listen(1)
    server.settimeout(0.1)
    try:
        code = (
            "import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); "
            f"s.connect({name!r}); print('CONNECTED')"
        )
        result = sandbox.run(["python3", "-c", code], work_dir=work)
        assert "CONNECTED" not in result.stdout
        with pytest.raises(OSError):
            server.accept()
    finally:
        server.close()


def test_network_flag_without_a_grant_is_refused(sandbox: Sandbox, work: Path, skill_factory) -> None:
    """The caller's word is not enough: the skill must declare it and the config grant it."""
    declares = skill_factory("wants-net", frontmatter="metadata:\n  memento:\n    network: [a.io]\n")
    with pytest.raises(SandboxRefused, match="not granted"):
        sandbox.run(["true"], work_dir=work, skill_dir=declares, network=True)
    silent = skill_factory("silent")
    with pytest.raises(SandboxRefused, match="does not declare"):
        sandbox.run(["true"], work_dir=work, skill_dir=silent, network=True)
    with pytest.raises(SandboxRefused, match="without a skill"):
        sandbox.run(["true"], work_dir=work, network=True)


@pytest.mark.parametrize("value", ["on", "yes", "'true'", "1", "True-ish"])
def test_frontmatter_coercions_never_declare_network(limited, work: Path, skill_factory, value: str) -> None:
    """YAML 1.1 would read 'on' and 'yes' as true; the loader keeps them strings."""
    skill = skill_factory("sneaky", frontmatter=f"metadata:\n  memento:\n    network: {value}\n")
    box = limited(network=["sneaky"])  # even with the config grant in place
    with pytest.raises(SandboxRefused, match="does not declare"):
        box.run(["true"], work_dir=work, skill_dir=skill, network=True)


# -- a granted skill: through the filtering proxy, to its declared hosts only ------------------


def _granted(skill_factory, hosts: list[str], files: dict[str, str]) -> tuple[Path, Sandbox]:
    declared = ", ".join(f'"{h}"' for h in hosts)
    skill = skill_factory("fetcher", files, frontmatter=f"metadata:\n  memento:\n    network: [{declared}]\n")
    return skill, make_sandbox(reviewed=skill.parent, network=["fetcher"])


_GET = """
import sys, urllib.request
for url in sys.argv[1:]:
    try:
        print(url, urllib.request.urlopen(url, timeout=5).read().decode().strip())
    except Exception as err:
        print(url, "FAILED", err)
"""


def test_a_granted_skill_reaches_its_declared_host_and_nothing_else(
    work: Path, skill_factory, remote_host: RemoteHost
) -> None:
    skill, box = _granted(skill_factory, [f"{remote_host.address}:8080"], {"scripts/get.py": _GET})
    allowed = f"http://{remote_host.address}:8080/ok"
    other_port = f"http://{remote_host.address}:8443/"
    result = box.run(
        ["python3", "/skill/scripts/get.py", allowed, other_port], work_dir=work, skill_dir=skill, network=True
    )
    lines = result.stdout.splitlines()
    assert lines[0] == f"{allowed} hello from the remote host", result.stderr
    assert lines[1].startswith(f"{other_port} FAILED") and "403" in lines[1]
    assert result.network_reached == [f"{remote_host.address}:8080"]
    assert any(f"{remote_host.address}:8443" in n and "not among the hosts" in n for n in result.notes)
    assert NETWORK_DENIED_MARKER in result.stderr
    assert "GET /ok" in remote_host.log()
    assert "TCP 8443" not in remote_host.log()


def test_connect_tunnels_reach_a_declared_port(work: Path, skill_factory, remote_host: RemoteHost) -> None:
    """HTTPS goes through CONNECT; the proxy relays bytes it cannot read."""
    tunnel = f"""
import socket
conn = socket.create_connection(("127.0.0.1", 3128), timeout=5)
conn.sendall(b"CONNECT {remote_host.address}:8443 HTTP/1.1\\r\\n\\r\\n")
data = b""
while data.count(b"\\n") < 3:
    data += conn.recv(100)
head, _, rest = data.partition(b"\\r\\n\\r\\n")
print(head.split(b"\\r\\n")[0].decode())
print(rest.decode().strip())
"""
    skill, box = _granted(skill_factory, [f"{remote_host.address}:8443"], {"scripts/tunnel.py": tunnel})
    result = box.run(["python3", "/skill/scripts/tunnel.py"], work_dir=work, skill_dir=skill, network=True)
    assert result.stdout.splitlines() == ["HTTP/1.1 200 Connection Established", "REMOTE SERVICE"], result.stderr


def test_a_granted_skill_still_has_no_route_of_its_own(
    work: Path, skill_factory, remote_host: RemoteHost, listener: Listener
) -> None:
    """The grant is the proxy, not the host's network: a direct connection goes nowhere,
    and the host's loopback and abstract sockets stay out of reach."""
    name = f"\0memento-test-{uuid.uuid4().hex}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(name)
    abstract.listen(1)
    direct = f"""
import socket
for target in [("{remote_host.address}", 8080), ("127.0.0.1", {listener.port})]:
    try:
        socket.create_connection(target, timeout=2)
        print("CONNECTED", target)
    except OSError as err:
        print("no route", target)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect({name!r})
    print("ABSTRACT CONNECTED")
except OSError:
    print("no abstract socket")
print(open("/proc/net/dev").read().count(":") - 0)
"""
    skill, box = _granted(skill_factory, [f"{remote_host.address}:8080"], {"scripts/direct.py": direct})
    try:
        result = box.run(["python3", "/skill/scripts/direct.py"], work_dir=work, skill_dir=skill, network=True)
    finally:
        abstract.close()
    assert "CONNECTED" not in result.stdout, result.stdout
    assert result.stdout.count("no route") == 2 and "no abstract socket" in result.stdout
    assert result.stdout.splitlines()[-1] == "1"  # one interface: lo
    assert listener.connections == 0


@pytest.mark.parametrize("target", ["loopback", "own address"])
def test_the_proxy_never_connects_to_this_machine(
    work: Path, skill_factory, remote_host: RemoteHost, target: str
) -> None:
    """Even when the skill declares it: host loopback and the host's own addresses (where
    services bound to 0.0.0.0 listen) are refused, whatever a name resolves to."""
    address = "127.0.0.1" if target == "loopback" else remote_host.local_address
    server = socket.create_server((address, 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    skill, box = _granted(skill_factory, [f"{address}:{port}"], {"scripts/get.py": _GET})
    try:
        result = box.run(
            ["python3", "/skill/scripts/get.py", f"http://{address}:{port}/"],
            work_dir=work,
            skill_dir=skill,
            network=True,
        )
        with pytest.raises(OSError):
            server.accept()
    finally:
        server.close()
    assert "FAILED" in result.stdout and "403" in result.stdout
    assert any("this machine" in n for n in result.notes), result.notes


def test_network_true_without_hosts_reaches_nothing(work: Path, skill_factory, remote_host: RemoteHost) -> None:
    skill = skill_factory("fetcher", {"scripts/get.py": _GET}, frontmatter="metadata:\n  memento:\n    network: true\n")
    box = make_sandbox(reviewed=skill.parent, network=["fetcher"])
    url = f"http://{remote_host.address}:8080/"
    result = box.run(["python3", "/skill/scripts/get.py", url], work_dir=work, skill_dir=skill, network=True)
    assert "FAILED" in result.stdout
    assert any("declares (none)" in n for n in result.notes), result.notes


def test_unreviewed_copies_of_a_granted_skill_never_get_network(work: Path, skill_factory, open_dir: Path) -> None:
    """A patch under validation or replay runs from a copy: no network, whatever it says."""
    skill, box = _granted(skill_factory, ["example.com"], {})
    copy = open_dir / "patched" / "fetcher"
    shutil.copytree(skill, copy)
    assert box.may_use_network(skill)
    assert not box.may_use_network(copy)
    with pytest.raises(SandboxRefused, match="not been reviewed"):
        box.run(["true"], work_dir=work, skill_dir=copy, network=True)
    unreviewed = make_sandbox(network=["fetcher"])  # nothing counts as reviewed
    assert not unreviewed.may_use_network(skill)


def test_an_unreviewed_copy_that_wanted_the_network_is_told_why_it_had_none(
    work: Path, skill_factory, open_dir: Path
) -> None:
    """The note names the review, not a grant the skill already has."""
    fetch = "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=3)\n"
    skill, box = _granted(skill_factory, ["example.com"], {"scripts/get.py": fetch})
    copy = open_dir / "patched" / "fetcher"
    shutil.copytree(skill, copy)
    result = box.run(["python3", "/skill/scripts/get.py"], work_dir=work, skill_dir=copy)
    assert result.exit_code != 0 and result.network_denied_hint
    note = result.notes[0]
    assert note.startswith(NETWORK_DENIED_MARKER) and "unreviewed copy of skill 'fetcher'" in note
    assert "[sandbox] network" not in note  # the grant is there already


@pytest.mark.parametrize(
    "entry",
    [
        "localhost",
        "*.com",
        "http://example.com",
        "example.com/path",
        "exa mple.com",
        "example.com:0",
        "example.com:99999",
        "-bad.example.com",
    ],
)
def test_bad_host_entries_are_refused(work: Path, skill_factory, entry: str) -> None:
    skill, box = _granted(skill_factory, [entry], {})
    with pytest.raises(SandboxRefused, match="bad host"):
        box.run(["true"], work_dir=work, skill_dir=skill, network=True)
