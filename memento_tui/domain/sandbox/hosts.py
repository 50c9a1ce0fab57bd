"""Which hosts a skill may reach: the list it declares, checked entry by entry.

A skill declares ``metadata: memento: network: [api.github.com, "*.pypi.org"]`` and a
person grants it by name in the config. Entries are a host name, ``*.`` and a domain (any
host under it, not the domain itself), or an IP address, each with an optional ``:port``;
without a port, 80 and 443. Whatever a host name resolves to, the proxy never connects to
this machine itself (loopback, any address of its own), link-local addresses (cloud
metadata services live there), multicast or unspecified addresses.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from dataclasses import dataclass

DEFAULT_PORTS = (80, 443)
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class HostRule:
    host: str  # lower case; for a wildcard, the domain without "*."
    wildcard: bool
    port: int | None

    def matches(self, host: str, port: int) -> bool:
        if self.port is not None and port != self.port:
            return False
        if self.port is None and port not in DEFAULT_PORTS:
            return False
        if self.wildcard:
            return host.endswith("." + self.host)
        return host == self.host

    def __str__(self) -> str:
        text = ("*." if self.wildcard else "") + self.host
        return f"{text}:{self.port}" if self.port is not None else text


def parse_rule(entry: str) -> HostRule:
    """One declared entry, or ValueError saying what is wrong with it."""
    text = entry.strip().lower().rstrip(".")
    port: int | None = None
    if text.startswith("["):  # [::1]:443
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], entry)
        return HostRule(_ip_text(host, entry), False, port)
    if text.count(":") == 1:
        text, _, port_text = text.partition(":")
        port = _port(port_text, entry)
    with contextlib.suppress(ValueError):
        return HostRule(str(ipaddress.ip_address(text)), False, port)
    if not _HOST_RE.match(text) or "." not in text.removeprefix("*."):
        raise ValueError(
            f"{entry!r} is not a host name (example.com), a wildcard (*.example.com) or an IP "
            "address, with an optional :port"
        )
    if text.startswith("*."):
        return HostRule(text[2:], True, port)
    return HostRule(text, False, port)


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{entry!r} has a bad port {text!r}")
    return int(text)


def _ip_text(text: str, entry: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(f"{entry!r} is not an IP address in brackets") from None


def parse_rules(entries: list[str] | tuple[str, ...]) -> tuple[HostRule, ...]:
    return tuple(parse_rule(e) for e in entries)


def allowed(rules: tuple[HostRule, ...], host: str, port: int) -> bool:
    host = host.lower().rstrip(".")
    with contextlib.suppress(ValueError):
        host = str(ipaddress.ip_address(host.strip("[]")))
    return any(rule.matches(host, port) for rule in rules)


def forbidden_address(address: IPAddress) -> str | None:
    """Why the proxy must not connect to ``address``, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "it is this machine's loopback"
    if address.is_unspecified:
        return "it is the unspecified address"
    if address.is_link_local:
        return "it is link-local (where cloud metadata services answer)"
    if address.is_multicast:
        return "it is multicast"
    if _is_own(address):
        return "it is an address of this machine"
    return None


def _is_own(address: IPAddress) -> bool:
    """True when this machine has ``address`` (binding to it works only then)."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True
