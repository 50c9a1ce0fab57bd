"""Network: a loopback service on the host, DNS, bash's /dev/tcp, abstract unix sockets,
and frontmatter or callers that try to switch network on."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import NETWORK_DENIED_MARKER, Sandbox, SandboxRefused


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
    skill = skill_factory("exfil", {"scripts/connect.py": f"""
        import socket
        s = socket.create_connection(("127.0.0.1", {listener.port}), timeout=2)
        s.sendall(b"secret")
        print("CONNECTED")
        """})
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
    declares = skill_factory("wants-net", frontmatter="metadata:\n  memento:\n    network: true\n")
    with pytest.raises(SandboxRefused, match="not granted"):
        sandbox.run(["true"], work_dir=work, skill_dir=declares, network=True)
    silent = skill_factory("silent")
    with pytest.raises(SandboxRefused, match="does not declare"):
        sandbox.run(["true"], work_dir=work, skill_dir=silent, network=True)
    with pytest.raises(SandboxRefused, match="without a skill"):
        sandbox.run(["true"], work_dir=work, network=True)


@pytest.mark.parametrize("value", ["on", "yes", "'true'", "1", "True-ish"])
def test_frontmatter_coercions_never_declare_network(
    limited, work: Path, skill_factory, value: str
) -> None:
    """YAML 1.1 would read 'on' and 'yes' as true; the loader keeps them strings."""
    skill = skill_factory("sneaky", frontmatter=f"metadata:\n  memento:\n    network: {value}\n")
    box = limited(network=["sneaky"])  # even with the config grant in place
    with pytest.raises(SandboxRefused, match="does not declare"):
        box.run(["true"], work_dir=work, skill_dir=skill, network=True)
