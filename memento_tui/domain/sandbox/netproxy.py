"""The filtering proxy that is a granted skill's only way out.

A sandbox never shares the host's network namespace. A command of a skill that declares
network and is granted it gets a namespace of its own with only ``lo``, where a small
bridge (``netbridge``) listens on 127.0.0.1 and hands every connection to this proxy
through a unix socket bound into the sandbox. The proxy runs in Memento's own process,
outside the sandbox. It speaks HTTP proxying (``CONNECT host:port`` for TLS, absolute
URLs for plain HTTP), which curl, wget, pip, git, requests and urllib all use when
``HTTPS_PROXY``/``HTTP_PROXY`` are set; it connects only to hosts the skill declares,
resolves names itself (there is no DNS inside), and never to this machine or a
link-local address, whatever a name resolves to. This is the design of Anthropic's
sandbox-runtime. Everything else, abstract unix sockets included, stays out of reach:
they belong to the host's network namespace.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from memento_tui.domain.sandbox.hosts import HostRule, allowed, forbidden_address

SOCKET_NAME = "proxy.sock"
_HEAD_LIMIT = 32_768
_TIMEOUT = 30.0
_MAX_CONNECTIONS = 64


class _Refused(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class ProxyLog:
    """What the proxy did during one run, for the run's result and notes."""

    reached: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (host:port, why)


class FilteringProxy:
    """One proxy per sandboxed run; ``close()`` ends every connection it carries."""

    def __init__(self, skill: str, rules: tuple[HostRule, ...], owner: tuple[int, int] | None) -> None:
        self.skill = skill
        self.rules = rules
        self.log = ProxyLog()
        self.folder = Path(tempfile.mkdtemp(prefix="memento-net-"))
        if owner is not None:  # the sandbox uid must be able to connect; nobody else
            os.chown(self.folder, *owner)
        self.folder.chmod(0o700)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.folder / SOCKET_NAME))
        os.chmod(self.folder / SOCKET_NAME, 0o666)
        self._server.listen(_MAX_CONNECTIONS)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._slots = threading.BoundedSemaphore(_MAX_CONNECTIONS)
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="memento-proxy", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._open.clear()
        self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            (self.folder / SOCKET_NAME).unlink()
        with contextlib.suppress(OSError):
            self.folder.rmdir()

    # -- serving ----------------------------------------------------------------------------
    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            if self._closed:
                conn.close()
                raise OSError("proxy closed")
            self._open.add(conn)

    def _forget(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)
        conn.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._slots.acquire(blocking=False):
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            self._track(client)
            client.settimeout(_TIMEOUT)
            head, rest = _read_head(client)
            try:
                method, target, version, headers = _parse_head(head)
                host, port = _destination(method, target, headers)
                upstream = self._connect(host, port)
            except _Refused as refusal:
                client.sendall(_refusal(refusal.status, refusal.reason))
                return
            self._track(upstream)
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
            else:
                upstream.sendall(_origin_request(method, target, version, headers) + rest)
            _relay(client, upstream)
        except (OSError, ValueError):
            pass
        finally:
            if upstream is not None:
                self._forget(upstream)
            self._forget(client)
            self._slots.release()

    def _connect(self, host: str, port: int) -> socket.socket:
        where = f"{host}:{port}"
        if not allowed(self.rules, host, port):
            declared = ", ".join(str(r) for r in self.rules) or "none"
            self._refuse(where, f"not among the hosts skill {self.skill!r} declares ({declared})")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            self.log.refused.append((where, f"cannot resolve: {err}"))
            raise _Refused("502 Bad Gateway", f"memento: cannot resolve {host}: {err}") from None
        last: OSError | None = None
        for family, kind, proto, _, address in infos:
            ip = ipaddress.ip_address(address[0])
            why = forbidden_address(ip)
            if why is not None:
                self._refuse(where, f"{host} resolves to {ip}, and {why}")
            sock = socket.socket(family, kind, proto)
            sock.settimeout(_TIMEOUT)
            try:
                sock.connect(address)
            except OSError as err:
                sock.close()
                last = err
                continue
            self.log.reached.append(where)
            return sock
        self.log.refused.append((where, f"cannot connect: {last}"))
        raise _Refused("502 Bad Gateway", f"memento: cannot connect to {where}: {last}")

    def _refuse(self, where: str, why: str) -> None:
        self.log.refused.append((where, why))
        raise _Refused("403 Forbidden", f"memento: network to {where} refused: {why}")


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ValueError("closed before the request ended")
        data += chunk
        if len(data) > _HEAD_LIMIT:
            raise ValueError("request head too long")
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _parse_head(head: bytes) -> tuple[str, str, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise _Refused("400 Bad Request", "memento: not an HTTP proxy request")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return parts[0].upper(), parts[1], parts[2], headers


def _destination(method: str, target: str, headers: list[tuple[str, str]]) -> tuple[str, int]:
    if method == "CONNECT":
        host, sep, port = target.rpartition(":")
        if not sep or not port.isdigit():
            raise _Refused("400 Bad Request", f"memento: bad CONNECT target {target!r}")
        return host.strip("[]").lower(), int(port)
    url = urlsplit(target)
    if url.scheme != "http" or not url.hostname:
        raise _Refused(
            "400 Bad Request",
            "memento: the proxy takes absolute http:// URLs and CONNECT (for https)",
        )
    return url.hostname.lower(), url.port or 80


_HOP_HEADERS = {"proxy-connection", "proxy-authorization", "connection", "keep-alive"}


def _origin_request(method: str, target: str, version: str, headers: list[tuple[str, str]]) -> bytes:
    url = urlsplit(target)
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    lines = [f"{method} {path} {version}"]
    lines += [f"{n}: {v}" for n, v in headers if n.lower() not in _HOP_HEADERS]
    lines.append("Connection: close")  # one request per connection: each is checked
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _refusal(status: str, reason: str) -> bytes:
    body = (reason + "\n").encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _relay(a: socket.socket, b: socket.socket) -> None:
    a.settimeout(None)
    b.settimeout(None)
    other = threading.Thread(target=_pump, args=(b, a), daemon=True)
    other.start()
    _pump(a, b)
    other.join()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
