"""A host on the other side of a real network link: its own network namespace, joined to
ours by a veth pair, serving HTTP on 8080 and a plain TCP service on 8443 (for CONNECT).

The sandbox's proxy refuses this machine's own addresses and loopback, so a test of what
a granted skill may reach needs a host that is not this one. Needs root and iproute2.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

_SERVER = r"""
import socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

address = sys.argv[1]
log = open(sys.argv[2], "a", buffering=1)

class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        log.write(f"GET {self.path} host={self.headers.get('Host')}\n")
        body = b"hello from the remote host\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

def tcp():
    server = socket.create_server((address, 8443))
    while True:
        conn, _ = server.accept()
        log.write("TCP 8443\n")
        conn.sendall(b"REMOTE SERVICE\n")
        conn.close()

threading.Thread(target=tcp, daemon=True).start()
httpd = ThreadingHTTPServer((address, 8080), Hello)
print("ready", flush=True)
httpd.serve_forever()
"""


@dataclass
class RemoteHost:
    address: str  # the remote end
    local_address: str  # our end of the link: an address of this machine
    log_path: str

    def log(self) -> str:
        with open(self.log_path) as handle:
            return handle.read()


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture(scope="session")
def remote_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteHost]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("a test host in its own network namespace needs root and iproute2")
    tag = os.getpid() % 100_000
    netns, here, there = f"memento-t{tag}", f"mth{tag}", f"mtr{tag}"
    subnet = f"10.{200 + (tag // 250) % 50}.{tag % 250}"  # one /30 per test process
    log_path = str(tmp_path_factory.mktemp("remote") / "requests.log")
    try:
        _ip("netns", "add", netns)
        _ip("link", "add", here, "type", "veth", "peer", "name", there)
        _ip("link", "set", there, "netns", netns)
        _ip("addr", "add", f"{subnet}.1/30", "dev", here)
        _ip("link", "set", here, "up")
        _ip("netns", "exec", netns, "ip", "addr", "add", f"{subnet}.2/30", "dev", there)
        _ip("netns", "exec", netns, "ip", "link", "set", there, "up")
        _ip("netns", "exec", netns, "ip", "link", "set", "lo", "up")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        pytest.skip(f"cannot make a network namespace here: {err}")
    server = subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, "-c", _SERVER, f"{subnet}.2", log_path],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert server.stdout is not None and server.stdout.readline() == b"ready\n"
        yield RemoteHost(f"{subnet}.2", f"{subnet}.1", log_path)
    finally:
        server.kill()
        server.wait()
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        subprocess.run(["ip", "link", "del", here], capture_output=True)
